// Package bus is the in-process bot.Bus: updates for the subscribers of a
// topic within one process. Instances sharing a PostgreSQL store will use
// its LISTEN/NOTIFY instead (store/postgres, issue 15); nothing publishes
// on a bus yet.
package bus

import (
	"context"
	"errors"
	"sync"

	"github.com/calmbot/calmbot/bot"
)

// ErrClosed is returned by Publish and Subscribe after Close.
var ErrClosed = errors.New("bus closed")

// buffer is how many messages a subscriber may fall behind before the
// next ones are dropped for it.
const buffer = 64

// Local is a bot.Bus within one process. Publish never blocks: a
// subscriber more than 64 messages behind misses the next ones (and
// Dropped counts them); subscribers catch up from the store, as they
// must after a reconnect on a shared bus. It is safe for concurrent use.
type Local struct {
	mu      sync.Mutex
	subs    map[string]map[*sub]struct{}
	dropped int64
	closed  bool
}

var _ bot.Bus = (*Local)(nil)

type sub struct {
	ch   chan []byte
	once sync.Once
}

// New returns an empty bus.
func New() *Local { return &Local{subs: map[string]map[*sub]struct{}{}} }

// Publish sends a copy of payload to topic's current subscribers.
func (b *Local) Publish(ctx context.Context, topic string, payload []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	for s := range b.subs[topic] {
		select {
		case s.ch <- append([]byte(nil), payload...):
		default:
			b.dropped++
		}
	}
	return nil
}

// Subscribe returns topic's messages published from now on. The channel
// is closed by cancel, when ctx ends, or by Close.
func (b *Local) Subscribe(ctx context.Context, topic string) (<-chan []byte, func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, nil, ErrClosed
	}
	s := &sub{ch: make(chan []byte, buffer)}
	if b.subs[topic] == nil {
		b.subs[topic] = map[*sub]struct{}{}
	}
	b.subs[topic][s] = struct{}{}
	stop := context.AfterFunc(ctx, func() { b.remove(topic, s) })
	cancel := func() {
		stop()
		b.remove(topic, s)
	}
	return s.ch, cancel, nil
}

// remove ends one subscription.
func (b *Local) remove(topic string, s *sub) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[topic][s]; !ok {
		return
	}
	delete(b.subs[topic], s)
	if len(b.subs[topic]) == 0 {
		delete(b.subs, topic)
	}
	s.once.Do(func() { close(s.ch) })
}

// Dropped counts the messages subscribers missed for being too far behind.
func (b *Local) Dropped() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}

// Close ends every subscription; Publish and Subscribe fail afterwards.
func (b *Local) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for topic, subs := range b.subs {
		for s := range subs {
			s.once.Do(func() { close(s.ch) })
		}
		delete(b.subs, topic)
	}
	return nil
}

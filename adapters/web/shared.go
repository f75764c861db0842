package web

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/calmbot/calmbot/bot"
)

// Several instances behind a load balancer each hold some customers'
// event streams. A reply is stored once, by whichever instance made it,
// and streams read the store: all an instance must learn from another is
// that a conversation has news. WithBus sends those wakes over a bot.Bus
// (PostgreSQL's LISTEN/NOTIFY), so an agent's reply sent by one instance
// reaches the customer's stream on another.

// wakeTopic is the bus topic of wakes; the payload is the ids of the
// conversations woken, one a line (ids have no newline).
const wakeTopic = "web/wake"

// wakeBatch caps the ids of one wake event: the wakes queued while the
// last event was published go out together, each id once, so a busy
// instance publishes one event per round trip rather than one per reply.
const wakeBatch = 64

// wakeBuffer bounds the wakes waiting to go out; past it they are dropped
// (a stream also reads the store when the customer reconnects).
const wakeBuffer = 1024

// WithBus shares wakes with the other instances on one store through b.
// They flow from Start until Close.
func WithBus(b bot.Bus) Option {
	return func(a *Adapter) {
		a.bus = b
		a.wakes = make(chan string, wakeBuffer)
	}
}

// shared is the bus state of an Adapter.
type shared struct {
	bus      bot.Bus
	wakes    chan string
	busStart sync.Once
}

// wake tells conversation id's listeners here and on the other instances
// that it has news; it never blocks.
func (a *Adapter) wake(id string) {
	a.hub.wake(id)
	if a.wakes == nil {
		return
	}
	select {
	case a.wakes <- id:
	default:
		a.log.Warn("web chat: a wake for the other instances was dropped (bus backlog)", "conversation", id)
	}
}

// startBus sends and receives wakes until Close.
func (a *Adapter) startBus(ctx context.Context) error {
	if a.bus == nil {
		return nil
	}
	var err error
	a.busStart.Do(func() {
		ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		var msgs <-chan []byte
		var unsub func()
		if msgs, unsub, err = a.bus.Subscribe(ctx, wakeTopic); err != nil {
			cancel()
			return
		}
		go func() {
			<-a.done
			unsub()
			cancel()
		}()
		go func() {
			for m := range msgs {
				for id := range strings.SplitSeq(string(m), "\n") {
					a.hub.wake(id)
				}
			}
		}()
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case id := <-a.wakes:
					ids := gatherWakes(a.wakes, id)
					if err := a.bus.Publish(ctx, wakeTopic, []byte(strings.Join(ids, "\n"))); err != nil && ctx.Err() == nil {
						a.log.Warn("web chat: wakes not sent to the other instances", "conversations", len(ids), "err", err)
					}
				}
			}
		}()
	})
	return err
}

// gatherWakes returns first and the other ids queued in wakes now, each
// once, at most wakeBatch of them.
func gatherWakes(wakes <-chan string, first string) []string {
	ids := []string{first}
	for len(ids) < wakeBatch {
		select {
		case id := <-wakes:
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		default:
			return ids
		}
	}
	return ids
}

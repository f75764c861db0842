package bot

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Delivery retry settings: a failed send is retried with exponential backoff
// (or after the Retry-After the platform asked for) up to sendAttempts times;
// after that the reply stays in the store's outbox and is tried again by the
// periodic resend and after a restart.
const (
	sendAttempts   = 6
	sendTimeout    = 30 * time.Second
	backoffInitial = 250 * time.Millisecond
	backoffMax     = 30 * time.Second
)

// outbox delivers committed replies: in order within a conversation, in
// parallel across conversations, each conversation's queue drained by a
// goroutine that ends when the queue is empty.
type outbox struct {
	e *Engine

	mu       sync.Mutex
	senders  map[string]Sender
	queues   map[Address][]outItem
	inflight map[int64]bool
	warned   map[string]bool
	stopped  bool
	stop     chan struct{}
	wg       sync.WaitGroup

	sentMu  sync.Mutex
	sent    []int64
	marking bool
}

// outItem is a reply to send, or (flushed != nil) a marker that tells a
// Flush caller everything before it was handled.
type outItem struct {
	reply   Reply
	flushed chan struct{}
}

func newOutbox(e *Engine) *outbox {
	return &outbox{
		e:        e,
		senders:  map[string]Sender{},
		queues:   map[Address][]outItem{},
		inflight: map[int64]bool{},
		warned:   map[string]bool{},
		stop:     make(chan struct{}),
	}
}

func (o *outbox) register(channel string, s Sender) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.senders[channel] = s
}

// enqueue adds replies to their conversation's queue.
func (o *outbox) enqueue(addr Address, rs []Reply) {
	if len(rs) == 0 {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.stopped {
		return
	}
	q, running := o.queues[addr]
	for _, r := range rs {
		if r.OutboxID != 0 {
			if o.inflight[r.OutboxID] {
				continue
			}
			o.inflight[r.OutboxID] = true
		}
		q = append(q, outItem{reply: r})
	}
	o.queues[addr] = q
	if !running {
		o.wg.Add(1)
		go o.deliver(addr)
	}
}

// flush waits until everything queued for addr so far was handled.
func (o *outbox) flush(ctx context.Context, addr Address) error {
	o.mu.Lock()
	q, running := o.queues[addr]
	if !running {
		o.mu.Unlock()
		return nil
	}
	done := make(chan struct{})
	o.queues[addr] = append(q, outItem{flushed: done})
	o.mu.Unlock()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// deliver drains addr's queue; a key present in o.queues means a deliver
// goroutine owns it.
func (o *outbox) deliver(addr Address) {
	defer o.wg.Done()
	for {
		o.mu.Lock()
		q := o.queues[addr]
		if len(q) == 0 {
			delete(o.queues, addr)
			o.mu.Unlock()
			return
		}
		it := q[0]
		o.queues[addr] = q[1:]
		stopped := o.stopped
		sender := o.senders[addr.Channel]
		o.mu.Unlock()

		switch {
		case it.flushed != nil:
			close(it.flushed)
		case stopped:
			o.done(it.reply.OutboxID)
		default:
			o.send(sender, it.reply)
		}
	}
}

// send delivers one reply, retrying with backoff.
func (o *outbox) send(s Sender, r Reply) {
	defer o.done(r.OutboxID)
	log := func() *slog.Logger { return o.e.log.With("addr", r.Address.String(), "outbox_id", r.OutboxID) }
	if s == nil {
		o.mu.Lock()
		first := !o.warned[r.Address.Channel]
		o.warned[r.Address.Channel] = true
		o.mu.Unlock()
		if first {
			log().Warn("no sender registered for channel; replies stay in the outbox", "channel", r.Address.Channel)
		}
		return
	}
	backoff := backoffInitial
	for attempt := 1; ; attempt++ {
		err := o.call(s, r)
		if err == nil {
			o.markSent(r.OutboxID)
			return
		}
		var perm *PermanentError
		if errors.As(err, &perm) {
			log().Error("reply dropped: the platform refused it for good", "err", err)
			o.markSent(r.OutboxID)
			return
		}
		if attempt >= sendAttempts {
			log().Warn("reply not delivered; it stays in the outbox", "attempts", attempt, "err", err)
			return
		}
		wait := backoff
		var ra RetryAfterError
		if errors.As(err, &ra) && ra.RetryAfter() > 0 {
			wait = ra.RetryAfter()
		}
		backoff = min(2*backoff, backoffMax)
		log().Debug("send failed; retrying", "attempt", attempt, "wait", wait, "err", err)
		if !o.sleep(wait) {
			return
		}
	}
}

// call makes one send attempt; a Sender that panics failed this attempt.
func (o *outbox) call(s Sender, r Reply) (err error) {
	ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			err = o.e.panicked("send reply", p, "addr", r.Address.String(), "outbox_id", r.OutboxID)
		}
	}()
	return s.Send(ctx, r)
}

// sleep waits d on the engine's clock; false when the outbox is stopping.
func (o *outbox) sleep(d time.Duration) bool {
	ch := make(chan struct{})
	t := o.e.clock.AfterFunc(d, func() { close(ch) })
	select {
	case <-ch:
		return true
	case <-o.stop:
		t.Stop()
		return false
	}
}

func (o *outbox) done(id int64) {
	if id == 0 {
		return
	}
	o.mu.Lock()
	delete(o.inflight, id)
	o.mu.Unlock()
}

// markSent records a delivery; deliveries are marked in the store in
// batches by one goroutine at a time.
func (o *outbox) markSent(id int64) {
	if id == 0 {
		return
	}
	o.sentMu.Lock()
	o.sent = append(o.sent, id)
	start := !o.marking
	o.marking = true
	o.sentMu.Unlock()
	if start {
		o.wg.Add(1)
		go o.markLoop()
	}
}

func (o *outbox) markLoop() {
	defer o.wg.Done()
	for {
		o.sentMu.Lock()
		ids := o.sent
		o.sent = nil
		if len(ids) == 0 {
			o.marking = false
			o.sentMu.Unlock()
			return
		}
		o.sentMu.Unlock()
		if err := o.markStored(ids); err != nil {
			// At worst the replies are sent again after a restart.
			o.e.log.Error("mark replies sent", "count", len(ids), "err", err)
		}
	}
}

// markStored marks ids sent in the store; a panic there is an error.
func (o *outbox) markStored(ids []int64) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = o.e.panicked("mark replies sent", p)
		}
	}()
	return o.e.store.MarkSent(context.Background(), ids)
}

// close stops retries, drops what is queued (it stays in the store's
// outbox) and waits for sends in progress.
func (o *outbox) close() {
	o.mu.Lock()
	if !o.stopped {
		o.stopped = true
		close(o.stop)
	}
	o.mu.Unlock()
	o.wg.Wait()
}

package bot

import (
	"context"
	"errors"
	"log/slog"
	"slices"
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
//
// A reply that is not delivered after its last attempt pauses its
// conversation's queue: what was queued after it is dropped from memory
// (it stays in the store's outbox, in order) and so are the conversation's
// new replies, until the periodic resend queues the conversation again
// from the store, its oldest reply first. A reply id stays in inflight
// from the moment it is queued until it is marked sent in the store (or
// given up on for now), so a resend never queues it twice.
type outbox struct {
	e *Engine

	mu       sync.Mutex
	senders  map[string]Sender
	queues   map[Address][]outItem
	inflight map[int64]bool
	paused   map[Address]bool
	// marked collects the ids marked sent while a resend reads the
	// store (reading): that read may still see them undelivered.
	marked  map[int64]bool
	reading bool
	warned  map[string]bool
	stopped bool
	stop    chan struct{}
	wg      sync.WaitGroup

	sentMu   sync.Mutex
	sent     []int64
	unmarked []int64 // delivered, but marking them in the store failed
	marking  bool
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
		paused:   map[Address]bool{},
		marked:   map[int64]bool{},
		warned:   map[string]bool{},
		stop:     make(chan struct{}),
	}
}

func (o *outbox) register(channel string, s Sender) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.senders[channel] = s
	delete(o.warned, channel)
}

// channels returns the channels with a Sender, sorted.
func (o *outbox) channels() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]string, 0, len(o.senders))
	for ch := range o.senders {
		out = append(out, ch)
	}
	slices.Sort(out)
	return out
}

// enqueue adds a turn's new replies to their conversation's queue; the
// replies of a paused conversation wait in the store for the resend. When
// the channel's Sender is an InstantSender and nothing of the
// conversation was queued, the caller delivers them before enqueue
// returns.
func (o *outbox) enqueue(addr Address, rs []Reply) { o.queue(addr, rs, false) }

// requeue adds replies read back from the store's outbox, in their order,
// and resumes a paused conversation with them.
func (o *outbox) requeue(addr Address, rs []Reply) { o.queue(addr, rs, true) }

// queue adds rs to addr's queue and drains it here when add says so.
func (o *outbox) queue(addr Address, rs []Reply, resent bool) {
	if o.add(addr, rs, resent) {
		o.deliver(addr)
	}
}

// add queues rs. It reports whether the caller must drain the queue
// itself: it is a new one and the channel's Sender is instant. Otherwise a
// delivery goroutine drains it (started here when there was none).
func (o *outbox) add(addr Address, rs []Reply, resent bool) (inline bool) {
	if len(rs) == 0 {
		return false
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.stopped {
		return false
	}
	if o.paused[addr] {
		if !resent {
			return false
		}
		delete(o.paused, addr)
	}
	q, running := o.queues[addr]
	for _, r := range rs {
		if r.OutboxID != 0 {
			if o.inflight[r.OutboxID] || resent && o.marked[r.OutboxID] {
				continue
			}
			o.inflight[r.OutboxID] = true
		}
		q = append(q, outItem{reply: r})
	}
	o.queues[addr] = q
	if running {
		return false
	}
	o.wg.Add(1)
	if _, instant := o.senders[addr.Channel].(InstantSender); instant {
		return true
	}
	go o.deliver(addr)
	return false
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
		case !o.send(sender, it.reply):
			o.pause(addr)
		}
	}
}

// pause stops addr's queue after a reply that was not delivered: the
// replies queued after it go back to waiting in the store, so none
// overtakes it; the resend queues them again, in order.
func (o *outbox) pause(addr Address) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.paused[addr] = true
	q := o.queues[addr]
	kept := q[:0]
	for _, it := range q {
		switch {
		case it.flushed != nil:
			kept = append(kept, it) // a Flush caller hears the queue was handled
		case it.reply.OutboxID != 0:
			delete(o.inflight, it.reply.OutboxID)
		}
	}
	o.queues[addr] = kept
}

// warnNoSender warns, once per channel, that addr's channel has no
// Sender: its replies stay in the outbox until one registers.
func (o *outbox) warnNoSender(addr Address, id int64) {
	o.mu.Lock()
	warn := o.senders[addr.Channel] == nil && !o.warned[addr.Channel]
	if warn {
		o.warned[addr.Channel] = true
	}
	o.mu.Unlock()
	if warn {
		o.e.log.Warn("no sender registered for channel; its replies stay in the outbox until one is",
			"channel", addr.Channel, "addr", addr.String(), "outbox_id", id)
	}
}

// send delivers one reply, retrying with backoff. It reports false when
// the reply was not delivered and stays in the outbox: the conversation's
// queue must pause behind it.
func (o *outbox) send(s Sender, r Reply) bool {
	log := func() *slog.Logger { return o.e.log.With("addr", r.Address.String(), "outbox_id", r.OutboxID) }
	if s == nil {
		o.done(r.OutboxID)
		o.warnNoSender(r.Address, r.OutboxID)
		return false
	}
	if !o.e.holds(r.Address) {
		// Another instance holds the conversation now (WithLeases): the
		// reply waits in the outbox for it, so that no two instances'
		// replies interleave.
		o.done(r.OutboxID)
		return false
	}
	backoff := backoffInitial
	for attempt := 1; ; attempt++ {
		err := o.call(s, r)
		if err == nil {
			o.markSent(r.OutboxID)
			return true
		}
		var perm *PermanentError
		if errors.As(err, &perm) {
			log().Error("reply dropped: the platform refused it for good", "err", err)
			o.markSent(r.OutboxID)
			return true
		}
		if attempt >= sendAttempts {
			o.done(r.OutboxID)
			log().Error("reply not delivered: the conversation's deliveries are paused until the next resend",
				"attempts", attempt, "err", err)
			for _, l := range o.e.listeners {
				o.e.notifyOne(o.e.base, l, Event{Kind: EventDeliveryPaused, Address: r.Address, Err: err, Failures: attempt})
			}
			return false
		}
		wait := backoff
		var ra RetryAfterError
		if errors.As(err, &ra) && ra.RetryAfter() > 0 {
			wait = ra.RetryAfter()
		}
		backoff = min(2*backoff, backoffMax)
		log().Debug("send failed; retrying", "attempt", attempt, "wait", wait, "err", err)
		if !o.sleep(wait) {
			o.done(r.OutboxID)
			return true // stopping: the reply stays in the outbox for the next start
		}
	}
}

// call makes one send attempt; a Sender that panics failed this attempt.
func (o *outbox) call(s Sender, r Reply) (err error) {
	ctx := o.e.base
	if _, instant := s.(InstantSender); !instant {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, sendTimeout)
		defer cancel()
	}
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

func (o *outbox) done(ids ...int64) {
	o.mu.Lock()
	for _, id := range ids {
		delete(o.inflight, id)
	}
	o.mu.Unlock()
}

// sentDone is done for ids the store now holds as sent.
func (o *outbox) sentDone(ids []int64) {
	o.mu.Lock()
	for _, id := range ids {
		delete(o.inflight, id)
		if o.reading {
			o.marked[id] = true
		}
	}
	o.mu.Unlock()
}

// reads brackets a resend's read of the store and the requeue of what
// it read: the ids marked sent meanwhile are not queued again.
func (o *outbox) reads(on bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.reading = on
	clear(o.marked)
}

// markSent records a delivery; deliveries are marked in the store in
// batches by one goroutine at a time, and stay in flight until they are.
func (o *outbox) markSent(id int64) {
	if id == 0 {
		return
	}
	o.sentMu.Lock()
	o.sent = append(o.sent, id)
	o.sentMu.Unlock()
	o.startMarking()
}

// remark tries again to mark the deliveries whose marking failed.
func (o *outbox) remark() {
	o.sentMu.Lock()
	o.sent = append(o.sent, o.unmarked...)
	o.unmarked = nil
	o.sentMu.Unlock()
	o.startMarking()
}

func (o *outbox) startMarking() {
	o.sentMu.Lock()
	start := !o.marking && len(o.sent) > 0
	o.marking = o.marking || start
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
			// Still in flight, so not sent again by this process; marked
			// at the next resend, or sent again after a restart.
			o.e.log.Error("mark replies sent", "count", len(ids), "err", err)
			o.sentMu.Lock()
			o.unmarked = append(o.unmarked, ids...)
			o.sentMu.Unlock()
			continue
		}
		o.sentDone(ids)
	}
}

// markStored marks ids sent in the store; a panic there is an error.
func (o *outbox) markStored(ids []int64) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = o.e.panicked("mark replies sent", p)
		}
	}()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(o.e.base), sendTimeout)
	defer cancel()
	return o.e.store.MarkSent(ctx, ids)
}

// halt stops retries and drops what is queued (it stays in the store's
// outbox); the sends in progress go on until they return.
func (o *outbox) halt() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.stopped {
		o.stopped = true
		close(o.stop)
	}
}

// wait waits for wg until ctx ends.
func wait(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

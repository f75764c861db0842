package bot

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// resendEvery is how often replies left in the outbox are tried again;
// resendPage is how many a resend claims at a time, and claimLease how
// long its claims hold (an instance's own claims are renewed by its next
// resend; another instance takes them over once they expired).
const (
	resendEvery = time.Minute
	resendPage  = 1000
	claimLease  = 5 * time.Minute
)

// shutdownGrace is how long Run, once its ctx is done, lets the turns and
// sends in progress finish.
const shutdownGrace = 10 * time.Second

// Run resumes what a previous run left (conversations with unanswered
// messages, undelivered replies), evicts idle conversations from memory and
// retries undelivered replies until ctx is done; then it shuts the engine
// down, giving the work in progress shutdownGrace to finish.
func (e *Engine) Run(ctx context.Context) error {
	stop := func() error {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
		defer cancel()
		return e.Shutdown(sctx)
	}
	err := e.listenLeases(ctx)
	if err == nil {
		err = e.resume(ctx)
	}
	close(e.resumed)
	if err != nil {
		cerr := stop()
		if ctx.Err() != nil {
			return cerr // stopped while resuming: nothing is lost, it resumes next time
		}
		return err
	}
	tick := make(chan struct{}, 1)
	every := min(e.idleTTL/2, resendEvery)
	if every <= 0 {
		every = resendEvery
	}
	if e.takeover > 0 {
		every = min(every, e.takeover)
	}
	schedule := func() {
		e.clock.AfterFunc(every, func() {
			select {
			case tick <- struct{}{}:
			default:
			}
		})
	}
	schedule()
	lastResend, lastLook := e.clock.Now(), e.clock.Now()
	for {
		select {
		case <-ctx.Done():
			return stop()
		case <-e.kick:
			if err := e.resendGuarded(ctx); err != nil && ctx.Err() == nil {
				e.log.Error("resend outbox", "err", err)
			}
		case <-tick:
			e.evict()
			e.dropExpired()
			now := e.clock.Now()
			if e.takeover > 0 && now.Sub(lastLook) >= e.takeover {
				lastLook = now
				if err := e.adopt(ctx); err != nil && ctx.Err() == nil {
					e.log.Error("look for unanswered conversations", "err", err)
				}
				if err := e.resend(ctx); err != nil && ctx.Err() == nil {
					e.log.Error("resend outbox", "err", err)
				}
			}
			if now.Sub(lastResend) >= resendEvery {
				lastResend = now
				if err := e.resendGuarded(ctx); err != nil {
					e.log.Error("resend outbox", "err", err)
				}
			}
			schedule()
		}
	}
}

// adopt queues the conversations with unanswered messages that the last
// look found unanswered too (WithTakeover): those no instance is
// answering, or one that crashed.
func (e *Engine) adopt(ctx context.Context) error {
	addrs, err := e.store.Unanswered(ctx)
	if err != nil {
		return err
	}
	now := make(map[Address]bool, len(addrs))
	n := 0
	for _, a := range addrs {
		now[a] = true
		if e.seen[a] {
			if err := e.look(a); err != nil {
				return err
			}
			n++
		}
	}
	e.seen = now
	if n > 0 {
		e.log.Info("answering conversations left unanswered", "count", n)
	}
	return nil
}

// look queues a conversation found unanswered. With leases it is read
// again from the store first: its holder (maybe this engine) may hold an
// old snapshot in memory, without the messages another instance stored,
// and would otherwise find nothing to answer while renewing its lease.
func (e *Engine) look(a Address) error {
	if e.lease != nil {
		return e.refresh(a)
	}
	return e.enqueue(a, nil)
}

// Resumed is closed once Run has queued what the previous run left
// undone; adapters that want old replies delivered before new turns wait
// for it before taking messages.
func (e *Engine) Resumed() <-chan struct{} { return e.resumed }

// resume restarts conversations that have unanswered messages and delivers
// replies that were committed but not sent.
func (e *Engine) resume(ctx context.Context) error {
	// Old replies first: each conversation's deliveries stay in order. A
	// panic (logged) is not worth refusing to start: the next tick retries.
	if err := e.resendGuarded(ctx); err != nil && !errors.Is(err, errPanic) {
		return err
	}
	if err := e.warnUnsent(ctx); err != nil {
		return err
	}
	addrs, err := e.store.Unanswered(ctx)
	if err != nil {
		return fmt.Errorf("resume conversations: %w", err)
	}
	for _, a := range addrs {
		if err := e.enqueue(a, nil); err != nil {
			return err
		}
	}
	if len(addrs) > 0 {
		e.log.Info("resuming conversations with unanswered messages", "count", len(addrs))
	}
	return nil
}

// resend queues the outbox's undelivered replies again, claiming them a
// page at a time, for the channels that have a Sender: each conversation
// from its oldest reply, in order, which resumes a paused conversation.
// Replies for a channel without a Sender wait until one registers.
func (e *Engine) resend(ctx context.Context) error {
	e.out.remark()
	channels := e.out.channels()
	if len(channels) == 0 {
		return nil
	}
	var after int64
	for {
		e.out.reads(true)
		items, err := e.store.ClaimOutbox(ctx, OutboxClaim{Owner: e.owner, After: after, Channels: channels, Limit: resendPage, Lease: claimLease})
		if err != nil {
			e.out.reads(false)
			return fmt.Errorf("read outbox: %w", err)
		}
		byAddr := map[Address][]Reply{}
		var order []Address
		for _, it := range items {
			if _, ok := byAddr[it.Address]; !ok {
				order = append(order, it.Address)
			}
			byAddr[it.Address] = append(byAddr[it.Address], it.Reply())
		}
		for _, a := range order {
			if e.lease != nil {
				// Only the holder delivers: take the lease of a
				// conversation no instance holds, skip one held elsewhere.
				if held, _, err := e.hold(ctx, a); err != nil || !held {
					continue
				}
			}
			e.out.requeue(a, byAddr[a])
		}
		e.out.reads(false)
		if len(items) < resendPage {
			return nil
		}
		after = items[len(items)-1].ID
	}
}

// warnUnsent warns, once per channel, of the replies the outbox holds
// for channels without a Sender (a channel no longer configured): they
// wait there, without holding up the others, until one registers. It
// reads at most warnPages pages of the outbox.
func (e *Engine) warnUnsent(ctx context.Context) error {
	const warnPages = 10
	var after int64
	for range warnPages {
		items, err := e.store.Pending(ctx, after, resendPage)
		if err != nil {
			return fmt.Errorf("read outbox: %w", err)
		}
		for _, it := range items {
			e.out.warnNoSender(it.Address, it.ID)
		}
		if len(items) < resendPage {
			return nil
		}
		after = items[len(items)-1].ID
	}
	return nil
}

// evict forgets conversations idle for longer than the idle TTL; the store
// has everything needed to load them again.
func (e *Engine) evict() int {
	now := e.clock.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for addr, c := range e.convs {
		c.mu.Lock()
		idle := !c.running && len(c.inbox) == 0 && !c.due && c.timer == nil && now.Sub(c.last) >= e.idleTTL
		c.mu.Unlock()
		if idle {
			delete(e.convs, addr)
			n++
		}
	}
	return n
}

// Live returns how many conversations are held in memory.
func (e *Engine) Live() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.convs)
}

// Close stops taking messages, waits for the conversations being handled,
// and stops deliveries (undelivered replies stay in the outbox). Messages
// held back by a quiet window are stored and answered after the next start.
// It is Shutdown without a deadline.
func (e *Engine) Close() error { return e.Shutdown(context.Background()) }

// Shutdown stops the engine gracefully: it stops taking messages (Handle
// returns ErrClosed), lets the turns in progress finish, stops retrying
// deliveries and waits for the sends in progress. Undelivered replies stay
// in the outbox for the next start; messages held back by a quiet window
// are stored and answered then. When ctx ends first, Shutdown cancels the
// work left (its turns and sends see their context cancelled) and returns
// ctx.Err(); a Sender that ignores its context may still be running.
func (e *Engine) Shutdown(ctx context.Context) error {
	e.mu.Lock()
	if !e.closed {
		e.closed = true
		for _, c := range e.convs {
			c.mu.Lock()
			if c.timer != nil {
				c.timer.Stop()
			}
			c.mu.Unlock()
		}
	}
	e.mu.Unlock()
	err := wait(ctx, &e.workers)
	e.out.halt()
	if err == nil {
		err = wait(ctx, &e.out.wg)
	}
	if err == nil {
		e.releaseAll(ctx)
	}
	e.cancel()
	if err != nil {
		return fmt.Errorf("engine shutdown: work still in progress: %w", err)
	}
	return nil
}

package bot

import (
	"context"
	"fmt"
	"time"
)

// resendEvery is how often replies left in the outbox are tried again.
const resendEvery = time.Minute

// Run resumes what a previous run left (conversations with unanswered
// messages, undelivered replies), evicts idle conversations from memory and
// retries undelivered replies until ctx is done; then it closes the engine.
func (e *Engine) Run(ctx context.Context) error {
	err := e.resume(ctx)
	close(e.resumed)
	if err != nil {
		cerr := e.Close()
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
	schedule := func() {
		e.clock.AfterFunc(every, func() {
			select {
			case tick <- struct{}{}:
			default:
			}
		})
	}
	schedule()
	lastResend := e.clock.Now()
	for {
		select {
		case <-ctx.Done():
			return e.Close()
		case <-tick:
			e.evict()
			if now := e.clock.Now(); now.Sub(lastResend) >= resendEvery {
				lastResend = now
				if err := e.resend(ctx); err != nil {
					e.log.Error("resend outbox", "err", err)
				}
			}
			schedule()
		}
	}
}

// Resumed is closed once Run has queued what the previous run left
// undone; adapters that want old replies delivered before new turns wait
// for it before taking messages.
func (e *Engine) Resumed() <-chan struct{} { return e.resumed }

// resume restarts conversations that have unanswered messages and delivers
// replies that were committed but not sent.
func (e *Engine) resume(ctx context.Context) error {
	// Old replies first: each conversation's deliveries stay in order.
	if err := e.resend(ctx); err != nil {
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

// resend queues the outbox's undelivered replies again.
func (e *Engine) resend(ctx context.Context) error {
	const page = 1000
	items, err := e.store.Pending(ctx, page)
	if err != nil {
		return fmt.Errorf("read outbox: %w", err)
	}
	byAddr := map[Address][]Reply{}
	var order []Address
	for _, it := range items {
		if _, ok := byAddr[it.Address]; !ok {
			order = append(order, it.Address)
		}
		byAddr[it.Address] = append(byAddr[it.Address], Reply{Address: it.Address, Author: it.Author, Text: it.Text, Choices: it.Choices, OutboxID: it.ID})
	}
	for _, a := range order {
		e.out.enqueue(a, byAddr[a])
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
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	for _, c := range e.convs {
		c.mu.Lock()
		if c.timer != nil {
			c.timer.Stop()
		}
		c.mu.Unlock()
	}
	e.mu.Unlock()
	e.workers.Wait()
	e.out.close()
	return nil
}

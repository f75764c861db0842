package bot

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
)

// errPanic marks the errors made of a recovered panic.
var errPanic = errors.New("panic")

// panicked reports a panic recovered (r, from recover) while doing what:
// it logs it at Error with the stack and returns it as an error, so the
// goroutine that caught it can fail the work at hand and go on. A bug in
// one turn, one listener or one Sender must not end the process and every
// other conversation with it.
func (e *Engine) panicked(what string, r any, attrs ...any) error {
	err := fmt.Errorf("%s: %w: %v", what, errPanic, r)
	e.panics.Add(1)
	e.log.Error("recovered from a panic; going on", append(attrs, "what", what, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))...)
	return err
}

// processGuarded is process behind a last guard: a panic (in the analyzer,
// a listener, the escalator) fails the batch's messages that still wait
// for an answer, and the conversation is read again from the store for its
// next message, so the worker and the conversation stay usable.
func (e *Engine) processGuarded(ctx context.Context, c *conv, batch []*pending, due bool) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		err := e.panicked("conversation turn", r, "addr", c.addr.String())
		c.loaded = false
		for _, p := range batch {
			// done holds one answer; a message already answered keeps it.
			select {
			case p.done <- err:
			default:
			}
		}
	}()
	e.process(ctx, c, batch, due)
}

// Panics returns how many panics the engine recovered from since it
// started (in turns, listeners, senders, reloads and the resend loop): each
// is a bug that was logged with its stack; alert on any.
func (e *Engine) Panics() int64 { return e.panics.Load() }

// resendGuarded is resend behind a guard: a panic in it (a store or a
// Sender bug) is logged and returned as an error, and the Run loop goes on
// and tries again at the next tick.
func (e *Engine) resendGuarded(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = e.panicked("resend outbox", r)
		}
	}()
	return e.resend(ctx)
}

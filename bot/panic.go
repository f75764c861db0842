package bot

import (
	"context"
	"fmt"
	"runtime/debug"
)

// panicked reports a panic recovered (r, from recover) while doing what:
// it logs it at Error with the stack and returns it as an error, so the
// goroutine that caught it can fail the work at hand and go on. A bug in
// one turn, one listener or one Sender must not end the process and every
// other conversation with it.
func (e *Engine) panicked(what string, r any, attrs ...any) error {
	err := fmt.Errorf("%s: panic: %v", what, r)
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
		c.loaded, c.m = false, nil
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

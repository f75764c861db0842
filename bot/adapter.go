package bot

import (
	"context"
	"time"
)

// Sender delivers replies on a channel. The engine delivers the replies of
// one conversation in order, one at a time.
type Sender interface {
	Send(ctx context.Context, r Reply) error
}

// RetryAfterError is implemented by send errors that say when to try again
// (an HTTP 429 with Retry-After, say).
type RetryAfterError interface {
	error
	RetryAfter() time.Duration
}

// PermanentError marks a send error that retrying cannot fix (the chat was
// deleted, the bot was blocked); the reply is dropped and logged.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Handler takes customer messages from adapters. Handle returns once the
// message is durably stored: only then may an adapter acknowledge it.
type Handler interface {
	Handle(ctx context.Context, m Message) error
}

package bot

import (
	"context"
	"net/http"
	"time"
)

// Sender delivers replies on a channel. The engine delivers the replies of
// one conversation in order, one at a time.
type Sender interface {
	Send(ctx context.Context, r Reply) error
}

// InstantSender is a Sender whose Send only hands the reply to memory in
// this process (the web chat's: its customers read replies from the
// store, and Send wakes their streams): it returns at once, and no retry
// would change its answer. The engine calls it on the goroutine that
// committed the turn, right after the commit, instead of on a delivery
// goroutine of its own; the reply is in the store's outbox before, and
// marked sent after, as with any Sender. A conversation with replies
// still queued for delivery keeps its order: its new replies queue
// behind them.
type InstantSender interface {
	Sender
	// SendsInstantly marks the Sender; it is never called.
	SendsInstantly()
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

// Adapter is the lifecycle every channel implements: the host starts it
// with the engine as its Handler, registers it as the Sender of its
// Channel, and stops it on shutdown.
type Adapter interface {
	Sender
	// Channel is the Address.Channel the adapter serves ("web", "telegram").
	Channel() string
	// Start connects and begins passing customer messages to h; it returns
	// once running. The adapter runs until Stop, or until ctx is done.
	Start(ctx context.Context, h Handler) error
	// Stop stops the adapter, waiting at most until ctx is done for what it
	// is handling.
	Stop(ctx context.Context) error
}

// Router is an optional capability of an Adapter: HTTP routes the host
// mounts on its customer listener (the web chat's page and API, a
// platform's webhook). Each key is a net/http.ServeMux pattern
// ("POST /telegram/webhook", "/"); the host refuses patterns that clash.
type Router interface {
	Routes() map[string]http.Handler
}

// Readier is an optional capability of an Adapter: whether it can serve
// now. The host's /readyz fails while Ready returns an error (the
// platform's API is unreachable, say) and shows it.
type Readier interface {
	Ready() error
}

// State is a small durable key-value store an adapter keeps what must
// survive a restart in (a poll offset, the platform id of the message that
// carries a question's buttons, a resume session). Each adapter gets its
// own namespace: keys of different adapters never meet. Get returns "" for
// a key with no value; Set with "" removes the key.
type State interface {
	Get(ctx context.Context, key string) (string, error)
	Set(ctx context.Context, key, value string) error
}

// Package console is calmbot's terminal chat: a customer types lines, the
// bot answers on the same terminal. In JSON-lines mode it reads
// {"text": ...} objects and writes one JSON object per bot event, for
// scripts and flow authors' experiments.
package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/calmbot/calmbot/bot"
)

// Channel is the console's channel name.
const Channel = "console"

// Engine is what the console needs of the conversation engine.
type Engine interface {
	bot.Handler
	Flush(ctx context.Context, addr bot.Address) error
}

// Adapter reads customer messages from a reader and writes the bot's
// replies and handoffs to a writer.
type Adapter struct {
	in     io.Reader
	out    io.Writer
	mu     sync.Mutex // serialises writes to out
	jsonl  bool
	addr   bot.Address
	locale string
	seq    int

	// waiting is set by a handoff and cleared by the next reply; replies
	// counts the replies written. Both are guarded by mu.
	waiting bool
	replies int

	life sync.Mutex
	stop context.CancelFunc
	done chan struct{} // closed when the input ended; nil before Start
	err  error         // why it ended, once done is closed
}

var (
	_ bot.Adapter   = (*Adapter)(nil)
	_ bot.Escalator = (*Adapter)(nil)
)

// Option configures an Adapter.
type Option func(*Adapter)

// JSONLines switches to JSON lines in and out.
func JSONLines() Option { return func(a *Adapter) { a.jsonl = true } }

// Locale sets the language the "platform" reports for the customer.
func Locale(lang string) Option { return func(a *Adapter) { a.locale = lang } }

// Conversation sets the conversation id (to continue a stored conversation).
func Conversation(id string) Option {
	return func(a *Adapter) { a.addr.Conversation = id }
}

// Waiting says the conversation is already handed off and waits for a
// person (a continued conversation), so a message the bot leaves unanswered
// is explained.
func Waiting() Option { return func(a *Adapter) { a.waiting = true } }

// New returns a console adapter on in and out.
func New(in io.Reader, out io.Writer, opts ...Option) *Adapter {
	a := &Adapter{in: in, out: out, addr: bot.Address{Channel: Channel, Conversation: "console"}}
	for _, o := range opts {
		o(a)
	}
	return a
}

// Channel returns the channel name, "console".
func (a *Adapter) Channel() string { return Channel }

// Start reads the input in the background, passing each line to h, until
// the input ends, ctx is done or Stop is called; Done tells when. When h
// can also Flush (the engine can), each line's replies are written before
// the next line is read, as Run does.
func (a *Adapter) Start(ctx context.Context, h bot.Handler) error {
	a.life.Lock()
	defer a.life.Unlock()
	if a.done != nil {
		return errors.New("console: already started")
	}
	e, ok := h.(Engine)
	if !ok {
		e = noFlush{h}
	}
	ctx, a.stop = context.WithCancel(ctx)
	done := make(chan struct{})
	a.done = done
	go func() {
		err := a.Run(ctx, e)
		a.life.Lock()
		a.err = err
		a.life.Unlock()
		close(done)
	}()
	return nil
}

// Stop stops reading and waits, at most until ctx is done, for the line
// being handled. A read blocked on a terminal ends only with its input.
func (a *Adapter) Stop(ctx context.Context) error {
	a.life.Lock()
	stop, done := a.stop, a.done
	a.life.Unlock()
	if done == nil {
		return nil
	}
	stop()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("console: stop: %w", ctx.Err())
	}
}

// Done is closed when the input started by Start has ended; Err then says
// why (nil at the end of the input).
func (a *Adapter) Done() <-chan struct{} {
	a.life.Lock()
	defer a.life.Unlock()
	return a.done
}

// Err is why the input ended: nil at its end, else the error that ended it.
func (a *Adapter) Err() error {
	a.life.Lock()
	defer a.life.Unlock()
	return a.err
}

// noFlush is an Engine for a Handler that cannot flush.
type noFlush struct{ bot.Handler }

func (noFlush) Flush(context.Context, bot.Address) error { return nil }

// Address is the conversation the console talks in.
func (a *Adapter) Address() bot.Address { return a.addr }

// Package console is calmbot's terminal chat: a customer types lines, the
// bot answers on the same terminal. In JSON-lines mode it reads
// {"text": ...} objects and writes one JSON object per bot event, for
// scripts and flow authors' experiments.
package console

import (
	"context"
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
}

var (
	_ bot.Sender    = (*Adapter)(nil)
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

// New returns a console adapter on in and out.
func New(in io.Reader, out io.Writer, opts ...Option) *Adapter {
	a := &Adapter{in: in, out: out, addr: bot.Address{Channel: Channel, Conversation: "console"}}
	for _, o := range opts {
		o(a)
	}
	return a
}

// Address is the conversation the console talks in.
func (a *Adapter) Address() bot.Address { return a.addr }

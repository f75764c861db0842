// Package bottest drives calmbot conversations in tests: an in-memory
// store, a fake clock, a recording sender and escalator, and a harness that
// runs a whole conversation in a few lines:
//
//	h := bottest.New(t, bottest.LoadFlows(t, "../../flows.yaml"))
//	c := h.Chat("en")
//	c.Say("my parcel hasn't arrived")
//	if got := c.Snapshot().State; got != "confirm" { t.Errorf(...) }
package bottest

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/intent"
	"github.com/calmbot/calmbot/flows"
)

// Channel is the channel name the harness's conversations use.
const Channel = "test"

// Analyzer builds calmbot's standard analyzer; it is a bot.AnalyzerFactory.
func Analyzer(f *flows.File) (bot.Analyzer, error) { return intent.New(f) }

// LoadFlows reads, validates and returns a flow file, failing tb on any error.
func LoadFlows(tb testing.TB, path string) *flows.File {
	tb.Helper()
	f, err := flows.Load(path)
	if err != nil {
		tb.Fatalf("load %s: %v", path, err)
	}
	if ds := f.Validate(); len(ds) > 0 {
		tb.Fatalf("validate %s: %v", path, ds)
	}
	return f
}

// Harness is an engine wired to fakes, with the quiet window off.
type Harness struct {
	Engine    *bot.Engine
	Store     *Store
	Sender    *Sender
	Escalator *Escalator
	Clock     *Clock
	tb        testing.TB
	n         atomic.Int64
}

// New starts an engine on f with an in-memory store. Options are applied
// after the harness's own (quiet window 0, fake clock, recording escalator).
// The engine is closed when the test ends.
func New(tb testing.TB, f *flows.File, opts ...bot.Option) *Harness {
	tb.Helper()
	return NewWithAnalyzer(tb, f, Analyzer, opts...)
}

// NewWithAnalyzer is New with another analyzer (a deterministic fake, say).
func NewWithAnalyzer(tb testing.TB, f *flows.File, newAnalyzer bot.AnalyzerFactory, opts ...bot.Option) *Harness {
	tb.Helper()
	h := &Harness{Store: NewStore(), Sender: NewSender(), Escalator: &Escalator{}, Clock: NewClock(), tb: tb}
	base := []bot.Option{bot.WithQuietWindow(0), bot.WithClock(h.Clock), bot.WithEscalator(h.Escalator)}
	e, err := bot.New(context.Background(), h.Store, f, newAnalyzer, append(base, opts...)...)
	if err != nil {
		tb.Fatalf("new engine: %v", err)
	}
	e.Register(Channel, h.Sender)
	h.Engine = e
	tb.Cleanup(func() { _ = e.Close() })
	return h
}

// Chat starts a new conversation whose channel reports locale ("" for none).
func (h *Harness) Chat(locale string) *Chat {
	n := h.n.Add(1)
	return &Chat{h: h, Addr: bot.Address{Channel: Channel, Conversation: "c" + strconv.FormatInt(n, 10)}, Locale: locale}
}

// Chat is one conversation of a Harness.
type Chat struct {
	h      *Harness
	Addr   bot.Address
	Locale string
	n      int
	seen   int
}

// Say sends a customer message, waits for the bot's answer and returns the
// replies it delivered for this turn. It fails the test on an error.
func (c *Chat) Say(text string) []bot.Reply {
	c.h.tb.Helper()
	c.n++
	return c.SayID(strconv.Itoa(c.n), text)
}

// SayID is Say with an explicit platform message id (to test redelivery).
func (c *Chat) SayID(id, text string) []bot.Reply {
	c.h.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m := bot.Message{Address: c.Addr, ID: id, Text: text, Locale: c.Locale, At: c.h.Clock.Now()}
	if err := c.h.Engine.Handle(ctx, m); err != nil {
		c.h.tb.Fatalf("handle %q: %v", text, err)
	}
	return c.Replies()
}

// Tap presses the button of option id, labelled label, as a platform
// adapter reports it (Message.Choice set, the label as the text), waits for
// the bot's answer and returns the replies it delivered for this turn.
func (c *Chat) Tap(id, label string) []bot.Reply {
	c.h.tb.Helper()
	c.n++
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m := bot.Message{Address: c.Addr, ID: strconv.Itoa(c.n), Text: label, Choice: id, Locale: c.Locale, At: c.h.Clock.Now()}
	if err := c.h.Engine.Handle(ctx, m); err != nil {
		c.h.tb.Fatalf("handle tap %q: %v", id, err)
	}
	return c.Replies()
}

// Replies waits for pending deliveries and returns the replies not returned before.
func (c *Chat) Replies() []bot.Reply {
	c.h.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.h.Engine.Flush(ctx, c.Addr); err != nil {
		c.h.tb.Fatalf("flush: %v", err)
	}
	all := c.h.Sender.Replies(c.Addr)
	out := all[c.seen:]
	c.seen = len(all)
	return out
}

// Snapshot returns the conversation's stored state.
func (c *Chat) Snapshot() *bot.Snapshot {
	c.h.tb.Helper()
	s, err := c.h.Engine.Conversation(context.Background(), c.Addr)
	if err != nil {
		c.h.tb.Fatalf("snapshot: %v", err)
	}
	return s
}

// Driver runs flow files' conversation tests (flows.RunTests) on a real
// engine with an in-memory store; it implements flows.Driver.
type Driver struct {
	store  *Store
	sender *Sender
	engine *bot.Engine
	n      atomic.Int64
}

var _ flows.Driver = (*Driver)(nil)

// NewDriver returns a Driver for f. Close it when done.
func NewDriver(ctx context.Context, f *flows.File, newAnalyzer bot.AnalyzerFactory) (*Driver, error) {
	d := &Driver{store: NewStore(), sender: NewSender()}
	e, err := bot.New(ctx, d.store, f, newAnalyzer, bot.WithQuietWindow(0))
	if err != nil {
		return nil, err
	}
	d.engine = e
	return d, nil
}

// Close stops the driver's engine.
func (d *Driver) Close() error { return d.engine.Close() }

// Start implements flows.Driver.
func (d *Driver) Start(_ context.Context, t *flows.Test) (flows.Session, error) {
	ch := t.Channel
	if ch == "" {
		ch = Channel
	}
	d.engine.Register(ch, d.sender)
	n := d.n.Add(1)
	return &session{d: d, addr: bot.Address{Channel: ch, Conversation: "t" + strconv.FormatInt(n, 10)}, locale: t.Lang}, nil
}

type session struct {
	d      *Driver
	addr   bot.Address
	locale string
	n      int
	seen   int
}

// Say implements flows.Session.
func (s *session) Say(ctx context.Context, text string) (flows.Outcome, error) {
	s.n++
	m := bot.Message{Address: s.addr, ID: strconv.Itoa(s.n), Text: text, Locale: s.locale}
	if err := s.d.engine.Handle(ctx, m); err != nil {
		return flows.Outcome{}, err
	}
	if err := s.d.engine.Flush(ctx, s.addr); err != nil {
		return flows.Outcome{}, err
	}
	all := s.d.sender.Replies(s.addr)
	var out flows.Outcome
	for _, r := range all[s.seen:] {
		out.Replies = append(out.Replies, r.Text)
		if len(r.Choices) > 0 {
			out.Choices = out.Choices[:0]
			for _, c := range r.Choices {
				out.Choices = append(out.Choices, c.ID)
			}
		}
	}
	s.seen = len(all)
	snap, err := s.d.engine.Conversation(ctx, s.addr)
	if err != nil {
		return out, fmt.Errorf("read state: %w", err)
	}
	out.Flow, out.State, out.Lang = snap.Flow, snap.State, snap.Lang
	out.Ended = snap.Status == bot.StatusEnded
	if snap.Status == bot.StatusHuman && snap.Handoff != nil {
		out.Handoff = string(snap.Handoff.Reason)
	}
	return out, nil
}

// Close implements flows.Session.
func (s *session) Close() error { return nil }

package handoff_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/handofftest"
)

// bare is a Service without an engine, fed handoffs directly: enough for
// the queue, routing and estimates.
type bare struct {
	t     *testing.T
	ctx   context.Context
	svc   *handoff.Service
	store *handofftest.Store
	clock *bottest.Clock
	ids   map[string]int64 // conversation -> ticket id
}

func newBare(t *testing.T) *bare {
	t.Helper()
	clock := bottest.NewClock()
	store := handofftest.NewStore()
	svc, err := handoff.New(context.Background(), store, nil,
		handoff.WithClock(clock), handoff.WithBcryptCost(bcrypt.MinCost), handoff.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	return &bare{t: t, ctx: context.Background(), svc: svc, store: store, clock: clock, ids: map[string]int64{}}
}

// open hands off conversation conv with skill and priority, after the
// clock moved on by after.
func (b *bare) open(conv, skill, priority string, after time.Duration) int64 {
	b.t.Helper()
	b.clock.Advance(after)
	h := bot.HandoffRecord{Address: bot.Address{Channel: "test", Conversation: conv}, Reason: "customer_request",
		Skill: skill, Priority: priority, Lang: "en", At: b.clock.Now()}
	if err := b.svc.Escalate(b.ctx, h); err != nil {
		b.t.Fatalf("escalate %s: %v", conv, err)
	}
	for _, t := range b.svc.Tickets() {
		if t.Address == h.Address {
			b.ids[conv] = t.ID
			return t.ID
		}
	}
	b.t.Fatalf("no ticket for %s", conv)
	return 0
}

func (b *bare) agent(name string, p handoff.Presence, capacity int, skills ...string) {
	b.t.Helper()
	if _, err := b.svc.AddAgent(b.ctx, name, "password-"+name, skills, capacity); err != nil {
		b.t.Fatal(err)
	}
	if _, err := b.svc.SetPresence(b.ctx, name, p); err != nil {
		b.t.Fatal(err)
	}
}

func convs(ts []*handoff.Ticket) []string {
	out := []string{}
	for _, t := range ts {
		out = append(out, t.Address.Conversation)
	}
	return out
}

func TestQueueOrder(t *testing.T) {
	type tk struct {
		conv, priority string
		after          time.Duration
	}
	tests := []struct {
		name    string
		tickets []tk
		want    []string
	}{
		{"priority first", []tk{{"low", "low", 0}, {"normal", "normal", time.Second}, {"high", "high", time.Second}, {"urgent", "urgent", time.Second}},
			[]string{"urgent", "high", "normal", "low"}},
		{"then longest wait", []tk{{"a", "normal", 0}, {"b", "normal", time.Second}, {"c", "normal", time.Second}},
			[]string{"a", "b", "c"}},
		{"unknown priority is normal", []tk{{"x", "", 0}, {"y", "bogus", time.Second}, {"z", "high", time.Second}, {"w", "low", time.Second}},
			[]string{"z", "x", "y", "w"}},
		{"mixed", []tk{{"l1", "low", 0}, {"u1", "urgent", time.Second}, {"n1", "normal", time.Second}, {"u2", "urgent", time.Second}, {"n2", "", time.Second}},
			[]string{"u1", "u2", "n1", "n2", "l1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBare(t)
			for _, x := range tt.tickets {
				b.open(x.conv, "", x.priority, x.after)
			}
			q, err := b.svc.Queue("")
			if err != nil {
				t.Fatal(err)
			}
			if got := convs(q); !slices.Equal(got, tt.want) {
				t.Errorf("queue: got %v, want %v", got, tt.want)
			}
			if got := convs(b.svc.Tickets()); !slices.Equal(got, tt.want) {
				t.Errorf("tickets: got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRouting(t *testing.T) {
	b := newBare(t)
	b.agent("ada", handoff.PresenceOnline, 2, "billing")
	b.agent("bob", handoff.PresenceOnline, 2, "delivery", "returns")
	b.agent("cy", handoff.PresenceAway, 2, "returns")
	b.open("bill", "billing", "high", 0)
	b.open("deliv", "delivery", "normal", time.Second)
	b.open("any", "", "normal", time.Second)
	b.open("legal", "legal", "low", time.Second) // nobody has it: everyone may take it

	tests := []struct {
		agent string
		want  []string
	}{
		{"ada", []string{"bill", "any", "legal"}},
		{"bob", []string{"deliv", "any", "legal"}},
		{"cy", []string{"any", "legal"}},
		{"", []string{"bill", "deliv", "any", "legal"}},
	}
	for _, tt := range tests {
		t.Run("queue of "+tt.agent, func(t *testing.T) {
			q, err := b.svc.Queue(tt.agent)
			if err != nil {
				t.Fatal(err)
			}
			if got := convs(q); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := b.svc.Queue("nobody"); err == nil {
		t.Error("queue of an unknown agent: no error")
	}

	claims := []struct {
		agent, conv string
		want        error
	}{
		{"ada", "deliv", handoff.ErrForbidden},
		{"bob", "bill", handoff.ErrForbidden},
		{"nobody", "any", handoff.ErrNotFound},
		{"ada", "bill", nil},
		{"bob", "bill", handoff.ErrTaken},
		{"bob", "legal", nil},
	}
	for _, c := range claims {
		t.Run("claim "+c.agent+" "+c.conv, func(t *testing.T) {
			tk, err := b.svc.Claim(b.ctx, c.agent, b.ids[c.conv])
			wantErr(t, "claim", err, c.want)
			if c.want == nil && (tk == nil || tk.Owner != c.agent || tk.Status != handoff.StatusAssigned) {
				t.Errorf("claimed ticket: %+v", tk)
			}
		})
	}
	if _, err := b.svc.Claim(b.ctx, "ada", 12345); !isErr(err, handoff.ErrNotFound) {
		t.Errorf("claim unknown ticket: %v", err)
	}
	if got := convs(b.svc.Mine("ada")); !slices.Equal(got, []string{"bill"}) {
		t.Errorf("ada's tickets: %v", got)
	}
	// An agent with every skill sees every queued ticket.
	b.agent("star", handoff.PresenceOnline, 1, handoff.AnySkill)
	q, _ := b.svc.Queue("star")
	if got := convs(q); !slices.Equal(got, []string{"deliv", "any"}) {
		t.Errorf("queue of an agent with every skill: %v", got)
	}
}

func TestCapacityAndNext(t *testing.T) {
	b := newBare(t)
	b.agent("ada", handoff.PresenceOnline, 2, "billing")
	b.open("n", "", "normal", 0)
	b.open("h", "billing", "high", time.Second)
	b.open("u", "delivery", "urgent", time.Second)
	b.agent("bob", handoff.PresenceOnline, 1, "delivery")

	steps := []struct {
		agent string
		want  string // conversation, or "" for an error
		err   error
	}{
		{"ada", "h", nil}, // the urgent ticket is bob's skill
		{"ada", "n", nil},
		{"ada", "", handoff.ErrNoCapacity},
		{"bob", "u", nil},
		{"bob", "", handoff.ErrNoCapacity},
		{"nobody", "", handoff.ErrNotFound},
	}
	for i, s := range steps {
		tk, err := b.svc.Next(b.ctx, s.agent)
		wantErr(t, "next", err, s.err)
		if s.want != "" && (tk == nil || tk.Address.Conversation != s.want || tk.Owner != s.agent) {
			t.Errorf("step %d: next for %s: got %+v, want %s", i, s.agent, tk, s.want)
		}
	}
	b.agent("cy", handoff.PresenceOnline, 1)
	if _, err := b.svc.Next(b.ctx, "cy"); !isErr(err, handoff.ErrEmptyQueue) {
		t.Errorf("next on an empty queue: %v", err)
	}
	id := b.open("late", "", "normal", time.Second)
	if _, err := b.svc.Claim(b.ctx, "ada", id); !isErr(err, handoff.ErrNoCapacity) {
		t.Errorf("claim over capacity: %v", err)
	}
	a, _ := b.svc.Agent("ada")
	if a.Active != 2 {
		t.Errorf("ada active: %d, want 2", a.Active)
	}
}

func TestRecoverOpensMissingTickets(t *testing.T) {
	b := newBare(t)
	b.open("known", "", "normal", 0)
	lost := bot.HandoffRecord{Address: bot.Address{Channel: "test", Conversation: "lost"}, Reason: "not_calmed",
		Skill: "billing", Priority: "high", Lang: "de", At: b.clock.Now()}
	known := bot.HandoffRecord{Address: bot.Address{Channel: "test", Conversation: "known"}, Reason: "customer_request", At: b.clock.Now()}
	n, err := b.svc.Recover(b.ctx, []bot.HandoffRecord{known, lost})
	if err != nil || n != 1 {
		t.Fatalf("Recover = %d, %v; want 1 ticket opened", n, err)
	}
	q, err := b.svc.Queue("")
	if err != nil {
		t.Fatal(err)
	}
	if got := convs(q); !slices.Equal(got, []string{"lost", "known"}) {
		t.Errorf("queue %v, want the recovered high-priority ticket first", got)
	}
	if n, err := b.svc.Recover(b.ctx, []bot.HandoffRecord{known, lost}); err != nil || n != 0 {
		t.Errorf("second Recover = %d, %v; want nothing new", n, err)
	}
}

// TestReEscalationRaisesPriority checks that a second handoff of a
// conversation whose ticket is still open raises the ticket's priority
// (and so its place in the queue), and never lowers it.
func TestReEscalationRaisesPriority(t *testing.T) {
	b := newBare(t)
	a := b.open("a", "", "normal", 0)
	b.open("b", "", "high", time.Second)
	if got := b.queue(); !slices.Equal(got, []string{"b", "a"}) {
		t.Fatalf("queue %v, want [b a]", got)
	}
	if id := b.open("a", "", "urgent", time.Second); id != a {
		t.Fatalf("re-escalation opened ticket %d, want the open ticket %d", id, a)
	}
	if p := b.ticketPriority(a); p != "urgent" {
		t.Errorf("priority after an urgent re-escalation %q, want urgent", p)
	}
	if got := b.queue(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("queue %v, want [a b]", got)
	}
	b.open("a", "", "low", time.Second)
	if p := b.ticketPriority(a); p != "urgent" {
		t.Errorf("priority after a low re-escalation %q, want it kept at urgent", p)
	}
}

// queue returns the conversations of the whole queue, best first.
func (b *bare) queue() []string {
	b.t.Helper()
	q, err := b.svc.Queue("")
	if err != nil {
		b.t.Fatal(err)
	}
	return convs(q)
}

// ticketPriority returns ticket id's priority.
func (b *bare) ticketPriority(id int64) string {
	b.t.Helper()
	t, err := b.svc.Ticket(b.ctx, id)
	if err != nil {
		b.t.Fatal(err)
	}
	return t.Priority
}

package handoff_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/flows"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/handofftest"
)

func TestSubscribeRouting(t *testing.T) {
	b := newBare(t)
	b.agent("ada", handoff.PresenceOnline, 1, "billing")
	b.agent("bob", handoff.PresenceOnline, 1, "delivery")
	ada, cancelAda := b.svc.Subscribe("ada")
	defer cancelAda()
	bob, cancelBob := b.svc.Subscribe("bob")
	defer cancelBob()
	all, cancelAll := b.svc.Subscribe("")
	defer cancelAll()

	id := b.open("x", "billing", "normal", 0)
	if _, err := b.svc.Claim(b.ctx, "ada", id); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Note(b.ctx, "ada", id, "secret"); err != nil {
		t.Fatal(err)
	}
	kinds := func(ch <-chan handoff.Update) []handoff.UpdateKind {
		var out []handoff.UpdateKind
		for {
			select {
			case u := <-ch:
				out = append(out, u.Kind)
			default:
				return out
			}
		}
	}
	tests := []struct {
		name string
		ch   <-chan handoff.Update
		want []handoff.UpdateKind
	}{
		{"ada: queue, claim, note and the note's ticket change", ada, []handoff.UpdateKind{"queue", "queue", "note", "ticket"}},
		{"bob sees nothing of billing", bob, nil},
		{"everything", all, []handoff.UpdateKind{"queue", "queue", "note", "ticket"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kinds(tt.ch); !equalKinds(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	cancelBob()
	if _, ok := <-bob; ok {
		t.Error("channel open after cancel")
	}
	cancelBob() // twice is fine
}

func equalKinds(a, b []handoff.UpdateKind) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSlowSubscriber: a subscriber that does not read never blocks the
// engine's workers; it gets a resync instead of what it missed.
func TestSlowSubscriber(t *testing.T) {
	ctx := context.Background()
	store := handofftest.NewStore()
	lc := &lateClock{}
	svc, err := handoff.New(ctx, store, nil, handoff.WithClock(lc), handoff.WithBuffer(2),
		handoff.WithBcryptCost(bcrypt.MinCost), handoff.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	h := bottest.New(t, defaultFlows(t), bot.WithEscalator(svc), bot.WithListener(svc), bot.WithLogger(quiet()))
	lc.c.Store(h.Clock)
	svc.SetEngine(h.Engine)
	updates, cancel := svc.Subscribe("")
	defer cancel()

	c := h.Chat("en")
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Say("I want to talk to a human")
		for i := range 20 {
			c.Say("message " + string(rune('a'+i)))
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the engine blocked on a subscriber that does not read")
	}
	var got []handoff.Update
	for len(updates) > 0 {
		got = append(got, <-updates)
	}
	if len(got) == 0 || len(got) > 2 {
		t.Fatalf("buffered updates: %d, want 1 or 2", len(got))
	}
	resync := false
	for _, u := range got {
		resync = resync || u.Kind == handoff.UpdateResync
	}
	if !resync {
		t.Errorf("no resync among %+v", got)
	}
	// Reading again, the subscriber gets the updates that follow.
	c.Say("still here")
	if !sawMessage(t, updates, "still here") {
		t.Error("no update after the resync")
	}
}

// TestRun: Run tells a new waiting customer at once, then checks again
// every interval of the (fake) clock.
func TestRun(t *testing.T) {
	r := newRig(t, serviceFlows(t, flows.Service{}))
	r.agent("ada", handoff.PresenceOnline, 1)
	ctx, cancel := context.WithCancel(r.ctx)
	done := make(chan error, 1)
	go func() { done <- r.svc.Run(ctx) }()
	c, _ := r.handoff("I want to talk to a human")
	if !eventually(func() bool { return contains(textsOf(r.h.Sender.Replies(c.Addr)), "number 1 in line") }) {
		t.Error("Run did not tell the waiting customer")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}

func textsOf(rs []bot.Reply) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Text)
	}
	return out
}

// eventually polls cond for up to 5 seconds.
func eventually(cond func() bool) bool {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return cond()
}

// flakyEngine is an engine whose Flows panics the first times it is called.
type flakyEngine struct {
	handoff.Engine
	panics atomic.Int32
	calls  atomic.Int32
}

func (e *flakyEngine) Flows() *flows.File {
	e.calls.Add(1)
	if e.panics.Add(-1) >= 0 {
		panic("engine bug")
	}
	return e.Engine.Flows()
}

func TestRunGoesOnAfterAPanic(t *testing.T) {
	r := newRig(t, serviceFlows(t, flows.Service{}))
	r.agent("ada", handoff.PresenceOnline, 1)
	eng := &flakyEngine{Engine: r.h.Engine}
	eng.panics.Store(1)
	r.svc.SetEngine(eng)
	ctx, cancel := context.WithCancel(r.ctx)
	done := make(chan error, 1)
	go func() { done <- r.svc.Run(ctx) }()
	if !eventually(func() bool { return eng.calls.Load() >= 1 }) {
		t.Fatal("Run did not check")
	}
	// The first round panicked; a new ticket wakes the next one.
	c, _ := r.handoff("I want to talk to a human")
	if !eventually(func() bool { return contains(textsOf(r.h.Sender.Replies(c.Addr)), "number 1 in line") }) {
		t.Error("Run did not go on after a round panicked")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}

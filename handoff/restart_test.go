package handoff_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/handofftest"
)

// TestRestart stops the engine and the Service in the middle of things
// and starts new ones on the same stores: the queue, the assignments, the
// notes and the agents come back, and work goes on.
func TestRestart(t *testing.T) {
	ctx := context.Background()
	f := defaultFlows(t)
	botStore, store, clock, sender := bottest.NewStore(), handofftest.NewStore(), bottest.NewClock(), bottest.NewSender()
	start := func() (*handoff.Service, *bot.Engine) {
		t.Helper()
		return startInstance(t, ctx, instance{store: store, botStore: botStore, flows: f, sender: sender,
			svc: []handoff.Option{handoff.WithClock(clock)}, eng: []bot.Option{bot.WithClock(clock)}})
	}
	n := 0
	say := func(eng *bot.Engine, conv, text string) bot.Address {
		t.Helper()
		n++
		addr := bot.Address{Channel: bottest.Channel, Conversation: conv}
		if err := eng.Handle(ctx, bot.Message{Address: addr, ID: strconv.Itoa(n), Text: text, Locale: "en"}); err != nil {
			t.Fatal(err)
		}
		return addr
	}

	svc, eng := start()
	for _, name := range []string{"ada", "bob"} {
		if _, err := svc.AddAgent(ctx, name, "password-"+name, nil, 2); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.SetPresence(ctx, "ada", handoff.PresenceOnline); err != nil {
		t.Fatal(err)
	}
	say(eng, "held", "I want to talk to a human")
	clock.Advance(time.Second)
	say(eng, "waiting", "I want to talk to a human")
	held := svc.Tickets()[0]
	if _, err := svc.Claim(ctx, "ada", held.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Note(ctx, "ada", held.ID, "customer is a regular"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Invite(ctx, "ada", held.ID, "bob"); err == nil {
		t.Fatal("invited an offline agent")
	}
	if err := svc.Check(ctx); err != nil {
		t.Fatal(err)
	}
	before := svc.Tickets()
	if err := eng.Close(); err != nil {
		t.Fatal(err)
	}

	svc2, eng2 := start()
	if err := svc2.Check(ctx); err != nil {
		t.Fatal(err)
	}
	// Compared as JSON: evidence numbers come back as float64.
	if got, want := jsonOf(t, svc2.Tickets()), jsonOf(t, before); got != want {
		t.Errorf("tickets after restart:\n%s\nwant\n%s", got, want)
	}
	if a, err := svc2.Authenticate(ctx, "ada", "password-ada"); err != nil || a.Presence != handoff.PresenceOnline || a.Active != 1 {
		t.Errorf("ada after restart: %+v, %v", a, err)
	}
	// The customer writes to the agent; the agent answers.
	updates, cancel := svc2.Subscribe("ada")
	defer cancel()
	addr := say(eng2, "held", "are you still there?")
	if !sawMessage(t, updates, "are you still there?") {
		t.Error("the customer's message did not reach ada after the restart")
	}
	if err := svc2.Reply(ctx, "ada", held.ID, "Yes, I am here."); err != nil {
		t.Fatal(err)
	}
	if err := eng2.Flush(ctx, addr); err != nil {
		t.Fatal(err)
	}
	last := sender.Replies(addr)
	if got := last[len(last)-1]; got.Text != "Yes, I am here." || got.Author != "agent:ada" {
		t.Errorf("last reply to the customer: %+v", got)
	}
	if q, _ := svc2.Queue("bob"); len(q) != 1 || q[0].Address.Conversation != "waiting" {
		t.Errorf("queue after restart: %v", convs(q))
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

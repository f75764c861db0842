package handoff_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/handofftest"
)

// TestCloseClosedElsewhere: two instances on one store, the second not
// told yet that the first closed a ticket (no bus between them). Closing
// (or releasing) it there fails with ErrClosed and says so, whatever the
// conversation's state, and the second forgets the ticket.
func TestCloseClosedElsewhere(t *testing.T) {
	for _, second := range []string{"close", "release"} {
		t.Run(second, func(t *testing.T) {
			ctx := context.Background()
			f := defaultFlows(t)
			botStore, store, sender := bottest.NewStore(), handofftest.NewStore(), bottest.NewSender()
			createAgent(t, ctx, store, "ada")
			start := func(name string) (*handoff.Service, *bot.Engine) {
				t.Helper()
				return startInstance(t, ctx, instance{store: store, botStore: botStore, flows: f, sender: sender,
					name: name, svc: []handoff.Option{handoff.WithInterval(time.Hour)}})
			}
			a, engA := start("a")
			addr := bot.Address{Channel: bottest.Channel, Conversation: "c1"}
			if err := engA.Handle(ctx, bot.Message{Address: addr, ID: "1", Text: "I want to talk to a human", Locale: "en"}); err != nil {
				t.Fatal(err)
			}
			ts := a.Tickets()
			if len(ts) != 1 {
				t.Fatalf("tickets on a: %+v, want one", ts)
			}
			id := ts[0].ID
			if _, err := a.Claim(ctx, "ada", id); err != nil {
				t.Fatal(err)
			}
			// b starts now: it reads the ticket, held by ada, from the store.
			b, _ := start("b")
			if tk, err := b.Ticket(ctx, id); err != nil || tk.Status != handoff.StatusAssigned {
				t.Fatalf("ticket %d on b: %+v, %v; want it assigned", id, tk, err)
			}
			if _, err := a.Act(ctx, "ada", handoff.Action{Kind: handoff.ActClose, Ticket: id}); err != nil {
				t.Fatalf("close on a: %v", err)
			}
			act := handoff.Action{Kind: handoff.ActClose, Ticket: id}
			if second == "release" {
				act.Kind = handoff.ActRelease
			}
			_, err := b.Act(ctx, "ada", act)
			if !errors.Is(err, handoff.ErrClosed) {
				t.Fatalf("%s on b of the ticket closed on a: %v, want ErrClosed", second, err)
			}
			if !strings.Contains(err.Error(), "closed already") {
				t.Errorf("%s on b: %q does not say the ticket was closed already", second, err)
			}
			for _, tk := range b.Tickets() {
				if tk.ID == id {
					t.Errorf("b still lists ticket %d as open: %+v", id, tk)
				}
			}
		})
	}
}

package handoff_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/handofftest"
)

// flakyStore is a handoff store whose next CreateTicket calls fail.
type flakyStore struct {
	*handofftest.Store
	failCreates atomic.Int32
}

func (s *flakyStore) CreateTicket(ctx context.Context, t *handoff.Ticket) error {
	if s.failCreates.Add(-1) >= 0 {
		return errors.New("disk full")
	}
	return s.Store.CreateTicket(ctx, t)
}

// botHandoffs answers handoff.Handoffs from a bottest store, as the SQLite
// store's HandedOff does: the latest handoff of each conversation a person
// holds, among the conversations it was told of.
type botHandoffs struct {
	mu    sync.Mutex
	store *bottest.Store
	addrs []bot.Address
}

func (b *botHandoffs) watch(addr bot.Address) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.addrs = append(b.addrs, addr)
}

func (b *botHandoffs) HandedOff(ctx context.Context) ([]bot.HandoffRecord, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []bot.HandoffRecord
	for _, addr := range b.addrs {
		snap, err := b.store.Load(ctx, addr)
		if err != nil {
			return nil, err
		}
		if hs := b.store.Handoffs(addr); snap.Status == bot.StatusHuman && len(hs) > 0 {
			out = append(out, hs[len(hs)-1])
		}
	}
	return out, nil
}

// TestCheckOpensMissedTicket: the ticket's write fails at the handoff, so
// the bot is silent and no ticket exists; the next Check round, with no
// restart, opens it, and an agent claims it and answers the customer.
func TestCheckOpensMissedTicket(t *testing.T) {
	ctx := context.Background()
	store := &flakyStore{Store: handofftest.NewStore()}
	lc := &lateClock{}
	hs := &botHandoffs{}
	svc, err := handoff.New(ctx, store, nil, handoff.WithClock(lc), handoff.WithBcryptCost(bcrypt.MinCost),
		handoff.WithLogger(quiet()), handoff.WithHandoffs(hs))
	if err != nil {
		t.Fatal(err)
	}
	h := bottest.New(t, defaultFlows(t), bot.WithEscalator(svc), bot.WithListener(svc), bot.WithLogger(quiet()))
	lc.c.Store(h.Clock)
	hs.store = h.Store
	svc.SetEngine(h.Engine)
	r := &rig{t: t, ctx: ctx, h: h, svc: svc, store: store.Store, clock: h.Clock}
	r.agent("ada", handoff.PresenceOnline, 2)

	c := h.Chat("en")
	hs.watch(c.Addr)
	store.failCreates.Store(1)
	c.Say("I want to talk to a human")
	if st := c.Snapshot().Status; st != bot.StatusHuman {
		t.Fatalf("status %s, want human", st)
	}
	if n := len(svc.Tickets()); n != 0 {
		t.Fatalf("%d tickets after the failed write, want 0", n)
	}

	r.check()
	tk := r.ticketOf(c)
	if tk.Reason != "customer_request" {
		t.Errorf("reason %q, want customer_request", tk.Reason)
	}
	if _, err := svc.Claim(ctx, "ada", tk.ID); err != nil {
		t.Fatalf("claim: %v", err)
	}
	c.Replies()
	if err := svc.Reply(ctx, "ada", tk.ID, "Hello, Ada here."); err != nil {
		t.Fatalf("reply: %v", err)
	}
	if got := said(c); !contains(got, "Hello, Ada here.") {
		t.Errorf("customer got %q, want the agent's reply", got)
	}

	// Another round opens nothing more.
	r.check()
	if n := len(svc.Tickets()); n != 1 {
		t.Errorf("%d open tickets after another check, want 1", n)
	}
}

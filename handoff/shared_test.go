package handoff_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/bus"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/handofftest"
)

// leader is a handoff.Leader a test sets.
type leader struct {
	mu   sync.Mutex
	lead bool
}

func (l *leader) Leading(context.Context) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lead
}

// TestSharedInstances runs two instances (engine and Service each) on one
// store and one bus: a ticket opened on one is queued on the other, a
// claim on the second shows on the first and is refused there, and a
// customer's message the first receives reaches the agent of the second,
// live. Only the leader tells waiting customers their place.
func TestSharedInstances(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := defaultFlows(t)
	botStore, store, sender, b := bottest.NewStore(), handofftest.NewStore(), bottest.NewSender(), bus.New()
	defer b.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	start := func(name string, l handoff.Leader) (*handoff.Service, *bot.Engine) {
		t.Helper()
		return startInstance(t, ctx, instance{store: store, botStore: botStore, flows: f, sender: sender,
			name: name, bus: b, leader: l, svc: []handoff.Option{handoff.WithInterval(time.Hour)}, run: &wg})
	}
	for _, name := range []string{"ada", "bob"} {
		createAgent(t, ctx, store, name)
	}
	a, engA := start("a", &leader{lead: true})
	bsvc, _ := start("b", &leader{})
	bUpdates, cancelB := bsvc.SubscribeAll()
	defer cancelB()
	aUpdates, cancelA := a.Subscribe("ada")
	defer cancelA()

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
	addr := say(engA, "c1", "I want to talk to a human")
	var id int64
	waitUpdate(t, bUpdates, "the ticket opened on a, on b", func(u handoff.Update) bool {
		if u.Kind == handoff.UpdateQueue && u.Ticket != nil && u.Ticket.Address == addr {
			id = u.TicketID
			return true
		}
		return false
	})
	if q, _ := bsvc.Queue("bob"); len(q) != 1 || q[0].ID != id {
		t.Errorf("b's queue: %+v, want the ticket opened on a", q)
	}
	if _, err := bsvc.Claim(ctx, "bob", id); err != nil {
		t.Fatalf("bob's claim on b: %v", err)
	}
	waitUpdate(t, aUpdates, "bob's claim, on a", func(u handoff.Update) bool {
		return u.TicketID == id && u.Ticket != nil && u.Ticket.Owner == "bob"
	})
	if _, err := a.Claim(ctx, "ada", id); !errors.Is(err, handoff.ErrTaken) {
		t.Errorf("ada's claim on a after bob's on b: %v, want ErrTaken", err)
	}
	bobs, cancelBob := bsvc.Subscribe("bob")
	defer cancelBob()
	say(engA, "c1", "hello, is anyone there?")
	if !sawMessage(t, bobs, "hello, is anyone there?") {
		t.Error("the customer's message on a did not reach bob on b")
	}
	// One "you are number N" per waiting customer: the leader's.
	told := 0
	for _, r := range sender.Replies(addr) {
		if r.Author == "" && r.Status == bot.StatusHuman {
			told++
		}
	}
	if told > 2 {
		t.Errorf("the customer was told %d times while waiting", told)
	}
}

// waitUpdate reads updates until match holds.
func waitUpdate(t *testing.T, updates <-chan handoff.Update, what string, match func(handoff.Update) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case u := <-updates:
			if match(u) {
				return
			}
		case <-deadline:
			t.Fatalf("%s: no such update", what)
		}
	}
}

// countingStore counts the reads of every open ticket.
type countingStore struct {
	handoff.Store
	mu   sync.Mutex
	open int
}

func (c *countingStore) OpenTickets(ctx context.Context) ([]*handoff.Ticket, error) {
	c.mu.Lock()
	c.open++
	c.mu.Unlock()
	return c.Store.OpenTickets(ctx)
}

func (c *countingStore) reads() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open
}

// askingLeader follows and says on asked each time it is asked.
type askingLeader struct{ asked chan struct{} }

func (l *askingLeader) Leading(context.Context) bool {
	select {
	case l.asked <- struct{}{}:
	default:
	}
	return false
}

// TestSharedUpdateInformsOnly: another instance's update, or a ticket
// opened here, wakes an instance to inform the waiting customers (when it
// leads), not for a whole Check round that reads every open ticket from
// the store again: with several instances that was a round on each of
// them for every update of any of them, a read of the whole queue per
// handoff.
func TestSharedUpdateInformsOnly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := defaultFlows(t)
	botStore, shared, sender, b := bottest.NewStore(), handofftest.NewStore(), bottest.NewSender(), bus.New()
	defer b.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	start := func(name string, store handoff.Store, l handoff.Leader) *bot.Engine {
		t.Helper()
		_, eng := startInstance(t, ctx, instance{store: store, botStore: botStore, flows: f, sender: sender,
			name: name, bus: b, leader: l, svc: []handoff.Option{handoff.WithInterval(time.Hour)}, run: &wg})
		return eng
	}
	engA := start("a", shared, &leader{lead: true})
	counted := &countingStore{Store: shared}
	asked := &askingLeader{asked: make(chan struct{}, 1)}
	engB := start("b", counted, asked)
	awaitAsked := func(what string) {
		t.Helper()
		select {
		case <-asked.asked:
		case <-time.After(10 * time.Second):
			t.Fatalf("b was not asked whether it leads %s", what)
		}
	}
	awaitAsked("in its first round")
	before := counted.reads()
	addr := bot.Address{Channel: bottest.Channel, Conversation: "c1"}
	if err := engA.Handle(ctx, bot.Message{Address: addr, ID: "1", Text: "I want to talk to a human", Locale: "en"}); err != nil {
		t.Fatal(err)
	}
	awaitAsked("after a's update")
	if got := counted.reads(); got != before {
		t.Errorf("b read the open tickets %d times after a's update, want 0 (inform only)", got-before)
	}
	// A ticket b opens itself wakes it the same way.
	select {
	case <-asked.asked: // an ask of a's update's round, not this one's
	default:
	}
	before = counted.reads()
	addr = bot.Address{Channel: bottest.Channel, Conversation: "c2"}
	if err := engB.Handle(ctx, bot.Message{Address: addr, ID: "2", Text: "I want to talk to a human", Locale: "en"}); err != nil {
		t.Fatal(err)
	}
	awaitAsked("after its own ticket opened")
	if got := counted.reads(); got != before {
		t.Errorf("b read the open tickets %d times after opening a ticket, want 0 (inform only)", got-before)
	}
}

// awayStore is a shared store (ClaimStore) that can be away: its claims
// and ticket reads fail while it is.
type awayStore struct {
	*handofftest.Store
	mu   sync.Mutex
	away bool
}

var errAway = errors.New("the database is away")

func (a *awayStore) setAway(v bool) {
	a.mu.Lock()
	a.away = v
	a.mu.Unlock()
}

func (a *awayStore) isAway() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.away
}

func (a *awayStore) ClaimTicket(ctx context.Context, t *handoff.Ticket) (bool, error) {
	if a.isAway() {
		return false, errAway
	}
	return a.Store.ClaimTicket(ctx, t)
}

func (a *awayStore) Ticket(ctx context.Context, id int64) (*handoff.Ticket, error) {
	if a.isAway() {
		return nil, errAway
	}
	return a.Store.Ticket(ctx, id)
}

// queuedTicket starts an instance on store with agent, hands a customer
// off and returns the service and the one queued ticket's id.
func queuedTicket(t *testing.T, ctx context.Context, store handoff.Store, agent string) (*handoff.Service, int64) {
	t.Helper()
	createAgent(t, ctx, store, agent)
	svc, eng := startInstance(t, ctx, instance{store: store, botStore: bottest.NewStore(), flows: defaultFlows(t),
		sender: bottest.NewSender()})
	addr := bot.Address{Channel: bottest.Channel, Conversation: "c1"}
	if err := eng.Handle(ctx, bot.Message{Address: addr, ID: "1", Text: "I want to talk to a human", Locale: "en"}); err != nil {
		t.Fatal(err)
	}
	q, err := svc.Queue(agent)
	if err != nil || len(q) != 1 {
		t.Fatalf("queue: %+v, %v; want the one ticket", q, err)
	}
	return svc, q[0].ID
}

// TestClaimWhileStoreAway: a claim (or Next) the shared store could not
// take nor tell about fails and leaves the ticket in the queue, so that
// it can be claimed once the store is back; it was left held in memory by
// the failed claim, and refused to everyone as taken.
func TestClaimWhileStoreAway(t *testing.T) {
	for _, next := range []bool{false, true} {
		name := "Claim"
		if next {
			name = "Next"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			store := &awayStore{Store: handofftest.NewStore()}
			svc, id := queuedTicket(t, ctx, store, "ada")
			claim := func() error {
				if next {
					_, err := svc.Next(ctx, "ada")
					return err
				}
				_, err := svc.Claim(ctx, "ada", id)
				return err
			}
			store.setAway(true)
			if err := claim(); !errors.Is(err, errAway) {
				t.Fatalf("claim while the store is away: %v, want %v", err, errAway)
			}
			store.setAway(false)
			if q, _ := svc.Queue("ada"); len(q) != 1 || q[0].Status != handoff.StatusQueued {
				t.Errorf("queue after the failed claim: %+v, want the ticket queued", q)
			}
			if err := claim(); err != nil {
				t.Errorf("claim once the store is back: %v", err)
			}
		})
	}
}

// slowEscalation is an engine whose first Transcript read (the one
// Escalate makes before it stores the ticket) waits for release.
type slowEscalation struct {
	handoff.Engine
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

func (e *slowEscalation) Transcript(ctx context.Context, addr bot.Address) ([]bot.Entry, error) {
	e.once.Do(func() {
		close(e.entered)
		<-e.release
	})
	return e.Engine.Transcript(ctx, addr)
}

// TestSharedRecoverWaitsForEscalate: a handoff on one instance is stored
// with the conversation's turn a moment before that instance opens its
// ticket. The leader, another instance, must not take the handoff for a
// missed one in that moment and open a second ticket for the
// conversation (both queued: the queue length 2 of TestServePostgres's
// flake); it opens one only when a later round still finds none, as for a
// handoff whose ticket write failed.
func TestSharedRecoverWaitsForEscalate(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := defaultFlows(t)
	botStore, store, sender, b := bottest.NewStore(), handofftest.NewStore(), bottest.NewSender(), bus.New()
	defer b.Close()
	hs := &botHandoffs{store: botStore}
	start := func(name string, store handoff.Store, l handoff.Leader, wrap func(handoff.Engine) handoff.Engine) (*handoff.Service, *bot.Engine) {
		t.Helper()
		return startInstance(t, ctx, instance{store: store, botStore: botStore, flows: f, sender: sender,
			name: name, bus: b, leader: l, svc: []handoff.Option{handoff.WithHandoffs(hs)}, wrap: wrap})
	}
	slow := &slowEscalation{entered: make(chan struct{}), release: make(chan struct{})}
	flaky := &flakyStore{Store: store}
	a, engA := start("a", flaky, &leader{}, func(e handoff.Engine) handoff.Engine { slow.Engine = e; return slow })
	lead, _ := start("b", store, &leader{lead: true}, func(e handoff.Engine) handoff.Engine { return e })

	addr := bot.Address{Channel: bottest.Channel, Conversation: "c1"}
	hs.watch(addr)
	handled := make(chan error, 1)
	go func() {
		handled <- engA.Handle(ctx, bot.Message{Address: addr, ID: "1", Text: "I want to talk to a human", Locale: "en"})
	}()
	select {
	case <-slow.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("a never escalated")
	}
	// The handoff is stored, a's ticket not yet: the leader's round.
	if err := lead.Check(ctx); err != nil {
		t.Fatal(err)
	}
	close(slow.release)
	if err := <-handled; err != nil {
		t.Fatal(err)
	}
	if err := lead.Check(ctx); err != nil {
		t.Fatal(err)
	}
	open, err := store.OpenTickets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 1 {
		t.Errorf("%d open tickets for one handoff, want 1: %+v", len(open), open)
	}
	if q, _ := a.Queue(""); len(q) != 1 {
		t.Errorf("a's queue holds %d tickets, want 1", len(q))
	}

	// A handoff whose ticket a failed to write is opened by the leader's
	// second round that finds it missing.
	addr2 := bot.Address{Channel: bottest.Channel, Conversation: "c2"}
	hs.watch(addr2)
	flaky.failCreates.Store(1)
	if err := engA.Handle(ctx, bot.Message{Address: addr2, ID: "2", Text: "I want to talk to a human", Locale: "en"}); err != nil {
		t.Fatal(err)
	}
	for round, want := range []int{1, 2, 2} {
		if err := lead.Check(ctx); err != nil {
			t.Fatal(err)
		}
		if open, _ := store.OpenTickets(ctx); len(open) != want {
			t.Errorf("after round %d with c2's ticket missing: %d open tickets, want %d", round+1, len(open), want)
		}
	}
}

// TestSharedClaimStaleCopy: another instance changed a queued ticket (the
// leader told the customer their place: a new version in the store)
// and its update has not reached this instance yet. A claim here on the
// older copy must still take the ticket, still queued, rather than fail
// with ErrTaken (TestSharedInstances's "ticket is already assigned").
func TestSharedClaimStaleCopy(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := defaultFlows(t)
	botStore, store, sender, b := bottest.NewStore(), handofftest.NewStore(), bottest.NewSender(), bus.New()
	defer b.Close()
	createAgent(t, ctx, store, "bob")
	svc, eng := startInstance(t, ctx, instance{store: store, botStore: botStore, flows: f, sender: sender,
		name: "b", bus: b, leader: &leader{}})
	addr := bot.Address{Channel: bottest.Channel, Conversation: "c1"}
	if err := eng.Handle(ctx, bot.Message{Address: addr, ID: "1", Text: "I want to talk to a human", Locale: "en"}); err != nil {
		t.Fatal(err)
	}
	q, _ := svc.Queue("bob")
	if len(q) != 1 {
		t.Fatalf("queue %+v, want the ticket", q)
	}
	// The other instance's change, in the store only (its update on the way).
	newer := q[0] // a copy already
	newer.Version++
	newer.Waiting.Told = time.Now()
	if err := store.UpdateTicket(ctx, newer); err != nil {
		t.Fatal(err)
	}
	got, err := svc.Claim(ctx, "bob", newer.ID)
	if err != nil {
		t.Fatalf("claim on the older copy of a still queued ticket: %v", err)
	}
	stored, err := store.Ticket(ctx, newer.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Owner != "bob" || stored.Status != handoff.StatusAssigned || got.Owner != "bob" {
		t.Errorf("stored %s by %q, returned by %q: want assigned to bob", stored.Status, stored.Owner, got.Owner)
	}
	if stored.Waiting.Told.IsZero() {
		t.Error("the claim lost the other instance's change")
	}
}

// stalledClaims is a shared store (ClaimStore) whose claims wait: each
// ClaimTicket says it arrived on entered and then waits for an answer on
// answer (nil: store the claim as the wrapped store does).
type stalledClaims struct {
	*handofftest.Store
	entered chan struct{}
	answer  chan error
}

func (s *stalledClaims) ClaimTicket(ctx context.Context, t *handoff.Ticket) (bool, error) {
	s.entered <- struct{}{}
	if err := <-s.answer; err != nil {
		return false, err
	}
	return s.Store.ClaimTicket(ctx, t)
}

// TestClaimInvisibleUntilStored: while the shared store has not yet
// taken a claim (another instance's agent may hold the ticket, or the
// database is away), nobody sees it: the ticket is not the claimer's in
// Mine nor assigned in Tickets, and the claimer may not reply to it. It
// was held in memory meanwhile, so that an agent's desk on that
// instance listed a ticket another agent held on another instance
// (TestInstancesKill's "ticket held by alice and bob").
func TestClaimInvisibleUntilStored(t *testing.T) {
	for _, fail := range []bool{false, true} {
		name := "stored"
		if fail {
			name = "store away"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			store := &stalledClaims{Store: handofftest.NewStore(), entered: make(chan struct{}), answer: make(chan error)}
			svc, id := queuedTicket(t, ctx, store, "bob")
			claimed := make(chan error, 1)
			go func() {
				_, err := svc.Claim(ctx, "bob", id)
				claimed <- err
			}()
			<-store.entered // the claim waits on the store
			if mine := svc.Mine("bob"); len(mine) != 0 {
				t.Errorf("Mine while the claim waits on the store: %+v, want none", mine)
			}
			for _, tk := range svc.Tickets() {
				if tk.Status != handoff.StatusQueued || tk.Owner != "" {
					t.Errorf("Tickets while the claim waits on the store: ticket %d %s by %q, want queued", tk.ID, tk.Status, tk.Owner)
				}
			}
			if err := svc.Reply(ctx, "bob", id, "hello"); !errors.Is(err, handoff.ErrForbidden) {
				t.Errorf("reply while the claim waits on the store: %v, want %v", err, handoff.ErrForbidden)
			}
			if fail {
				store.answer <- errAway
			} else {
				store.answer <- nil
			}
			err := <-claimed
			mine := svc.Mine("bob")
			switch {
			case fail && !errors.Is(err, errAway):
				t.Errorf("claim while the store is away: %v, want %v", err, errAway)
			case fail && len(mine) != 0:
				t.Errorf("Mine after the failed claim: %+v, want none", mine)
			case !fail && err != nil:
				t.Errorf("claim: %v", err)
			case !fail && (len(mine) != 1 || mine[0].Owner != "bob"):
				t.Errorf("Mine after the claim: %+v, want the ticket", mine)
			}
		})
	}
}

package postgres

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/flows"
)

// agreeable reads every message as a yes to the late-delivery flow that
// chooses tracking: each turn of bot/testdata/engine.yaml has a reply
// then, however many messages it reads, and the bot never hands off.
type agreeable struct{}

func (agreeable) Analyze(context.Context, bot.AnalyzeInput) bot.Analysis {
	return bot.Analysis{Lang: "en", Label: "neutral", Intent: "late", IntentScore: 1, InScope: true, Answer: bot.AnswerYes, Choice: "track"}
}

// sent is a reply as an instance delivered it.
type sent struct {
	by    string
	reply bot.Reply
}

// deliveries records the replies every instance sends, in the order sent.
type deliveries struct {
	mu   sync.Mutex
	sent []sent
}

func (d *deliveries) sender(name string) bot.Sender { return instanceSender{d, name} }

// answered returns the platform ids of the messages replies answered, in
// the order sent, each turn's once, and who sent each turn's replies.
func (d *deliveries) answered() (ids, by []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var last []string
	for _, s := range d.sent {
		if slices.Equal(s.reply.Answers, last) {
			continue // the turn's next reply
		}
		last = s.reply.Answers
		ids = append(ids, s.reply.Answers...)
		by = append(by, s.by)
	}
	return ids, by
}

type instanceSender struct {
	d    *deliveries
	name string
}

func (s instanceSender) Send(_ context.Context, r bot.Reply) error {
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	s.d.sent = append(s.d.sent, sent{by: s.name, reply: r})
	return nil
}

// crashable passes leases through until crashed; from then on it
// releases nothing, as a process that was killed does not.
type crashable struct {
	bot.Leases
	crashed atomic.Bool
}

func (c *crashable) Release(ctx context.Context, addr bot.Address, owner string) error {
	if c.crashed.Load() {
		return nil
	}
	return c.Leases.Release(ctx, addr, owner)
}

// instance is one calmbot's engine on the shared schema.
type instance struct {
	name   string
	engine *bot.Engine
	leases *crashable
	stop   func()
}

func startInstance(t *testing.T, schema, name string, f *flows.File, d *deliveries, ttl time.Duration) *instance {
	t.Helper()
	s := openSchema(t, schema)
	b, err := s.Bus()
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.Connected():
	case <-time.After(10 * time.Second):
		t.Fatal("the bus does not listen")
	}
	l := &crashable{Leases: s}
	e, err := bot.New(context.Background(), s, f, func(*flows.File) (bot.Analyzer, error) { return agreeable{}, nil },
		bot.WithOwner(name), bot.WithQuietWindow(0), bot.WithLeases(l, b, ttl),
		bot.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	e.Register("test", d.sender(name))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	<-e.Resumed()
	var once sync.Once
	in := &instance{name: name, engine: e, leases: l, stop: func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("%s: run: %v", name, err)
			}
		})
	}}
	t.Cleanup(in.stop)
	return in
}

// waitAnswered polls until the replies answered every message of ids.
func waitAnswered(t *testing.T, d *deliveries, ids []string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got, _ := d.answered()
		if len(got) >= len(ids) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v the replies answered %q, want %q", within, got, ids)
		}
		time.Sleep(5 * time.Millisecond) // polling for the engines' replies
	}
}

// TestLeaseTwoEngines: the messages of one conversation arrive at two
// instances by turns, as a load balancer spreads a platform's webhooks.
// Every message is answered once and in order, by the lease holder only;
// once the holder dies without releasing its lease, the other instance
// answers the message it stored meanwhile when the lease has expired (it
// looks again one ttl after storing; no takeover look is needed).
func TestLeaseTwoEngines(t *testing.T) {
	const ttl = 3 * time.Second
	schema := newSchema()
	f := bottest.LoadFlows(t, "../../bot/testdata/engine.yaml")
	d := &deliveries{}
	a := startInstance(t, schema, "a", f, d, ttl)
	b := startInstance(t, schema, "b", f, d, ttl)
	engines := []*instance{a, b}
	conv := addr("alternating")
	ctx := context.Background()
	var want []string
	say := func(in *instance, i int) {
		t.Helper()
		id := fmt.Sprint("m", i)
		if err := in.engine.Handle(ctx, bot.Message{Address: conv, ID: id, Text: fmt.Sprint("message ", i), Locale: "en"}); err != nil {
			t.Fatalf("%s: handle %s: %v", in.name, id, err)
		}
		want = append(want, id)
	}

	// One message at a time: b stores its messages, a answers them.
	for i := range 8 {
		say(engines[i%2], i)
		waitAnswered(t, d, want, 20*time.Second)
	}
	// Without waiting: a answers b's messages with its own, in order.
	for i := 8; i < 30; i++ {
		say(engines[i%2], i)
	}
	waitAnswered(t, d, want, 20*time.Second)
	got, by := d.answered()
	if !slices.Equal(got, want) {
		t.Fatalf("the replies answered %q, want each message once, in order: %q", got, want)
	}
	for i, who := range by {
		if who != "a" {
			t.Errorf("turn %d was delivered by %s, want the lease holder a", i, who)
		}
	}

	// a dies holding the lease; b stores the next message and answers it
	// once the lease has expired.
	a.leases.crashed.Store(true)
	a.stop()
	crashed := time.Now()
	say(b, 30)
	waitAnswered(t, d, want, ttl+20*time.Second)
	t.Logf("b answered %v after a crashed (lease ttl %v)", time.Since(crashed).Round(time.Millisecond), ttl)
	say(b, 31)
	waitAnswered(t, d, want, 20*time.Second)
	got, by = d.answered()
	if !slices.Equal(got, want) {
		t.Fatalf("the replies answered %q, want %q", got, want)
	}
	if n := len(by); by[n-1] != "b" || by[n-2] != "b" {
		t.Errorf("after a crashed the turns were delivered by %q, want b", by[n-2:])
	}
	tr, err := b.engine.Transcript(ctx, conv)
	if err != nil {
		t.Fatal(err)
	}
	in := 0
	for _, en := range tr {
		if en.Direction == bot.Inbound {
			in++
		}
	}
	if in != len(want) {
		t.Errorf("the transcript holds %d customer messages, want %d", in, len(want))
	}
}

// TestClaimSkipsLeased: another instance's resend never claims the
// replies of a conversation a live lease gives to their holder, which
// delivers them itself; once the lease is released they are anyone's.
func TestClaimSkipsLeased(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	held, free := addr("held"), addr("free")
	mustCommit(t, s, turn(held, 1, "m1", "r held"))
	mustCommit(t, s, turn(free, 1, "m1", "r free"))
	if ok, err := s.Lease(ctx, held, "holder", time.Minute); err != nil || !ok {
		t.Fatal(ok, err)
	}
	claim := func(owner string) []bot.Address {
		t.Helper()
		items, err := s.ClaimOutbox(ctx, bot.OutboxClaim{Owner: owner, Limit: 10, Lease: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		var out []bot.Address
		for _, it := range items {
			out = append(out, it.Address)
		}
		return out
	}
	if got := claim("other"); !slices.Equal(got, []bot.Address{free}) {
		t.Errorf("another owner claims %v, want only the unleased conversation's reply", got)
	}
	if got := claim("holder"); !slices.Contains(got, held) {
		t.Errorf("the holder claims %v, want its conversation's reply", got)
	}
	if err := s.Release(ctx, held, "holder"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !slices.Contains(claim("other"), held) {
		if time.Now().After(deadline) {
			t.Fatal("a released conversation's reply is never claimed by another owner")
		}
	}
}

// BenchmarkLease is the cost of one Lease call, the round trip a holder
// pays once per half ttl of a live conversation (renewed) and another
// instance once per message it stores for the holder (refused).
func BenchmarkLease(b *testing.B) {
	s := openStore(b)
	ctx := context.Background()
	a := addr("bench")
	if ok, err := s.Lease(ctx, a, "holder", time.Hour); err != nil || !ok {
		b.Fatal(ok, err)
	}
	for _, bc := range []struct {
		name, owner string
		want        bool
	}{{"renewed", "holder", true}, {"refused", "other", false}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if ok, err := s.Lease(ctx, a, bc.owner, time.Hour); err != nil || ok != bc.want {
					b.Fatal(ok, err)
				}
			}
		})
	}
}

// TestLeasesDoNotPileUp: the leases of conversations nobody answers any
// more (their instance died, or their release failed) stay in the table
// until PruneLeases deletes them; the live ones stay.
func TestLeasesDoNotPileUp(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	const dead, live = 300, 3
	for i := range dead {
		if ok, err := s.Lease(ctx, addr(fmt.Sprintf("dead-%d", i)), "crashed", time.Millisecond); err != nil || !ok {
			t.Fatalf("lease %d: %v, %v", i, ok, err)
		}
	}
	for i := range live {
		if ok, err := s.Lease(ctx, addr(fmt.Sprintf("live-%d", i)), "alive", time.Hour); err != nil || !ok {
			t.Fatalf("live lease %d: %v, %v", i, ok, err)
		}
	}
	if n := count(t, s, `SELECT count(*) FROM conversation_leases`); n != dead+live {
		t.Fatalf("%d leases stored, want %d", n, dead+live)
	}
	deadline := time.Now().Add(5 * time.Second)
	var pruned int64
	for pruned < dead {
		n, err := s.PruneLeases(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		pruned += n
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d expired leases pruned", pruned, dead)
		}
	}
	if n := count(t, s, `SELECT count(*) FROM conversation_leases`); n != live {
		t.Errorf("%d leases left after pruning, want the %d live ones", n, live)
	}
}

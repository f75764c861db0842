package discord

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calmbot/calmbot/adapters/adaptertest"
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/handofftest"
)

// election is a switchable Leader for tests: the instance named leads.
type election struct{ leader atomic.Value }

// candidate is one instance of an election; asked counts its questions.
type candidate struct {
	e     *election
	name  string
	asked *atomic.Int64
}

func (c candidate) Leading(context.Context) bool {
	c.asked.Add(1)
	return c.e.leader.Load() == c.name
}

// handled records which instance handed the engine which message.
type handled struct {
	mu  sync.Mutex
	by  map[string][]string // text -> instances
	eng bot.Handler
}

type handlerFunc func(context.Context, bot.Message) error

func (f handlerFunc) Handle(ctx context.Context, m bot.Message) error { return f(ctx, m) }

func (h *handled) via(name string) bot.Handler {
	return handlerFunc(func(ctx context.Context, m bot.Message) error {
		err := h.eng.Handle(ctx, m)
		h.mu.Lock()
		h.by[m.Text] = append(h.by[m.Text], name)
		h.mu.Unlock()
		return err
	})
}

func (h *handled) of(text string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.by[text])
}

func (f *fakeDiscord) identifiedBy() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.identified)
}

func (f *fakeDiscord) connected() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conn != nil
}

// TestElectedGateway: two instances share one bot token and one state
// store; only the elected one opens a gateway session. When the lead
// moves, the old leader closes its session and the new one identifies
// afresh, handles what was written while no instance was connected (its
// READY catch-up) and what follows, each message once.
func TestElectedGateway(t *testing.T) {
	p := newPlatform(t)
	h := bottest.New(t, adaptertest.Flows(t))
	rec := &handled{by: map[string][]string{}, eng: h.Engine}
	e := &election{}
	e.leader.Store("a")
	ws := "ws" + strings.TrimPrefix(p.f.hub.srv.URL, "http") + "/ws/" + p.f.path + "/"
	start := func(name string) (*Adapter, *atomic.Int64) {
		asked := &atomic.Int64{}
		a := p.newAdapter(t, WithLeader(candidate{e, name, asked}, 5*time.Millisecond), WithGatewayURL(ws+name))
		if err := a.Start(context.Background(), rec.via(name)); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := a.Stop(ctx); err != nil {
				t.Errorf("stop %s: %v", name, err)
			}
		})
		return a, asked
	}
	a, _ := start("a")
	b, bAsked := start("b")
	h.Engine.Register(Channel, a)
	p.f.waitReady(t)
	if err := b.Ready(); err != nil {
		t.Errorf("the standby is not ready: %v", err)
	}

	p.Say(t, "ann", "en", "first")
	eventually(t, "the first message handled", func() bool { return len(rec.of("first")) > 0 })
	// b has asked, and been told no, several times since a connected.
	n := bAsked.Load()
	eventually(t, "b asking whether it leads", func() bool { return bAsked.Load() >= n+3 })
	if got := p.f.identifiedBy(); !slices.Equal(got, []string{"a"}) {
		t.Errorf("gateway sessions identified by %q while a led, want only a's", got)
	}
	if got := rec.of("first"); !slices.Equal(got, []string{"a"}) {
		t.Errorf("the first message was handled by %q, want once by the leader a", got)
	}

	// No one leads: a closes its session; what is written now waits.
	e.leader.Store("")
	eventually(t, "a closing its gateway session", func() bool { return !p.f.connected() })
	p.Say(t, "ann", "en", "gap")

	// b leads: a fresh Identify, the gap caught up over REST.
	e.leader.Store("b")
	p.f.waitReady(t)
	eventually(t, "the message of the gap handled", func() bool { return len(rec.of("gap")) > 0 })
	p.Say(t, "ann", "en", "second")
	eventually(t, "the second message handled", func() bool { return len(rec.of("second")) > 0 })
	for _, text := range []string{"gap", "second"} {
		if got := rec.of(text); !slices.Equal(got, []string{"b"}) {
			t.Errorf("%q was handled by %q, want once by the new leader b", text, got)
		}
	}
	if got := rec.of("first"); len(got) != 1 {
		t.Errorf("the first message was handled by %q, want once: b starts after a's last stored id", got)
	}
	if got := p.f.identifiedBy(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("gateway sessions identified by %q, want a's then b's", got)
	}
	p.f.mu.Lock()
	resumes := p.f.resumes
	p.f.mu.Unlock()
	if resumes != 0 {
		t.Errorf("%d resumes: each leader identifies afresh", resumes)
	}
	addr := p.Address("ann")
	eventually(t, "the replies sent", func() bool { return len(p.Sent("ann")) >= 3 })
	if tr, err := h.Engine.Transcript(context.Background(), addr); err != nil {
		t.Fatal(err)
	} else {
		var in []string
		for _, en := range tr {
			if en.Direction == bot.Inbound {
				in = append(in, en.Text)
			}
		}
		if !slices.Equal(in, []string{"first", "gap", "second"}) {
			t.Errorf("stored inbound %q, want first, gap, second", in)
		}
	}
}

// TestShard: WithShard's id and count go in the Identify; with a leader
// too, every shard connects; an id out of range is refused by New.
func TestShard(t *testing.T) {
	for _, tt := range []struct {
		id, count int
		want      []int // the Identify's shard
	}{{1, 3, []int{1, 3}}, {0, 1, nil}} {
		s := start(t, WithShard(tt.id, tt.count))
		s.p.f.mu.Lock()
		got := slices.Clone(s.p.f.shards)
		s.p.f.mu.Unlock()
		if len(got) != 1 || !slices.Equal(got[0], tt.want) {
			t.Errorf("WithShard(%d, %d): identified with shards %v, want one with %v", tt.id, tt.count, got, tt.want)
		}
	}
	// Sharded with a leader: every shard holds its session, whoever leads.
	p := newPlatform(t)
	e := &election{}
	e.leader.Store("a")
	ws := "ws" + strings.TrimPrefix(p.f.hub.srv.URL, "http") + "/ws/" + p.f.path + "/"
	for i, name := range []string{"a", "b"} {
		a := p.newAdapter(t, WithShard(i, 2), WithLeader(candidate{e, name, &atomic.Int64{}}, 5*time.Millisecond), WithGatewayURL(ws+name))
		if err := a.Start(context.Background(), bottest.New(t, adaptertest.Flows(t)).Engine); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		t.Cleanup(func() { _ = a.Stop(context.Background()) })
		p.f.waitReady(t)
	}
	if got := p.f.identifiedBy(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("sharded with a leader: identified by %q, want both shards", got)
	}

	for _, bad := range [][2]int{{2, 2}, {-1, 2}, {0, -1}} {
		if _, err := New("token", WithShard(bad[0], bad[1])); err == nil || !strings.Contains(err.Error(), "shard") {
			t.Errorf("WithShard(%d, %d): err %v, want one naming the shard", bad[0], bad[1], err)
		}
	}
}

// TestElectedStaffChannel: two instances with the staff channel on one
// handoff service (on PostgreSQL each instance's service sees every
// update): only the leader posts a ticket and the customer's messages in
// its thread, and after the lead moves the new leader carries on with the
// same message and thread.
func TestElectedStaffChannel(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := handoff.New(ctx, handofftest.NewStore(), nil, handoff.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := bot.New(ctx, bottest.NewStore(), adaptertest.Flows(t), bottest.Analyzer,
		bot.WithEscalator(svc), bot.WithListener(svc), bot.WithQuietWindow(0), bot.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	svc.SetEngine(eng)

	p := newPlatform(t)
	f := p.f
	f.mu.Lock()
	f.channelLocked(staffChannel).guild = fakeGuild
	f.mu.Unlock()
	e := &election{}
	e.leader.Store("a")
	ws := "ws" + strings.TrimPrefix(f.hub.srv.URL, "http") + "/ws/" + f.path + "/"
	start := func(name string) *Adapter {
		a := p.newAdapter(t, WithStaff(Staff{Desk: svc, Channel: staffChannel, Roles: []string{agentRole}}),
			WithLeader(candidate{e, name, &atomic.Int64{}}, 5*time.Millisecond), WithGatewayURL(ws+name))
		if err := a.Start(ctx, eng); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		t.Cleanup(func() { _ = a.Stop(context.Background()) })
		return a
	}
	eng.Register(Channel, start("a"))
	start("b")
	f.waitReady(t)

	const chat = "uma"
	p.Say(t, chat, "en", "my order hasn't arrived")
	eventually(t, "the bot's answer", func() bool { return len(p.Sent(chat)) >= 1 })
	p.Say(t, chat, "en", "I want to talk to a human")
	eventually(t, "the ticket's message in the staff channel", func() bool { return len(f.sentTo(staffChannel)) > 0 })
	// lines counts text in the threads of every message of the staff
	// channel (a thread from a message has the message's id).
	lines := func(text string) int {
		f.mu.Lock()
		var threads []string
		for _, m := range f.channels[staffChannel].msgs {
			threads = append(threads, m.ID)
		}
		f.mu.Unlock()
		n := 0
		for _, th := range threads {
			for _, m := range f.sentTo(th) {
				n += strings.Count(m.Text, text)
			}
		}
		return n
	}
	p.Say(t, chat, "en", "where is it")
	p.Say(t, chat, "en", "hello?")
	eventually(t, "the customer's messages in the ticket's thread", func() bool { return lines("hello?") > 0 })

	e.leader.Store("b")
	eventually(t, "b holding the gateway", func() bool { return slices.Equal(f.identifiedBy(), []string{"a", "b"}) })
	f.waitReady(t)
	p.Say(t, chat, "en", "anyone there")
	eventually(t, "the message after the move in the thread", func() bool { return lines("anyone there") > 0 })
	for _, text := range []string{"where is it", "hello?", "anyone there"} {
		if n := lines(text); n != 1 {
			t.Errorf("%q is in the ticket's thread %d times, want once", text, n)
		}
	}
	if n := len(f.sentTo(staffChannel)); n != 1 {
		t.Errorf("%d messages in the staff channel, want the ticket's one", n)
	}
}

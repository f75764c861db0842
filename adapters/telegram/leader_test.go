package telegram

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calmbot/calmbot/adapters/adaptertest"
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
)

// election is a switchable Leader for tests: the instance named leads.
type election struct{ leader atomic.Value }

type candidate struct {
	e    *election
	name string
}

func (c candidate) Leading(context.Context) bool { return c.e.leader.Load() == c.name }

// polls counts an instance's getUpdates calls.
type polls struct {
	base http.RoundTripper
	n    atomic.Int64
}

func (p *polls) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/getUpdates") {
		p.n.Add(1)
	}
	return p.base.RoundTrip(r)
}

// handled records which instance handled which message.
type handled struct {
	mu  sync.Mutex
	by  map[string][]string // text -> instances
	eng bot.Handler
}

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
	return append([]string(nil), h.by[text]...)
}

// TestElectedPoller: two instances share one bot token and one state
// store; only the elected one calls getUpdates. When it dies, the other
// is elected, takes the stored offset up and receives the next updates,
// without handling the earlier ones again.
func TestElectedPoller(t *testing.T) {
	p := newPlatform(t)
	h := bottest.New(t, adaptertest.Flows(t))
	rec := &handled{by: map[string][]string{}, eng: h.Engine}
	e := &election{}
	e.leader.Store("a")
	start := func(name string) (*Adapter, *polls) {
		counter := &polls{base: http.DefaultTransport}
		a := p.newAdapter(t, WithLeader(candidate{e, name}, 5*time.Millisecond),
			WithHTTPClient(&http.Client{Timeout: 30 * time.Second, Transport: counter}))
		if err := a.Start(context.Background(), rec.via(name)); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		t.Cleanup(func() { stop(t, a) })
		return a, counter
	}
	a, aPolls := start("a")
	_, bPolls := start("b")
	h.Engine.Register(Channel, a)
	const chat = 4242
	p.f.sayAll(chat, "en", []string{"first"})
	eventually(t, "the first message handled", func() bool { return len(rec.of("first")) == 1 })
	if got := rec.of("first"); got[0] != "a" {
		t.Errorf("the first message was handled by %q, want the leader a", got)
	}
	eventually(t, "a's offset stored", func() bool {
		s, _ := p.state.Get(context.Background(), offsetKey)
		return s != "" && s != "0"
	})
	if n := bPolls.n.Load(); n != 0 {
		t.Errorf("b called getUpdates %d times while a led", n)
	}

	// a dies; b is elected and carries on from a's offset.
	stop(t, a)
	e.leader.Store("b")
	before := aPolls.n.Load()
	p.f.sayAll(chat, "en", []string{"second"})
	eventually(t, "the second message handled", func() bool { return len(rec.of("second")) == 1 })
	if got := rec.of("second"); got[0] != "b" {
		t.Errorf("the second message was handled by %q, want the new leader b", got)
	}
	if got := rec.of("first"); len(got) != 1 {
		t.Errorf("the first message was handled by %q, want once: b starts from a's offset", got)
	}
	if n := aPolls.n.Load(); n != before {
		t.Errorf("the stopped instance polled %d more times", n-before)
	}
}

func stop(t *testing.T, a *Adapter) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Stop(ctx); err != nil {
		t.Errorf("stop: %v", err)
	}
}

// TestElectedAgentGroup: two instances with the agent group on one handoff
// service and one state store (on PostgreSQL each instance's service sees
// every update): only the leader posts a ticket and relays the customer's
// messages, and when it dies the new leader carries on with the same
// message.
func TestElectedAgentGroup(t *testing.T) {
	d := newAgentDesk(t, false)
	e := &election{}
	e.leader.Store("a")
	opts := d.opt
	var first *Adapter
	for _, name := range []string{"a", "b"} {
		d.opt = append(slices.Clip(opts), WithLeader(candidate{e, name}, 5*time.Millisecond))
		d.start(t)
		if first == nil {
			first = d.a
		}
	}
	const chat = 4714
	tk := d.handedOff(t, chat)
	d.ticketMessage(t, tk.ID, "Waiting")
	d.p.f.sayAll(chat, "en", []string{"where is it"})
	d.groupLine(t, "👤 Customer: where is it")

	// a dies (its stop waits for its agent group); b is elected and
	// shows the open ticket again: its message is edited, not posted again.
	stop(t, first)
	before := len(d.p.f.callsTo("editMessageText"))
	e.leader.Store("b")
	eventually(t, "b editing the ticket's message", func() bool {
		return len(d.p.f.callsTo("editMessageText")) > before
	})
	d.p.f.sayAll(chat, "en", []string{"anyone there"})
	d.groupLine(t, "👤 Customer: anyone there")
	// The ticket is posted once (ticketMessage fails on a second post).
	d.ticketMessage(t, tk.ID, "Waiting")
	for _, text := range []string{"where is it", "anyone there"} {
		n := 0
		for _, m := range d.p.f.sentTo(group) {
			n += strings.Count(m.Text, "👤 Customer: "+text)
		}
		if n != 1 {
			t.Errorf("%q is in the group %d times, want once", text, n)
		}
	}
}

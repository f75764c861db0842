package desk_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/desk"
	"github.com/calmbot/calmbot/handoff/handofftest"
)

// lateClock is the harness's fake clock, set once the harness made it: the
// Service is made before the engine.
type lateClock struct{ c atomic.Pointer[bottest.Clock] }

func (l *lateClock) Now() time.Time { return l.c.Load().Now() }
func (l *lateClock) AfterFunc(d time.Duration, f func()) bot.Timer {
	return l.c.Load().AfterFunc(d, f)
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

var testKey = []byte("0123456789abcdef0123456789abcdef")

// rig is a desk on a real handoff Service wired to a real engine on the
// default flows, served by an httptest server.
type rig struct {
	t     *testing.T
	ctx   context.Context
	h     *bottest.Harness
	svc   *handoff.Service
	store *handofftest.Store
	desk  *desk.Desk
	srv   *httptest.Server
}

func newRig(t *testing.T, opts ...desk.Option) *rig {
	t.Helper()
	ctx := context.Background()
	lc := &lateClock{}
	store := handofftest.NewStore()
	svc, err := handoff.New(ctx, store, nil, handoff.WithClock(lc), handoff.WithBcryptCost(bcrypt.MinCost), handoff.WithLogger(quiet()))
	if err != nil {
		t.Fatalf("new service: %v", err)
	}
	h := bottest.New(t, bottest.LoadFlows(t, "../../flows.yaml"), bot.WithEscalator(svc), bot.WithListener(svc), bot.WithLogger(quiet()))
	lc.c.Store(h.Clock)
	svc.SetEngine(h.Engine)
	d := desk.New(svc, append([]desk.Option{desk.WithKey(testKey), desk.WithLogger(quiet()), desk.WithClock(h.Clock)}, opts...)...)
	srv := httptest.NewServer(mount(d))
	t.Cleanup(srv.Close)
	t.Cleanup(d.Close) // runs first: ends the event streams
	return &rig{t: t, ctx: ctx, h: h, svc: svc, store: store, desk: d, srv: srv}
}

// mount serves d as the server does.
func mount(d *desk.Desk) http.Handler {
	m := http.NewServeMux()
	m.Handle(d.Prefix()+"/", d.Handler())
	m.Handle(d.Prefix(), d.Handler())
	return m
}

// agent adds an agent with password "password-<name>".
func (r *rig) agent(name string, capacity int, skills ...string) {
	r.t.Helper()
	if _, err := r.svc.AddAgent(r.ctx, name, "password-"+name, skills, capacity); err != nil {
		r.t.Fatalf("add agent %s: %v", name, err)
	}
}

// handoff runs a customer conversation to a handoff and returns it and its ticket.
func (r *rig) handoff(script ...string) (*bottest.Chat, *handoff.Ticket) {
	r.t.Helper()
	c := r.h.Chat("en")
	for _, s := range script {
		c.Say(s)
	}
	if st := c.Snapshot().Status; st != bot.StatusHuman {
		r.t.Fatalf("after %q: status %s, want human", script, st)
	}
	for _, t := range r.svc.Tickets() {
		if t.Address == c.Addr {
			return c, t
		}
	}
	r.t.Fatalf("no open ticket for %s", c.Addr)
	return nil, nil
}

// client is a browser: a cookie jar and the session's CSRF token.
type client struct {
	t    *testing.T
	base string
	hc   *http.Client
	csrf string
}

func (r *rig) client() *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		r.t.Fatal(err)
	}
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &client{t: r.t, base: r.srv.URL, hc: hc}
}

// login signs in through the API and keeps the CSRF token.
func (r *rig) login(name string) *client {
	r.t.Helper()
	c := r.client()
	var out struct {
		CSRF  string        `json:"csrf"`
		Agent handoff.Agent `json:"agent"`
	}
	c.call("POST", "/desk/api/login", map[string]string{"name": name, "password": "password-" + name}, http.StatusOK, &out)
	if out.CSRF == "" || out.Agent.ID != name {
		r.t.Fatalf("login %s: got %+v", name, out)
	}
	c.csrf = out.CSRF
	return c
}

// do sends a request; body, when not nil, is sent as JSON. The CSRF token
// goes along unless a header X-CSRF-Token is given in hdr.
func (c *client) do(method, path string, body any, hdr http.Header) (*http.Response, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read: %v", method, path, err)
	}
	return res, b
}

// call sends a JSON request, checks the status and decodes the answer into out.
func (c *client) call(method, path string, body any, want int, out any) []byte {
	c.t.Helper()
	res, b := c.do(method, path, body, nil)
	if res.StatusCode != want {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return b
}

// sse is an open event stream.
type sse struct {
	events chan sseEvent
	cancel func()
}

type sseEvent struct {
	kind string
	data string
}

// events opens the agent's event stream.
func (c *client) events() *sse {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/desk/api/events", nil)
	if err != nil {
		c.t.Fatal(err)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		cancel()
		c.t.Fatalf("events: %v", err)
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		c.t.Fatalf("events: status %d, type %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	s := &sse{events: make(chan sseEvent, 64), cancel: cancel}
	go func() {
		defer res.Body.Close()
		defer close(s.events)
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.kind != "" {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.kind = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	c.t.Cleanup(cancel)
	return s
}

// ended waits for the stream's last event, which must be a logout, and
// for the stream to end, failing the test after a deadline. It returns the
// logout's data.
func (s *sse) ended(t *testing.T) string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	var last sseEvent
	for {
		select {
		case ev, open := <-s.events:
			if !open {
				if last.kind != "logout" {
					t.Fatalf("event stream ended with %q, want a logout", last.kind)
				}
				return last.data
			}
			last = ev
		case <-deadline:
			t.Fatal("event stream still open after 10s")
		}
	}
}

// next waits for the first event that ok accepts, failing the test after
// a deadline.
func (s *sse) next(t *testing.T, what string, ok func(sseEvent) bool) sseEvent {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev, open := <-s.events:
			if !open {
				t.Fatalf("event stream ended before %s", what)
			}
			if ok(ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s within 10s", what)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

package adapters_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/calmbot/calmbot/adapters"
	"github.com/calmbot/calmbot/bot"
)

// journal records what the fake adapters were asked to do, in order.
type journal struct {
	mu  sync.Mutex
	log []string
}

func (j *journal) add(s string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.log = append(j.log, s)
}

func (j *journal) get() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.log)
}

// fake is a bot.Adapter with routes and readiness.
type fake struct {
	name     string
	j        *journal
	startErr error
	stopErr  error
	ready    error
	routes   map[string]http.Handler
	state    bot.State
}

func (f *fake) Channel() string { return f.name }
func (f *fake) Start(_ context.Context, h bot.Handler) error {
	f.j.add("start " + f.name)
	return f.startErr
}
func (f *fake) Stop(context.Context) error            { f.j.add("stop " + f.name); return f.stopErr }
func (f *fake) Send(context.Context, bot.Reply) error { return nil }
func (f *fake) Ready() error                          { return f.ready }
func (f *fake) Routes() map[string]http.Handler       { return f.routes }

// plain has no optional capability.
type plain struct{ f *fake }

func (p plain) Channel() string                                { return p.f.Channel() }
func (p plain) Start(ctx context.Context, h bot.Handler) error { return p.f.Start(ctx, h) }
func (p plain) Stop(ctx context.Context) error                 { return p.f.Stop(ctx) }
func (p plain) Send(ctx context.Context, r bot.Reply) error    { return p.f.Send(ctx, r) }

var (
	_ bot.Adapter = (*fake)(nil)
	_ bot.Router  = (*fake)(nil)
	_ bot.Readier = (*fake)(nil)
)

func registry(fs ...*fake) *adapters.Registry {
	r := adapters.NewRegistry()
	for _, f := range fs {
		r.Register(f.name, func(_ context.Context, c adapters.Config) (bot.Adapter, error) {
			f.state = c.State
			return f, nil
		})
	}
	return r
}

func build(t *testing.T, r *adapters.Registry) *adapters.Set {
	t.Helper()
	s, err := r.Build(context.Background(), adapters.Config{State: newMap(), Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSetStartsInOrderStopsInReverse(t *testing.T) {
	j := &journal{}
	r := registry(&fake{name: "web", j: j}, &fake{name: "telegram", j: j}, &fake{name: "slack", j: j})
	s := build(t, r)
	if err := s.Start(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []string{"start web", "start telegram", "start slack", "stop slack", "stop telegram", "stop web"}
	if got := j.get(); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if err := s.Stop(context.Background()); err != nil || len(j.get()) != len(want) {
		t.Errorf("a second Stop: %v, %q", err, j.get())
	}
}

func TestSetFailedStartStopsTheStarted(t *testing.T) {
	j := &journal{}
	boom := errors.New("token refused")
	r := registry(&fake{name: "web", j: j}, &fake{name: "telegram", j: j}, &fake{name: "slack", j: j, startErr: boom}, &fake{name: "discord", j: j})
	s := build(t, r)
	err := s.Start(context.Background(), nil)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "start slack") {
		t.Fatalf("Start: %v, want the slack failure", err)
	}
	want := []string{"start web", "start telegram", "start slack", "stop telegram", "stop web"}
	if got := j.get(); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if err := s.Stop(context.Background()); err != nil || len(j.get()) != len(want) {
		t.Errorf("Stop after a failed Start stopped again: %v, %q", err, j.get())
	}
}

func TestSetStopKeepsGoingAndJoinsErrors(t *testing.T) {
	j := &journal{}
	stuck := errors.New("stuck")
	r := registry(&fake{name: "web", j: j}, &fake{name: "telegram", j: j, stopErr: stuck}, &fake{name: "slack", j: j})
	s := build(t, r)
	if err := s.Start(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	err := s.Stop(context.Background())
	if !errors.Is(err, stuck) {
		t.Errorf("Stop: %v, want telegram's error", err)
	}
	if got := j.get(); got[len(got)-1] != "stop web" {
		t.Errorf("web not stopped after telegram failed: %q", got)
	}
}

func TestSetReady(t *testing.T) {
	j := &journal{}
	web := &fake{name: "web", j: j}
	tg := &fake{name: "telegram", j: j}
	sl := &fake{name: "slack", j: j}
	r := adapters.NewRegistry()
	r.Register("web", func(context.Context, adapters.Config) (bot.Adapter, error) { return web, nil })
	r.Register("telegram", func(context.Context, adapters.Config) (bot.Adapter, error) { return tg, nil })
	// An adapter without Ready counts as ready.
	r.Register("slack", func(context.Context, adapters.Config) (bot.Adapter, error) { return plain{sl}, nil })
	s := build(t, r)
	if err := s.Ready(); err != nil {
		t.Errorf("all ready: %v", err)
	}
	tg.ready = errors.New("telegram: Bot API not reachable")
	web.ready = errors.New("web: closed")
	sl.ready = errors.New("never asked")
	err := s.Ready()
	if err == nil || !strings.Contains(err.Error(), "telegram: Bot API not reachable") || !strings.Contains(err.Error(), "web: closed") || strings.Contains(err.Error(), "never asked") {
		t.Errorf("Ready: %v", err)
	}
}

func TestBuild(t *testing.T) {
	j := &journal{}
	t.Run("not configured is skipped", func(t *testing.T) {
		r := adapters.NewRegistry()
		r.Register("web", func(context.Context, adapters.Config) (bot.Adapter, error) { return &fake{name: "web", j: j}, nil })
		r.Register("telegram", func(context.Context, adapters.Config) (bot.Adapter, error) { return nil, nil })
		s := build(t, r)
		if got := s.Channels(); !slices.Equal(got, []string{"web"}) {
			t.Errorf("channels %q", got)
		}
		if got := r.Names(); !slices.Equal(got, []string{"web", "telegram"}) {
			t.Errorf("names %q", got)
		}
	})
	t.Run("factory error", func(t *testing.T) {
		r := adapters.NewRegistry()
		r.Register("telegram", func(context.Context, adapters.Config) (bot.Adapter, error) { return nil, errors.New("bad webhook URL") })
		if _, err := r.Build(context.Background(), adapters.Config{}); err == nil || !strings.Contains(err.Error(), "telegram: bad webhook URL") {
			t.Errorf("Build: %v", err)
		}
	})
	t.Run("channel must match its name", func(t *testing.T) {
		r := adapters.NewRegistry()
		r.Register("telegram", func(context.Context, adapters.Config) (bot.Adapter, error) { return &fake{name: "telgram", j: j}, nil })
		if _, err := r.Build(context.Background(), adapters.Config{}); err == nil {
			t.Error("Build accepted an adapter serving another channel")
		}
	})
}

// Each adapter's state is its own namespace of the host's.
func TestBuildNamespacesState(t *testing.T) {
	j := &journal{}
	a, b := &fake{name: "telegram", j: j}, &fake{name: "slack", j: j}
	host := newMap()
	if _, err := registry(a, b).Build(context.Background(), adapters.Config{State: host}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := a.state.Set(ctx, "offset", "42"); err != nil {
		t.Fatal(err)
	}
	if v, _ := b.state.Get(ctx, "offset"); v != "" {
		t.Errorf("slack reads telegram's offset: %q", v)
	}
	if v, _ := a.state.Get(ctx, "offset"); v != "42" {
		t.Errorf("telegram's offset %q", v)
	}
	if v, _ := host.Get(ctx, "telegram/offset"); v != "42" {
		t.Errorf("host key telegram/offset = %q", v)
	}
}

func TestMount(t *testing.T) {
	j := &journal{}
	ok := func(body string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(body)) })
	}
	web := &fake{name: "web", j: j, routes: map[string]http.Handler{"/": ok("web")}}
	tg := &fake{name: "telegram", j: j, routes: map[string]http.Handler{"POST /telegram/webhook": ok("telegram")}}
	mux := http.NewServeMux()
	if err := adapters.NewSet(quiet, web, tg).Mount(mux); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{"/telegram/webhook": "telegram", "/": "web"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("POST", path, nil))
		if rec.Body.String() != want {
			t.Errorf("POST %s served by %q, want %q", path, rec.Body.String(), want)
		}
	}
	clash := &fake{name: "slack", j: j, routes: map[string]http.Handler{"POST /telegram/webhook": ok("slack")}}
	if err := adapters.NewSet(quiet, tg, clash).Mount(http.NewServeMux()); err == nil || !strings.Contains(err.Error(), "both serve") {
		t.Errorf("a clash: %v", err)
	}
	if err := adapters.NewSet(quiet, web).Mount(mux); err == nil {
		t.Error("a pattern the mux already has: no error")
	}
}

// quiet discards the sets' logs.
var quiet = slog.New(slog.DiscardHandler)

// mapState is a bot.State in a map.
type mapState struct {
	mu sync.Mutex
	m  map[string]string
}

func newMap() *mapState { return &mapState{m: map[string]string{}} }

func (s *mapState) Get(_ context.Context, k string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[k], nil
}

func (s *mapState) Set(_ context.Context, k, v string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[k] = v
	return nil
}

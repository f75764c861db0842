// Package adapters wires calmbot's channels from configuration: a Registry
// of named factories, and the Set of adapters they built, which the host
// starts, mounts, asks for readiness and stops as one.
//
// A channel is a package that implements bot.Adapter (New, Start, Stop,
// Send), plus the optional bot.Router (HTTP routes) and bot.Readier
// (/readyz); the host registers a Factory for it by name:
//
//	reg := adapters.NewRegistry()
//	reg.Register("web", newWeb)
//	reg.Register("telegram", newTelegram) // (nil, nil) when no token is configured
//	set, err := reg.Build(ctx, adapters.Config{Getenv: os.Getenv, Log: log, State: store})
package adapters

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/handoff"
)

// Config is the host's configuration a Factory builds its adapter from.
type Config struct {
	// Getenv reads the configuration (the environment, with the command's
	// flags laid over it); nil reads nothing.
	Getenv func(key string) string
	// Log is the host's logger; Build gives each factory one with its
	// adapter's name.
	Log *slog.Logger
	// State is the host's durable key-value store; Build gives each factory
	// its own namespace of it (see Namespace). Nil keeps nothing.
	State bot.State
	// Key is the host's secret (it signs web chat tokens).
	Key []byte
	// Engine is the conversation engine, for adapters that need more of it
	// than the bot.Handler that Start passes (the web chat's transcripts).
	Engine *bot.Engine
	// Handoff is the agent API, for adapters with an agent surface (the
	// Telegram agent group, Slack's handoff channel); nil when there is none.
	Handoff *handoff.Service
	// Bus carries updates between the instances sharing the store (their
	// PostgreSQL database); nil for a single instance.
	Bus bot.Bus
	// Elect returns the election among those instances for a job only one
	// may do (Telegram's long poll, Discord's gateway session); nil for a
	// single instance.
	Elect func(job string) handoff.Leader
}

// Env returns the configuration value of key, "" when unset.
func (c Config) Env(key string) string {
	if c.Getenv == nil {
		return ""
	}
	return c.Getenv(key)
}

// Factory builds an adapter from the host's configuration. It returns
// (nil, nil) when its channel is not configured (Telegram without a bot
// token), and an error for a configuration that is wrong.
type Factory func(ctx context.Context, cfg Config) (bot.Adapter, error)

// Registry holds the factories of the channels a host can run, by name.
// It is an instance, not a global: each host (and each test) makes its own.
type Registry struct {
	names     []string
	factories map[string]Factory
}

// NewRegistry returns an empty Registry.
func NewRegistry() *Registry { return &Registry{factories: map[string]Factory{}} }

// Register adds the factory of channel name. Build calls factories in the
// order they were registered, and the Set starts adapters in that order.
// Registering a name twice panics: it is a wiring mistake.
func (r *Registry) Register(name string, f Factory) {
	if _, dup := r.factories[name]; dup {
		panic("adapters: " + name + " registered twice")
	}
	r.names = append(r.names, name)
	r.factories[name] = f
}

// Names returns the registered channel names, in registration order.
func (r *Registry) Names() []string { return slices.Clone(r.names) }

// Build calls every factory and returns the adapters that are configured.
// An adapter whose Channel is not the name it was registered under, or a
// factory error, fails Build.
func (r *Registry) Build(ctx context.Context, cfg Config) (*Set, error) {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	s := &Set{log: log}
	for _, name := range r.names {
		c := cfg
		c.Log = log.With("adapter", name)
		if cfg.State != nil {
			c.State = Namespace(cfg.State, name)
		}
		a, err := r.factories[name](ctx, c)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if a == nil {
			continue
		}
		if a.Channel() != name {
			return nil, fmt.Errorf("adapter registered as %q serves channel %q", name, a.Channel())
		}
		s.adapters = append(s.adapters, a)
	}
	return s, nil
}

// Set is the adapters a host runs. Its methods are safe for one goroutine
// at a time, except Ready, which any goroutine may call.
type Set struct {
	log      *slog.Logger
	adapters []bot.Adapter
	started  []bot.Adapter
}

// NewSet returns a Set of the given adapters (for hosts that build them
// by hand, and tests).
func NewSet(log *slog.Logger, as ...bot.Adapter) *Set {
	if log == nil {
		log = slog.Default()
	}
	return &Set{log: log, adapters: as}
}

// Adapters returns the set's adapters, in start order.
func (s *Set) Adapters() []bot.Adapter { return slices.Clone(s.adapters) }

// Channels returns the channel names the set serves, in start order.
func (s *Set) Channels() []string {
	out := make([]string, len(s.adapters))
	for i, a := range s.adapters {
		out[i] = a.Channel()
	}
	return out
}

// Registrar is what takes the adapters' Senders (the engine).
type Registrar interface {
	Register(channel string, s bot.Sender)
}

// RegisterSenders makes each adapter the Sender of its channel.
func (s *Set) RegisterSenders(r Registrar) {
	for _, a := range s.adapters {
		r.Register(a.Channel(), a)
	}
}

// Mount adds the routes of every adapter that has some (bot.Router) to
// mux. A pattern two adapters both claim is an error, not a panic.
func (s *Set) Mount(mux *http.ServeMux) error {
	owner := map[string]string{}
	for _, a := range s.adapters {
		r, ok := a.(bot.Router)
		if !ok {
			continue
		}
		routes := r.Routes()
		patterns := make([]string, 0, len(routes))
		for p := range routes {
			patterns = append(patterns, p)
		}
		sort.Strings(patterns)
		for _, p := range patterns {
			if prev, dup := owner[p]; dup {
				return fmt.Errorf("adapters %s and %s both serve %q", prev, a.Channel(), p)
			}
			owner[p] = a.Channel()
			if err := handle(mux, p, routes[p]); err != nil {
				return fmt.Errorf("%s: route %q: %w", a.Channel(), p, err)
			}
		}
	}
	return nil
}

// handle is mux.Handle with its panic (a pattern that conflicts with one
// already registered) turned into an error.
func handle(mux *http.ServeMux, pattern string, h http.Handler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	mux.Handle(pattern, h)
	return nil
}

// StopTimeout bounds the stopping of the adapters Start had started when a
// later one failed.
const StopTimeout = 10 * time.Second

// Start starts the adapters in order, each with h and ctx (the adapters'
// lifetime). When one fails, those already started are stopped, in
// reverse order, within StopTimeout, and Start returns the failure.
func (s *Set) Start(ctx context.Context, h bot.Handler) error {
	for _, a := range s.adapters {
		if err := a.Start(ctx, h); err != nil {
			stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), StopTimeout)
			defer cancel()
			serr := s.Stop(stopCtx)
			return errors.Join(fmt.Errorf("start %s: %w", a.Channel(), err), serr)
		}
		s.started = append(s.started, a)
		s.log.Info("adapter started", "channel", a.Channel())
	}
	return nil
}

// Stop stops the started adapters in reverse order, each within what is
// left of ctx's deadline, and returns their errors joined. An adapter that
// fails to stop does not keep the others running.
func (s *Set) Stop(ctx context.Context) error {
	var errs []error
	for i := len(s.started) - 1; i >= 0; i-- {
		a := s.started[i]
		if err := a.Stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop %s: %w", a.Channel(), err))
		}
	}
	s.started = nil
	return errors.Join(errs...)
}

// Ready is nil when every adapter that reports readiness (bot.Readier) is
// ready; else their reasons joined, one a line.
func (s *Set) Ready() error {
	var errs []error
	for _, a := range s.adapters {
		if r, ok := a.(bot.Readier); ok {
			if err := r.Ready(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// Package handoff is what happens when the bot hands a conversation to a
// person: a ticket per handoff with a summary that spares the customer
// from repeating anything, a queue ordered by priority then waiting time,
// routing by skill, agents with a capacity and a presence, the waiting
// customer kept informed, and the agents' actions (claim, reply,
// note, invite, transfer, release to the bot at a stage, close).
//
// A Service is made of parts with one job each, sharing the open tickets
// and the agents in memory: the agent directory (accounts, sessions,
// presence, identities on chat platforms), the ticket queue (opening
// tickets, routing, claims, capacity, actions), the informer (estimates,
// service hours, waiting texts), the summaries, and the update bus.
//
// The agent API is what every agent surface uses, the web desk (package
// desk) and a chat platform's agent side alike: Act with an Action value
// (ParseCommand reads typed commands such as "/note ..."), the queries
// Queue, Mine, Tickets, Brief, Estimate and RecentTickets, the event
// streams Subscribe(agent) and SubscribeAll, and sentinel errors
// (ErrTaken, ErrForbidden, ...) each surface maps to its own answers. A
// platform surface finds the agent behind a platform user with AgentFor,
// or Provision for a user it verified may be an agent (Link ties a desk
// agent to a platform user, so one person is one agent everywhere).
//
// A Service implements bot.Escalator (Escalate opens a ticket) and
// bot.Listener (Notify relays the conversation's messages to the agents'
// subscriptions and closes tickets whose conversation went back to the
// bot). It reaches customers only through its Engine: the bot speaks the
// waiting texts (Engine.Tell), and agents' replies go out on the
// customer's own channel (Engine.Post). Given WithHandoffs, every Check
// round opens the tickets that a failed write or a crash left missing.
//
// The engine needs the Service (bot.WithEscalator, bot.WithListener) and
// the Service needs the engine, so a Service is made first and given its
// engine with SetEngine before Run and before agents act:
//
//	svc, err := handoff.New(ctx, store, nil, handoff.WithHandoffs(botStore))
//	eng, err := bot.New(ctx, botStore, f, analyzer, bot.WithEscalator(svc), bot.WithListener(svc))
//	svc.SetEngine(eng)
//	go eng.Run(ctx)
//	go svc.Run(ctx)
package handoff

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/flows"
)

// Engine is what the Service uses of *bot.Engine.
type Engine interface {
	// Post sends a person's message to the customer on their channel.
	Post(ctx context.Context, addr bot.Address, author, text string) error
	// Tell sends one of the flows' texts as the bot.
	Tell(ctx context.Context, addr bot.Address, t func(*flows.Texts) flows.Text, vars map[string]string) error
	// Release gives the conversation back to the bot at a state.
	Release(ctx context.Context, addr bot.Address, flow, state string) error
	// ReleaseText is what the bot would say on that Release, or its error.
	ReleaseText(ctx context.Context, addr bot.Address, flow, state string) (string, error)
	// Finish ends the conversation, asking for a rating when rate is set.
	Finish(ctx context.Context, addr bot.Address, rate bool) error
	// Transcript returns the conversation's messages in order.
	Transcript(ctx context.Context, addr bot.Address) ([]bot.Entry, error)
	// Conversation returns the conversation's stored state.
	Conversation(ctx context.Context, addr bot.Address) (*bot.Snapshot, error)
	// Flows returns the flow file in use.
	Flows() *flows.File
}

var (
	_ Engine        = (*bot.Engine)(nil)
	_ bot.Escalator = (*Service)(nil)
	_ bot.Listener  = (*Service)(nil)
)

// Defaults.
const (
	// DefaultInterval is how often Run checks on waiting customers.
	DefaultInterval = 5 * time.Second
	// DefaultBuffer is how many updates a subscription holds before it
	// drops them and asks for a resync.
	DefaultBuffer = 256
	// DefaultCapacity is how many conversations a provisioned agent holds
	// at once.
	DefaultCapacity = 5
)

// Option configures a Service.
type Option func(*Service)

// WithClock replaces the wall clock (tests use bottest.Clock).
func WithClock(c bot.Clock) Option { return func(s *Service) { s.clock = c } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithInterval sets how often Run checks on waiting customers.
func WithInterval(d time.Duration) Option { return func(s *Service) { s.interval = d } }

// WithBuffer sets the size of each subscription's buffer.
func WithBuffer(n int) Option { return func(s *Service) { s.bus.buffer = max(n, 1) } }

// Handoffs lists the conversations a person holds, each with its latest
// handoff: the durable record the engine commits with the handoff turn
// (bot's SQLite store implements it). The Service reads it on every Check
// round and opens the tickets that are missing.
type Handoffs interface {
	HandedOff(ctx context.Context) ([]bot.HandoffRecord, error)
}

// WithHandoffs makes every Check round open a ticket for each conversation
// h says a person holds but that has no open ticket: a handoff whose
// ticket write failed, or that a crash caught before Escalate.
func WithHandoffs(h Handoffs) Option { return func(s *Service) { s.handoffs = h } }

// WithBcryptCost sets the bcrypt cost of new password hashes (default
// bcrypt.DefaultCost; tests use bcrypt.MinCost).
func WithBcryptCost(cost int) Option { return func(s *Service) { s.cost = cost } }

// WithProvisioned sets the skills and capacity of the agents Provision
// makes (default: every skill, DefaultCapacity).
func WithProvisioned(skills []string, capacity int) Option {
	return func(s *Service) { s.provSkills, s.provCapacity = skills, capacity }
}

// Service is the handoff queue and the agent API: one value that the
// engine escalates to and that every agent surface (the web desk, the
// agent side of a chat platform) acts through. It is made of parts with
// one job each, which share the open tickets and the agents in memory
// (core) and whose methods it offers as its own:
//
//   - directory: agents' accounts, passwords, sessions, presence, and
//     their identities on chat platforms (agent.go, identity.go);
//   - queue: open tickets, routing by skill, claims, capacity, and the
//     agents' actions on tickets (queue.go, actions.go);
//   - informer: estimates, service hours and what a waiting customer is
//     told (wait.go);
//   - summaries: a ticket's summary, transcript and release stages
//     (summary.go);
//   - the update bus: Subscribe and the updates every change publishes
//     (updates.go).
//
// Act, the queries of api.go and Subscribe are the transport-neutral
// agent API. It is safe for concurrent use.
type Service struct {
	*core
	*directory
	*queue
	*informer
	*summaries

	interval time.Duration
	scorer   Scorer // scores the customer's messages to people, for Review; nil: not scored
}

// New returns a Service on store: it loads the agents and the open tickets
// and rebuilds the queue. eng may be nil and given later with SetEngine.
func New(ctx context.Context, store Store, eng Engine, opts ...Option) (*Service, error) {
	c := &core{
		store:    store,
		log:      slog.Default(),
		clock:    wallClock{},
		bus:      &bus{buffer: DefaultBuffer, subs: map[*subscriber]struct{}{}},
		tickets:  map[int64]*Ticket{},
		byAddr:   map[bot.Address]*Ticket{},
		agents:   map[string]*Account{},
		closing:  map[int64]bool{},
		claiming: map[int64][]string{},
		asked:    map[int64]bool{},
		dirty:    map[int64]*Ticket{},
		wake:     make(chan struct{}, 1),
	}
	s := &Service{
		core:      c,
		directory: &directory{core: c, cost: bcrypt.DefaultCost, provSkills: []string{AnySkill}, provCapacity: DefaultCapacity},
		queue:     &queue{core: c},
		informer:  &informer{core: c},
		summaries: &summaries{core: c},
		interval:  DefaultInterval,
	}
	s.directory.orphaned = s.queue.requeueOrphans
	for _, o := range opts {
		o(s)
	}
	if eng != nil {
		s.SetEngine(eng)
	}
	s.dummy = sync.OnceValues(func() ([]byte, error) {
		return bcrypt.GenerateFromPassword([]byte("calmbot-no-such-agent"), s.cost)
	})
	accs, err := store.Accounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("handoff: load agents: %w", err)
	}
	for i := range accs {
		s.agents[accs[i].ID] = &accs[i]
	}
	open, err := store.OpenTickets(ctx)
	if err != nil {
		return nil, fmt.Errorf("handoff: load tickets: %w", err)
	}
	for _, t := range open {
		if prev := s.byAddr[t.Address]; prev != nil {
			s.log.WarnContext(ctx, "two open tickets for one conversation", "addr", t.Address.String(), "kept", prev.ID, "also", t.ID)
			continue
		}
		s.tickets[t.ID] = t
		s.byAddr[t.Address] = t
	}
	recent, err := store.RecentTickets(ctx, statsWindow)
	if err != nil {
		return nil, fmt.Errorf("handoff: load recent tickets: %w", err)
	}
	s.stats.seed(recent)
	if err := s.subscribeShared(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// SetEngine gives the Service the engine it reaches customers through.
// Call it once the engine exists, before Run and before agents act.
func (s *Service) SetEngine(eng Engine) { s.eng.Store(&engineRef{eng}) }

// Run checks on waiting customers at once and then every interval, and
// whenever a ticket opens or an agent's presence changes, until ctx is
// done. It needs the engine (SetEngine).
func (s *Service) Run(ctx context.Context) error {
	if _, err := s.engine(); err != nil {
		return err
	}
	if s.shared != nil {
		var wg sync.WaitGroup
		defer wg.Wait()
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		s.runShared(sctx, &wg)
	}
	tick := make(chan struct{}, 1)
	for {
		if err := s.check(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "handoff check", "err", err)
		}
		tm := s.clock.AfterFunc(s.interval, func() {
			select {
			case tick <- struct{}{}:
			default:
			}
		})
	wait:
		for {
			select {
			case <-ctx.Done():
				tm.Stop()
				return nil
			case <-tick:
				break wait
			case <-s.wake:
				if err := s.quick(ctx); err != nil && ctx.Err() == nil {
					s.log.ErrorContext(ctx, "handoff check", "err", err)
				}
			}
		}
	}
}

// quick is Run's round after a poke: it writes again the ticket changes
// whose write failed and, when this instance leads, keeps the waiting
// customers informed. The other work of Check waits for the next interval.
func (s *Service) quick(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.ErrorContext(ctx, "recovered from a panic; going on", "what", "handoff check", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("handoff check: panic: %v", r)
		}
	}()
	eng, err := s.engine()
	if err != nil {
		return err
	}
	errs := []error{s.flush(ctx)}
	if s.leading(ctx) {
		errs = append(errs, s.inform(ctx, eng))
	}
	return errors.Join(errs...)
}

// check is Check behind a guard: a round that panics is logged with its
// stack and Run goes on with the next one.
func (s *Service) check(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.ErrorContext(ctx, "recovered from a panic; going on", "what", "handoff check", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = fmt.Errorf("handoff check: panic: %v", r)
		}
	}()
	return s.Check(ctx)
}

// Check does one round of Run's work: it writes again ticket changes whose
// write failed, reads the agents again from the store (another process
// may have added, changed or removed some), opens the tickets of handed-off
// conversations that have none (WithHandoffs), closes tickets whose conversation no longer waits for a
// person (once, after a restart), and keeps waiting customers informed.
func (s *Service) Check(ctx context.Context) error {
	eng, err := s.engine()
	if err != nil {
		return err
	}
	errs := []error{s.flush(ctx), s.syncAgents(ctx), s.reloadOpen(ctx)}
	if !s.leading(ctx) {
		// Another instance on the store opens, closes and informs.
		s.mu.Lock()
		s.missed = nil // a lead taken later looks at the handoffs afresh
		s.mu.Unlock()
		return errors.Join(errs...)
	}
	errs = append(errs, s.recoverMissed(ctx))
	s.mu.RLock()
	checked := s.checked
	s.mu.RUnlock()
	if !checked {
		err := s.reconcile(ctx, eng)
		errs = append(errs, err)
		if err == nil {
			s.mu.Lock()
			s.checked = true
			s.mu.Unlock()
		}
	}
	errs = append(errs, s.inform(ctx, eng))
	return errors.Join(errs...)
}

// Package handoff is what happens when the bot hands a conversation to a
// person: a ticket per handoff with a summary that spares the customer
// from repeating anything, a queue ordered by priority then waiting time,
// routing by skill, agents with a capacity and a presence, the waiting
// customer kept honestly informed, and the agents' actions (claim, reply,
// note, invite, transfer, release to the bot at a stage, close).
//
// A Service implements bot.Escalator (Escalate opens a ticket) and
// bot.Listener (Notify relays the conversation's messages to the agents'
// subscriptions and closes tickets whose conversation went back to the
// bot). It reaches customers only through its Engine: the bot speaks the
// waiting texts (Engine.Tell), and agents' replies go out on the
// customer's own channel (Engine.Post).
//
// The engine needs the Service (bot.WithEscalator, bot.WithListener) and
// the Service needs the engine, so a Service is made first and given its
// engine with SetEngine before Run and before agents act:
//
//	svc, err := handoff.New(ctx, store, nil)
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
	"sync/atomic"
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
func WithBuffer(n int) Option { return func(s *Service) { s.buffer = max(n, 1) } }

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

// Service runs the handoff queue. It is safe for concurrent use.
type Service struct {
	store    Store
	eng      atomic.Pointer[engineRef]
	log      *slog.Logger
	clock    bot.Clock
	interval time.Duration
	buffer   int
	cost     int
	dummy    func() ([]byte, error) // a hash to compare unknown names against, made on first use
	defaults defaultWords
	handoffs Handoffs // nil: Check opens no missed tickets

	// escMu orders the openings of tickets (Escalate and Recover), so that
	// one conversation never gets two.
	escMu sync.Mutex

	// agentMu orders the changes to agents' accounts (here and as read
	// back from the store); it is held across store calls, s.mu never is.
	agentMu sync.Mutex

	// mu guards what follows. It is never held across a store write or an
	// engine call, so Notify, on the engine's workers, only waits for
	// in-memory work.
	mu      sync.RWMutex
	tickets map[int64]*Ticket       // open tickets
	byAddr  map[bot.Address]*Ticket // open tickets by conversation
	agents  map[string]*Account
	closing map[int64]bool    // tickets an action is closing: Notify leaves them alone
	asked   map[int64]bool    // queued tickets whose customer wrote since last told
	dirty   map[int64]*Ticket // latest copies whose write failed or was deferred
	stats   stats
	checked bool // open tickets were checked against their conversations

	subMu sync.Mutex
	subs  map[*subscriber]struct{}

	wake chan struct{}
}

type engineRef struct{ Engine }

// New returns a Service on store: it loads the agents and the open tickets
// and rebuilds the queue. eng may be nil and given later with SetEngine.
func New(ctx context.Context, store Store, eng Engine, opts ...Option) (*Service, error) {
	s := &Service{
		store:    store,
		log:      slog.Default(),
		clock:    wallClock{},
		interval: DefaultInterval,
		buffer:   DefaultBuffer,
		cost:     bcrypt.DefaultCost,
		tickets:  map[int64]*Ticket{},
		byAddr:   map[bot.Address]*Ticket{},
		agents:   map[string]*Account{},
		closing:  map[int64]bool{},
		asked:    map[int64]bool{},
		dirty:    map[int64]*Ticket{},
		subs:     map[*subscriber]struct{}{},
		wake:     make(chan struct{}, 1),
	}
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
	return s, nil
}

// SetEngine gives the Service the engine it reaches customers through.
// Call it once the engine exists, before Run and before agents act.
func (s *Service) SetEngine(eng Engine) { s.eng.Store(&engineRef{eng}) }

// engine returns the engine, or ErrNoEngine.
func (s *Service) engine() (Engine, error) {
	r := s.eng.Load()
	if r == nil {
		return nil, ErrNoEngine
	}
	return r.Engine, nil
}

// Recover opens tickets for handed-off conversations that have none: the
// handoffs a crash caught between the engine's commit and Escalate, or
// whose ticket write failed. recs are the latest handoffs of the
// conversations a person holds (the bot store knows them); it returns how
// many tickets it opened. A conversation that has gone back to the bot
// since recs were read is left alone.
func (s *Service) Recover(ctx context.Context, recs []bot.HandoffRecord) (int, error) {
	n := 0
	var errs []error
	for _, h := range recs {
		opened, err := s.recoverOne(ctx, h)
		if err != nil {
			errs = append(errs, fmt.Errorf("recover handoff of %s: %w", h.Address, err))
			continue
		}
		if opened {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// recoverOne opens a ticket for h unless its conversation has one or no
// longer waits for a person.
func (s *Service) recoverOne(ctx context.Context, h bot.HandoffRecord) (bool, error) {
	s.escMu.Lock()
	defer s.escMu.Unlock()
	s.mu.RLock()
	open := s.byAddr[h.Address] != nil
	s.mu.RUnlock()
	if open {
		return false, nil
	}
	// A ticket closes after its conversation left the person (the engine
	// first, then the ticket), so with no ticket open now, a conversation
	// still with a person really lacks one.
	if eng, err := s.engine(); err == nil {
		snap, err := eng.Conversation(ctx, h.Address)
		if err != nil && !errors.Is(err, bot.ErrNotFound) {
			return false, err
		}
		if err != nil || snap.Status != bot.StatusHuman {
			return false, nil
		}
	}
	if err := s.escalateLocked(ctx, h); err != nil {
		return false, err
	}
	s.log.WarnContext(ctx, "handoff recovered into the queue", "addr", h.Address.String(), "reason", h.Reason)
	return true, nil
}

// recoverMissed is Check's part of Recover: the handoffs whose ticket is missing.
func (s *Service) recoverMissed(ctx context.Context) error {
	if s.handoffs == nil {
		return nil
	}
	recs, err := s.handoffs.HandedOff(ctx)
	if err != nil {
		return fmt.Errorf("handed-off conversations: %w", err)
	}
	_, err = s.Recover(ctx, recs)
	return err
}

// Escalate opens a ticket for a conversation the bot handed off; it
// implements bot.Escalator. The ticket is stored before Escalate returns;
// the customer hears their position and wait from Run, woken at once.
// When the write fails, the next Check round opens the ticket (given
// WithHandoffs).
func (s *Service) Escalate(ctx context.Context, h bot.HandoffRecord) error {
	s.escMu.Lock()
	defer s.escMu.Unlock()
	return s.escalateLocked(ctx, h)
}

// escalateLocked is Escalate with s.escMu held.
func (s *Service) escalateLocked(ctx context.Context, h bot.HandoffRecord) error {
	now := s.clock.Now()
	t := &Ticket{
		Address:  h.Address,
		Status:   StatusQueued,
		Reason:   h.Reason,
		Evidence: h.Evidence,
		Skill:    h.Skill,
		Priority: normalPriority(h.Priority),
		Lang:     h.Lang,
		Flow:     h.Flow,
		State:    h.State,
		Created:  h.At,
		Version:  1,
	}
	if t.Created.IsZero() {
		t.Created = now
	}
	var f *flows.File
	if eng, err := s.engine(); err == nil {
		f = eng.Flows()
		if snap, err := eng.Conversation(ctx, h.Address); err == nil {
			t.Seq = snap.Seq
		}
		// The mood so far, read once: the engine's events keep it up to date.
		if tr, err := eng.Transcript(ctx, h.Address); err == nil {
			t.Mood = TrendOf(tr)
		} else {
			s.log.WarnContext(ctx, "handoff: transcript for the mood", "addr", h.Address.String(), "err", err)
		}
	}
	t.Target = target(f, t.Priority)

	s.mu.RLock()
	prev := s.byAddr[h.Address]
	s.mu.RUnlock()
	if prev != nil {
		// Still open (a handoff while a person holds it cannot happen, but
		// an old ticket may linger): it gets the new reason.
		c, err := s.change(prev.ID, func(o *Ticket) error {
			o.Reason, o.Evidence, o.Seq = t.Reason, t.Evidence, t.Seq
			if priorityRank(t.Priority) > priorityRank(o.Priority) {
				o.Priority, o.Target = t.Priority, t.Target
			}
			return nil
		})
		if err != nil {
			return err
		}
		return s.commit(ctx, c, UpdateQueue)
	}
	if err := s.store.CreateTicket(ctx, t); err != nil {
		return fmt.Errorf("handoff: open ticket for %s: %w", h.Address, err)
	}
	s.mu.Lock()
	s.tickets[t.ID] = t
	s.byAddr[t.Address] = t
	c := t.clone()
	s.mu.Unlock()
	s.log.InfoContext(ctx, "ticket opened", "ticket", t.ID, "addr", t.Address.String(), "reason", t.Reason, "skill", t.Skill, "priority", t.Priority)
	s.publish(Update{Kind: UpdateQueue, Ticket: c}, c)
	s.poke()
	return nil
}

// Notify hears the engine's events; it implements bot.Listener. It
// relays the messages of handed-off conversations to the agents'
// subscriptions and closes a ticket whose conversation went back to the
// bot or ended without a desk action. It never blocks on I/O.
func (s *Service) Notify(_ context.Context, ev bot.Event) {
	switch ev.Kind {
	case bot.EventMessage, bot.EventReply:
		if ev.Entry == nil {
			return
		}
		s.mu.RLock()
		t := s.byAddr[ev.Address]
		var c *Ticket
		if t != nil {
			c = t.clone()
		}
		s.mu.RUnlock()
		if c == nil {
			return
		}
		if ev.Kind == bot.EventMessage {
			s.mu.Lock()
			if c.Status == StatusQueued {
				s.asked[c.ID] = true
			}
			if t := s.byAddr[ev.Address]; t != nil && t.ID == c.ID {
				t.Mood = t.Mood.with(*ev.Entry)
			}
			s.mu.Unlock()
		}
		e := *ev.Entry
		s.publish(Update{Kind: UpdateMessage, TicketID: c.ID, Entry: &e}, c)
	case bot.EventReleased, bot.EventEnded:
		s.mu.Lock()
		t := s.byAddr[ev.Address]
		if t == nil || s.closing[t.ID] {
			s.mu.Unlock()
			return
		}
		var seq int64
		if ev.Snapshot != nil {
			seq = ev.Snapshot.Seq
		}
		s.closeLocked(t, OutcomeEnded, seq)
		c := t.clone()
		s.dirty[c.ID] = c
		s.mu.Unlock()
		s.publish(Update{Kind: UpdateTicket, Ticket: c}, nil)
		s.poke()
	}
}

// poke wakes Run.
func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run checks on waiting customers at once and then every interval, and
// whenever a ticket opens or an agent's presence changes, until ctx is
// done. It needs the engine (SetEngine).
func (s *Service) Run(ctx context.Context) error {
	if _, err := s.engine(); err != nil {
		return err
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
		select {
		case <-ctx.Done():
			tm.Stop()
			return nil
		case <-tick:
		case <-s.wake:
			tm.Stop()
		}
	}
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
	errs := []error{s.flush(ctx), s.syncAgents(ctx), s.recoverMissed(ctx)}
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

// flush writes the tickets marked dirty.
func (s *Service) flush(ctx context.Context) error {
	s.mu.Lock()
	todo := make([]*Ticket, 0, len(s.dirty))
	for _, c := range s.dirty {
		todo = append(todo, c)
	}
	s.mu.Unlock()
	var errs []error
	for _, c := range todo {
		if err := s.store.UpdateTicket(ctx, c); err != nil {
			errs = append(errs, fmt.Errorf("save ticket %d: %w", c.ID, err))
			continue
		}
		s.mu.Lock()
		if d := s.dirty[c.ID]; d != nil && d.Version <= c.Version {
			delete(s.dirty, c.ID)
		}
		s.mu.Unlock()
	}
	return errors.Join(errs...)
}

// reconcile closes open tickets whose conversation is no longer with a
// person: the server stopped between the conversation's release and the
// ticket's write.
func (s *Service) reconcile(ctx context.Context, eng Engine) error {
	s.mu.RLock()
	open := make([]*Ticket, 0, len(s.tickets))
	for _, t := range s.tickets {
		open = append(open, t.clone())
	}
	s.mu.RUnlock()
	var errs []error
	for _, t := range open {
		snap, err := eng.Conversation(ctx, t.Address)
		if errors.Is(err, bot.ErrNotFound) {
			snap, err = &bot.Snapshot{}, nil
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("check ticket %d: %w", t.ID, err))
			continue
		}
		if snap.Status == bot.StatusHuman {
			continue
		}
		c, err := s.change(t.ID, func(t *Ticket) error {
			s.closeLocked(t, OutcomeEnded, snap.Seq)
			return nil
		})
		if err == nil {
			errs = append(errs, s.commit(ctx, c, UpdateTicket))
		}
	}
	return errors.Join(errs...)
}

// change applies f to open ticket id under the lock and, when f succeeds,
// counts a new version and returns a copy to commit. It fails with
// ErrNotFound or ErrClosed when the ticket is not open.
func (s *Service) change(id int64, f func(t *Ticket) error) (*Ticket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tickets[id]
	if t == nil {
		return nil, s.missing(id)
	}
	if err := f(t); err != nil {
		return nil, err
	}
	t.Version++
	return t.clone(), nil
}

// missing explains why ticket id, open a moment ago, is not any more.
func (s *Service) missing(id int64) error { return fmt.Errorf("ticket %d: %w", id, ErrClosed) }

// commit stores the copy c of a changed ticket and tells the subscribers.
// A failed write is retried by Check; the change holds in memory.
func (s *Service) commit(ctx context.Context, c *Ticket, kind UpdateKind, also ...string) error {
	s.publish(Update{Kind: kind, Ticket: c}, c, also...)
	if err := s.store.UpdateTicket(ctx, c); err != nil {
		s.mu.Lock()
		if d := s.dirty[c.ID]; d == nil || d.Version < c.Version {
			s.dirty[c.ID] = c
		}
		s.mu.Unlock()
		return fmt.Errorf("save ticket %d: %w", c.ID, err)
	}
	return nil
}

// closeLocked closes t in memory and takes it out of the queue. s.mu is held.
func (s *Service) closeLocked(t *Ticket, outcome string, endSeq int64) {
	now := s.clock.Now()
	if t.Status == StatusAssigned && !t.Assigned.IsZero() {
		s.stats.handled(now.Sub(t.Assigned))
	}
	t.Status, t.Outcome, t.Closed, t.EndSeq = StatusClosed, outcome, now, endSeq
	t.Version++
	delete(s.tickets, t.ID)
	if s.byAddr[t.Address] == t {
		delete(s.byAddr, t.Address)
	}
	delete(s.asked, t.ID)
	delete(s.closing, t.ID)
}

// wallClock is the real clock.
type wallClock struct{}

func (wallClock) Now() time.Time                                { return time.Now() }
func (wallClock) AfterFunc(d time.Duration, f func()) bot.Timer { return time.AfterFunc(d, f) }

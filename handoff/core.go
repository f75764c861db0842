package handoff

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/calmbot/calmbot/bot"
)

// core is what the parts of a Service share: the store, the engine, the
// clock, the update bus, and in memory the open tickets and the agents.
// Tickets and agents share one lock because routing decides on both at
// once: a claim checks the agent's skills and free places and takes the
// ticket in one step, so two claims never overfill an agent.
type core struct {
	store Store
	eng   atomic.Pointer[engineRef]
	log   *slog.Logger
	clock bot.Clock
	bus   *bus

	// mu guards what follows. It is never held across a store write or an
	// engine call, so Notify, on the engine's workers, only waits for
	// in-memory work.
	mu      sync.RWMutex
	tickets map[int64]*Ticket       // open tickets
	byAddr  map[bot.Address]*Ticket // open tickets by conversation
	agents  map[string]*Account
	closing map[int64]bool // tickets an action is closing: Notify leaves them alone
	// claiming holds, by queued ticket, the agents whose claims of it wait
	// for the shared store's answer (takeLocked): they count against the
	// agents' places and are seen by nobody.
	claiming map[int64][]string
	asked    map[int64]bool    // queued tickets whose customer wrote since last told
	dirty    map[int64]*Ticket // latest copies whose write failed or was deferred
	stats    stats
	checked  bool // open tickets were checked against their conversations

	// wake asks Run for a quick round: the changes whose write failed are
	// written again and the waiting customers informed (poke).
	wake chan struct{}

	// shared, when set, carries this instance's updates to the others on
	// the store, and theirs here (shared.go); out queues them for it.
	shared   bot.Bus
	instance string
	out      chan Update
	leader   Leader
	// sharedIn are the other instances' updates, from New until Run ends.
	sharedIn     <-chan []byte
	sharedCancel func()
}

type engineRef struct{ Engine }

// wallClock is the real clock.
type wallClock struct{}

func (wallClock) Now() time.Time                                { return time.Now() }
func (wallClock) AfterFunc(d time.Duration, f func()) bot.Timer { return time.AfterFunc(d, f) }

// engine returns the engine, or ErrNoEngine.
func (s *core) engine() (Engine, error) {
	r := s.eng.Load()
	if r == nil {
		return nil, ErrNoEngine
	}
	return r.Engine, nil
}

// poke wakes Run for a quick round: the queue changed (a ticket opened
// or closed, here or on another instance; an agent came or went), so the
// waiting customers may have news. The rest of a Check round (reading the
// agents and every open ticket again, opening missed tickets) waits for
// the next interval: on every change it cost a read of the whole queue.
func (s *core) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// change applies f to open ticket id under the lock and, when f succeeds,
// counts a new version and returns a copy to commit. It fails with
// ErrNotFound or ErrClosed when the ticket is not open.
func (s *core) change(id int64, f func(t *Ticket) error) (*Ticket, error) {
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
func (s *core) missing(id int64) error { return fmt.Errorf("ticket %d: %w", id, ErrClosed) }

// commit stores the copy c of a changed ticket and tells the subscribers.
// A failed write is retried by Check; the change holds in memory.
func (s *core) commit(ctx context.Context, c *Ticket, kind UpdateKind, also ...string) error {
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

// flush writes the tickets marked dirty.
func (s *core) flush(ctx context.Context) error {
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

// closeLocked closes t in memory and takes it out of the queue. s.mu is held.
func (s *core) closeLocked(t *Ticket, outcome string, endSeq int64) {
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

// Ticket returns a ticket, open or closed.
func (s *core) Ticket(ctx context.Context, id int64) (*Ticket, error) {
	s.mu.RLock()
	t := s.tickets[id]
	if t == nil {
		t = s.dirty[id]
	}
	if t != nil {
		t = t.clone()
	}
	s.mu.RUnlock()
	if t != nil {
		return t, nil
	}
	t, err := s.store.Ticket(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("ticket %d: %w", id, err)
	}
	return t, nil
}

// queueLocked returns the queued tickets in queue order. s.mu is held.
func (s *core) queueLocked() []*Ticket {
	var q []*Ticket
	for _, t := range s.tickets {
		if t.Status == StatusQueued {
			q = append(q, t)
		}
	}
	slices.SortFunc(q, func(a, b *Ticket) int {
		if ahead(a, b) {
			return -1
		}
		return 1
	})
	return q
}

// agentView copies an account's agent with its current load. s.mu is held.
func (s *core) agentView(acc *Account) Agent {
	a := acc.Agent
	a.Skills = slices.Clone(acc.Skills)
	a.Active = s.active(a.ID)
	return a
}

// active counts the open tickets agent id holds. s.mu is held.
func (s *core) active(id string) int {
	n := 0
	for _, t := range s.tickets {
		if t.Owner == id && t.Status == StatusAssigned {
			n++
		}
	}
	for _, who := range s.claiming {
		if slices.Contains(who, id) {
			n++
		}
	}
	return n
}

// activeAll counts each agent's open tickets. s.mu is held.
func (s *core) activeAll() map[string]int {
	n := map[string]int{}
	for _, t := range s.tickets {
		if t.Status == StatusAssigned {
			n[t.Owner]++
		}
	}
	return n
}

// canTake reports whether agent a may see and claim ticket t: the ticket
// has no skill, a has it, or no agent at all has it (so that no ticket
// waits for a skill nobody has). s.mu is held.
func (s *core) canTake(a *Agent, t *Ticket) bool {
	if t.Skill == "" || a.has(t.Skill) {
		return true
	}
	for _, o := range s.agents {
		if o.has(t.Skill) {
			return false
		}
	}
	return true
}

// addressOf returns open ticket id's conversation.
func (s *core) addressOf(id int64) bot.Address {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if t := s.tickets[id]; t != nil {
		return t.Address
	}
	return bot.Address{}
}

// publish sends u to the subscribers concerned by ticket t (nil for an
// update that concerns everyone): those who hold it or were invited, the
// also list, and, while it is queued or for a queue change, the agents
// who can take it. It never blocks.
func (s *core) publish(u Update, t *Ticket, also ...string) {
	if u.At.IsZero() {
		u.At = s.clock.Now()
	}
	if u.Ticket != nil && u.TicketID == 0 {
		u.TicketID = u.Ticket.ID
	}
	s.share(u)
	s.deliver(u, t, also...)
}

// deliver is publish within this instance.
func (s *core) deliver(u Update, t *Ticket, also ...string) {
	if s.bus.idle() {
		return
	}
	var who map[string]bool
	if t != nil {
		who = map[string]bool{}
		for _, a := range also {
			who[a] = true
		}
		who[t.Owner] = true
		for _, a := range t.Invited {
			who[a] = true
		}
		if t.Status == StatusQueued || u.Kind == UpdateQueue {
			s.mu.RLock()
			for id, acc := range s.agents {
				if s.canTake(&acc.Agent, t) {
					who[id] = true
				}
			}
			s.mu.RUnlock()
		}
		delete(who, "")
	}
	s.bus.deliver(u, who)
}

// Subscribe is the update bus's Subscribe.
func (s *core) Subscribe(agent string) (<-chan Update, func()) { return s.bus.Subscribe(agent) }

// SubscribeAll is the update bus's SubscribeAll.
func (s *core) SubscribeAll() (<-chan Update, func()) { return s.bus.SubscribeAll() }

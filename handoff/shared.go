package handoff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/calmbot/calmbot/bot"
)

// Several instances on one store (store/postgres) each keep the open
// tickets and the agents in memory. WithShared keeps those copies
// coherent: every update a Service publishes also goes out on a bot.Bus,
// and an instance that receives another's update reads the ticket (or the
// agents) again from the store and shows the update to its own
// subscribers, so an agent on the desk of one instance sees, live, what
// another did or received. Claims stay safe without the bus: the store
// refuses a claim another instance took first (ClaimStore). WithLeader
// leaves the work one instance must do alone (telling waiting customers
// their place, opening missed tickets) to one of them.

// sharedTopic is the bus topic of handoff updates.
const sharedTopic = "handoff"

// sharedBuffer bounds the updates waiting to go out on the bus; past it
// they are dropped (the others catch up on their next read of the store).
const sharedBuffer = 1024

// Leader tells whether this instance leads the ones sharing a store.
type Leader interface {
	// Leading reports whether this instance leads now.
	Leading(ctx context.Context) bool
}

// WithShared shares the Service's updates with the other instances on
// its store through b; instance names this one (unique among them). Run
// sends and receives them.
func WithShared(b bot.Bus, instance string) Option {
	return func(s *Service) {
		s.shared, s.instance = b, instance
		s.out = make(chan Update, sharedBuffer)
	}
}

// WithLeader makes Check inform waiting customers, open missed tickets and
// close stale ones only while l says this instance leads, so that of
// several instances on one store one does it.
func WithLeader(l Leader) Option { return func(s *Service) { s.leader = l } }

// leading reports whether this instance does the work only one may.
func (s *core) leading(ctx context.Context) bool { return s.leader == nil || s.leader.Leading(ctx) }

// sharedUpdate is an update on the bus.
type sharedUpdate struct {
	From   string `json:"from"`
	Update Update `json:"update"`
}

// share queues u for the other instances; it never blocks.
func (s *core) share(u Update) {
	if s.out == nil || u.Kind == UpdateResync {
		return
	}
	select {
	case s.out <- u:
	default:
		s.log.Warn("handoff: an update for the other instances was dropped (bus backlog)", "kind", u.Kind)
	}
}

// runShared sends this instance's updates and applies the others' until
// ctx ends.
func (s *Service) runShared(ctx context.Context, wg *sync.WaitGroup) {
	msgs, cancel := s.sharedIn, s.sharedCancel
	stop := context.AfterFunc(ctx, cancel)
	wg.Go(func() {
		defer stop()
		defer cancel()
		for m := range msgs {
			var su sharedUpdate
			if err := json.Unmarshal(m, &su); err != nil {
				s.log.WarnContext(ctx, "handoff: malformed update from another instance", "err", err)
				continue
			}
			if su.From != s.instance {
				s.applyShared(ctx, su.Update)
			}
		}
	})
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case u := <-s.out:
				b, err := json.Marshal(sharedUpdate{From: s.instance, Update: u})
				if err == nil {
					err = s.shared.Publish(ctx, sharedTopic, b)
				}
				if err != nil && ctx.Err() == nil {
					s.log.WarnContext(ctx, "handoff: update not sent to the other instances", "kind", u.Kind, "err", err)
				}
			}
		}
	})
}

// subscribeShared subscribes to the other instances' updates from the
// Service's start; Run reads them and ends the subscription.
func (s *Service) subscribeShared(ctx context.Context) error {
	if s.shared == nil {
		return nil
	}
	var err error
	s.sharedIn, s.sharedCancel, err = s.shared.Subscribe(context.WithoutCancel(ctx), sharedTopic)
	if err != nil {
		return fmt.Errorf("handoff: shared updates: %w", err)
	}
	return nil
}

// reloadOpen reads the open tickets again from the store, shared with
// other instances: what the bus did not bring (a dropped update) comes
// in on the next Check.
func (s *core) reloadOpen(ctx context.Context) error {
	if s.shared == nil {
		return nil
	}
	open, err := s.store.OpenTickets(ctx)
	if err != nil {
		return fmt.Errorf("reload open tickets: %w", err)
	}
	stored := make(map[int64]bool, len(open))
	s.mu.Lock()
	var gone []int64
	for _, t := range open {
		stored[t.ID] = true
		if cur := s.tickets[t.ID]; cur == nil || cur.Version != t.Version || cur.Status != t.Status || cur.Owner != t.Owner {
			s.replaceLocked(t)
		}
	}
	for id := range s.tickets {
		if !stored[id] {
			gone = append(gone, id)
		}
	}
	s.mu.Unlock()
	for _, id := range gone { // closed elsewhere, or not stored yet
		t, err := s.store.Ticket(ctx, id)
		if err != nil {
			continue
		}
		s.mu.Lock()
		if cur := s.tickets[id]; cur != nil && cur.Version <= t.Version {
			s.replaceLocked(t)
		}
		s.mu.Unlock()
	}
	return nil
}

// applyShared takes in an update another instance made: the ticket or
// agent it is about is read again from the store, then the update is
// shown to this instance's subscribers.
func (s *Service) applyShared(ctx context.Context, u Update) {
	var t *Ticket
	if u.TicketID != 0 {
		stored, err := s.store.Ticket(ctx, u.TicketID)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			s.log.WarnContext(ctx, "handoff: ticket of another instance's update not read", "ticket", u.TicketID, "err", err)
		default:
			// The store is the truth: versions counted on two instances
			// may meet, so the stored copy wins whatever its number.
			s.mu.Lock()
			s.replaceLocked(stored)
			if cur := s.tickets[stored.ID]; cur != nil {
				t = cur.clone()
			} else {
				t = stored
			}
			s.mu.Unlock()
			if u.Ticket != nil {
				u.Ticket = t
			}
		}
	}
	if u.Kind == UpdateAgent && u.Agent != nil {
		if err := s.syncAgents(ctx); err != nil {
			s.log.WarnContext(ctx, "handoff: agents not read again", "err", err)
		}
		s.mu.Lock()
		if acc := s.agents[u.Agent.ID]; acc != nil {
			acc.Presence = u.Agent.Presence
		}
		s.mu.Unlock()
	}
	s.deliver(u, t)
	s.poke()
}

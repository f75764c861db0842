package handoff

import (
	"context"
	"fmt"
	"slices"
)

// Queue returns the queued tickets agent id may take, best first: higher
// priority first, then the longest waiting. An agent id of "" sees every
// queued ticket.
func (s *Service) Queue(id string) ([]*Ticket, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var a *Agent
	if id != "" {
		acc, ok := s.agents[id]
		if !ok {
			return nil, fmt.Errorf("agent %s: %w", id, ErrNotFound)
		}
		a = &acc.Agent
	}
	var out []*Ticket
	for _, t := range s.queueLocked() {
		if a == nil || s.canTake(a, t) {
			out = append(out, t.clone())
		}
	}
	return out, nil
}

// queueLocked returns the queued tickets in queue order. s.mu is held.
func (s *Service) queueLocked() []*Ticket {
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

// Mine returns the open tickets agent id holds or was invited to, oldest first.
func (s *Service) Mine(id string) []*Ticket {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*Ticket
	for _, t := range s.tickets {
		if t.Involves(id) {
			out = append(out, t.clone())
		}
	}
	slices.SortFunc(out, func(a, b *Ticket) int { return a.Created.Compare(b.Created) })
	return out
}

// Tickets returns every open ticket, queued ones in queue order first,
// then the assigned ones, oldest first.
func (s *Service) Tickets() []*Ticket {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out, assigned []*Ticket
	for _, t := range s.queueLocked() {
		out = append(out, t.clone())
	}
	for _, t := range s.tickets {
		if t.Status == StatusAssigned {
			assigned = append(assigned, t.clone())
		}
	}
	slices.SortFunc(assigned, func(a, b *Ticket) int { return a.Created.Compare(b.Created) })
	return append(out, assigned...)
}

// Ticket returns a ticket, open or closed.
func (s *Service) Ticket(ctx context.Context, id int64) (*Ticket, error) {
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

// Claim gives queued ticket id to agent: the agent must be able to take
// its skill and have a free place.
func (s *Service) Claim(ctx context.Context, agent string, id int64) (*Ticket, error) {
	if _, err := s.open(ctx, id); err != nil {
		return nil, err
	}
	c, err := s.change(id, func(t *Ticket) error { return s.assignLocked(agent, t) })
	if err != nil {
		return nil, fmt.Errorf("claim ticket %d: %w", id, err)
	}
	s.log.InfoContext(ctx, "ticket claimed", "ticket", id, "agent", agent)
	return c, s.commit(ctx, c, UpdateQueue)
}

// Next gives agent the best queued ticket they can take.
func (s *Service) Next(ctx context.Context, agent string) (*Ticket, error) {
	var id int64
	c, err := func() (*Ticket, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		acc, ok := s.agents[agent]
		if !ok {
			return nil, fmt.Errorf("agent %s: %w", agent, ErrNotFound)
		}
		if s.active(agent) >= acc.Capacity {
			return nil, fmt.Errorf("agent %s: %w", agent, ErrNoCapacity)
		}
		for _, t := range s.queueLocked() {
			if !s.canTake(&acc.Agent, t) {
				continue
			}
			if err := s.assignLocked(agent, t); err != nil {
				return nil, err
			}
			t.Version++
			id = t.ID
			return t.clone(), nil
		}
		return nil, fmt.Errorf("agent %s: %w", agent, ErrEmptyQueue)
	}()
	if err != nil {
		return nil, fmt.Errorf("next ticket: %w", err)
	}
	s.log.InfoContext(ctx, "ticket assigned", "ticket", id, "agent", agent)
	return c, s.commit(ctx, c, UpdateQueue)
}

// assignLocked makes agent the owner of queued ticket t. s.mu is held.
func (s *Service) assignLocked(agent string, t *Ticket) error {
	acc, ok := s.agents[agent]
	switch {
	case !ok:
		return fmt.Errorf("agent %s: %w", agent, ErrNotFound)
	case t.Status != StatusQueued:
		return ErrTaken
	case !s.canTake(&acc.Agent, t):
		return fmt.Errorf("agent %s lacks skill %q: %w", agent, t.Skill, ErrForbidden)
	case s.active(agent) >= acc.Capacity:
		return fmt.Errorf("agent %s: %w", agent, ErrNoCapacity)
	}
	now := s.clock.Now()
	if t.Claimed.IsZero() {
		t.Claimed = now
		s.stats.picked(now.Sub(t.Created))
	}
	t.Status, t.Owner, t.Assigned = StatusAssigned, agent, now
	t.Invited = slices.DeleteFunc(t.Invited, func(x string) bool { return x == agent })
	delete(s.asked, t.ID)
	return nil
}

// open returns a copy of ticket id when it is open, and otherwise an
// error wrapping ErrClosed or ErrNotFound.
func (s *Service) open(ctx context.Context, id int64) (*Ticket, error) {
	s.mu.RLock()
	t := s.tickets[id]
	if t != nil {
		t = t.clone()
	}
	s.mu.RUnlock()
	if t != nil {
		return t, nil
	}
	if _, err := s.Ticket(ctx, id); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("ticket %d: %w", id, ErrClosed)
}

// held returns a copy of open ticket id when agent holds it or was
// invited to it.
func (s *Service) held(ctx context.Context, agent string, id int64) (*Ticket, error) {
	t, err := s.open(ctx, id)
	if err != nil {
		return nil, err
	}
	if !t.Involves(agent) {
		return nil, fmt.Errorf("ticket %d, agent %s: %w", id, agent, ErrForbidden)
	}
	return t, nil
}

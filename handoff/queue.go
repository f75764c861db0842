package handoff

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/flows"
)

// Queue returns the queued tickets agent id may take, best first: higher
// priority first, then the longest waiting. An agent id of "" sees every
// queued ticket.
func (s *queue) Queue(id string) ([]*Ticket, error) {
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

// Mine returns the open tickets agent id holds or was invited to, oldest first.
func (s *queue) Mine(id string) []*Ticket {
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
func (s *queue) Tickets() []*Ticket {
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

// Claim gives queued ticket id to agent: the agent must be able to take
// its skill and have a free place.
func (s *queue) Claim(ctx context.Context, agent string, id int64) (*Ticket, error) {
	for try := 1; ; try++ {
		c, err := s.claimOnce(ctx, agent, id)
		if errors.Is(err, errStale) && try < claimTries {
			continue // the stored ticket, still queued, is in memory now
		}
		if errors.Is(err, errStale) {
			err = fmt.Errorf("claim ticket %d: %w", id, ErrTaken)
		}
		return c, err
	}
}

// claimTries bounds the claims of one Claim on copies another instance's
// change made stale (errStale).
const claimTries = 3

// errStale is claimed's answer when the store refused a claim because
// another instance changed the ticket since this copy, which is still
// queued: the claim may be tried again on the stored copy.
var errStale = errors.New("ticket changed on another instance")

// claimOnce is one try of Claim.
func (s *queue) claimOnce(ctx context.Context, agent string, id int64) (*Ticket, error) {
	if _, err := s.open(ctx, id); err != nil {
		return nil, err
	}
	c, pending, err := func() (*Ticket, bool, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		t := s.tickets[id]
		if t == nil {
			return nil, false, s.missing(id)
		}
		return s.takeLocked(agent, t)
	}()
	if err != nil {
		return nil, fmt.Errorf("claim ticket %d: %w", id, err)
	}
	if err := s.claimed(ctx, c, pending); err != nil {
		if !errors.Is(err, ErrTaken) && !errors.Is(err, errStale) {
			// The store could not say who won: the ticket stays queued,
			// and the agent may try again.
			err = fmt.Errorf("%w: %w", ErrUnsaved, err)
		}
		return nil, fmt.Errorf("claim ticket %d: %w", id, err)
	}
	s.log.InfoContext(ctx, "ticket claimed", "ticket", id, "agent", agent)
	return c, s.commit(ctx, c, UpdateQueue)
}

// takeLocked assigns queued ticket t, in memory, to agent and returns the
// claimed copy to store. Without a ClaimStore the ticket changes in place.
// With one (several instances share the store, which decides who wins a
// claim) the change is made on a copy only, and t is marked as claimed
// for agent (s.claiming): the copy takes t's place once the store has
// taken the claim (claimed). Until then nobody sees the claim, and the
// agent cannot act on it: another instance's agent may hold the ticket
// already, or the store may be away. pending reports that the claim waits
// on the store. s.mu is held.
func (s *queue) takeLocked(agent string, t *Ticket) (c *Ticket, pending bool, err error) {
	if err := s.mayTakeLocked(agent, t); err != nil {
		return nil, false, err
	}
	c = t.clone()
	s.assignLocked(agent, c)
	c.Version++
	if _, shared := s.store.(ClaimStore); !shared {
		s.takenLocked(t, c)
		*t = *c.clone()
		return c, false, nil
	}
	s.claiming[t.ID] = append(s.claiming[t.ID], agent)
	return c, true, nil
}

// claimed makes sure a claim taken in memory holds in a store shared with
// other instances (ClaimStore). When the store took it, the claimed copy
// c replaces the one in memory (pending: takeLocked left it queued there).
// When another instance's agent took the ticket first, the stored ticket
// replaces the copy in memory and the claim fails with ErrTaken, or with
// errStale when the stored ticket is still queued (changed elsewhere since
// this copy). When the store cannot say (it is away), the ticket stays as
// it was, in the queue rather than held by a claim nobody stored. Other
// stores hold nothing against it.
func (s *queue) claimed(ctx context.Context, c *Ticket, pending bool) error {
	if !pending {
		return nil
	}
	won, err := s.store.(ClaimStore).ClaimTicket(ctx, c)
	if err == nil && won {
		s.mu.Lock()
		s.settleLocked(c)
		// The store holds c now: it replaces a copy of the same version
		// too (a change made here meanwhile whose write failed) and any
		// unwritten older copy.
		if cur := s.tickets[c.ID]; cur == nil || cur.Version <= c.Version {
			if cur != nil {
				s.takenLocked(cur, c)
			}
			s.replaceLocked(c.clone())
			if d := s.dirty[c.ID]; d != nil && d.Version <= c.Version {
				delete(s.dirty, c.ID)
			}
		}
		s.mu.Unlock()
		return nil
	}
	stored, rerr := s.store.Ticket(ctx, c.ID)
	s.mu.Lock()
	s.settleLocked(c)
	if rerr == nil {
		s.replaceLocked(stored)
	}
	s.mu.Unlock()
	if rerr != nil {
		return errors.Join(err, rerr)
	}
	if err == nil && stored.Status == StatusQueued {
		// Not taken: changed elsewhere since this copy (told its place,
		// say), the update on its way here.
		return errStale
	}
	s.publish(Update{Kind: UpdateQueue, Ticket: stored.clone()}, stored)
	if err != nil {
		return err
	}
	return ErrTaken
}

// settleLocked ends c's claim in s.claiming. s.mu is held.
func (s *core) settleLocked(c *Ticket) {
	who := s.claiming[c.ID]
	if i := slices.Index(who, c.Owner); i >= 0 {
		who = slices.Delete(who, i, i+1)
	}
	if len(who) == 0 {
		delete(s.claiming, c.ID)
		return
	}
	s.claiming[c.ID] = who
}

// replaceLocked puts a ticket read from the store in place of the copy in
// memory: open, or gone when it closed. s.mu is held.
func (s *core) replaceLocked(t *Ticket) {
	if old := s.tickets[t.ID]; old != nil && s.byAddr[old.Address] == old {
		delete(s.byAddr, old.Address)
	}
	if t.Status == StatusClosed {
		delete(s.tickets, t.ID)
		delete(s.asked, t.ID)
		return
	}
	s.tickets[t.ID] = t
	s.byAddr[t.Address] = t
}

// Next gives agent the best queued ticket they can take.
func (s *queue) Next(ctx context.Context, agent string) (*Ticket, error) {
	c, pending, err := func() (*Ticket, bool, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		acc, ok := s.agents[agent]
		if !ok {
			return nil, false, fmt.Errorf("agent %s: %w", agent, ErrNotFound)
		}
		if s.active(agent) >= acc.Capacity {
			return nil, false, fmt.Errorf("agent %s: %w", agent, ErrNoCapacity)
		}
		for _, t := range s.queueLocked() {
			// A ticket another claim waits on the store for is left to it.
			if !s.canTake(&acc.Agent, t) || len(s.claiming[t.ID]) > 0 {
				continue
			}
			return s.takeLocked(agent, t)
		}
		return nil, false, fmt.Errorf("agent %s: %w", agent, ErrEmptyQueue)
	}()
	if err != nil {
		return nil, fmt.Errorf("next ticket: %w", err)
	}
	if err := s.claimed(ctx, c, pending); err != nil {
		if errors.Is(err, errStale) {
			err = fmt.Errorf("ticket %d: %w", c.ID, ErrTaken)
		}
		return nil, fmt.Errorf("next ticket: %w", err)
	}
	s.log.InfoContext(ctx, "ticket assigned", "ticket", c.ID, "agent", agent)
	return c, s.commit(ctx, c, UpdateQueue)
}

// mayTakeLocked says why agent may not take ticket t, if they may not:
// it is not queued, they lack its skill or a free place. s.mu is held.
func (s *queue) mayTakeLocked(agent string, t *Ticket) error {
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
	return nil
}

// assignLocked makes agent the owner of t, which mayTakeLocked allowed:
// the ticket in memory, or the copy claimed puts in its place once stored.
// s.mu is held.
func (s *queue) assignLocked(agent string, t *Ticket) {
	now := s.clock.Now()
	if t.Claimed.IsZero() {
		t.Claimed = now
	}
	t.Status, t.Owner, t.Assigned = StatusAssigned, agent, now
	t.Invited = slices.DeleteFunc(t.Invited, func(x string) bool { return x == agent })
}

// takenLocked counts c, the claimed copy of queued ticket was, as taken:
// its first claim in the statistics, and no news owed to its customer
// any more. s.mu is held.
func (s *queue) takenLocked(was, c *Ticket) {
	if was.Claimed.IsZero() {
		s.stats.picked(c.Claimed.Sub(c.Created))
	}
	delete(s.asked, c.ID)
}

// open returns a copy of ticket id when it is open, and otherwise an
// error wrapping ErrClosed or ErrNotFound.
func (s *queue) open(ctx context.Context, id int64) (*Ticket, error) {
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
func (s *queue) held(ctx context.Context, agent string, id int64) (*Ticket, error) {
	t, err := s.open(ctx, id)
	if err != nil {
		return nil, err
	}
	if !t.Involves(agent) {
		return nil, fmt.Errorf("ticket %d, agent %s: %w", id, agent, ErrForbidden)
	}
	return t, nil
}

// Escalate opens a ticket for a conversation the bot handed off; it
// implements bot.Escalator. The ticket is stored before Escalate returns;
// the customer hears their position and wait from Run, woken at once.
// When the write fails, the next Check round opens the ticket (given
// WithHandoffs).
func (s *queue) Escalate(ctx context.Context, h bot.HandoffRecord) error {
	s.escMu.Lock()
	defer s.escMu.Unlock()
	return s.escalateLocked(ctx, h)
}

// escalateLocked is Escalate with s.escMu held.
func (s *queue) escalateLocked(ctx context.Context, h bot.HandoffRecord) error {
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
			t.Latest = latestIn(tr)
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
	line := 0
	for _, o := range s.tickets {
		if o.Status == StatusQueued && competes(o, t) {
			line++
		}
	}
	s.stats.joined(line)
	c := t.clone()
	s.mu.Unlock()
	s.log.InfoContext(ctx, "ticket opened", "ticket", t.ID, "addr", t.Address.String(), "reason", t.Reason, "skill", t.Skill, "priority", t.Priority)
	s.publish(Update{Kind: UpdateQueue, Ticket: c}, c)
	s.poke()
	return nil
}

// Recover opens tickets for handed-off conversations that have none: the
// handoffs a crash caught between the engine's commit and Escalate, or
// whose ticket write failed. recs are the latest handoffs of the
// conversations a person holds (the bot store knows them); it returns how
// many tickets it opened. A conversation that has gone back to the bot
// since recs were read is left alone.
func (s *queue) Recover(ctx context.Context, recs []bot.HandoffRecord) (int, error) {
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
func (s *queue) recoverOne(ctx context.Context, h bot.HandoffRecord) (bool, error) {
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
func (s *queue) recoverMissed(ctx context.Context) error {
	if s.handoffs == nil {
		return nil
	}
	recs, err := s.handoffs.HandedOff(ctx)
	if err != nil {
		return fmt.Errorf("handed-off conversations: %w", err)
	}
	if s.shared != nil {
		recs = s.missedTwice(recs)
	}
	_, err = s.Recover(ctx, recs)
	return err
}

// missedTwice keeps, of recs, the handoffs that had no open ticket in the
// previous round either. On a store shared with other instances, a
// handoff without a ticket may be one another instance is opening: its
// turn is stored a moment before its ticket, and Escalate's lock orders
// only this instance's openings. A round later (the open tickets read
// again from the store meanwhile) the ticket is there, or really missing.
func (s *queue) missedTwice(recs []bot.HandoffRecord) []bot.HandoffRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev, now := s.missed, make(map[bot.Address]time.Time, len(recs))
	var out []bot.HandoffRecord
	for _, h := range recs {
		if s.byAddr[h.Address] != nil {
			continue
		}
		now[h.Address] = h.At
		if at, ok := prev[h.Address]; ok && at.Equal(h.At) {
			out = append(out, h)
		}
	}
	s.missed = now
	return out
}

// Notify hears the engine's events; it implements bot.Listener. It
// relays the messages of handed-off conversations to the agents'
// subscriptions and closes a ticket whose conversation went back to the
// bot or ended without a desk action. It never blocks on I/O.
func (s *queue) Notify(_ context.Context, ev bot.Event) {
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
				t.Latest = latestOf(ev.Entry.Text)
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

// reconcile closes open tickets whose conversation is no longer with a
// person: the server stopped between the conversation's release and the
// ticket's write.
func (s *queue) reconcile(ctx context.Context, eng Engine) error {
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

// requeueOrphans gives the tickets of agents who no longer exist back to
// the queue (for the skill they had) and takes such agents off the
// tickets they were invited to.
func (s *queue) requeueOrphans(ctx context.Context) error {
	now := s.clock.Now()
	s.mu.Lock()
	var moved []*Ticket
	for _, t := range s.tickets {
		_, owned := s.agents[t.Owner]
		orphan := t.Owner != "" && !owned
		invited := slices.DeleteFunc(slices.Clone(t.Invited), func(x string) bool { _, ok := s.agents[x]; return !ok })
		if !orphan && len(invited) == len(t.Invited) {
			continue
		}
		t.Invited = invited
		if orphan {
			if t.Status == StatusAssigned && !t.Assigned.IsZero() {
				s.stats.handled(now.Sub(t.Assigned))
			}
			t.Transfers = append(t.Transfers, Transfer{From: t.Owner, ToSkill: t.Skill, Note: "agent removed", At: now})
			t.Status, t.Owner, t.Assigned, t.Invited = StatusQueued, "", time.Time{}, nil
			t.Waiting.Told, t.Waiting.Estimate = time.Time{}, 0
		}
		t.Version++
		moved = append(moved, t.clone())
	}
	s.mu.Unlock()
	var errs []error
	for _, c := range moved {
		s.log.InfoContext(ctx, "ticket back in the queue: its agent was removed", "ticket", c.ID)
		errs = append(errs, s.commit(ctx, c, UpdateQueue))
	}
	if len(moved) > 0 {
		s.poke()
	}
	return errors.Join(errs...)
}

// RecentTickets returns up to limit closed tickets from the store, the
// latest closed first (for dashboards).
func (s *queue) RecentTickets(ctx context.Context, limit int) ([]*Ticket, error) {
	if limit < 1 {
		return nil, nil
	}
	ts, err := s.store.RecentTickets(ctx, limit)
	if err != nil {
		return nil, fmt.Errorf("recent tickets: %w", err)
	}
	return ts, nil
}

// queue keeps the open tickets: it opens them for handoffs, routes them
// to agents by skill and capacity, and carries out the agents' actions.
type queue struct {
	*core
	handoffs Handoffs // nil: Check opens no missed tickets

	// escMu orders the openings of tickets (Escalate and Recover), so that
	// one conversation never gets two.
	escMu sync.Mutex

	// missed holds, on a shared store, the handoffs the last Check round
	// found without a ticket, by conversation, with the handoff's time
	// (missedTwice). s.mu guards it.
	missed map[bot.Address]time.Time
}

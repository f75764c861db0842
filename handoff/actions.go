package handoff

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/flows"
)

// maxNote caps an internal note, in bytes.
const maxNote = 8 << 10

// Reply sends agent's message to the customer of ticket id, on the
// customer's own channel. The first reply records the ticket's first
// response time.
func (s *queue) Reply(ctx context.Context, agent string, id int64, text string) error {
	eng, err := s.engine()
	if err != nil {
		return err
	}
	if strings.TrimSpace(text) == "" {
		return fmt.Errorf("reply to ticket %d: empty text: %w", id, ErrInvalid)
	}
	t, err := s.held(ctx, agent, id)
	if err != nil {
		return fmt.Errorf("reply: %w", err)
	}
	if err := eng.Post(ctx, t.Address, Author(agent), text); err != nil {
		return fmt.Errorf("reply to ticket %d: %w", id, unsaved(ctx, err))
	}
	if !t.FirstResponse.IsZero() {
		return nil
	}
	c, err := s.change(id, func(t *Ticket) error {
		if !t.FirstResponse.IsZero() {
			return errUnchanged
		}
		t.FirstResponse = s.clock.Now()
		return nil
	})
	if err != nil {
		return nil // closed meanwhile, or another reply came first
	}
	if d, _ := c.ResponseTime(); d > c.Target {
		s.log.WarnContext(ctx, "first response over target", "ticket", id, "took", d, "target", c.Target)
	}
	return s.commit(ctx, c, UpdateTicket)
}

// errUnchanged stops a change that has nothing to do.
var errUnchanged = fmt.Errorf("unchanged")

// Note adds an internal note to ticket id: the agents see it, the
// customer never does.
func (s *queue) Note(ctx context.Context, agent string, id int64, text string) (Note, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return Note{}, fmt.Errorf("note on ticket %d: empty text: %w", id, ErrInvalid)
	}
	if len(text) > maxNote {
		text = strings.ToValidUTF8(text[:maxNote], "")
	}
	if _, err := s.held(ctx, agent, id); err != nil {
		return Note{}, fmt.Errorf("note: %w", err)
	}
	n := Note{Author: agent, Text: text, At: s.clock.Now()}
	c, err := s.change(id, func(t *Ticket) error {
		if !t.Involves(agent) {
			return ErrForbidden
		}
		t.Notes = append(t.Notes, n)
		return nil
	})
	if err != nil {
		return Note{}, fmt.Errorf("note on ticket %d: %w", id, err)
	}
	s.publish(Update{Kind: UpdateNote, TicketID: id, Note: &n}, c)
	return n, s.commit(ctx, c, UpdateTicket)
}

// Invite lets colleague join ticket id's conversation beside its owner:
// both can reply and note, and nobody is transferred.
func (s *queue) Invite(ctx context.Context, agent string, id int64, colleague string) (*Ticket, error) {
	if _, err := s.held(ctx, agent, id); err != nil {
		return nil, fmt.Errorf("invite: %w", err)
	}
	c, err := s.change(id, func(t *Ticket) error {
		acc, ok := s.agents[colleague]
		switch {
		case !t.Involves(agent):
			return ErrForbidden
		case !ok:
			return fmt.Errorf("agent %s: %w", colleague, ErrNotFound)
		case acc.Presence == PresenceOffline:
			return fmt.Errorf("agent %s: %w", colleague, ErrUnavailable)
		case t.Involves(colleague):
			return errUnchanged
		}
		t.Invited = append(t.Invited, colleague)
		return nil
	})
	if err == errUnchanged {
		return s.open(ctx, id)
	}
	if err != nil {
		return nil, fmt.Errorf("invite to ticket %d: %w", id, err)
	}
	return c, s.commit(ctx, c, UpdateTicket)
}

// Leave takes an invited agent off ticket id.
func (s *queue) Leave(ctx context.Context, agent string, id int64) error {
	c, err := s.change(id, func(t *Ticket) error {
		if !slices.Contains(t.Invited, agent) {
			return ErrForbidden
		}
		t.Invited = slices.DeleteFunc(t.Invited, func(x string) bool { return x == agent })
		return nil
	})
	if err != nil {
		return fmt.Errorf("leave ticket %d: %w", id, err)
	}
	return s.commit(ctx, c, UpdateTicket, agent)
}

// Target is where a transfer goes: to an agent, or back to the queue for
// a skill ("" for any agent).
type Target struct {
	Agent string `json:"agent,omitempty"`
	Skill string `json:"skill,omitempty"`
}

// Transfer moves ticket id to another agent or back to the queue, with
// everything attached (notes, transfers, summary, transcript). A transfer
// to an agent needs them online or away and with a free place; a transfer
// to a skill queues the ticket again and the customer is told their new
// position. note, when not empty, is kept with the transfer.
func (s *queue) Transfer(ctx context.Context, agent string, id int64, to Target, note string) (*Ticket, error) {
	if to.Agent == "" {
		if sk, err := cleanSkills([]string{to.Skill}); err != nil {
			return nil, fmt.Errorf("transfer ticket %d: %w", id, err)
		} else if len(sk) == 1 {
			to.Skill = sk[0]
		}
	}
	if _, err := s.held(ctx, agent, id); err != nil {
		return nil, fmt.Errorf("transfer: %w", err)
	}
	var from string
	c, err := s.change(id, func(t *Ticket) error {
		if !t.Involves(agent) {
			return ErrForbidden
		}
		from = t.Owner
		now := s.clock.Now()
		tr := Transfer{From: agent, ToAgent: to.Agent, ToSkill: to.Skill, Note: strings.TrimSpace(note), At: now}
		if to.Agent != "" {
			acc, ok := s.agents[to.Agent]
			switch {
			case !ok:
				return fmt.Errorf("agent %s: %w", to.Agent, ErrNotFound)
			case to.Agent == t.Owner:
				return fmt.Errorf("agent %s holds it already: %w", to.Agent, ErrInvalid)
			case acc.Presence == PresenceOffline:
				return fmt.Errorf("agent %s: %w", to.Agent, ErrUnavailable)
			case s.active(to.Agent) >= acc.Capacity:
				return fmt.Errorf("agent %s: %w", to.Agent, ErrNoCapacity)
			}
			if !t.Assigned.IsZero() {
				s.stats.handled(now.Sub(t.Assigned))
			}
			t.Status, t.Owner, t.Assigned = StatusAssigned, to.Agent, now
			t.Invited = slices.DeleteFunc(t.Invited, func(x string) bool { return x == to.Agent })
		} else {
			if t.Status == StatusAssigned && !t.Assigned.IsZero() {
				s.stats.handled(now.Sub(t.Assigned))
			}
			t.Status, t.Owner, t.Assigned, t.Invited, t.Skill = StatusQueued, "", time.Time{}, nil, to.Skill
			// The customer hears their new place in the queue.
			t.Waiting.Told, t.Waiting.Estimate = time.Time{}, 0
		}
		t.Transfers = append(t.Transfers, tr)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("transfer ticket %d: %w", id, err)
	}
	s.log.InfoContext(ctx, "ticket transferred", "ticket", id, "from", agent, "to_agent", to.Agent, "to_skill", to.Skill)
	if to.Agent == "" {
		s.poke()
	}
	return c, s.commit(ctx, c, UpdateQueue, from, agent)
}

// Stage is a place in a flow where a person can give the conversation
// back to the bot.
type Stage struct {
	// Flow and State name the place; State "" asks the customer what else
	// the bot can do.
	Flow  string     `json:"flow,omitempty"`
	State string     `json:"state,omitempty"`
	Kind  flows.Kind `json:"kind,omitempty"`
	// Say is what the bot says there, in the ticket's language, shortened.
	Say string `json:"say"`
}

// maxSay is how much of a stage's text Stages shows.
const maxSay = 120

// Release gives ticket id's conversation back to the bot at state of flow
// (flow "" is the ticket's flow; state "" asks what else the bot can do),
// one of Stages; the bot speaks again from there and the ticket closes.
func (s *queue) Release(ctx context.Context, agent string, id int64, flow, state string) error {
	eng, err := s.engine()
	if err != nil {
		return err
	}
	t, err := s.held(ctx, agent, id)
	if err != nil {
		return fmt.Errorf("release: %w", err)
	}
	if flow == "" {
		flow = t.Flow
	}
	if state != "" && (flow != t.Flow || !slices.Contains(stageNames(eng.Flows().Flows[flow]), state)) {
		return fmt.Errorf("release ticket %d to %s/%s: %w", id, flow, state, ErrUnknownStage)
	}
	return s.finish(ctx, id, OutcomeReleased, func() error { return eng.Release(ctx, t.Address, flow, state) })
}

// Close ends ticket id's conversation: the customer is asked for an
// optional rating (at most two questions) when the flows have the texts.
func (s *queue) Close(ctx context.Context, agent string, id int64) error {
	eng, err := s.engine()
	if err != nil {
		return err
	}
	t, err := s.held(ctx, agent, id)
	if err != nil {
		return fmt.Errorf("close: %w", err)
	}
	return s.finish(ctx, id, OutcomeClosed, func() error { return eng.Finish(ctx, t.Address, true) })
}

// finish runs the engine call that ends the person's part of ticket id's
// conversation and closes the ticket with outcome. Notify leaves the
// ticket to it meanwhile.
func (s *queue) finish(ctx context.Context, id int64, outcome string, call func() error) error {
	s.mu.Lock()
	if s.tickets[id] == nil || s.closing[id] {
		s.mu.Unlock()
		return fmt.Errorf("ticket %d: %w", id, ErrClosed)
	}
	s.closing[id] = true
	s.mu.Unlock()
	err := s.closedElsewhere(ctx, id)
	if err == nil {
		if err = call(); errors.Is(err, bot.ErrNotWithHuman) {
			// Perhaps closed elsewhere meanwhile: say so if it was.
			err = cmp.Or(s.closedElsewhere(ctx, id), err)
		}
	}
	if err != nil {
		s.mu.Lock()
		delete(s.closing, id)
		s.mu.Unlock()
		return fmt.Errorf("%s ticket %d: %w", strings.TrimSuffix(outcome, "d"), id, err)
	}
	var endSeq int64
	if eng, err := s.engine(); err == nil {
		if snap, err := eng.Conversation(ctx, s.addressOf(id)); err == nil {
			endSeq = snap.Seq
		}
	}
	var c *Ticket
	var involved []string
	s.mu.Lock()
	if t := s.tickets[id]; t != nil {
		involved = append([]string{t.Owner}, t.Invited...)
		s.closeLocked(t, outcome, endSeq)
		c = t.clone()
	}
	s.mu.Unlock()
	if c == nil {
		return fmt.Errorf("ticket %d: %w", id, ErrClosed)
	}
	s.log.InfoContext(ctx, "ticket closed", "ticket", id, "outcome", outcome)
	return s.commit(ctx, c, UpdateTicket, involved...)
}

// closedElsewhere fails with ErrClosed when the store says ticket id,
// open in memory, is closed: another instance sharing the store (or
// another process) closed it, and this one was not told yet. The ticket
// then leaves memory. A store that cannot say is no reason to refuse.
func (s *queue) closedElsewhere(ctx context.Context, id int64) error {
	stored, err := s.store.Ticket(ctx, id)
	if err != nil || stored.Status != StatusClosed {
		return nil
	}
	s.mu.Lock()
	s.replaceLocked(stored)
	s.mu.Unlock()
	s.publish(Update{Kind: UpdateTicket, Ticket: stored.clone()}, stored)
	return fmt.Errorf("ticket %d was closed already (%s, elsewhere): %w", id, stored.Outcome, ErrClosed)
}

// unsaved marks err, from an engine action, with ErrUnsaved when it is a
// write the store failed rather than a refusal the engine made.
func unsaved(ctx context.Context, err error) error {
	for _, refused := range []error{bot.ErrNotWithHuman, bot.ErrEmptyText, bot.ErrClosed, bot.ErrStageNeedsChoice, bot.ErrUnknownState} {
		if errors.Is(err, refused) {
			return err
		}
	}
	if ctx.Err() != nil {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnsaved, err)
}

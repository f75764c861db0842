package handoff

import (
	"context"
	"errors"
	"fmt"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/flows"
	"github.com/calmbot/calmbot/handoff/assist"
)

// Hints checks an agent's draft reply to ticket id against the
// de-escalation rules (assist.Check) in the ticket's language, knowing
// what the bot and the agents already said and which options the flow
// offers. Every agent surface calls it: the rules have one definition.
func (s *Service) Hints(ctx context.Context, id int64, draft string) ([]assist.Hint, error) {
	t, sum, tr, f, err := s.assistView(ctx, id)
	if err != nil {
		return nil, err
	}
	c := assist.Context{Lang: t.Lang}
	if f != nil {
		c.Lang = f.Language(t.Lang)
	}
	for _, e := range tr {
		if e.Direction == bot.Outbound {
			c.Earlier = append(c.Earlier, e.Text)
		}
	}
	if sum.Chosen == nil {
		c.Options = len(sum.Offered)
		if fl := flowOf(f, t.Flow); c.Options == 0 && fl != nil {
			for _, st := range fl.States {
				if st != nil && st.Kind == flows.KindChoices {
					c.Options = max(c.Options, len(st.Choices))
				}
			}
		}
	}
	return assist.Check(draft, c), nil
}

// NextSteps suggests the flow's texts for the stages ticket id's
// conversation has still ahead (assist.NextSteps), in the customer's
// language and in agentLang.
func (s *Service) NextSteps(ctx context.Context, id int64, agentLang string) ([]assist.Step, error) {
	t, sum, _, f, err := s.assistView(ctx, id)
	if err != nil {
		return nil, err
	}
	p := assist.Progress{Flow: t.Flow, State: t.State, Lang: t.Lang, AgentLang: agentLang, Channel: t.Address.Channel}
	if sum.Chosen != nil {
		p.Chosen = sum.Chosen.ID
	}
	return assist.NextSteps(f, p), nil
}

// assistView reads what the assist needs of ticket id: the ticket, its
// summary, its conversation's transcript and the flows.
func (s *Service) assistView(ctx context.Context, id int64) (*Ticket, Summary, []bot.Entry, *flows.File, error) {
	eng, err := s.engine()
	if err != nil {
		return nil, Summary{}, nil, nil, err
	}
	t, err := s.Ticket(ctx, id)
	if err != nil {
		return nil, Summary{}, nil, nil, err
	}
	tr, err := eng.Transcript(ctx, t.Address)
	if err != nil {
		return nil, Summary{}, nil, nil, fmt.Errorf("transcript of ticket %d: %w", id, err)
	}
	snap, err := eng.Conversation(ctx, t.Address)
	if err != nil && !errors.Is(err, bot.ErrNotFound) {
		return nil, Summary{}, nil, nil, fmt.Errorf("conversation of ticket %d: %w", id, err)
	}
	f := eng.Flows()
	tr = conversationOf(tr, t, f)
	return t, summarize(t, tr, snap, f, s.clock.Now()), tr, f, nil
}

func flowOf(f *flows.File, name string) *flows.Flow {
	if f == nil {
		return nil
	}
	return f.Flows[name]
}

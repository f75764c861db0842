package handoff

import (
	"context"
	"errors"
	"fmt"
	"time"

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

// Scorer scores a customer's message: sentiment -1..1 and its label
// (*sentiment.Scorer). The bot does not read the messages a customer writes
// to people, so Review scores them with it.
type Scorer interface {
	Score(text, lang string) (float64, string)
}

// WithScorer makes Review score the customer's messages written after the
// handoff with s; without it, Review knows no sentiment after the handoff.
func WithScorer(s Scorer) Option { return func(svc *Service) { svc.scorer = s } }

// Review is a short account of the people's part of a ticket's
// conversation, for the team after it (or while it runs).
type Review struct {
	Ticket int64 `json:"ticket"`
	// Replies counts the people's replies to the customer; Stages are the
	// stages of a de-escalating reply they covered, in stage order.
	Replies int          `json:"replies"`
	Stages  []flows.Kind `json:"stages"`
	// Missing are the stages none of them covered.
	Missing []flows.Kind `json:"missing"`
	// Ignored counts, per rule, the hints the replies were sent with.
	Ignored map[assist.Rule]int `json:"ignored"`
	// FirstResponse is how long the customer waited for the first reply
	// (0 with Responded false), against Target.
	Responded     bool          `json:"responded"`
	FirstResponse time.Duration `json:"first_response"`
	Target        time.Duration `json:"target"`
	OnTarget      bool          `json:"on_target"`
	// AtHandoff and AtEnd are the customer's sentiment (-1..1) at the
	// handoff and in their last message after it, when read.
	AtHandoff *float64 `json:"at_handoff,omitempty"`
	AtEnd     *float64 `json:"at_end,omitempty"`
}

// Followed reports whether the people replied and sent every reply with
// no assist hint left on it.
func (r Review) Followed() bool {
	if r.Replies == 0 {
		return false
	}
	for _, n := range r.Ignored {
		if n > 0 {
			return false
		}
	}
	return true
}

// Review reviews ticket id's conversation from the handoff on: the
// stages the people's replies covered, the hints they were sent with (the
// assist's rules, applied to each reply as it was sent), the first
// response against the target and the customer's sentiment from the
// handoff to the end.
func (s *Service) Review(ctx context.Context, id int64) (Review, error) {
	t, sum, tr, f, err := s.assistView(ctx, id)
	if err != nil {
		return Review{}, err
	}
	r := Review{Ticket: t.ID, Ignored: map[assist.Rule]int{}, Target: t.Target, Responded: !t.FirstResponse.IsZero()}
	if r.Responded {
		r.FirstResponse = t.FirstResponse.Sub(t.Created)
		r.OnTarget = r.FirstResponse <= t.Target
	}
	p := assist.Progress{Flow: t.Flow, Lang: t.Lang, Channel: t.Address.Channel}
	if sum.Chosen != nil {
		p.Chosen = sum.Chosen.ID
	}
	c := assist.Context{Lang: t.Lang, Options: 0}
	if f != nil {
		c.Lang = f.Language(t.Lang)
	}
	if sum.Chosen == nil {
		c.Options = len(sum.Offered)
	}
	covered := map[flows.Kind]bool{}
	for _, e := range tr {
		switch {
		case e.Direction == bot.Inbound && (t.Seq == 0 || e.Seq <= t.Seq):
			if e.Analysis != nil {
				v := e.Analysis.Sentiment
				r.AtHandoff = &v
			}
		case e.Direction == bot.Inbound:
			if e.Analysis != nil {
				v := e.Analysis.Sentiment
				r.AtEnd = &v
			} else if s.scorer != nil {
				v, _ := s.scorer.Score(e.Text, c.Lang)
				r.AtEnd = &v
			}
		case e.Direction == bot.Outbound && e.Author != "" && (t.Seq == 0 || e.Seq > t.Seq):
			r.Replies++
			for _, h := range assist.Check(e.Text, c) {
				r.Ignored[h.Rule]++
			}
			for _, k := range assist.Covered(f, p, e.Text) {
				covered[k] = true
			}
		}
		if e.Direction == bot.Outbound {
			c.Earlier = append(c.Earlier, e.Text)
		}
	}
	for _, k := range flows.Stages {
		if covered[k] {
			r.Stages = append(r.Stages, k)
		} else {
			r.Missing = append(r.Missing, k)
		}
	}
	return r, nil
}

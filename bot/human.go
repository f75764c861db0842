package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/calmbot/calmbot/flows"
)

// Errors of the actions people take on conversations.
var (
	// ErrNotWithHuman is returned when an action needs a conversation that
	// a person holds (after a handoff) and the bot holds it.
	ErrNotWithHuman = errors.New("the conversation is not with a person")
	// ErrEmptyText is returned for a message with nothing to say: by
	// Handle for a customer's text with nothing visible, by Post for a
	// person's.
	ErrEmptyText = errors.New("empty message")
	// ErrUnknownState is returned by Release for a flow or state that does not exist.
	ErrUnknownState = errors.New("unknown flow or state")
	// ErrStageNeedsChoice is returned by Release for a state whose text
	// speaks of the chosen option ({solution}, {time_frame}, ...) when the
	// customer chose none in that flow (or chose one without an agreement).
	ErrStageNeedsChoice = errors.New("the stage speaks of the chosen option, and the customer has not chosen one")
)

// maxCommentBytes caps a rating comment.
const maxCommentBytes = 2000

// act runs f on the conversation's worker, in order with its messages,
// and returns f's error.
func (e *Engine) act(ctx context.Context, addr Address, f func(ctx context.Context, c *conv) error) error {
	if addr.Channel == "" || addr.Conversation == "" {
		return ErrBadAddress
	}
	p := &pending{act: f, done: make(chan error, 1)}
	if err := e.enqueue(addr, p); err != nil {
		return err
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// action starts a session for a person's action on the conversation.
func (e *Engine) action(c *conv) *session {
	s := e.session(c, c.snap.clone(), e.clock.Now())
	s.action = true
	return s
}

// known fails for a conversation that has never had a message.
func known(c *conv) error {
	if c.snap.Seq == 0 {
		return fmt.Errorf("conversation %s: %w", c.addr, ErrNotFound)
	}
	return nil
}

// Transcript returns a conversation's messages, both directions, in order.
func (e *Engine) Transcript(ctx context.Context, addr Address) ([]Entry, error) {
	return e.store.Transcript(ctx, addr)
}

// Post sends a person's message to the customer, on the customer's own
// channel: it is stored in the transcript with author as its author, then
// delivered through the outbox like the bot's replies.
func (e *Engine) Post(ctx context.Context, addr Address, author, text string) error {
	text = strings.TrimSpace(cleanText(text))
	if text == "" {
		return ErrEmptyText
	}
	return e.act(ctx, addr, func(ctx context.Context, c *conv) error {
		if err := known(c); err != nil {
			return err
		}
		s := e.action(c)
		s.author = author
		s.reply(text, nil)
		return e.commit(ctx, c, s, &Turn{Address: c.addr})
	})
}

// Tell sends the customer one of the flows' texts as the bot, in the
// conversation's language and channel variant, with vars filling its
// placeholders ({position}, {wait}, {opens}, ...).
func (e *Engine) Tell(ctx context.Context, addr Address, t func(*flows.Texts) flows.Text, vars map[string]string) error {
	return e.act(ctx, addr, func(ctx context.Context, c *conv) error {
		if err := known(c); err != nil {
			return err
		}
		s := e.action(c)
		text := t(&s.file().Texts)
		if len(text) == 0 {
			return nil
		}
		r := s.renderer()
		r.vars = vars
		out := r.render(text)
		if len(r.missing) > 0 {
			return fmt.Errorf("tell %s: no value for {%s}", c.addr, strings.Join(r.missing, "}, {"))
		}
		s.reply(out, nil)
		return e.commit(ctx, c, s, &Turn{Address: c.addr})
	})
}

// Release gives a conversation a person holds back to the bot at state of
// flow (flow "" means the conversation's flow). The bot enters the state and
// says what it says, so a person can hand back at "agree and repeat" or at
// the close. With state "" the bot asks what else it can do.
//
// A state whose text cannot be filled for this conversation is refused
// (ErrStageNeedsChoice for the agreement when no option was chosen):
// the customer never reads a raw template.
func (e *Engine) Release(ctx context.Context, addr Address, flow, state string) error {
	return e.act(ctx, addr, func(ctx context.Context, c *conv) error {
		s, err := e.release(ctx, c, flow, state)
		if err != nil {
			return err
		}
		return e.commit(ctx, c, s, &Turn{Address: c.addr})
	})
}

// ReleaseText returns what the bot would say on Release(ctx, addr, flow,
// state) now, or the error Release would return, and changes nothing: the
// desk labels the stages it offers with it.
func (e *Engine) ReleaseText(ctx context.Context, addr Address, flow, state string) (string, error) {
	out := make(chan string, 1)
	err := e.act(ctx, addr, func(ctx context.Context, c *conv) error {
		s, err := e.release(ctx, c, flow, state)
		if err != nil {
			return err
		}
		texts := make([]string, len(s.replies))
		for i, r := range s.replies {
			texts[i] = r.Text
		}
		out <- strings.Join(texts, "\n")
		return nil
	})
	if err != nil {
		return "", err
	}
	return <-out, nil
}

// release runs a Release in a session without committing it.
func (e *Engine) release(ctx context.Context, c *conv, flow, state string) (*session, error) {
	if c.snap.Status != StatusHuman {
		return nil, ErrNotWithHuman
	}
	if flow == "" {
		flow = c.snap.Flow
	}
	if state != "" && c.prog.state(flow, state) == nil {
		return nil, fmt.Errorf("release to %s/%s: %w", flow, state, ErrUnknownState)
	}
	s := e.action(c)
	snap := s.snap
	snap.Status, snap.Handoff = StatusBot, nil
	snap.Attempts, snap.Unclear = 0, 0
	if state == "" {
		s.enter(ctx, flows.TargetRestart)
	} else {
		snap.Flow, snap.State = flow, state
		s.leaving = nil
		s.enter(ctx, state)
	}
	if len(s.unfilled) > 0 {
		for _, name := range s.unfilled {
			if !slices.Contains(choicePlaceholders, name) {
				return nil, fmt.Errorf("release to %s/%s: its text leaves {%s} unfilled", flow, state, name)
			}
		}
		return nil, fmt.Errorf("release to %s/%s: %w", flow, state, ErrStageNeedsChoice)
	}
	return s, nil
}

// Finish ends a conversation a person holds. With rate, and when the flows
// have texts.rating, the customer is first asked for an optional rating
// (a score, then, with texts.rating_comment, what could be better: at most
// two questions); otherwise the bot says the farewell.
func (e *Engine) Finish(ctx context.Context, addr Address, rate bool) error {
	return e.act(ctx, addr, func(ctx context.Context, c *conv) error {
		if c.snap.Status != StatusHuman {
			return ErrNotWithHuman
		}
		s := e.action(c)
		s.snap.Handoff = nil
		if !rate || !s.askRating() {
			s.say(s.file().Texts.Farewell, nil)
			s.snap.Status = StatusEnded
		}
		return e.commit(ctx, c, s, &Turn{Address: c.addr})
	})
}

// ratingChoices are the answers to the rating question, offered as buttons.
var ratingChoices = []Choice{{ID: "1", Label: "1"}, {ID: "2", Label: "2"}, {ID: "3", Label: "3"}, {ID: "4", Label: "4"}, {ID: "5", Label: "5"}}

// askRating asks the customer to rate the help, with the scores as
// choices, unless the flows have no texts.rating or it was asked in this
// conversation already. It reports whether it asked.
func (s *session) askRating() bool {
	texts := s.file().Texts
	if len(texts.Rating) == 0 || s.snap.RatingOffered {
		return false
	}
	r := s.renderer()
	s.reply(s.guard(r, r.render(texts.Rating)), slices.Clone(ratingChoices))
	s.snap.Status, s.snap.RatingStep, s.snap.RatingOffered = StatusRating, 1, true
	return true
}

// rate reads the customer's answer to a rating question. It returns false
// when the text is no rating: the conversation then starts over with it.
func (s *session) rate(text string) bool {
	texts := s.file().Texts
	switch s.snap.RatingStep {
	case 1:
		score := parseScore(text)
		if score == 0 {
			s.snap.RatingStep = 0
			return false
		}
		s.snap.Score, s.snap.RatedAt = score, s.now
		s.rating = &Rating{Address: s.snap.Address, Score: score, At: s.now}
		if len(texts.RatingComment) > 0 {
			s.say(texts.RatingComment, nil)
			s.snap.RatingStep = 2
			return true
		}
	case 2:
		comment := strings.TrimSpace(text)
		if len(comment) > maxCommentBytes {
			comment = strings.ToValidUTF8(comment[:maxCommentBytes], "")
		}
		s.rating = &Rating{Address: s.snap.Address, Score: s.snap.Score, Comment: comment, At: s.snap.RatedAt}
	default:
		return false
	}
	s.say(texts.RatingThanks, nil)
	s.snap.Status, s.snap.RatingStep = StatusEnded, 0
	return true
}

// parseScore reads a score from 1 to 5: a digit ("4", "4/5", "5 stars")
// or a row of stars. It returns 0 when the text holds no score.
func parseScore(text string) int {
	stars := strings.Count(text, "★") + strings.Count(text, "⭐")
	if stars >= 1 && stars <= 5 {
		return stars
	}
	fields := strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(fields) == 0 || len(fields) > 4 {
		return 0
	}
	for _, f := range fields {
		if utf8.RuneCountInString(f) == 1 && f[0] >= '1' && f[0] <= '5' {
			return int(f[0] - '0')
		}
	}
	return 0
}

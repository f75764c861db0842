package handoff

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/handoff/assist"
)

// The agent API: what every agent surface (the web desk, the agent side of
// Telegram, Slack or Discord) uses, whatever its transport.
//
//   - Actions are values: a surface turns a button tap or a typed command
//     into an Action (ParseCommand reads the typed ones) and calls Act.
//   - Queries: Queue (what an agent may take), Mine, Tickets, Brief (one
//     ticket with its summary, transcript and release stages), Estimate,
//     RecentTickets, Agents.
//   - Events: Subscribe(agent) for one agent's view, SubscribeAll for a
//     surface that shows every ticket.
//   - Errors: ErrTaken, ErrForbidden, ErrClosed, ErrNotFound, ErrNoCapacity,
//     ErrUnavailable, ErrEmptyQueue, ErrUnknownStage, ErrInvalid, which a
//     surface maps to its own answers (an HTTP status, a tap's answer).
//
// A platform surface finds the agent behind a platform user with AgentFor
// (or Provision, for a user it verified may be an agent).

// ActionKind names what an Action does.
type ActionKind string

// Action kinds.
const (
	// ActClaim takes queued Ticket.
	ActClaim ActionKind = "claim"
	// ActNext takes the best queued ticket the agent can (no Ticket).
	ActNext ActionKind = "next"
	// ActReply sends Text to Ticket's customer on their own channel.
	ActReply ActionKind = "reply"
	// ActNote adds Text to Ticket as an internal note.
	ActNote ActionKind = "note"
	// ActInvite lets agent Colleague join Ticket.
	ActInvite ActionKind = "invite"
	// ActLeave takes the invited agent off Ticket.
	ActLeave ActionKind = "leave"
	// ActTransfer moves Ticket To an agent or a skill's queue, Text kept
	// as the transfer's note.
	ActTransfer ActionKind = "transfer"
	// ActRelease gives Ticket's conversation back to the bot at Flow and
	// Stage (both "": asks what else the bot can do), one of Brief's Stages.
	ActRelease ActionKind = "release"
	// ActClose ends Ticket's conversation and asks for a rating.
	ActClose ActionKind = "close"
	// ActCheck sends nothing: it returns the assist's hints on Text as a
	// reply to Ticket's customer (Result.Hints).
	ActCheck ActionKind = "check"
)

// Action is one thing an agent does to a ticket.
type Action struct {
	Kind   ActionKind `json:"kind"`
	Ticket int64      `json:"ticket,omitempty"`
	// Text is a reply's or a note's text, or a transfer's note.
	Text string `json:"text,omitempty"`
	// Colleague is whom an invitation is for.
	Colleague string `json:"colleague,omitempty"`
	// To is where a transfer goes.
	To Target `json:"to,omitzero"`
	// Flow and Stage are where a release goes.
	Flow  string `json:"flow,omitempty"`
	Stage string `json:"stage,omitempty"`
}

// Result is what an Action changed.
type Result struct {
	// Ticket is the ticket after the action (closed after a release or a
	// close); nil when it could not be read back.
	Ticket *Ticket `json:"ticket,omitempty"`
	// Note is the note ActNote added.
	Note *Note `json:"note,omitempty"`
	// Hints are the assist's hints on the text of an ActCheck, or of an
	// ActReply as it was sent (for the agent only, never the customer).
	Hints []assist.Hint `json:"hints,omitempty"`
}

// Act does a for agent: the one entry point of every surface's actions.
// Its errors wrap the package's sentinel errors (test with errors.Is).
func (s *Service) Act(ctx context.Context, agent string, a Action) (Result, error) {
	var (
		t   *Ticket
		err error
		res Result
	)
	switch a.Kind {
	case ActClaim:
		t, err = s.Claim(ctx, agent, a.Ticket)
	case ActNext:
		t, err = s.Next(ctx, agent)
	case ActReply:
		// The hints read the conversation before the reply joins it; they
		// never hold a reply back.
		hints, herr := s.Hints(ctx, a.Ticket, a.Text)
		if err = s.Reply(ctx, agent, a.Ticket, a.Text); err == nil && herr == nil {
			res.Hints = hints
		}
	case ActCheck:
		res.Hints, err = s.Hints(ctx, a.Ticket, a.Text)
	case ActNote:
		var n Note
		if n, err = s.Note(ctx, agent, a.Ticket, a.Text); err == nil {
			res.Note = &n
		}
	case ActInvite:
		t, err = s.Invite(ctx, agent, a.Ticket, strings.ToLower(strings.TrimSpace(a.Colleague)))
	case ActLeave:
		err = s.Leave(ctx, agent, a.Ticket)
	case ActTransfer:
		to := a.To
		to.Agent = strings.ToLower(strings.TrimSpace(to.Agent))
		if to.Agent != "" && to.Skill != "" {
			return Result{}, fmt.Errorf("transfer ticket %d: an agent or a skill, not both: %w", a.Ticket, ErrInvalid)
		}
		t, err = s.Transfer(ctx, agent, a.Ticket, to, a.Text)
	case ActRelease:
		err = s.Release(ctx, agent, a.Ticket, a.Flow, a.Stage)
	case ActClose:
		err = s.Close(ctx, agent, a.Ticket)
	default:
		return Result{}, fmt.Errorf("action %q: %w", a.Kind, ErrInvalid)
	}
	if t == nil && a.Ticket != 0 && err == nil {
		t, _ = s.Ticket(ctx, a.Ticket)
	}
	res.Ticket = t
	return res, err
}

// Brief is one ticket as an agent reads it.
type Brief struct {
	Ticket     *Ticket     `json:"ticket"`
	Summary    Summary     `json:"summary"`
	Transcript []bot.Entry `json:"transcript"`
	// Stages are where the ticket can be released to (open tickets only).
	Stages []Stage `json:"stages,omitempty"`
	// Estimate is the waiting customer's (queued tickets only).
	Estimate *Estimate `json:"estimate,omitempty"`
}

// Brief returns ticket id with its summary, transcript, release stages and
// estimate.
func (s *Service) Brief(ctx context.Context, id int64) (Brief, error) {
	b, err := s.summaries.brief(ctx, id)
	if err != nil {
		return Brief{}, err
	}
	if b.Ticket.Status == StatusQueued {
		if e, err := s.Estimate(id); err == nil {
			b.Estimate = &e
		}
	}
	return b, nil
}

// ParseCommand reads what an agent typed on a platform about ticket id:
// "/note text", "!text" or "note: text" is a note, "/claim", "/next", "/leave" and
// "/close" are those actions, "/check text" or "check: text" asks for the
// assist's hints on text without sending it, "/release" releases to "what else can I
// do?" and "/release state" to that stage of the ticket's flow,
// "/transfer @agent note" or "/transfer skill note" a transfer, and
// anything else is a reply to the customer. A command may carry the bot's
// name ("/close@calmbot", as Telegram sends it in groups).
func ParseCommand(id int64, text string) Action {
	trimmed := strings.TrimSpace(text)
	if rest, ok := strings.CutPrefix(trimmed, "!"); ok {
		return Action{Kind: ActNote, Ticket: id, Text: strings.TrimSpace(rest)}
	}
	if len(trimmed) >= 5 && strings.EqualFold(trimmed[:5], "note:") {
		return Action{Kind: ActNote, Ticket: id, Text: strings.TrimSpace(trimmed[5:])}
	}
	if len(trimmed) >= 6 && strings.EqualFold(trimmed[:6], "check:") {
		return Action{Kind: ActCheck, Ticket: id, Text: strings.TrimSpace(trimmed[6:])}
	}
	if !strings.HasPrefix(trimmed, "/") {
		return Action{Kind: ActReply, Ticket: id, Text: text}
	}
	word, rest, _ := strings.Cut(trimmed[1:], " ")
	word, _, _ = strings.Cut(strings.ToLower(word), "@")
	rest = strings.TrimSpace(rest)
	switch word {
	case "note":
		return Action{Kind: ActNote, Ticket: id, Text: rest}
	case "claim", "next", "leave", "close":
		a := Action{Kind: ActionKind(word), Ticket: id}
		if a.Kind == ActNext {
			a.Ticket = 0
		}
		return a
	case "release":
		return Action{Kind: ActRelease, Ticket: id, Stage: rest}
	case "check":
		return Action{Kind: ActCheck, Ticket: id, Text: rest}
	case "invite":
		return Action{Kind: ActInvite, Ticket: id, Colleague: strings.TrimPrefix(rest, "@")}
	case "transfer":
		to, note, _ := strings.Cut(rest, " ")
		a := Action{Kind: ActTransfer, Ticket: id, Text: strings.TrimSpace(note)}
		if name, ok := strings.CutPrefix(to, "@"); ok {
			a.To.Agent = name
		} else {
			a.To.Skill = to
		}
		return a
	}
	return Action{Kind: ActReply, Ticket: id, Text: text}
}

// String describes a for logs: "reply to ticket 7".
func (a Action) String() string {
	if a.Ticket == 0 {
		return string(a.Kind)
	}
	return string(a.Kind) + " ticket " + strconv.FormatInt(a.Ticket, 10)
}

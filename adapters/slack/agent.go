package slack

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/assist"
)

// Desk is what the agent side needs of the handoff service (a
// *handoff.Service): its actions, briefs, update stream and identities.
type Desk interface {
	Act(ctx context.Context, agent string, a handoff.Action) (handoff.Result, error)
	Brief(ctx context.Context, id int64) (handoff.Brief, error)
	SubscribeAll() (<-chan handoff.Update, func())
	AgentFor(ctx context.Context, platform, userID string) (handoff.Agent, error)
	Provision(ctx context.Context, id handoff.Identity) (handoff.Agent, error)
}

// WithHandoff turns the agent side on: every ticket of desk is one message
// in channel (a channel id, C...; the app must be a member) with its
// summary and the buttons Claim, Release and Close, updated as the ticket
// changes; the customer's new messages go to the message's thread, and
// what the ticket's holder writes in the thread goes to the customer on
// their own channel (handoff.ParseCommand: "note: text", "/note text" or
// "!text" is an internal note, "/close", "/release" and the like are those actions;
// "check: text" asks for the agent assist's hints on text, which come, as
// for every reply, in a message only the writer sees).
// Whoever writes or clicks in channel is one of its members, and becomes
// an agent (desk.Provision, with their Slack display name).
func WithHandoff(desk Desk, channel string) Option {
	return func(a *Adapter) { a.desk, a.handoffChannel = desk, strings.TrimSpace(channel) }
}

// Action ids of the ticket message's buttons: "ticket:<kind>", the ticket
// id as the value.
const ticketPrefix = "ticket:"

// Keys of the agent side in the adapter's bot.State.
const (
	ticketKey = "ticket/" // + ticket id: ts of its message in the handoff channel
	threadKey = "thread/" // + ts: the ticket id of the thread
)

// agents runs the agent side until ctx ends: it shows every ticket
// update in the handoff channel.
func (a *Adapter) agents(ctx context.Context) {
	updates, cancel := a.desk.SubscribeAll()
	defer cancel()
	for {
		select {
		case <-ctx.Done():
			return
		case u, ok := <-updates:
			if !ok {
				return
			}
			a.showUpdate(ctx, u)
		}
	}
}

// showUpdate posts or edits the ticket's message, or adds a customer's
// message to its thread.
func (a *Adapter) showUpdate(ctx context.Context, u handoff.Update) {
	switch u.Kind {
	case handoff.UpdateQueue, handoff.UpdateTicket:
		if u.Ticket != nil {
			a.showTicket(ctx, u.Ticket.ID)
		}
	case handoff.UpdateMessage:
		if u.Entry == nil || u.Entry.Direction != bot.Inbound || u.TicketID == 0 {
			return
		}
		ts := a.ticketTS(ctx, u.TicketID)
		if ts == "" {
			return
		}
		a.post(ctx, a.handoffChannel, ts, "*Customer:* "+escape(u.Entry.Text))
	}
}

// showTicket posts ticket id's message (and its transcript so far, in the
// thread) the first time, and edits it to the ticket's state after.
func (a *Adapter) showTicket(ctx context.Context, id int64) {
	b, err := a.desk.Brief(ctx, id)
	if err != nil || b.Ticket == nil {
		a.log.Warn("slack: ticket not shown", "ticket", id, "err", err)
		return
	}
	text, blocks := ticketMessage(b, a.now())
	if ts := a.ticketTS(ctx, id); ts != "" {
		if _, _, _, err := a.api.UpdateMessageContext(ctx, a.handoffChannel, ts, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)); err != nil && ctx.Err() == nil {
			a.log.Warn("slack: ticket message not updated", "ticket", id, "err", err)
		}
		return
	}
	if !b.Ticket.Open() {
		return
	}
	_, ts, err := a.api.PostMessageContext(ctx, a.handoffChannel, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		a.log.Warn("slack: ticket not posted to the handoff channel", "ticket", id, "channel", a.handoffChannel, "err", err)
		return
	}
	key := strconv.FormatInt(id, 10)
	if err := a.state.Set(ctx, ticketKey+key, ts); err != nil {
		a.log.Warn("slack: save ticket state", "ticket", id, "err", err)
	}
	if err := a.state.Set(ctx, threadKey+ts, key); err != nil {
		a.log.Warn("slack: save thread state", "ticket", id, "err", err)
	}
	if tr := transcript(b.Transcript); tr != "" {
		for _, part := range split(tr, MaxText) {
			a.post(ctx, a.handoffChannel, ts, escape(part))
		}
	}
}

// post posts text in channel's thread ts, best effort.
func (a *Adapter) post(ctx context.Context, channel, ts, text string) {
	if _, _, err := a.api.PostMessageContext(ctx, channel, slack.MsgOptionText(text, false), slack.MsgOptionTS(ts)); err != nil && ctx.Err() == nil {
		a.log.Warn("slack: not posted to the ticket's thread", "channel", channel, "ts", ts, "err", err)
	}
}

func (a *Adapter) ticketTS(ctx context.Context, id int64) string {
	ts, err := a.state.Get(ctx, ticketKey+strconv.FormatInt(id, 10))
	if err != nil {
		a.log.Warn("slack: read ticket state", "ticket", id, "err", err)
	}
	return ts
}

// threadTicket is the ticket whose thread is ts, 0 for none.
func (a *Adapter) threadTicket(ctx context.Context, ts string) int64 {
	s, err := a.state.Get(ctx, threadKey+ts)
	if err != nil || s == "" {
		return 0
	}
	id, _ := strconv.ParseInt(s, 10, 64)
	return id
}

// ticketMessage is a ticket's message: its summary and, while it is
// open, the buttons.
func ticketMessage(b handoff.Brief, now time.Time) (string, []slack.Block) {
	t, s := b.Ticket, b.Summary
	var sb strings.Builder
	fmt.Fprintf(&sb, "*Ticket %d* · %s · %s", t.ID, t.Priority, t.Status)
	if t.Owner != "" {
		fmt.Fprintf(&sb, " · held by %s", escape(t.Owner))
	}
	fmt.Fprintf(&sb, "\n*Channel:* %s", escape(t.Address.String()))
	if s.Concern != "" {
		fmt.Fprintf(&sb, "\n*Concern:* %s", escape(s.Concern))
	}
	if s.FirstMessage != "" {
		fmt.Fprintf(&sb, "\n*First message:* %s", escape(cut(s.FirstMessage, 500)))
	}
	if s.ReasonText != "" || s.Reason != "" {
		reason := s.ReasonText
		if reason == "" {
			reason = string(s.Reason)
		}
		fmt.Fprintf(&sb, "\n*Reason:* %s", escape(reason))
	}
	if len(s.Moods) > 0 {
		var moods []string
		for _, m := range s.Moods {
			moods = append(moods, strconv.FormatFloat(m.Sentiment, 'f', 2, 64))
		}
		fmt.Fprintf(&sb, "\n*Sentiment:* %s", strings.Join(moods, " → "))
	}
	if t.Open() && !t.Created.IsZero() {
		fmt.Fprintf(&sb, "\n*Waiting:* %s (target %s)", now.Sub(t.Created).Round(time.Second), t.Target)
	}
	text := sb.String()
	blocks := []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, cut(text, MaxText), false, false), nil, nil)}
	if t.Open() {
		button := func(kind, label string) slack.BlockElement {
			return slack.NewButtonBlockElement(ticketPrefix+kind, strconv.FormatInt(t.ID, 10),
				slack.NewTextBlockObject(slack.PlainTextType, label, false, false))
		}
		var bs []slack.BlockElement
		if t.Status == handoff.StatusQueued {
			bs = append(bs, button(string(handoff.ActClaim), "Claim"))
		}
		bs = append(bs, button(string(handoff.ActRelease), "Release to the bot"), button(string(handoff.ActClose), "Close"))
		blocks = append(blocks, slack.NewActionBlock("calmbot_ticket", bs...))
	}
	return text, blocks
}

// transcript is a ticket's transcript as lines for its thread.
func transcript(es []bot.Entry) string {
	var b strings.Builder
	for _, e := range es {
		who := "Bot"
		switch {
		case e.Direction == bot.Inbound:
			who = "Customer"
		case e.Author != "":
			who = e.Author
		}
		fmt.Fprintf(&b, "%s: %s\n", who, e.Text)
	}
	return strings.TrimSpace(b.String())
}

// agentEvent is what a person did in the handoff channel.
type agentEvent struct {
	user   string
	thread string // a thread reply's thread ts
	text   string
	ticket int64              // a button's ticket
	kind   handoff.ActionKind // a button's action
}

// agentAct does what a person did in the handoff channel: a button, or a
// reply in a ticket's thread. Refusals are answered ephemerally.
func (a *Adapter) agentAct(ctx context.Context, ev agentEvent) {
	var act handoff.Action
	switch {
	case ev.kind != "":
		act = handoff.Action{Kind: ev.kind, Ticket: ev.ticket}
	case ev.thread != "":
		id := a.threadTicket(ctx, ev.thread)
		if id == 0 || strings.TrimSpace(ev.text) == "" {
			return
		}
		if rest, ok := cutFold(strings.TrimSpace(ev.text), "note:"); ok {
			act = handoff.Action{Kind: handoff.ActNote, Ticket: id, Text: strings.TrimSpace(rest)}
		} else {
			act = handoff.ParseCommand(id, ev.text)
		}
	default:
		return
	}
	agent, err := a.desk.AgentFor(ctx, Channel, ev.user)
	if errors.Is(err, handoff.ErrNotFound) {
		agent, err = a.desk.Provision(ctx, handoff.Identity{Platform: Channel, UserID: ev.user, Name: a.displayName(ctx, ev.user)})
	}
	if err != nil {
		a.log.Warn("slack: agent not provisioned", "user", ev.user, "err", err)
		a.refuse(ctx, ev.user, "You cannot act on tickets here: "+err.Error())
		return
	}
	res, err := a.desk.Act(ctx, agent.ID, act)
	if err != nil {
		a.refuse(ctx, ev.user, refusal(act, err))
		return
	}
	if hints := assist.Format(res.Hints); hints != "" {
		a.coach(ctx, ev.user, hints)
	}
	if act.Kind == handoff.ActClaim || act.Kind == handoff.ActRelease || act.Kind == handoff.ActClose {
		a.showTicket(ctx, act.Ticket)
	}
}

// cutFold is strings.CutPrefix ignoring case.
func cutFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// refusal explains a refused action to the agent.
func refusal(act handoff.Action, err error) string {
	switch {
	case errors.Is(err, handoff.ErrTaken):
		return fmt.Sprintf("Ticket %d is already held by someone else.", act.Ticket)
	case errors.Is(err, handoff.ErrForbidden):
		return fmt.Sprintf("Ticket %d is held by someone else: only they (and colleagues they invite) can write to the customer.", act.Ticket)
	case errors.Is(err, handoff.ErrClosed):
		return fmt.Sprintf("Ticket %d is closed.", act.Ticket)
	}
	return fmt.Sprintf("Could not %s: %v", act, err)
}

func (a *Adapter) refuse(ctx context.Context, user, text string) {
	if _, err := a.api.PostEphemeralContext(ctx, a.handoffChannel, user, slack.MsgOptionText(escape(text), false)); err != nil && ctx.Err() == nil {
		a.log.Warn("slack: refusal not shown", "user", user, "err", err)
	}
}

// coach shows the assist's hints on an agent's reply to that agent alone
// (an ephemeral message in the handoff channel).
func (a *Adapter) coach(ctx context.Context, user, hints string) {
	if _, err := a.api.PostEphemeralContext(ctx, a.handoffChannel, user, slack.MsgOptionText(escape(hints), false)); err != nil && ctx.Err() == nil {
		a.log.Warn("slack: hints not shown", "user", user, "err", err)
	}
}

// displayName is how Slack shows user, "" when it cannot be asked.
func (a *Adapter) displayName(ctx context.Context, user string) string {
	u, err := a.api.GetUserInfoContext(ctx, user)
	if err != nil {
		return ""
	}
	for _, n := range []string{u.Profile.DisplayName, u.RealName, u.Name} {
		if strings.TrimSpace(n) != "" {
			return n
		}
	}
	return ""
}

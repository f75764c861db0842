package slack

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/calmbot/calmbot/adapters/feed"
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/assist"
)

// Desk is what the agent side needs of the handoff service (a
// *handoff.Service): its actions, tickets, update stream and identities.
type Desk interface {
	Act(ctx context.Context, agent string, a handoff.Action) (handoff.Result, error)
	Brief(ctx context.Context, id int64) (handoff.Brief, error)
	Ticket(ctx context.Context, id int64) (*handoff.Ticket, error)
	Tickets() []*handoff.Ticket
	SubscribeAll() (<-chan handoff.Update, func())
	AgentFor(ctx context.Context, platform, userID string) (handoff.Agent, error)
	Provision(ctx context.Context, id handoff.Identity) (handoff.Agent, error)
	Identities(ctx context.Context) ([]handoff.Link, error)
	SetPresence(ctx context.Context, id string, p handoff.Presence) (handoff.Agent, error)
}

// WithHandoff turns the agent side on: every ticket of desk is one message
// in channel (a channel id, C...; the app must be a member) with its
// summary, the buttons Claim, Release to the bot and Close, a menu of the
// stages to release to and a picker to invite a colleague, updated as the
// ticket changes; the customer's new messages go to the message's thread,
// and what the ticket's holder (or a colleague they invited) writes in the
// thread goes to the customer on their own channel (handoff.ParseCommand:
// "note: text", "/note text" or "!text" is an internal note, "/close",
// "/release" and the like are those actions).
//
// The agents are the members of channel or, when agents lists Slack user
// ids (U...), only those users; each becomes an agent on first use
// (desk.Provision, with their Slack display name). "check: text" asks for
// the agent assist's hints on text, which come, as for every reply, in a
// message only the writer sees.
func WithHandoff(desk Desk, channel string, agents ...string) Option {
	return func(a *Adapter) {
		a.desk, a.handoffChannel = desk, strings.TrimSpace(channel)
		a.allowed = map[string]bool{}
		for _, id := range agents {
			if id = strings.TrimSpace(id); id != "" {
				a.allowed[id] = true
			}
		}
	}
}

// Action ids of the ticket message's elements: "ticket:<kind>" for a
// button, with the ticket id as its value; "ticket:stage:<id>" for the
// menu of stages, "ticket:invite:<id>" for the colleague picker.
const ticketPrefix = "ticket:"

// Kinds of the ticket message's menus.
const (
	kindStage  = "stage"
	kindInvite = "invite"
)

// Keys of the agent side in the adapter's bot.State.
const (
	ticketKey = "ticket/" // + ticket id: ts of its message in the handoff channel
	threadKey = "thread/" // + ts: the ticket id of the thread
)

// postTimeout bounds the posting of a ticket's message and transcript,
// which a stop does not interrupt.
const postTimeout = 30 * time.Second

// membersTTL is how long the handoff channel's member list is trusted
// before a stranger's action makes the adapter ask Slack again.
const membersTTL = 30 * time.Second

// agents runs the agent side until ctx ends: it shows every open ticket
// (those opened while the adapter was down too), then every update, and
// every open ticket again after the handoff service dropped updates.
func (a *Adapter) agents(ctx context.Context) {
	if links, err := a.desk.Identities(ctx); err != nil {
		a.log.Warn("slack: agent identities not read", "err", err)
	} else {
		for _, l := range links {
			if l.Platform == Channel {
				a.linked(l.Agent, l.UserID)
			}
		}
	}
	feed.Follow(ctx, a.desk, a.showUpdate)
}

// linked remembers that agent is Slack user.
func (a *Adapter) linked(agent, user string) {
	a.usersMu.Lock()
	defer a.usersMu.Unlock()
	if a.slackUsers == nil {
		a.slackUsers = map[string]string{}
	}
	a.slackUsers[agent] = user
}

// who is how the handoff channel names agent: a mention of their Slack
// user (Slack shows their display name), else the agent id.
func (a *Adapter) who(agent string) string {
	a.usersMu.Lock()
	defer a.usersMu.Unlock()
	if u := a.slackUsers[agent]; u != "" {
		return "<@" + u + ">"
	}
	return escape(agent)
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
	// One at a time, each reading the ticket once it holds the lock: an
	// action's own update and the update stream's cannot land out of order
	// and leave an older state shown.
	a.showMu.Lock()
	defer a.showMu.Unlock()
	b, err := a.desk.Brief(ctx, id)
	if err != nil || b.Ticket == nil {
		a.log.Warn("slack: ticket not shown", "ticket", id, "err", err)
		return
	}
	text, blocks := ticketMessage(b, a.now(), a.who)
	if ts := a.ticketTS(ctx, id); ts != "" {
		if _, _, _, err := a.api.UpdateMessageContext(ctx, a.handoffChannel, ts, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...)); err != nil && ctx.Err() == nil {
			a.log.Warn("slack: ticket message not updated", "ticket", id, "err", err)
		}
		return
	}
	if !b.Ticket.Open() {
		return
	}
	// A stop must not cut the posting short between Slack taking the
	// message and its ts being saved: the next start would post it again.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), postTimeout)
	defer cancel()
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
func ticketMessage(b handoff.Brief, now time.Time, who func(agent string) string) (string, []slack.Block) {
	t, s := b.Ticket, b.Summary
	var sb strings.Builder
	fmt.Fprintf(&sb, "*Ticket %d* · %s · %s", t.ID, t.Priority, t.Status)
	if t.Owner != "" {
		fmt.Fprintf(&sb, " · held by %s", who(t.Owner))
	}
	if len(t.Invited) > 0 {
		names := make([]string, len(t.Invited))
		for i, ag := range t.Invited {
			names[i] = who(ag)
		}
		fmt.Fprintf(&sb, ", with %s", strings.Join(names, ", "))
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
	if len(s.Evidence) > 0 {
		keys := slices.Sorted(maps.Keys(s.Evidence))
		facts := make([]string, len(keys))
		for i, k := range keys {
			if f, ok := s.Evidence[k].(float64); ok {
				facts[i] = k + " " + strconv.FormatFloat(f, 'f', 2, 64)
			} else {
				facts[i] = fmt.Sprintf("%s %v", k, s.Evidence[k])
			}
		}
		fmt.Fprintf(&sb, "\n*Evidence:* %s", escape(cut(strings.Join(facts, ", "), 500)))
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
		blocks = append(blocks, ticketActions(t, b.Stages))
	}
	return text, blocks
}

// Limits of Block Kit menus: options, an option's text and value.
const (
	maxOptions     = 100
	maxOptionText  = 75
	maxOptionValue = 150
)

// ticketActions are an open ticket's buttons Claim, Release
// to the bot ("what else can I do?") and Close, the menu of the stages to
// release to instead, and, once claimed, the picker of a colleague to
// invite.
func ticketActions(t *handoff.Ticket, stages []handoff.Stage) slack.Block {
	id := strconv.FormatInt(t.ID, 10)
	button := func(kind, label string) slack.BlockElement {
		return slack.NewButtonBlockElement(ticketPrefix+kind, id, slack.NewTextBlockObject(slack.PlainTextType, label, false, false))
	}
	els := []slack.BlockElement{button(string(handoff.ActClaim), "Claim"),
		button(string(handoff.ActRelease), "Release to the bot"), button(string(handoff.ActClose), "Close")}
	var opts []*slack.OptionBlockObject
	for _, st := range stages {
		value := st.Flow + "/" + st.State
		if st.State == "" || len(opts) == maxOptions || len(value) > maxOptionValue {
			continue // the button releases to "what else can I do?"
		}
		label := st.State
		if st.Say != "" {
			label += ": " + st.Say
		}
		opts = append(opts, slack.NewOptionBlockObject(value, slack.NewTextBlockObject(slack.PlainTextType, cut(label, maxOptionText), false, false), nil))
	}
	if len(opts) > 0 {
		els = append(els, slack.NewOptionsSelectBlockElement(slack.OptTypeStatic,
			slack.NewTextBlockObject(slack.PlainTextType, "Release to the bot at…", false, false), ticketPrefix+kindStage+":"+id, opts...))
	}
	if t.Status == handoff.StatusAssigned {
		els = append(els, slack.NewOptionsSelectBlockElement(slack.OptTypeUser,
			slack.NewTextBlockObject(slack.PlainTextType, "Invite a colleague…", false, false), ticketPrefix+kindInvite+":"+id))
	}
	return slack.NewActionBlock("calmbot_ticket", els...)
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
	ticket int64              // a button's or menu's ticket
	kind   handoff.ActionKind // a button's action, or kindStage, kindInvite
	choice string             // a menu's choice: "flow/state", or a user id
}

// agentAct does what a person did in the handoff channel: a button, a
// menu, or a reply in a ticket's thread. Refusals are answered
// ephemerally.
func (a *Adapter) agentAct(ctx context.Context, ev agentEvent) {
	var act handoff.Action
	switch {
	case ev.kind == kindStage:
		flow, state, ok := strings.Cut(ev.choice, "/")
		if !ok || state == "" {
			return
		}
		act = handoff.Action{Kind: handoff.ActRelease, Ticket: ev.ticket, Flow: flow, Stage: state}
	case ev.kind == kindInvite:
		if ev.choice == "" {
			return
		}
		act = handoff.Action{Kind: handoff.ActInvite, Ticket: ev.ticket, Colleague: "<@" + ev.choice + ">"}
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
	if text := a.do(ctx, ev.user, act); text != "" {
		a.refuse(ctx, ev.user, ev.thread, text)
	}
}

// do does act for Slack user, who must be an agent; it returns why not
// ("" once done).
func (a *Adapter) do(ctx context.Context, user string, act handoff.Action) string {
	agent, err := a.agentOf(ctx, user)
	if err != nil {
		if !errors.Is(err, errNotAgent) {
			a.log.Warn("slack: agent not provisioned", "user", user, "err", err)
			return "You cannot act on tickets here now: " + err.Error()
		}
		return "Only the support team can act on tickets here."
	}
	if act.Kind == handoff.ActInvite {
		var refusal string
		if act.Colleague, refusal = a.colleague(ctx, act.Colleague); refusal != "" {
			return refusal
		}
	}
	res, err := a.desk.Act(ctx, agent.ID, act)
	if err != nil {
		return a.refusal(ctx, act, err)
	}
	if hints := assist.Format(res.Hints); hints != "" {
		a.coach(ctx, user, hints)
	}
	switch act.Kind {
	case handoff.ActClaim, handoff.ActRelease, handoff.ActClose, handoff.ActInvite:
		a.showTicket(ctx, act.Ticket)
	}
	return ""
}

var errNotAgent = errors.New("slack: not an agent (neither a member of the handoff channel nor a configured agent)")

// agentOf is the agent of Slack user, provisioned on first use, when they
// are one: a member of the handoff channel or, when agents are
// configured, one of them.
func (a *Adapter) agentOf(ctx context.Context, user string) (handoff.Agent, error) {
	if user == "" {
		return handoff.Agent{}, errNotAgent
	}
	if len(a.allowed) > 0 {
		if !a.allowed[user] {
			return handoff.Agent{}, errNotAgent
		}
	} else if ok, err := a.member(ctx, user); err != nil {
		return handoff.Agent{}, err
	} else if !ok {
		return handoff.Agent{}, errNotAgent
	}
	agent, err := a.desk.AgentFor(ctx, Channel, user)
	if errors.Is(err, handoff.ErrNotFound) {
		agent, err = a.desk.Provision(ctx, handoff.Identity{Platform: Channel, UserID: user, Name: a.displayName(ctx, user)})
	}
	if err == nil {
		a.linked(agent.ID, user)
	}
	return agent, err
}

// member reports whether user is a member of the handoff channel
// (conversations.members), asking Slack again for a stranger at most every
// membersTTL.
func (a *Adapter) member(ctx context.Context, user string) (bool, error) {
	a.membersMu.Lock()
	defer a.membersMu.Unlock()
	if a.members[user] {
		return true, nil
	}
	if !a.membersAt.IsZero() && a.now().Sub(a.membersAt) < membersTTL {
		return false, nil
	}
	members := map[string]bool{}
	params := &slack.GetUsersInConversationParameters{ChannelID: a.handoffChannel, Limit: 1000}
	for {
		ids, next, err := a.api.GetUsersInConversationContext(ctx, params)
		if err != nil {
			return false, fmt.Errorf("slack: conversations.members of the handoff channel: %w", err)
		}
		for _, id := range ids {
			members[id] = true
		}
		if next == "" {
			break
		}
		params.Cursor = next
	}
	a.members, a.membersAt = members, a.now()
	return members[user], nil
}

// colleague is the agent a Slack mention (<@U...>, as Slack escapes it)
// names, who must be an agent too, or else the agent id s names ("@grace");
// when there is none, why not, for the inviting agent. A colleague who is
// offline on the desk is marked away: they are here on Slack, so they can
// be invited, without being handed new tickets.
func (a *Adapter) colleague(ctx context.Context, s string) (id, refusal string) {
	s = strings.TrimSpace(s)
	user, ok := mentioned(s)
	if !ok {
		if id := strings.TrimPrefix(s, "@"); id != "" {
			return strings.ToLower(id), ""
		}
		return "", "Name the colleague to invite: /calmbot invite @name."
	}
	ag, err := a.agentOf(ctx, user)
	switch {
	case errors.Is(err, errNotAgent):
		return "", fmt.Sprintf("<@%s> is not on the support team here.", user)
	case err != nil:
		a.log.Warn("slack: colleague not provisioned", "user", user, "err", err)
		return "", fmt.Sprintf("<@%s> cannot be invited now: %v", user, err)
	}
	if ag.Presence == handoff.PresenceOffline {
		if _, err := a.desk.SetPresence(ctx, ag.ID, handoff.PresenceAway); err != nil {
			return "", fmt.Sprintf("<@%s> cannot be invited now: %v", user, err)
		}
	}
	return ag.ID, ""
}

// mentioned reads a Slack user mention: "<@U123>" or "<@U123|name>".
func mentioned(s string) (string, bool) {
	rest, ok := strings.CutPrefix(s, "<@")
	if !ok || !strings.HasSuffix(rest, ">") {
		return "", false
	}
	id, _, _ := strings.Cut(strings.TrimSuffix(rest, ">"), "|")
	return id, id != "" && !strings.ContainsAny(id, "<>&@ ")
}

// cutFold is strings.CutPrefix ignoring case.
func cutFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// refusal explains a refused action to the agent.
func (a *Adapter) refusal(ctx context.Context, act handoff.Action, err error) string {
	holder := "someone else"
	if t, terr := a.desk.Ticket(ctx, act.Ticket); terr == nil && t.Owner != "" {
		holder = a.who(t.Owner)
	}
	switch {
	case errors.Is(err, handoff.ErrTaken):
		return fmt.Sprintf("Ticket %d is already held by %s.", act.Ticket, holder)
	case errors.Is(err, handoff.ErrForbidden):
		return fmt.Sprintf("Ticket %d is held by %s: only they, and colleagues they invite (the ticket's Invite picker or /calmbot invite @name), can write to the customer. A message starting with note: is an internal note.", act.Ticket, holder)
	case errors.Is(err, handoff.ErrClosed):
		return fmt.Sprintf("Ticket %d is closed.", act.Ticket)
	case errors.Is(err, handoff.ErrUnknownStage):
		return fmt.Sprintf("The bot cannot take ticket %d back there: pick a stage from the ticket's menu.", act.Ticket)
	case errors.Is(err, handoff.ErrUnavailable):
		return fmt.Sprintf("Could not %s: that colleague is offline.", act)
	case errors.Is(err, handoff.ErrNotFound):
		return fmt.Sprintf("Could not %s: %v.", act, err)
	}
	return fmt.Sprintf("Could not %s: %v", act, err)
}

// refuse answers user with text only they see, in thread when it is not "".
func (a *Adapter) refuse(ctx context.Context, user, thread, text string) {
	opts := []slack.MsgOption{slack.MsgOptionText(escapeText(text), false)}
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	if _, err := a.api.PostEphemeralContext(ctx, a.handoffChannel, user, opts...); err != nil && ctx.Err() == nil {
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

// escapeText is escape keeping Slack user mentions (<@U...>) as they are.
func escapeText(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "<@")
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			break
		}
		if _, ok := mentioned(s[i : i+j+1]); !ok {
			b.WriteString(escape(s[:i+2]))
			s = s[i+2:]
			continue
		}
		b.WriteString(escape(s[:i]))
		b.WriteString(s[i : i+j+1])
		s = s[i+j+1:]
	}
	b.WriteString(escape(s))
	return b.String()
}

// command answers the slash command /calmbot. "invite @name [ticket]"
// invites a colleague to a ticket the user holds: the one numbered, else
// the only one they hold. Anything else gets the usage.
func (a *Adapter) command(ctx context.Context, cmd slack.SlashCommand) string {
	const usage = "Usage: /calmbot invite @name [ticket number]: lets a colleague write to the customer of a ticket you hold."
	if a.desk == nil {
		return "calmbot runs no handoff channel here."
	}
	fields := strings.Fields(cmd.Text)
	if len(fields) < 2 || !strings.EqualFold(fields[0], "invite") {
		return usage
	}
	var id int64
	for _, f := range fields[2:] {
		if n, err := strconv.ParseInt(strings.TrimPrefix(f, "#"), 10, 64); err == nil && n > 0 {
			id = n
		}
	}
	if id == 0 {
		agent, err := a.agentOf(ctx, cmd.UserID)
		if err != nil {
			return "Only the support team can invite colleagues to tickets."
		}
		var held []string
		for _, t := range a.desk.Tickets() {
			if t.Owner == agent.ID && t.Status == handoff.StatusAssigned {
				id = t.ID
				held = append(held, strconv.FormatInt(t.ID, 10))
			}
		}
		switch len(held) {
		case 0:
			return "You hold no ticket: claim one first, or name it: /calmbot invite @name 42."
		case 1:
		default:
			return "You hold tickets " + strings.Join(held, ", ") + ": say which, as in /calmbot invite @name " + held[0] + "."
		}
	}
	if text := a.do(ctx, cmd.UserID, handoff.Action{Kind: handoff.ActInvite, Ticket: id, Colleague: fields[1]}); text != "" {
		return text
	}
	return fmt.Sprintf("%s can now write to the customer of ticket %d, in its thread.", fields[1], id)
}

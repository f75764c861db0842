package discord

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	dg "github.com/bwmarrin/discordgo"

	"github.com/calmbot/calmbot/adapters/feed"
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/assist"
)

// Desk is what the staff channel needs of the agent side: a
// *handoff.Service.
type Desk interface {
	SubscribeAll() (<-chan handoff.Update, func())
	Tickets() []*handoff.Ticket
	Brief(ctx context.Context, id int64) (handoff.Brief, error)
	Act(ctx context.Context, agent string, a handoff.Action) (handoff.Result, error)
	Provision(ctx context.Context, id handoff.Identity) (handoff.Agent, error)
}

// Staff configures the staff channel: where agents take over tickets.
type Staff struct {
	// Desk is the agent side (a *handoff.Service).
	Desk Desk
	// Channel is the staff channel's id.
	Channel string
	// Roles are the ids of the roles whose members are agents; Users the
	// ids of users who are agents whatever their roles.
	Roles, Users []string
}

// WithStaff runs the staff channel: each ticket is a message there with
// its summary, the buttons Claim, Release and Close and a menu of the
// stages to release to, and a thread with
// the transcript, where new customer messages are added. What the agent
// holding the ticket writes in the thread goes to the customer
// (handoff.ParseCommand: "/note text", "!text" or "note: text" is an
// internal note).
func WithStaff(s Staff) Option { return func(a *Adapter) { a.staff = &s } }

// Keys of the staff channel in the adapter's state.
const (
	ticketMsgKey    = "staff/ticket/" // + ticket id: the ticket's message in the staff channel
	threadTicketKey = "staff/thread/" // + thread id: the ticket the thread is for
	staffPrefix     = "calmbot-staff:"
)

// staffLoop posts and updates the tickets' messages until ctx ends: every
// open ticket first (those opened while the adapter was down too), then
// each change, and every open ticket again after a resync.
func (a *Adapter) staffLoop(ctx context.Context) {
	defer a.workers.Done()
	feed.Follow(ctx, a.staff.Desk, func(ctx context.Context, u handoff.Update) {
		if err := a.staffUpdate(ctx, u); err != nil && ctx.Err() == nil {
			a.log.Warn("discord: staff channel not updated", "kind", u.Kind, "ticket", u.TicketID, "err", err)
		}
	})
}

func (a *Adapter) staffUpdate(ctx context.Context, u handoff.Update) error {
	s, _ := a.session()
	if s == nil {
		return nil
	}
	switch u.Kind {
	case handoff.UpdateQueue, handoff.UpdateTicket:
		if u.Ticket == nil {
			return nil
		}
		return a.showTicket(ctx, s, u.Ticket)
	case handoff.UpdateMessage:
		if u.Entry == nil || u.Entry.Direction != bot.Inbound {
			return nil
		}
		thread, err := a.ticketThread(ctx, u.TicketID)
		if err != nil || thread == "" {
			return err
		}
		_, err = s.ChannelMessageSendComplex(thread, &dg.MessageSend{Content: clip(escape("Customer: " + u.Entry.Text)), AllowedMentions: noMentions()}, dg.WithContext(ctx))
		return err
	}
	return nil
}

// ticketThread is the thread of ticket id, "" when it has none yet.
func (a *Adapter) ticketThread(ctx context.Context, id int64) (string, error) {
	// A thread started from a message has the message's id.
	return a.state.Get(ctx, ticketMsgKey+strconv.FormatInt(id, 10))
}

// showTicket posts ticket t's message and thread, or edits the message to
// show its status and owner.
func (a *Adapter) showTicket(ctx context.Context, s *dg.Session, t *handoff.Ticket) error {
	key := ticketMsgKey + strconv.FormatInt(t.ID, 10)
	msgID, err := a.state.Get(ctx, key)
	if err != nil {
		return err
	}
	open := t.Status != handoff.StatusClosed
	b, err := a.staff.Desk.Brief(ctx, t.ID)
	if err != nil {
		return err
	}
	content := clip(escape(ticketText(t, b.Summary)))
	if msgID != "" {
		comps := []dg.MessageComponent{} // a closed ticket's message loses its buttons
		if open {
			comps = staffButtons(t.ID, b.Stages)
		}
		_, err := s.ChannelMessageEditComplex(&dg.MessageEdit{ID: msgID, Channel: a.staff.Channel, Content: &content, Components: &comps, AllowedMentions: noMentions()}, dg.WithContext(ctx))
		return err
	}
	if !open {
		return nil
	}
	m, err := s.ChannelMessageSendComplex(a.staff.Channel, &dg.MessageSend{Content: content, Components: staffButtons(t.ID, b.Stages), AllowedMentions: noMentions()}, dg.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("post ticket: %w", err)
	}
	if err := a.state.Set(ctx, key, m.ID); err != nil {
		return err
	}
	th, err := s.MessageThreadStartComplex(a.staff.Channel, m.ID, &dg.ThreadStart{Name: fmt.Sprintf("Ticket %d", t.ID), AutoArchiveDuration: 10080, Type: dg.ChannelTypeGuildPublicThread}, dg.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("open ticket thread: %w", err)
	}
	if err := a.state.Set(ctx, threadTicketKey+th.ID, strconv.FormatInt(t.ID, 10)); err != nil {
		return err
	}
	var tr strings.Builder
	for _, e := range b.Transcript {
		who := "Bot"
		if e.Direction == bot.Inbound {
			who = "Customer"
		}
		fmt.Fprintf(&tr, "%s: %s\n", who, e.Text)
	}
	for _, part := range split(escape(tr.String()), MaxMessageLen) {
		if part == "" {
			continue
		}
		if _, err := s.ChannelMessageSendComplex(th.ID, &dg.MessageSend{Content: part, AllowedMentions: noMentions()}, dg.WithContext(ctx)); err != nil {
			return err
		}
	}
	return nil
}

// ticketText is the ticket's message: what the customer wants, why they
// were handed off, and who holds the ticket.
func ticketText(t *handoff.Ticket, sum handoff.Summary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Ticket %d · %s · %s priority · %s · %s\n", t.ID, t.Reason, t.Priority, t.Lang, t.Address)
	if sum.Concern != "" {
		fmt.Fprintf(&b, "Concern: %s\n", sum.Concern)
	}
	if sum.FirstMessage != "" {
		fmt.Fprintf(&b, "First message: %s\n", sum.FirstMessage)
	}
	status := string(t.Status)
	if t.Owner != "" {
		status += " · claimed by " + t.Owner
	}
	b.WriteString(status)
	return b.String()
}

// staffButtons are an open ticket's components: the buttons Claim,
// Release to the bot ("what else can I do?") and Close, and a menu of the
// stages of the flow it can be released to instead.
func staffButtons(id int64, stages []handoff.Stage) []dg.MessageComponent {
	n := strconv.FormatInt(id, 10)
	comps := []dg.MessageComponent{dg.ActionsRow{Components: []dg.MessageComponent{
		dg.Button{Label: "Claim", Style: dg.PrimaryButton, CustomID: staffPrefix + "claim:" + n},
		dg.Button{Label: "Release to the bot", Style: dg.SecondaryButton, CustomID: staffPrefix + "release:" + n},
		dg.Button{Label: "Close", Style: dg.DangerButton, CustomID: staffPrefix + "close:" + n},
	}}}
	var opts []dg.SelectMenuOption
	for _, st := range stages {
		if st.State == "" || len(opts) == maxSelectOptions {
			continue // the button above releases to "what else can I do?"
		}
		value := st.Flow + "/" + st.State
		if len(value) > maxComponentText {
			continue // a name Discord cannot carry back
		}
		opts = append(opts, dg.SelectMenuOption{
			Label:       cut(st.Flow+" · "+st.State, maxComponentText),
			Value:       value,
			Description: cut(st.Say, maxComponentText),
		})
	}
	if len(opts) > 0 {
		comps = append(comps, dg.ActionsRow{Components: []dg.MessageComponent{dg.SelectMenu{
			MenuType: dg.StringSelectMenu, CustomID: staffPrefix + "stage:" + n,
			Placeholder: "Release to the bot at a stage…", Options: opts,
		}}})
	}
	return comps
}

// Discord's limits on a select menu: options, and the characters of a
// label, value or description.
const (
	maxSelectOptions = 25
	maxComponentText = 100
)

// cut shortens s to at most n characters.
func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// clip keeps s within one message.
func clip(s string) string {
	if parts := split(s, MaxMessageLen); len(parts) > 0 {
		return parts[0]
	}
	return s
}

// agentOf is the agent behind a staff member, provisioned on first use:
// ErrNotAgent for a member without a configured role or id.
func (a *Adapter) agentOf(ctx context.Context, u *dg.User, roles []string) (string, error) {
	if u == nil || u.Bot {
		return "", errNotAgent
	}
	ok := slices.Contains(a.staff.Users, u.ID)
	for _, r := range roles {
		ok = ok || slices.Contains(a.staff.Roles, r)
	}
	if !ok {
		return "", errNotAgent
	}
	ag, err := a.staff.Desk.Provision(ctx, handoff.Identity{Platform: Channel, UserID: u.ID, Name: displayName(u)})
	if err != nil {
		return "", err
	}
	return ag.ID, nil
}

var errNotAgent = errors.New("discord: not an agent (no configured role or user id)")

// handleStaffPress does a ticket button's action for the agent who
// pressed it; the bus's update then edits the ticket's message.
func (a *Adapter) handleStaffPress(ctx context.Context, i *dg.Interaction, data dg.MessageComponentInteractionData) error {
	customID := data.CustomID
	s, _ := a.session()
	if s == nil {
		return nil
	}
	ack := func() error {
		return s.InteractionRespond(i, &dg.InteractionResponse{Type: dg.InteractionResponseDeferredMessageUpdate}, dg.WithContext(ctx))
	}
	kind, n, _ := strings.Cut(strings.TrimPrefix(customID, staffPrefix), ":")
	id, err := strconv.ParseInt(n, 10, 64)
	if err != nil || i.Member == nil {
		return ack()
	}
	agent, err := a.agentOf(ctx, i.Member.User, i.Member.Roles)
	if err != nil {
		a.log.Info("discord: a staff button pressed by someone who is not an agent", "user", userID(i.Member.User), "err", err)
		return ack()
	}
	act := handoff.Action{Ticket: id}
	switch kind {
	case "claim":
		act.Kind = handoff.ActClaim
	case "release":
		act.Kind = handoff.ActRelease
	case "stage":
		flow, state, ok := "", "", len(data.Values) == 1
		if ok {
			flow, state, ok = strings.Cut(data.Values[0], "/")
		}
		if !ok {
			return ack()
		}
		act.Kind, act.Flow, act.Stage = handoff.ActRelease, flow, state
	case "close":
		act.Kind = handoff.ActClose
	default:
		return ack()
	}
	if _, err := a.staff.Desk.Act(ctx, agent, act); err != nil {
		a.log.Info("discord: staff action refused", "agent", agent, "action", act.String(), "err", err)
	}
	return ack()
}

// handleStaffMessage takes what an agent wrote in a ticket's thread:
// ParseCommand, then Act; a refusal is answered in the thread.
func (a *Adapter) handleStaffMessage(ctx context.Context, m *dg.Message, ticket string) error {
	s, _ := a.session()
	if s == nil {
		return nil
	}
	id, err := strconv.ParseInt(ticket, 10, 64)
	if err != nil {
		return nil
	}
	var roles []string
	if m.Member != nil {
		roles = m.Member.Roles
	}
	agent, err := a.agentOf(ctx, m.Author, roles)
	if err != nil {
		return nil // colleagues who are not agents may talk in the thread
	}
	act := handoff.ParseCommand(id, m.Content)
	res, err := a.staff.Desk.Act(ctx, agent, act)
	msg := assist.Format(res.Hints) // the assist's hints: a note in the staff thread
	if err != nil {
		msg = "Not done (" + act.String() + "): " + err.Error()
		if errors.Is(err, handoff.ErrForbidden) || errors.Is(err, handoff.ErrTaken) {
			msg = "Not sent: claim the ticket first (" + act.String() + ")."
		}
	}
	if msg == "" {
		return nil
	}
	_, serr := s.ChannelMessageSendComplex(m.ChannelID, &dg.MessageSend{Content: clip(escape(msg)), AllowedMentions: noMentions(),
		Reference: &dg.MessageReference{MessageID: m.ID, ChannelID: m.ChannelID}}, dg.WithContext(ctx))
	return serr
}

func userID(u *dg.User) string {
	if u == nil {
		return ""
	}
	return u.ID
}

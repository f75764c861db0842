package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/handoff"
)

// maxBody is the largest Events API or interactivity request read; Slack's
// are far smaller.
const maxBody = 1 << 20

// eventKind says what an event asks of the adapter.
type eventKind int

const (
	evIgnore  eventKind = iota // nothing to do (the bot itself, a channel, a subtype calmbot does not use)
	evText                     // a customer's message for the engine (a DM, a mention)
	evTap                      // a click on an offered choice's button
	evNotice                   // a polite answer from the adapter (an edit, a file)
	evChannel                  // a person's message in a channel: in the handoff channel, or in a mention's thread
	evTicket                   // a click on a ticket's button in the handoff channel
)

// event is what the adapter reads from a Slack event or interaction.
type event struct {
	kind    eventKind
	msg     bot.Message // evText, evTap
	conv    conv        // the customer's conversation (evText, evTap, evNotice)
	channel string
	user    string
	notice  string // evNotice: a key of notices
	tapped  string // evTap: ts of the message whose button was clicked
	label   string // evTap: the button's label; evTicket: the action's kind
	choice  string // evTicket: a menu's choice
	eventID string // the Events API event_id, for retries
	mention bool   // evText: a mention of the app, which starts a thread's conversation
}

// self is who the app is: its bot user and bot ids, and its team
// (auth.test), whose messages never start a turn.
type self struct{ user, id, team string }

// readEvent turns an Events API event into an event. It never fails: what
// calmbot cannot use is evIgnore or a notice.
func readEvent(e slackevents.EventsAPIEvent, me self) event {
	if e.Type != slackevents.CallbackEvent {
		return event{kind: evIgnore}
	}
	var id string
	if cb, ok := e.Data.(*slackevents.EventsAPICallbackEvent); ok {
		id = cb.EventID
	}
	if me.team == "" {
		me.team = e.TeamID
	}
	var ev event
	switch m := e.InnerEvent.Data.(type) {
	case *slackevents.MessageEvent:
		if m == nil {
			return event{kind: evIgnore, eventID: id}
		}
		ev = readMessage(m, me)
	case *slackevents.AppMentionEvent:
		if m == nil {
			return event{kind: evIgnore, eventID: id}
		}
		ev = readMention(m, me)
	default:
		return event{kind: evIgnore, eventID: id}
	}
	ev.eventID = id
	return ev
}

// readMention reads a mention of the app in a channel: a customer's
// message whose conversation is the mention's thread.
func readMention(m *slackevents.AppMentionEvent, me self) event {
	text := strings.TrimSpace(stripMention(unescape(m.Text), me.user))
	if m.Channel == "" || m.TimeStamp == "" || m.User == "" || m.User == me.user || m.BotID != "" || text == "" {
		return event{kind: evIgnore}
	}
	thread := m.ThreadTimeStamp
	if thread == "" {
		thread = m.TimeStamp
	}
	c := conv{team: me.team, channel: m.Channel, thread: thread}
	return event{kind: evText, conv: c, channel: m.Channel, user: m.User, mention: true, msg: bot.Message{
		Address: c.address(), ID: m.TimeStamp, Text: text, At: tsTime(m.TimeStamp), From: bot.User{ID: m.User}, Thread: thread,
	}}
}

// stripMention takes the mentions of the app (<@U...>) out of text.
func stripMention(text, botUser string) string {
	if botUser == "" {
		return text
	}
	for _, m := range []string{"<@" + botUser + ">", "<@" + botUser + "|"} {
		for {
			i := strings.Index(text, m)
			if i < 0 {
				break
			}
			j := strings.IndexByte(text[i:], '>')
			if j < 0 {
				break // never closed: not a mention Slack wrote, left as it is
			}
			text = text[:i] + text[i+j+1:]
		}
	}
	return strings.Join(strings.Fields(text), " ")
}

// readMessage reads a message event: of a direct message, or of a
// channel the app is in (its handoff channel, a mention's thread).
func readMessage(m *slackevents.MessageEvent, me self) event {
	mine := func(user, bid string) bool {
		return bid != "" || user == "" || user == me.user || (me.id != "" && bid == me.id)
	}
	if m.Channel == "" || m.TimeStamp == "" {
		// Without its ts a message could not be told from its redelivery.
		return event{kind: evIgnore}
	}
	if m.ChannelType != "im" {
		if (m.ChannelType != "channel" && m.ChannelType != "group") || m.SubType != "" || mine(m.User, m.BotID) || strings.TrimSpace(m.Text) == "" {
			return event{kind: evIgnore}
		}
		c := conv{team: me.team, channel: m.Channel, thread: m.ThreadTimeStamp}
		return event{kind: evChannel, conv: c, channel: m.Channel, user: m.User,
			msg: bot.Message{Address: c.address(), ID: m.TimeStamp, Text: unescape(m.Text), At: tsTime(m.TimeStamp),
				From: bot.User{ID: m.User}, Thread: m.ThreadTimeStamp}}
	}
	c := conv{team: me.team, channel: m.Channel}
	ev := event{conv: c, channel: m.Channel, user: m.User}
	switch m.SubType {
	case "":
		if mine(m.User, m.BotID) {
			return event{kind: evIgnore}
		}
		if strings.TrimSpace(m.Text) == "" || m.Message != nil && len(m.Message.Files) > 0 && strings.TrimSpace(m.Text) == "" {
			ev.kind, ev.notice = evNotice, "nontext"
			return ev
		}
		ev.kind = evText
		ev.msg = bot.Message{
			Address: c.address(),
			ID:      m.TimeStamp,
			Text:    unescape(m.Text),
			At:      tsTime(m.TimeStamp),
			From:    bot.User{ID: m.User},
			Thread:  m.ThreadTimeStamp,
		}
		return ev
	case "message_changed":
		// The bot's own edits (an answered question's buttons replaced)
		// come back as message_changed too.
		if m.Message == nil || mine(m.Message.User, m.Message.BotID) {
			return event{kind: evIgnore}
		}
		ev.user = m.Message.User
		ev.kind, ev.notice = evNotice, "edited"
		return ev
	case "file_share":
		if mine(m.User, m.BotID) {
			return event{kind: evIgnore}
		}
		if m.Text != "" {
			// A file with a comment: the comment is the message.
			ev.kind = evText
			ev.msg = bot.Message{Address: c.address(), ID: m.TimeStamp, Text: unescape(m.Text),
				At: tsTime(m.TimeStamp), From: bot.User{ID: m.User}, Thread: m.ThreadTimeStamp}
			return ev
		}
		ev.kind, ev.notice = evNotice, "nontext"
		return ev
	}
	return event{kind: evIgnore}
}

// readAction turns a block_actions interaction into a click on a choice
// or on a ticket's button or menu.
func readAction(cb slack.InteractionCallback, me self) event {
	if cb.Type != slack.InteractionTypeBlockActions || cb.User.ID == "" || cb.User.IsBot {
		return event{kind: evIgnore}
	}
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	tapped := cb.Container.MessageTs
	if tapped == "" {
		tapped = cb.Message.Timestamp
	}
	if channel == "" || tapped == "" {
		return event{kind: evIgnore}
	}
	if me.team == "" {
		me.team = cb.Team.ID
	}
	c := conv{team: me.team, channel: channel}
	if !strings.HasPrefix(channel, "D") {
		// A question in a channel is in a mention's thread.
		c.thread = cb.Container.ThreadTs
		if c.thread == "" {
			c.thread = cb.Message.ThreadTimestamp
		}
	}
	for _, act := range cb.ActionCallback.BlockActions {
		if act == nil {
			continue
		}
		if rest, ok := strings.CutPrefix(act.ActionID, ticketPrefix); ok {
			// A button: "ticket:<kind>", the ticket's id its value; a menu:
			// "ticket:<kind>:<id>", the choice its selected option or user.
			kind, id, menu := strings.Cut(rest, ":")
			ev := event{kind: evTicket, channel: channel, user: cb.User.ID, label: kind, msg: bot.Message{Text: act.Value}}
			if menu {
				ev.msg.Text, ev.choice = id, act.SelectedOption.Value
				if kind == kindInvite {
					ev.choice = act.SelectedUser
				}
			}
			return ev
		}
		if act.Value == "" || !strings.HasPrefix(act.ActionID, choicePrefix) {
			continue
		}
		label := act.Text.Text
		if label == "" {
			label = act.Value
		}
		ts := act.ActionTs
		if ts == "" {
			ts = cb.ActionTs
		}
		if ts == "" || strings.TrimSpace(label) == "" {
			return event{kind: evIgnore}
		}
		return event{
			kind: evTap, conv: c, channel: channel, user: cb.User.ID, tapped: tapped, label: label,
			msg: bot.Message{
				Address: c.address(),
				ID:      "act" + ts,
				Text:    label,
				Choice:  act.Value,
				At:      tsTime(ts),
				From:    bot.User{ID: cb.User.ID, Name: cb.User.Name},
			},
		}
	}
	return event{kind: evIgnore}
}

// conv is a Slack conversation: a direct message channel, or the thread
// of a mention of the app in a channel, in the app's team.
type conv struct{ team, channel, thread string }

// address is c's conversation address: "team/channel" for a DM,
// "team/channel/thread" for a mention's thread.
func (c conv) address() bot.Address {
	s := c.channel
	if c.team != "" {
		s = c.team + "/" + s
	}
	if c.thread != "" {
		s += "/" + c.thread
	}
	return bot.Address{Channel: Channel, Conversation: s}
}

// key names c in the adapter's state and lanes: its channel, and thread.
func (c conv) key() string {
	if c.thread == "" {
		return c.channel
	}
	return c.channel + "/" + c.thread
}

// parseConv reads an address's conversation: "team/channel[/thread]", or
// a bare channel id.
func parseConv(s string) conv {
	parts := strings.Split(s, "/")
	switch len(parts) {
	case 1:
		return conv{channel: parts[0]}
	case 2:
		return conv{team: parts[0], channel: parts[1]}
	}
	return conv{team: parts[0], channel: parts[1], thread: strings.Join(parts[2:], "/")}
}

// tsTime reads a Slack ts ("1700000000.000100"); zero when it is not one.
func tsTime(ts string) time.Time {
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || s <= 0 {
		return time.Time{}
	}
	us, _ := strconv.ParseInt((frac + "000000")[:6], 10, 64)
	return time.Unix(s, us*1000).UTC()
}

// before reports whether Slack ts a is older than ts b; false when either
// is not a ts.
func before(a, b string) bool {
	ta, tb := tsTime(a), tsTime(b)
	return !ta.IsZero() && !tb.IsZero() && ta.Before(tb)
}

// unescape reverses Slack's escaping of &, < and > in a message's text.
func unescape(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// process handles one event; an error means the event must be delivered
// again (the engine did not store its message).
func (a *Adapter) process(ctx context.Context, h bot.Handler, ev event) error {
	switch ev.kind {
	case evText:
		if ev.conv.channel == a.handoffChannel && a.desk != nil {
			return nil // a mention among the agents is not a customer's
		}
		if ev.mention {
			// Follow-ups in the thread continue the conversation.
			if err := a.state.Set(ctx, threadConvKey+ev.conv.key(), "1"); err != nil {
				return fmt.Errorf("slack: save the mention's thread: %w", err)
			}
		}
		ev.msg.Locale = a.locale(ctx, ev.user)
		if err := h.Handle(ctx, ev.msg); err != nil {
			return err
		}
		// The customer answered in words: the buttons of a question asked
		// before this message go. A later one (the reply to it, or to a
		// redelivered old message) stays open.
		if q := a.question(ctx, ev.conv); before(q.ts, ev.msg.ID) {
			a.closeQuestion(ctx, ev.conv, q.ts, "")
		}
	case evTap:
		ev.msg.Locale = a.locale(ctx, ev.user)
		mu := a.postingLock(ev.conv)
		mu.Lock() // a question being posted is recorded first
		q := a.question(ctx, ev.conv)
		mu.Unlock()
		if q.ts == "" || q.ts != ev.tapped {
			a.postNotice(ctx, ev.conv, ev.user, "answered", true)
			a.replaceButtons(ctx, ev.channel, ev.tapped, "", "")
			return nil
		}
		if err := h.Handle(ctx, ev.msg); err != nil {
			return err
		}
		a.closeQuestion(ctx, ev.conv, ev.tapped, ev.label)
	case evNotice:
		// Best effort: a lost notice costs the customer nothing they wrote.
		a.postNotice(ctx, ev.conv, ev.user, ev.notice, false)
	case evChannel:
		if a.desk != nil && ev.channel == a.handoffChannel {
			a.agentAct(ctx, agentEvent{user: ev.user, thread: ev.msg.Thread, text: ev.msg.Text})
			return nil
		}
		if ev.conv.thread == "" {
			return nil // the channel's own chatter
		}
		if on, err := a.state.Get(ctx, threadConvKey+ev.conv.key()); err != nil {
			return fmt.Errorf("slack: read the thread's state: %w", err)
		} else if on == "" {
			return nil // a thread calmbot was not asked into
		}
		ev.kind = evText
		ev.msg.Text = strings.TrimSpace(stripMention(ev.msg.Text, a.botUserID()))
		if ev.msg.Text == "" {
			return nil
		}
		return a.process(ctx, h, ev)
	case evTicket:
		if id, err := strconv.ParseInt(ev.msg.Text, 10, 64); err == nil && a.desk != nil && ev.channel == a.handoffChannel {
			a.agentAct(ctx, agentEvent{user: ev.user, ticket: id, kind: handoff.ActionKind(ev.label), choice: ev.choice})
		}
	}
	return nil
}

// locale is the customer's Slack locale (users.info), cached; "" when
// Slack reports none or cannot be asked now (the engine detects the
// language).
func (a *Adapter) locale(ctx context.Context, user string) string {
	if user == "" {
		return ""
	}
	if l, ok := a.locales.Load(user); ok {
		return l.(string)
	}
	u, err := a.api.GetUserInfoContext(ctx, user)
	if err != nil {
		a.log.Debug("slack: users.info", "user", user, "err", err)
		return ""
	}
	a.locales.Store(user, u.Locale)
	return u.Locale
}

// postNotice posts notice key in c, to user only when ephemeral.
func (a *Adapter) postNotice(ctx context.Context, c conv, user, key string, ephemeral bool) {
	opts := []slack.MsgOption{slack.MsgOptionText(escape(notice(key, a.locale(ctx, user))), false)}
	if c.thread != "" {
		opts = append(opts, slack.MsgOptionTS(c.thread))
	}
	var err error
	if ephemeral && user != "" {
		_, err = a.api.PostEphemeralContext(ctx, c.channel, user, opts...)
	} else {
		_, _, err = a.api.PostMessageContext(ctx, c.channel, opts...)
	}
	if err != nil && ctx.Err() == nil {
		a.log.Warn("slack: notice not sent", "channel", c.channel, "notice", key, "err", err)
	}
}

// receive reads the Socket Mode client's events until ctx ends: each
// conversation's events are handled in order in a lane of their own, and
// each envelope is acknowledged once handled (its message stored).
func (a *Adapter) receive(ctx context.Context) {
	for {
		var e socketmode.Event
		select {
		case <-ctx.Done():
			return
		case e = <-a.sm.Events:
		}
		switch e.Type {
		case socketmode.EventTypeConnected:
			a.setReady(nil)
		case socketmode.EventTypeConnectionError:
			if ce, ok := e.Data.(*slack.ConnectionErrorEvent); ok {
				a.setReady(fmt.Errorf("slack: Socket Mode: %w", ce.ErrorObj))
				a.log.Warn("slack: Socket Mode connection failed; retrying", "err", ce.ErrorObj, "retry_in", ce.Backoff)
			}
		case socketmode.EventTypeInvalidAuth:
			a.setReady(errors.New("slack: Socket Mode refused the app-level token"))
		case socketmode.EventTypeEventsAPI, socketmode.EventTypeInteractive:
			if e.Request == nil {
				continue
			}
			var ev event
			if api, ok := e.Data.(slackevents.EventsAPIEvent); ok {
				ev = readEvent(api, a.self())
			} else if cb, ok := e.Data.(slack.InteractionCallback); ok {
				ev = readAction(cb, a.self())
			}
			req := *e.Request
			a.dispatch(ev, func(ctx context.Context) {
				if a.retry(ctx, ev) != nil {
					return // ctx ended: Slack delivers the envelope again
				}
				if err := a.sm.AckCtx(ctx, req.EnvelopeID, nil); err != nil && ctx.Err() == nil {
					a.log.Warn("slack: ack not sent; Slack will deliver the event again", "envelope", req.EnvelopeID, "err", err)
				}
			})
		case socketmode.EventTypeSlashCommand:
			cmd, ok := e.Data.(slack.SlashCommand)
			if e.Request == nil || !ok {
				continue
			}
			req := *e.Request
			a.lanes.do(cmd.ChannelID, func(ctx context.Context) {
				// The answer is the ack's payload: only the user sees it.
				if err := a.sm.AckCtx(ctx, req.EnvelopeID, map[string]any{"text": escapeText(a.command(ctx, cmd))}); err != nil && ctx.Err() == nil {
					a.log.Warn("slack: slash command not acknowledged", "envelope", req.EnvelopeID, "err", err)
				}
			})
		default:
			if e.Request != nil && e.Request.EnvelopeID != "" && e.Type != socketmode.EventTypeHello {
				// Other envelopes: nothing calmbot does.
				_ = a.sm.AckCtx(ctx, e.Request.EnvelopeID, nil)
			}
		}
	}
}

// dispatch runs job in ev's lane: its conversation's (a DM, a thread), so
// their events are handled in order.
func (a *Adapter) dispatch(ev event, job func(ctx context.Context)) {
	a.lanes.do(lane(ev), job)
}

// lane is the key of ev's lane.
func lane(ev event) string {
	if ev.conv.channel != "" {
		return ev.conv.key()
	}
	return ev.channel
}

// retry processes ev until the engine stored it or ctx ends: the
// conversation's later events wait, so their order is kept.
func (a *Adapter) retry(ctx context.Context, ev event) error {
	h := a.handler()
	wait := a.backoffMin
	for {
		err := a.process(ctx, h, ev)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		a.log.Warn("slack: event not handled; trying again", "channel", ev.channel, "id", ev.msg.ID, "err", err, "retry_in", wait)
		if !sleep(ctx, wait) {
			return ctx.Err()
		}
		wait = min(2*wait, a.backoffMax)
	}
}

// verify checks a request's Slack signature (v0, HMAC-SHA256 of
// v0:timestamp:body with the signing secret, compared in constant time)
// and that its timestamp is within 5 minutes.
func (a *Adapter) verify(r *http.Request, body []byte) error {
	sv, err := slack.NewSecretsVerifier(r.Header, a.secret)
	if err != nil {
		return err
	}
	if _, err := sv.Write(body); err != nil {
		return err
	}
	return sv.Ensure()
}

// readSigned reads a request's body and checks its signature; it answers
// the request itself and returns nil when it is refused.
func (a *Adapter) readSigned(w http.ResponseWriter, r *http.Request) []byte {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return nil
	}
	if err := a.verify(r, body); err != nil {
		a.log.Warn("slack: request refused: bad or stale signature", "path", r.URL.Path, "err", err)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return nil
	}
	return body
}

// serveEvents is the Events API request URL. An unsigned, forged or stale
// request gets 401 and nothing is stored; url_verification is answered
// with its challenge; an event is answered 200 only once handled (its
// message stored), 500 when it could not be (Slack delivers it again), and
// a retry (X-Slack-Retry-Num) of an event already handled 200 at once; 503
// before Start.
func (a *Adapter) serveEvents(w http.ResponseWriter, r *http.Request) {
	body := a.readSigned(w, r)
	if body == nil {
		return
	}
	e, err := decodeEvent(body)
	if err != nil {
		http.Error(w, "not a Slack event: "+err.Error(), http.StatusBadRequest)
		return
	}
	if e.Type == slackevents.URLVerification {
		ch, _ := e.Data.(*slackevents.EventsAPIURLVerificationEvent)
		if ch == nil {
			http.Error(w, "no challenge", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, ch.Challenge)
		return
	}
	ev := readEvent(e, a.self())
	if ev.eventID != "" && r.Header.Get("X-Slack-Retry-Num") != "" && a.seen.has(ev.eventID) {
		w.WriteHeader(http.StatusOK)
		return
	}
	a.serveEvent(w, r, ev)
}

// serveInteractive is the interactivity request URL (button clicks),
// verified like serveEvents.
func (a *Adapter) serveInteractive(w http.ResponseWriter, r *http.Request) {
	body := a.readSigned(w, r)
	if body == nil {
		return
	}
	cb, err := decodeInteraction(body)
	if err != nil {
		http.Error(w, "not a Slack interaction: "+err.Error(), http.StatusBadRequest)
		return
	}
	a.serveEvent(w, r, readAction(cb, a.self()))
}

// serveCommand is the slash command request URL (/calmbot), verified
// like serveEvents; the answer is ephemeral, the user's only.
func (a *Adapter) serveCommand(w http.ResponseWriter, r *http.Request) {
	body := a.readSigned(w, r)
	if body == nil {
		return
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil || vals.Get("command") == "" {
		http.Error(w, "not a Slack slash command", http.StatusBadRequest)
		return
	}
	if a.handler() == nil {
		http.Error(w, "not started", http.StatusServiceUnavailable)
		return
	}
	cmd := slack.SlashCommand{TeamID: vals.Get("team_id"), ChannelID: vals.Get("channel_id"), UserID: vals.Get("user_id"),
		UserName: vals.Get("user_name"), Command: vals.Get("command"), Text: vals.Get("text")}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"response_type": "ephemeral", "text": escapeText(a.command(r.Context(), cmd))})
}

// serveEvent handles ev in its conversation's lane and answers once done.
func (a *Adapter) serveEvent(w http.ResponseWriter, r *http.Request, ev event) {
	h := a.handler()
	if h == nil {
		http.Error(w, "not started", http.StatusServiceUnavailable)
		return
	}
	if ev.kind == evIgnore {
		w.WriteHeader(http.StatusOK)
		return
	}
	done := make(chan error, 1)
	a.lanes.do(lane(ev), func(context.Context) { done <- a.process(r.Context(), h, ev) })
	select {
	case err := <-done:
		if err != nil {
			a.log.Warn("slack: event not handled; Slack will deliver it again", "channel", ev.channel, "id", ev.msg.ID, "err", err)
			http.Error(w, "not stored", http.StatusInternalServerError)
			return
		}
	case <-r.Context().Done():
		return
	}
	if ev.eventID != "" {
		a.seen.add(ev.eventID)
	}
	w.WriteHeader(http.StatusOK)
}

// decodeEvent reads an Events API request body.
func decodeEvent(body []byte) (slackevents.EventsAPIEvent, error) {
	e, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		return slackevents.EventsAPIEvent{}, fmt.Errorf("decode event: %w", err)
	}
	return e, nil
}

// decodeInteraction reads an interactivity request body: a form whose
// payload field is the interaction's JSON.
func decodeInteraction(body []byte) (slack.InteractionCallback, error) {
	var cb slack.InteractionCallback
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return cb, fmt.Errorf("decode interaction: %w", err)
	}
	p := vals.Get("payload")
	if p == "" {
		return cb, errors.New("no payload")
	}
	if err := json.Unmarshal([]byte(p), &cb); err != nil {
		return cb, fmt.Errorf("decode interaction: %w", err)
	}
	return cb, nil
}

// lanes runs jobs one at a time per key, keys in parallel: a
// conversation's events in order, different conversations side by side.
type lanes struct {
	mu  sync.Mutex
	ctx context.Context
	m   map[string][]func(context.Context)
	wg  sync.WaitGroup
}

// start sets the context jobs run with.
func (l *lanes) start(ctx context.Context) {
	l.mu.Lock()
	l.ctx = ctx
	l.mu.Unlock()
}

// do queues job in key's lane.
func (l *lanes) do(key string, job func(context.Context)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string][]func(context.Context){}
	}
	q, running := l.m[key]
	l.m[key] = append(q, job)
	if !running {
		ctx := l.ctx
		if ctx == nil {
			ctx = context.Background()
		}
		l.wg.Go(func() { l.run(ctx, key) })
	}
}

func (l *lanes) run(ctx context.Context, key string) {
	for {
		l.mu.Lock()
		q := l.m[key]
		if len(q) == 0 {
			delete(l.m, key)
			l.mu.Unlock()
			return
		}
		job := q[0]
		q[0] = nil
		l.m[key] = q[1:]
		l.mu.Unlock()
		job(ctx)
	}
}

// wait waits for every lane to finish.
func (l *lanes) wait() { l.wg.Wait() }

// seenEvents remembers the event_ids of the latest events handled, for
// Slack's retries.
type seenEvents struct {
	mu    sync.Mutex
	ids   map[string]bool
	order []string
}

const maxSeen = 4096

func (s *seenEvents) add(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids == nil {
		s.ids = map[string]bool{}
	}
	if s.ids[id] {
		return
	}
	s.ids[id] = true
	s.order = append(s.order, id)
	if len(s.order) > maxSeen {
		delete(s.ids, s.order[0])
		s.order = s.order[1:]
	}
}

func (s *seenEvents) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ids[id]
}

// notices are the adapter's own texts for what it cannot pass to the
// engine.
var notices = map[string]map[string]string{
	"nontext": {
		"en": "Thank you! I can only read text messages here, so I could not see that one. Could you write it in words?",
		"it": "Grazie! Qui posso leggere solo messaggi di testo, quindi quello non sono riuscito a vederlo. Potrebbe scriverlo a parole?",
		"de": "Danke! Ich kann hier nur Textnachrichten lesen, diese Nachricht konnte ich leider nicht sehen. Könnten Sie es mir in Worten schreiben?",
		"fi": "Kiitos! Pystyn lukemaan täällä vain tekstiviestejä, joten en nähnyt tuota. Voisitko kirjoittaa asian sanoin?",
	},
	"edited": {
		"en": "I saw that you edited a message. I read each message as it was first sent, so please send the change as a new message.",
		"it": "Ho visto che ha modificato un messaggio. Leggo ogni messaggio così come è stato inviato la prima volta: potrebbe mandarmi la modifica in un nuovo messaggio?",
		"de": "Ich habe gesehen, dass Sie eine Nachricht bearbeitet haben. Ich lese jede Nachricht so, wie sie zuerst gesendet wurde: Schicken Sie mir die Änderung bitte als neue Nachricht.",
		"fi": "Huomasin, että muokkasit viestiä. Luen jokaisen viestin sellaisena kuin se ensin lähetettiin, joten lähetäthän muutoksen uutena viestinä.",
	},
	"answered": {
		"en": "This question has already been answered.",
		"it": "A questa domanda è già stata data una risposta.",
		"de": "Diese Frage ist bereits beantwortet.",
		"fi": "Tähän kysymykseen on jo vastattu.",
	},
}

// notice returns notice key in the language of a Slack locale ("en-US",
// "it-IT"), English when calmbot has no text in it.
func notice(key, locale string) string {
	lang := strings.ToLower(locale)
	if i := strings.IndexAny(lang, "-_"); i > 0 {
		lang = lang[:i]
	}
	if s, ok := notices[key][lang]; ok {
		return s
	}
	return notices[key]["en"]
}

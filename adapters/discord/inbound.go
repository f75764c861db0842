package discord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	dg "github.com/bwmarrin/discordgo"

	"github.com/calmbot/calmbot/bot"
)

// Keys the adapter keeps in its bot.State (the host gives it its own
// namespace, "discord/").
const (
	activeKey  = "active"   // JSON list of the conversations whose last id is kept
	lastKey    = "last/"    // + channel id: the last stored message id
	threadKey  = "thread/"  // + support channel id + "/" + user id: the customer's thread
	ownerKey   = "owner/"   // + thread id: the customer the thread is for
	buttonsKey = "buttons/" // + channel id: the message carrying the open question's buttons
)

// maxActive bounds the conversations a reconnect checks for missed messages.
const maxActive = 1000

// choicePrefix starts the custom_id of an option's button.
const choicePrefix = "calmbot:"

// task is one unit of a conversation's queue: a message, a button press,
// or a check for messages missed while disconnected.
type task struct {
	msg     *dg.Message
	press   *dg.Interaction
	catchUp string // channel id
}

// queue is the pending tasks of one conversation; one worker at a time
// drains it, so the conversation's messages reach the engine in order.
type queue struct {
	tasks   []task
	running bool
}

// enqueue adds t to the queue of key and starts its worker if none runs.
func (a *Adapter) enqueue(key string, t task) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.s == nil {
		return
	}
	q := a.queues[key]
	if q == nil {
		q = &queue{}
		a.queues[key] = q
	}
	q.tasks = append(q.tasks, t)
	if q.running {
		return
	}
	q.running = true
	a.workers.Add(1)
	go a.drain(a.ctx, key, q)
}

func (a *Adapter) drain(ctx context.Context, key string, q *queue) {
	defer a.workers.Done()
	for {
		a.mu.Lock()
		if len(q.tasks) == 0 || ctx.Err() != nil {
			q.running = false
			q.tasks = nil
			delete(a.queues, key)
			a.mu.Unlock()
			return
		}
		t := q.tasks[0]
		q.tasks = q.tasks[1:]
		a.mu.Unlock()
		var err error
		switch {
		case t.msg != nil:
			err = a.handleMessage(ctx, t.msg)
		case t.press != nil:
			err = a.handlePress(ctx, t.press)
		case t.catchUp != "":
			err = a.catchUp(ctx, t.catchUp)
		}
		if err != nil && ctx.Err() == nil {
			a.log.Error("discord: event not handled", "conversation", key, "err", err)
		}
	}
}

func (a *Adapter) onReady(_ *dg.Session, r *dg.Ready) {
	a.setReady(nil)
	a.log.Info("discord gateway ready", "session", r.SessionID)
	a.catchUpAll()
}

func (a *Adapter) onResumed(*dg.Session, *dg.Resumed) {
	a.setReady(nil)
	a.log.Info("discord gateway resumed")
	a.catchUpAll()
}

func (a *Adapter) onDisconnect(*dg.Session, *dg.Disconnect) {
	a.setReady(errors.New("discord: gateway disconnected, reconnecting"))
}

// catchUpAll queues, ahead of any event that follows, a check of every
// active conversation for messages sent while the gateway was down. It
// runs on the gateway's reader (SyncEvents), so the checks are queued
// before the events the new session delivers.
func (a *Adapter) catchUpAll() {
	a.mu.Lock()
	ids := slices.Clone(a.order)
	a.mu.Unlock()
	for _, id := range ids {
		a.enqueue(id, task{catchUp: id})
	}
}

func (a *Adapter) onMessageCreate(_ *dg.Session, m *dg.MessageCreate) {
	if !a.fromCustomer(m.Message) {
		return
	}
	key := m.ChannelID
	if m.GuildID != "" && a.support[m.ChannelID] {
		key = m.ChannelID + "/" + m.Author.ID // the customer's thread is not known yet
	}
	a.enqueue(key, task{msg: m.Message})
}

// fromCustomer says whether m can start a turn: a person's message with
// an id and text. The bot's own messages and other bots' never do; nor do
// messages without text (an attachment alone, or a channel message read
// without the message content intent).
func (a *Adapter) fromCustomer(m *dg.Message) bool {
	if m == nil || m.Author == nil || m.Author.Bot || m.Author.ID == a.me || m.ID == "" || m.ChannelID == "" {
		return false
	}
	if strings.TrimSpace(m.Content) == "" {
		a.log.Debug("discord: a message without text ignored (an attachment, or the message content intent is off)", "channel", m.ChannelID, "id", m.ID)
		return false
	}
	return true
}

func (a *Adapter) onInteraction(_ *dg.Session, i *dg.InteractionCreate) {
	if i.Interaction == nil || i.Type != dg.InteractionMessageComponent || i.ID == "" || i.ChannelID == "" {
		return
	}
	a.enqueue(i.ChannelID, task{press: i.Interaction})
}

// loadActive reads the active conversations from the state.
func (a *Adapter) loadActive(ctx context.Context) error {
	v, err := a.state.Get(ctx, activeKey)
	if err != nil {
		return fmt.Errorf("discord: read state: %w", err)
	}
	if v == "" {
		return nil
	}
	var ids []string
	if err := json.Unmarshal([]byte(v), &ids); err != nil {
		a.log.Warn("discord: unreadable active conversations in state, starting afresh", "err", err)
		return nil
	}
	a.mu.Lock()
	for _, id := range ids {
		if !a.active[id] {
			a.active[id] = true
			a.order = append(a.order, id)
		}
	}
	a.mu.Unlock()
	return nil
}

// activate records channel as a conversation a reconnect checks: the
// maxActive most recently started ones are kept.
func (a *Adapter) activate(ctx context.Context, channel string) error {
	a.mu.Lock()
	if a.active[channel] {
		a.mu.Unlock()
		return nil
	}
	a.active[channel] = true
	a.order = append(a.order, channel)
	if len(a.order) > maxActive {
		delete(a.active, a.order[0])
		a.order = slices.Delete(a.order, 0, 1)
	}
	b, _ := json.Marshal(a.order)
	a.mu.Unlock()
	return a.state.Set(ctx, activeKey, string(b))
}

// conversation says which conversation m belongs to: its address and
// whether m is a customer's message at all. A first message in a support
// channel opens the customer's thread.
func (a *Adapter) conversation(ctx context.Context, s *dg.Session, m *dg.Message) (string, bool, error) {
	if m.GuildID == "" && !a.isThread(ctx, m.ChannelID) {
		return m.ChannelID, true, nil // a direct message
	}
	if a.support[m.ChannelID] {
		key := threadKey + m.ChannelID + "/" + m.Author.ID
		th, err := a.state.Get(ctx, key)
		if err != nil || th != "" {
			return th, err == nil, err
		}
		name := "Support: " + displayName(m.Author)
		if utf8.RuneCountInString(name) > 100 {
			name = string([]rune(name)[:100])
		}
		ch, err := s.MessageThreadStartComplex(m.ChannelID, m.ID, &dg.ThreadStart{Name: name, AutoArchiveDuration: 10080, Type: dg.ChannelTypeGuildPublicThread}, dg.WithContext(ctx))
		if err != nil {
			return "", false, fmt.Errorf("open thread: %w", mapErr(err))
		}
		if err := a.state.Set(ctx, ownerKey+ch.ID, m.Author.ID); err != nil {
			return "", false, err
		}
		if err := a.state.Set(ctx, key, ch.ID); err != nil {
			return "", false, err
		}
		return ch.ID, true, nil
	}
	owner, err := a.state.Get(ctx, ownerKey+m.ChannelID)
	if err != nil {
		return "", false, err
	}
	return m.ChannelID, owner != "" && owner == m.Author.ID, nil
}

func (a *Adapter) isThread(ctx context.Context, channel string) bool {
	owner, err := a.state.Get(ctx, ownerKey+channel)
	return err == nil && owner != ""
}

// handleMessage hands a customer's message to the engine, unless it is not
// after the conversation's last stored one (a replayed event), and then
// records its id.
func (a *Adapter) handleMessage(ctx context.Context, m *dg.Message) error {
	s, _ := a.session()
	if s == nil {
		return nil
	}
	if a.staff != nil && !a.support[m.ChannelID] {
		ticket, err := a.state.Get(ctx, threadTicketKey+m.ChannelID)
		if err != nil {
			return err
		}
		if ticket != "" {
			return a.handleStaffMessage(ctx, m, ticket)
		}
	}
	conv, ok, err := a.conversation(ctx, s, m)
	if err != nil || !ok {
		return err
	}
	last, err := a.state.Get(ctx, lastKey+conv)
	if err != nil {
		return err
	}
	if last != "" && cmpSnowflake(m.ID, last) <= 0 {
		return nil // stored already
	}
	msg := a.message(conv, m)
	if err := a.handle(ctx, msg); err != nil {
		return err
	}
	if err := a.state.Set(ctx, lastKey+conv, m.ID); err != nil {
		return err
	}
	return a.activate(ctx, conv)
}

// message is m as the engine takes it, in conversation conv.
func (a *Adapter) message(conv string, m *dg.Message) bot.Message {
	locale := m.Author.Locale // Discord sends none on messages; a client may
	if m.GuildID != "" && a.guildLocale != "" {
		locale = a.guildLocale
	}
	at := m.Timestamp
	if at.IsZero() {
		at = time.Now()
	}
	msg := bot.Message{
		Address: bot.Address{Channel: Channel, Conversation: conv},
		ID:      m.ID, Text: m.Content, Locale: locale, At: at,
		From: bot.User{ID: m.Author.ID, Name: displayName(m.Author)},
	}
	if conv != m.ChannelID || m.GuildID != "" {
		msg.Thread = conv
	}
	return msg
}

// handle hands m to the engine until it is stored or the adapter stops:
// the gateway will not deliver it again.
func (a *Adapter) handle(ctx context.Context, m bot.Message) error {
	a.mu.Lock()
	h := a.h
	a.mu.Unlock()
	wait := a.retryMin
	for {
		err := h.Handle(ctx, m)
		if err == nil {
			return nil
		}
		a.log.Warn("discord: message not stored, retrying", "conversation", m.Address.Conversation, "id", m.ID, "err", err, "in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(wait*2, a.retryMax)
	}
}

// handlePress hands a button press to the engine as choosing its option,
// then acknowledges it (a deferred update) and disables the question's
// buttons.
func (a *Adapter) handlePress(ctx context.Context, i *dg.Interaction) error {
	s, _ := a.session()
	if s == nil {
		return nil
	}
	data, ok := i.Data.(dg.MessageComponentInteractionData)
	if !ok {
		return nil
	}
	if a.staff != nil && strings.HasPrefix(data.CustomID, staffPrefix) {
		return a.handleStaffPress(ctx, i, data)
	}
	choice, ok := strings.CutPrefix(data.CustomID, choicePrefix)
	if !ok {
		return nil
	}
	user := i.User
	if i.Member != nil && i.Member.User != nil {
		user = i.Member.User
	}
	if user == nil {
		return nil
	}
	if i.GuildID != "" {
		owner, err := a.state.Get(ctx, ownerKey+i.ChannelID)
		if err != nil {
			return err
		}
		if owner != user.ID {
			return s.InteractionRespond(i, &dg.InteractionResponse{Type: dg.InteractionResponseDeferredMessageUpdate}, dg.WithContext(ctx))
		}
	}
	label := choice
	if i.Message != nil {
		if b := findButton(i.Message.Components, data.CustomID); b != nil {
			label = b.Label
		}
	}
	msg := bot.Message{
		Address: bot.Address{Channel: Channel, Conversation: i.ChannelID},
		ID:      i.ID, Text: label, Choice: choice, Locale: string(i.Locale), At: time.Now(),
		From: bot.User{ID: user.ID, Name: displayName(user)},
	}
	if i.GuildID != "" {
		msg.Thread = i.ChannelID
	}
	if err := a.handle(ctx, msg); err != nil {
		return err
	}
	if err := s.InteractionRespond(i, &dg.InteractionResponse{Type: dg.InteractionResponseDeferredMessageUpdate}, dg.WithContext(ctx)); err != nil {
		a.log.Warn("discord: button press not acknowledged", "err", err)
	}
	if i.Message != nil {
		if err := a.disableButtons(ctx, s, i.ChannelID, i.Message.ID); err != nil {
			a.log.Warn("discord: buttons not disabled", "err", err)
		}
	}
	return a.activate(ctx, i.ChannelID)
}

// catchUp hands the engine the customer's messages of channel after the
// last stored one, oldest first: those sent while the gateway was down.
func (a *Adapter) catchUp(ctx context.Context, channel string) error {
	s, _ := a.session()
	if s == nil {
		return nil
	}
	last, err := a.state.Get(ctx, lastKey+channel)
	if err != nil || last == "" {
		return err
	}
	for {
		ms, err := s.ChannelMessages(channel, 100, "", last, "", dg.WithContext(ctx))
		if err != nil {
			var perm *bot.PermanentError
			if errors.As(mapErr(err), &perm) {
				a.forget(ctx, channel)
				return nil
			}
			return fmt.Errorf("fetch missed messages: %w", err)
		}
		slices.SortFunc(ms, func(x, y *dg.Message) int { return cmpSnowflake(x.ID, y.ID) })
		for _, m := range ms {
			if m.ChannelID == "" {
				m.ChannelID = channel
			}
			if !a.fromCustomer(m) {
				continue
			}
			a.log.Info("discord: handling a message missed while disconnected", "conversation", channel, "id", m.ID)
			if err := a.handleMessage(ctx, m); err != nil {
				return err
			}
		}
		if len(ms) < 100 {
			return nil
		}
		last = ms[len(ms)-1].ID
	}
}

// forget stops checking channel (deleted, or the bot lost access).
func (a *Adapter) forget(ctx context.Context, channel string) {
	a.mu.Lock()
	delete(a.active, channel)
	a.order = slices.DeleteFunc(a.order, func(id string) bool { return id == channel })
	b, _ := json.Marshal(a.order)
	a.mu.Unlock()
	_ = a.state.Set(ctx, activeKey, string(b))
}

func findButton(rows []dg.MessageComponent, customID string) *dg.Button {
	for _, c := range rows {
		var comps []dg.MessageComponent
		switch r := c.(type) {
		case *dg.ActionsRow:
			comps = r.Components
		case dg.ActionsRow:
			comps = r.Components
		}
		for _, x := range comps {
			switch b := x.(type) {
			case *dg.Button:
				if b.CustomID == customID {
					return b
				}
			case dg.Button:
				if b.CustomID == customID {
					return &b
				}
			}
		}
	}
	return nil
}

// displayName is how Discord shows u: the global name, else the username.
func displayName(u *dg.User) string {
	if u.GlobalName != "" {
		return u.GlobalName
	}
	return u.Username
}

// cmpSnowflake compares two Discord ids (decimal, time-ordered).
func cmpSnowflake(x, y string) int {
	a, errA := strconv.ParseUint(x, 10, 64)
	b, errB := strconv.ParseUint(y, 10, 64)
	if errA != nil || errB != nil {
		if len(x) != len(y) {
			return len(x) - len(y)
		}
		return strings.Compare(x, y)
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// decodeEvent decodes one gateway payload the way the adapter reads it:
// the dispatches it handles, as discordgo unmarshals them. It returns the
// customer messages the payload makes, for the fuzz target and tests.
func (a *Adapter) decodeEvent(raw []byte) ([]bot.Message, error) {
	var ev struct {
		Op   int             `json:"op"`
		Type string          `json:"t"`
		Data json.RawMessage `json:"d"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	if ev.Op != 0 {
		return nil, nil
	}
	switch ev.Type {
	case "MESSAGE_CREATE":
		var m dg.MessageCreate
		if err := json.Unmarshal(ev.Data, &m); err != nil {
			return nil, err
		}
		if !a.fromCustomer(m.Message) {
			return nil, nil
		}
		return []bot.Message{a.message(m.ChannelID, m.Message)}, nil
	case "INTERACTION_CREATE":
		var i dg.InteractionCreate
		if err := json.Unmarshal(ev.Data, &i); err != nil {
			return nil, err
		}
		if i.Interaction == nil || i.Type != dg.InteractionMessageComponent || i.ID == "" || i.ChannelID == "" {
			return nil, nil
		}
		data, ok := i.Data.(dg.MessageComponentInteractionData)
		if !ok {
			return nil, nil
		}
		choice, ok := strings.CutPrefix(data.CustomID, choicePrefix)
		if !ok {
			return nil, nil
		}
		return []bot.Message{{Address: bot.Address{Channel: Channel, Conversation: i.ChannelID}, ID: i.ID, Choice: choice, Locale: string(i.Locale)}}, nil
	}
	return nil, nil
}

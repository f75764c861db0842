package telegram

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/calmbot/calmbot/adapters/feed"
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/assist"
)

// The agent group: a Telegram group where support staff act on tickets.
//
// Every ticket gets one message in the group with its summary and the
// buttons Claim, Release (to a stage chosen on a second keyboard) and
// Close; that message is edited to say who holds the ticket and, once it
// is closed, loses its buttons. In a forum (a supergroup with topics) each
// ticket gets its own topic, opened with that message and the transcript
// so far; elsewhere agents work in replies to the ticket's message. What
// the ticket's holder writes there reaches the customer on their own
// channel, "/note ..." or "!..." is an internal note, and the customer's
// new messages appear there as they arrive.
//
// A member of the group (or, when configured, one of the listed users) is
// an agent: the update comes from the configured chat, which is the
// verification. Private chats stay on the customer side.

// AgentAPI is what the agent group uses of the handoff service (a
// *handoff.Service).
type AgentAPI interface {
	SubscribeAll() (<-chan handoff.Update, func())
	Tickets() []*handoff.Ticket
	Ticket(ctx context.Context, id int64) (*handoff.Ticket, error)
	Brief(ctx context.Context, id int64) (handoff.Brief, error)
	Act(ctx context.Context, agent string, a handoff.Action) (handoff.Result, error)
	Provision(ctx context.Context, id handoff.Identity) (handoff.Agent, error)
	Identities(ctx context.Context) ([]handoff.Link, error)
}

// Platform is the platform name of Telegram users' agent identities
// ("telegram:<user id>", as `calmbot agents link` takes it).
const Platform = "telegram"

// WithAgentGroup makes the Telegram group chat an agent surface on api: its
// members (only the users of allowed, when there are any) act on every
// ticket there. chat is the group's id (-100... for a supergroup).
func WithAgentGroup(chat int64, api AgentAPI, allowed ...int64) Option {
	return func(a *Adapter) {
		g := &agentGroup{a: a, chat: chat, api: api, allowed: map[int64]bool{},
			posts: map[int64]post{}, shown: map[int64]string{}, seq: map[int64]int64{},
			echo: map[int64][]string{}, names: map[string]string{}, agents: map[int64]agentOfUser{}}
		for _, id := range allowed {
			g.allowed[id] = true
		}
		a.group = g
	}
}

// Keys of the agent group in the adapter's State.
const (
	ticketKey = "agent/ticket/" // + ticket id: "<message id> <thread id>"
	threadKey = "agent/thread/" // + topic's message_thread_id: ticket id
	postKey   = "agent/msg/"    // + message id: ticket id
	// seqKey + ticket id: the last transcript entry shown in its thread,
	// from which a new leader catches up.
	seqKey = "agent/seq/"
	// echoKey + ticket id + "/" + a hash of the text: how many replies and
	// notes written in the group, by whichever instance received them, the
	// leader is not to show again (WithLeader).
	echoKey = "agent/echo/"
)

// Callback data of the ticket buttons: "t:<ticket>:<verb>[:<stage>]".
const (
	verbClaim   = "claim"
	verbRelease = "rel"   // shows the stages
	verbStage   = "r"     // releases to the stage named after it
	verbBack    = "back"  // back to the main buttons
	verbClose   = "close" // closes the ticket
)

// agentGroup is the agent surface on one group chat.
type agentGroup struct {
	a       *Adapter
	chat    int64
	api     AgentAPI
	allowed map[int64]bool

	mu     sync.Mutex
	forum  *bool                 // nil until getChat answered
	posts  map[int64]post        // ticket -> its message (a cache of the State)
	shown  map[int64]string      // ticket -> the status and buttons its message shows
	seq    map[int64]int64       // ticket -> the last transcript entry shown in its thread
	echo   map[int64][]string    // ticket -> replies and notes written here, not to show again
	names  map[string]string     // agent -> Telegram name
	agents map[int64]agentOfUser // Telegram user -> agent
}

// post is where a ticket is shown: its message and, in a forum, its topic.
type post struct{ msg, thread int }

type agentOfUser struct{ id, name string }

// run shows the open tickets and then every change, until ctx ends.
func (g *agentGroup) run(ctx context.Context) {
	// Another instance may have led meanwhile: what each ticket shows is
	// read again, and each thread caught up from the stored seq.
	g.mu.Lock()
	clear(g.shown)
	clear(g.seq)
	g.mu.Unlock()
	g.loadNames(ctx)
	feed.Follow(ctx, g.api, g.apply)
}

// loadNames learns the Telegram names of the linked agents.
func (g *agentGroup) loadNames(ctx context.Context) {
	links, err := g.api.Identities(ctx)
	if err != nil {
		g.warn(ctx, "telegram agent group: identities not read", "err", err)
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, l := range links {
		if l.Platform == Platform && l.Name != "" {
			g.names[l.Agent] = l.Name
		}
	}
}

// apply shows one update in the group (feed.Follow shows every open
// ticket again after a resync).
func (g *agentGroup) apply(ctx context.Context, u handoff.Update) {
	switch u.Kind {
	case handoff.UpdateQueue, handoff.UpdateTicket:
		t := u.Ticket
		if t == nil {
			var err error
			if t, err = g.api.Ticket(ctx, u.TicketID); err != nil {
				return
			}
		}
		g.show(ctx, t)
	case handoff.UpdateMessage:
		if u.Entry != nil {
			g.relay(ctx, u.TicketID, *u.Entry)
		}
	case handoff.UpdateNote:
		if u.Note != nil && !g.echoed(ctx, u.TicketID, "note:"+u.Note.Author+":"+u.Note.Text) {
			g.say(ctx, u.TicketID, "📝 Note by "+g.name(u.Note.Author)+": "+u.Note.Text)
		}
	}
}

// show posts ticket t when it is new and open, else edits its message to
// its status.
func (g *agentGroup) show(ctx context.Context, t *handoff.Ticket) {
	p, ok := g.post(ctx, t.ID)
	if !ok {
		if t.Open() {
			g.create(ctx, t)
		}
		return
	}
	status := g.status(t)
	key := status + "|" + strconv.FormatBool(t.Open())
	g.mu.Lock()
	same := g.shown[t.ID] == key
	_, following := g.seq[t.ID]
	g.mu.Unlock()
	if same {
		return // a move in the queue: the message shows the same
	}
	b, err := g.api.Brief(ctx, t.ID)
	if err != nil {
		g.warn(ctx, "telegram agent group: ticket not read", "ticket", t.ID, "err", err)
		return
	}
	b.Ticket = t // the update's version: Brief may have read an older one
	if !following && t.Open() {
		g.catchUp(ctx, t.ID, b.Transcript)
	}
	_, err = g.a.api.EditMessageText(ctx, &tg.EditMessageTextParams{
		ChatID: g.chat, MessageID: p.msg, Text: ticketText(status, b), ReplyMarkup: g.buttons(t),
	})
	if err != nil && !notModified(err) {
		g.warn(ctx, "telegram agent group: ticket message not edited", "ticket", t.ID, "message_id", p.msg, "err", err)
		return
	}
	g.mu.Lock()
	g.shown[t.ID] = key
	if !t.Open() {
		delete(g.shown, t.ID)
		delete(g.seq, t.ID)
		delete(g.echo, t.ID)
	}
	g.mu.Unlock()
	if !t.Open() {
		g.set(ctx, seqKey+strconv.FormatInt(t.ID, 10), "") // nothing to catch up on
	}
}

// postTimeout bounds the posting of a ticket's message, which a stop does
// not interrupt.
const postTimeout = 30 * time.Second

// create posts open ticket t: in a forum a topic of its own with the
// ticket's message and the transcript so far, else one message.
func (g *agentGroup) create(ctx context.Context, t *handoff.Ticket) {
	b, err := g.api.Brief(ctx, t.ID)
	if err != nil {
		g.warn(ctx, "telegram agent group: ticket not read", "ticket", t.ID, "err", err)
		return
	}
	b.Ticket = t
	// A stop must not cut the posting short between Telegram taking the
	// message and its id being remembered: the next start would post the
	// ticket again.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), postTimeout)
	defer cancel()
	var p post
	if g.isForum(ctx) {
		topic, err := g.a.api.CreateForumTopic(ctx, &tg.CreateForumTopicParams{ChatID: g.chat, Name: topicName(b)})
		if err != nil {
			g.warn(ctx, "telegram agent group: no topic for the ticket (make the bot an admin who can manage topics); agents answer in replies",
				"ticket", t.ID, "err", err)
		} else {
			p.thread = topic.MessageThreadID
		}
	}
	status := g.status(t)
	m, err := g.a.api.SendMessage(ctx, &tg.SendMessageParams{ChatID: g.chat, MessageThreadID: p.thread,
		Text: ticketText(status, b), ReplyMarkup: g.buttons(t)})
	if err != nil {
		g.warn(ctx, "telegram agent group: ticket not posted", "ticket", t.ID, "err", err)
		return
	}
	p.msg = m.ID
	g.remember(ctx, t.ID, p)
	var last int64
	for _, e := range b.Transcript {
		last = max(last, e.Seq)
	}
	g.mu.Lock()
	g.shown[t.ID] = status + "|true"
	g.seq[t.ID] = last
	g.mu.Unlock()
	g.setSeq(ctx, t.ID, last)
	if p.thread != 0 && len(b.Transcript) > 0 {
		var sb strings.Builder
		sb.WriteString("Transcript so far:\n")
		for _, e := range b.Transcript {
			sb.WriteString("\n" + g.line(e))
		}
		g.send(ctx, t.ID, p, sb.String())
	}
}

// relay shows a message of ticket id's conversation in its thread.
func (g *agentGroup) relay(ctx context.Context, id int64, e bot.Entry) {
	if _, ok := g.post(ctx, id); !ok {
		if t, err := g.api.Ticket(ctx, id); err == nil && t.Open() {
			g.create(ctx, t) // its transcript has e
		}
		return
	}
	g.mu.Lock()
	_, following := g.seq[id]
	g.mu.Unlock()
	if !following {
		// The first of the ticket's messages since this instance leads:
		// what came before it since the last one shown, too.
		if b, err := g.api.Brief(ctx, id); err == nil {
			g.catchUp(ctx, id, b.Transcript)
		}
	}
	g.show1(ctx, id, e) // shown already when the transcript had it
}

// show1 shows transcript entry e of ticket id in its thread, unless it
// was written here, and counts it shown.
func (g *agentGroup) show1(ctx context.Context, id int64, e bot.Entry) {
	g.mu.Lock()
	if e.Seq != 0 && e.Seq <= g.seq[id] {
		g.mu.Unlock()
		return
	}
	g.seq[id] = max(g.seq[id], e.Seq)
	seq := g.seq[id]
	g.mu.Unlock()
	if e.Seq != 0 {
		g.setSeq(ctx, id, seq)
	}
	if e.Direction == bot.Outbound && e.Author != "" && g.echoed(ctx, id, "reply:"+e.Author+":"+strings.TrimSpace(e.Text)) {
		return
	}
	g.say(ctx, id, g.line(e))
}

// catchUp shows the entries of ticket id's transcript after the last one
// shown in its thread (by this instance, or by the leader before it, as
// the State says): what was written while no instance led the group.
func (g *agentGroup) catchUp(ctx context.Context, id int64, transcript []bot.Entry) {
	g.mu.Lock()
	last, ok := g.seq[id]
	g.mu.Unlock()
	if !ok {
		v, err := g.a.state.Get(ctx, seqKey+strconv.FormatInt(id, 10))
		if err != nil {
			g.warn(ctx, "telegram agent group: last message shown not read; showing from now on", "ticket", id, "err", err)
		}
		if last, err = strconv.ParseInt(v, 10, 64); err != nil || v == "" {
			// Nothing stored (a ticket shown before this was kept): from
			// now on.
			for _, e := range transcript {
				last = max(last, e.Seq)
			}
		}
		g.mu.Lock()
		g.seq[id] = max(g.seq[id], last)
		g.mu.Unlock()
	}
	for _, e := range transcript {
		if e.Seq > last {
			g.show1(ctx, id, e)
		}
	}
}

// setSeq stores the last transcript entry shown in ticket id's thread.
func (g *agentGroup) setSeq(ctx context.Context, id, seq int64) {
	g.set(ctx, seqKey+strconv.FormatInt(id, 10), strconv.FormatInt(seq, 10))
}

// line is one transcript entry as the group reads it.
func (g *agentGroup) line(e bot.Entry) string {
	switch {
	case e.Direction == bot.Inbound:
		return "👤 Customer: " + e.Text
	case e.Author == "":
		return "🤖 Bot: " + e.Text
	}
	who := e.Author
	if id, ok := handoff.AgentOf(e.Author); ok {
		who = g.name(id)
	}
	return "🧑‍💼 " + who + ": " + e.Text
}

// say posts text in ticket id's thread.
func (g *agentGroup) say(ctx context.Context, id int64, text string) {
	if p, ok := g.post(ctx, id); ok {
		g.send(ctx, id, p, text)
	}
}

// send posts text, split at MaxText, in p's topic or as replies to its
// message; a reply to any of them is about ticket id.
func (g *agentGroup) send(ctx context.Context, id int64, p post, text string) {
	for _, part := range split(text, MaxText) {
		params := &tg.SendMessageParams{ChatID: g.chat, Text: part, MessageThreadID: p.thread}
		if p.thread == 0 {
			params.ReplyParameters = &models.ReplyParameters{MessageID: p.msg, AllowSendingWithoutReply: true}
		}
		m, err := g.a.api.SendMessage(ctx, params)
		if err != nil {
			g.warn(ctx, "telegram agent group: message not posted", "ticket", id, "err", err)
			return
		}
		if p.thread == 0 {
			g.set(ctx, postKey+strconv.Itoa(m.ID), strconv.FormatInt(id, 10))
		}
	}
}

// status is the first line of a ticket's message: where it stands.
func (g *agentGroup) status(t *handoff.Ticket) string {
	switch t.Status {
	case handoff.StatusQueued:
		return "🟡 Waiting for an agent: tap Claim to take it."
	case handoff.StatusAssigned:
		s := "🟢 Claimed by " + g.name(t.Owner)
		if len(t.Invited) > 0 {
			names := make([]string, len(t.Invited))
			for i, a := range t.Invited {
				names[i] = g.name(a)
			}
			s += ", with " + strings.Join(names, ", ")
		}
		return s + "."
	}
	switch t.Outcome {
	case handoff.OutcomeReleased:
		return "⚪ Released to the bot by " + g.name(t.Owner) + "."
	case handoff.OutcomeClosed:
		return "⚪ Closed by " + g.name(t.Owner) + "."
	}
	return "⚪ Ended: the conversation went back to the bot or ended."
}

// name is how the group knows agent id: their Telegram name, else the id.
func (g *agentGroup) name(id string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if n := g.names[id]; n != "" && n != id {
		return n + " (" + id + ")"
	}
	return id
}

// ticketText is a ticket's message: its status, then its summary.
func ticketText(status string, b handoff.Brief) string {
	s := status + "\n\n" + b.Summary.Text()
	if utf16Len(s) > MaxText {
		s = split(s, MaxText-2)[0] + " …"
	}
	return s
}

// topicName names a ticket's topic: "#7 · late delivery", at most 128
// characters.
func topicName(b handoff.Brief) string {
	what := b.Summary.Concern
	if what == "" {
		what = b.Summary.ReasonText
	}
	if what == "" {
		what = string(b.Ticket.Reason)
	}
	s := "#" + strconv.FormatInt(b.Ticket.ID, 10) + " · " + what
	if utf8.RuneCountInString(s) > 128 {
		s = string([]rune(s)[:127]) + "…"
	}
	return s
}

// buttons are an open ticket's Claim, Release and Close; a closed one has
// none (an empty keyboard removes them).
func (g *agentGroup) buttons(t *handoff.Ticket) *models.InlineKeyboardMarkup {
	if !t.Open() {
		return &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{}}
	}
	return &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{
		{Text: "Claim", CallbackData: ticketData(t.ID, verbClaim, "")},
		{Text: "Release to the bot…", CallbackData: ticketData(t.ID, verbRelease, "")},
		{Text: "Close", CallbackData: ticketData(t.ID, verbClose, "")},
	}}}
}

// stageButtons offer ticket id's release stages, one a row, and a way back.
func stageButtons(id int64, stages []handoff.Stage) *models.InlineKeyboardMarkup {
	var rows [][]models.InlineKeyboardButton
	for _, s := range stages {
		data := ticketData(id, verbStage, s.State)
		if _, _, stage, ok := parseTicketData(data); !ok || stage != s.State {
			continue // a state name too long for callback_data
		}
		label := "What else can I do?"
		if s.State != "" {
			label = s.State
			if s.Kind != "" && string(s.Kind) != s.State {
				label += " (" + string(s.Kind) + ")"
			}
		}
		if s.Say != "" {
			label += ": " + s.Say
		}
		if utf8.RuneCountInString(label) > 60 {
			label = string([]rune(label)[:59]) + "…"
		}
		rows = append(rows, []models.InlineKeyboardButton{{Text: label, CallbackData: data}})
	}
	rows = append(rows, []models.InlineKeyboardButton{{Text: "« Back", CallbackData: ticketData(id, verbBack, "")}})
	return &models.InlineKeyboardMarkup{InlineKeyboard: rows}
}

func ticketData(id int64, verb, stage string) string {
	s := "t:" + strconv.FormatInt(id, 10) + ":" + verb
	if verb == verbStage {
		s += ":" + stage
	}
	return s
}

// parseTicketData reads ticketData's format.
func parseTicketData(s string) (id int64, verb, stage string, ok bool) {
	rest, found := strings.CutPrefix(s, "t:")
	if !found || len(s) > maxCallbackData {
		return 0, "", "", false
	}
	num, rest, _ := strings.Cut(rest, ":")
	verb, stage, _ = strings.Cut(rest, ":")
	id, err := strconv.ParseInt(num, 10, 64)
	if err != nil || id <= 0 || verb == "" {
		return 0, "", "", false
	}
	return id, verb, stage, true
}

// notModified reports Telegram's refusal of an edit that changes nothing.
func notModified(err error) bool {
	return err != nil && strings.Contains(err.Error(), "message is not modified")
}

// isForum reports whether the group has topics (getChat's is_forum),
// asking once it answers.
func (g *agentGroup) isForum(ctx context.Context) bool {
	g.mu.Lock()
	f := g.forum
	g.mu.Unlock()
	if f != nil {
		return *f
	}
	c, err := g.a.api.GetChat(ctx, &tg.GetChatParams{ChatID: g.chat})
	if err != nil {
		g.warn(ctx, "telegram agent group: getChat failed (is the bot a member of the group?)", "chat", g.chat, "err", err)
		return false
	}
	g.mu.Lock()
	g.forum = &c.IsForum
	g.mu.Unlock()
	return c.IsForum
}

// post returns where ticket id is shown, if it is.
func (g *agentGroup) post(ctx context.Context, id int64) (post, bool) {
	g.mu.Lock()
	p, ok := g.posts[id]
	g.mu.Unlock()
	if ok {
		return p, true
	}
	s, err := g.a.state.Get(ctx, ticketKey+strconv.FormatInt(id, 10))
	if err != nil || s == "" {
		return post{}, false
	}
	msg, thread, _ := strings.Cut(s, " ")
	p.msg, _ = strconv.Atoi(msg)
	p.thread, _ = strconv.Atoi(thread)
	if p.msg == 0 {
		return post{}, false
	}
	g.mu.Lock()
	g.posts[id] = p
	g.mu.Unlock()
	return p, true
}

// remember keeps where ticket id is shown, durably: a restart edits the
// same message.
func (g *agentGroup) remember(ctx context.Context, id int64, p post) {
	g.mu.Lock()
	g.posts[id] = p
	g.mu.Unlock()
	ticket := strconv.FormatInt(id, 10)
	g.set(ctx, ticketKey+ticket, strconv.Itoa(p.msg)+" "+strconv.Itoa(p.thread))
	g.set(ctx, postKey+strconv.Itoa(p.msg), ticket)
	if p.thread != 0 {
		g.set(ctx, threadKey+strconv.Itoa(p.thread), ticket)
	}
}

func (g *agentGroup) set(ctx context.Context, key, value string) {
	if err := g.a.state.Set(ctx, key, value); err != nil {
		g.warn(ctx, "telegram agent group: state not saved", "key", key, "err", err)
	}
}

// lookup returns the ticket a State key (a topic, a message) names; 0 for none.
func (g *agentGroup) lookup(ctx context.Context, key string) int64 {
	s, err := g.a.state.Get(ctx, key)
	if err != nil {
		return 0
	}
	id, _ := strconv.ParseInt(s, 10, 64)
	return id
}

// expect notes that key (a reply's or a note's) was written here: its
// update is not shown again. With WithLeader the note is kept in the
// shared State, since the instance that shows the group may be another.
func (g *agentGroup) expect(ctx context.Context, id int64, key string) {
	if g.a.leader != nil {
		g.addEcho(ctx, id, key, 1)
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.echo[id] = append(g.echo[id], key)
}

// echoed reports, once, whether key was written here.
func (g *agentGroup) echoed(ctx context.Context, id int64, key string) bool {
	if g.a.leader != nil {
		return g.addEcho(ctx, id, key, -1)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, k := range g.echo[id] {
		if k == key {
			g.echo[id] = append(g.echo[id][:i], g.echo[id][i+1:]...)
			return true
		}
	}
	return false
}

// addEcho adds d (1 or -1) to the count of key's echoes expected in the
// State; for -1 it reports whether one was expected (and takes it).
func (g *agentGroup) addEcho(ctx context.Context, id int64, key string, d int) bool {
	sum := sha256.Sum256([]byte(key))
	k := echoKey + strconv.FormatInt(id, 10) + "/" + hex.EncodeToString(sum[:12])
	v, err := g.a.state.Get(ctx, k)
	if err != nil {
		g.warn(ctx, "telegram agent group: expected echo not read", "ticket", id, "err", err)
		return false
	}
	n, _ := strconv.Atoi(v)
	if n+d < 0 {
		return false
	}
	v = ""
	if n+d > 0 {
		v = strconv.Itoa(n + d)
	}
	g.set(ctx, k, v) // "" removes the key
	return d < 0
}

// forget drops an expected echo that will not come (the action failed).
func (g *agentGroup) forget(ctx context.Context, id int64, key string) { g.echoed(ctx, id, key) }

// agent returns the agent of Telegram user u, a member of the group, when
// they may act: any member, or only the allowed users.
func (g *agentGroup) agent(ctx context.Context, u *models.User) (string, error) {
	if u == nil || u.IsBot {
		return "", errNotAgent
	}
	if len(g.allowed) > 0 && !g.allowed[u.ID] {
		return "", errNotAgent
	}
	g.mu.Lock()
	known, ok := g.agents[u.ID]
	g.mu.Unlock()
	name := user(u).Name
	if ok && known.name == name {
		return known.id, nil
	}
	ag, err := g.api.Provision(ctx, handoff.Identity{Platform: Platform, UserID: strconv.FormatInt(u.ID, 10), Name: name})
	if err != nil {
		return "", fmt.Errorf("agent of telegram user %d: %w", u.ID, err)
	}
	g.mu.Lock()
	g.agents[u.ID] = agentOfUser{id: ag.ID, name: name}
	if name != "" {
		g.names[ag.ID] = name
	}
	g.mu.Unlock()
	return ag.ID, nil
}

var errNotAgent = errors.New("not an agent of this group")

// warn logs a failure, unless it only failed because the adapter stops.
func (g *agentGroup) warn(ctx context.Context, msg string, args ...any) {
	if ctx.Err() == nil {
		g.a.log.Warn(msg, args...)
	}
}

// process handles an update from the agent group. It never asks for the
// update again: a failed action is told to the agent instead.
func (g *agentGroup) process(ctx context.Context, u *models.Update) error {
	switch {
	case u.CallbackQuery != nil:
		g.tap(ctx, u.CallbackQuery)
	case u.Message != nil:
		g.message(ctx, u.Message)
	}
	return nil
}

// tap handles a ticket button.
func (g *agentGroup) tap(ctx context.Context, q *models.CallbackQuery) {
	m := q.Message.Message
	id, verb, stage, ok := parseTicketData(q.Data)
	if !ok || m == nil {
		g.a.answerQuery(ctx, q.ID, "")
		return
	}
	agent, err := g.agent(ctx, &q.From)
	if err != nil {
		if !errors.Is(err, errNotAgent) {
			g.warn(ctx, "telegram agent group: agent not provisioned", "user", q.From.ID, "err", err)
		}
		g.a.answerQuery(ctx, q.ID, "Only the support team can act on tickets here.")
		return
	}
	switch verb {
	case verbClaim:
		g.act(ctx, q.ID, agent, handoff.Action{Kind: handoff.ActClaim, Ticket: id}, "You hold ticket #%d now: write in its thread to answer the customer.")
	case verbClose:
		g.act(ctx, q.ID, agent, handoff.Action{Kind: handoff.ActClose, Ticket: id}, "Ticket #%d closed.")
	case verbStage:
		g.act(ctx, q.ID, agent, handoff.Action{Kind: handoff.ActRelease, Ticket: id, Stage: stage}, "Ticket #%d is back with the bot.")
	case verbRelease, verbBack:
		t, err := g.api.Ticket(ctx, id)
		if err == nil && !t.Open() {
			err = handoff.ErrClosed
		}
		if err == nil && verb == verbRelease && !t.Involves(agent) {
			err = handoff.ErrForbidden
		}
		if err != nil {
			g.a.answerQuery(ctx, q.ID, g.explain(ctx, id, err))
			return
		}
		markup := g.buttons(t)
		if verb == verbRelease {
			b, err := g.api.Brief(ctx, id)
			if err != nil {
				g.a.answerQuery(ctx, q.ID, g.explain(ctx, id, err))
				return
			}
			markup = stageButtons(id, b.Stages)
		}
		if _, err := g.a.api.EditMessageReplyMarkup(ctx, &tg.EditMessageReplyMarkupParams{ChatID: g.chat, MessageID: m.ID, ReplyMarkup: markup}); err != nil && !notModified(err) {
			g.warn(ctx, "telegram agent group: buttons not changed", "ticket", id, "err", err)
		}
		g.a.answerQuery(ctx, q.ID, "")
	default:
		g.a.answerQuery(ctx, q.ID, "")
	}
}

// act does a for agent and answers the tap query: done (with the ticket's
// number) or why not.
func (g *agentGroup) act(ctx context.Context, query, agent string, a handoff.Action, done string) {
	if _, err := g.api.Act(ctx, agent, a); err != nil {
		g.a.answerQuery(ctx, query, g.explain(ctx, a.Ticket, err))
		return
	}
	g.a.answerQuery(ctx, query, fmt.Sprintf(done, a.Ticket))
}

// explain says why an action on ticket id failed, for the agent.
func (g *agentGroup) explain(ctx context.Context, id int64, err error) string {
	n := "#" + strconv.FormatInt(id, 10)
	switch {
	case errors.Is(err, handoff.ErrTaken):
		if t, terr := g.api.Ticket(ctx, id); terr == nil && t.Owner != "" {
			return "Ticket " + n + " is already claimed by " + g.name(t.Owner) + "."
		}
		return "Ticket " + n + " is already claimed."
	case errors.Is(err, handoff.ErrClosed):
		return "Ticket " + n + " is closed."
	case errors.Is(err, handoff.ErrForbidden):
		if t, terr := g.api.Ticket(ctx, id); terr == nil && t.Owner != "" {
			return "Ticket " + n + " is held by " + g.name(t.Owner) + ": only they can do that (a message starting with ! is a note)."
		}
		return "Claim ticket " + n + " first."
	case errors.Is(err, handoff.ErrNoCapacity):
		return "You already hold as many tickets as you can."
	case errors.Is(err, handoff.ErrUnknownStage):
		return "The bot cannot take ticket " + n + " back there: tap Release to choose a stage."
	case errors.Is(err, handoff.ErrEmptyQueue):
		return "No ticket is waiting for you."
	case errors.Is(err, handoff.ErrNotFound):
		return "There is no ticket " + n + "."
	case errors.Is(err, handoff.ErrInvalid):
		return "That did not work: " + err.Error()
	}
	g.warn(ctx, "telegram agent group: action failed", "ticket", id, "err", err)
	return "That did not work (" + err.Error() + "): try again in a moment."
}

// message handles what someone wrote in the group: about a ticket when it
// is in the ticket's topic or a reply to one of its messages.
func (g *agentGroup) message(ctx context.Context, m *models.Message) {
	if m.From == nil || m.From.IsBot {
		return
	}
	var id int64
	if m.IsTopicMessage && m.MessageThreadID != 0 {
		id = g.lookup(ctx, threadKey+strconv.Itoa(m.MessageThreadID))
	}
	if id == 0 && m.ReplyToMessage != nil {
		id = g.lookup(ctx, postKey+strconv.Itoa(m.ReplyToMessage.ID))
	}
	text := strings.TrimSpace(m.Text)
	a := handoff.ParseCommand(id, m.Text)
	if id == 0 && a.Kind != handoff.ActNext {
		return // the team's own conversation
	}
	agent, err := g.agent(ctx, m.From)
	if err != nil {
		if !errors.Is(err, errNotAgent) {
			g.warn(ctx, "telegram agent group: agent not provisioned", "user", m.From.ID, "err", err)
		}
		g.answer(ctx, m, "Only the support team can answer customers here.")
		return
	}
	if text == "" {
		g.answer(ctx, m, "Only text reaches the customer: write it in words.")
		return
	}
	var echo string
	switch a.Kind {
	case handoff.ActReply:
		echo = "reply:" + handoff.Author(agent) + ":" + strings.TrimSpace(a.Text)
	case handoff.ActNote:
		echo = "note:" + agent + ":" + a.Text
	}
	if echo != "" {
		g.expect(ctx, id, echo)
	}
	res, err := g.api.Act(ctx, agent, a)
	if err != nil {
		if echo != "" {
			g.forget(ctx, id, echo)
		}
		g.answer(ctx, m, g.explain(ctx, a.Ticket, err))
		return
	}
	if a.Kind == handoff.ActNext && res.Ticket != nil {
		g.answer(ctx, m, fmt.Sprintf("You hold ticket #%d now.", res.Ticket.ID))
	}
	// The assist's hints on a reply or a checked draft: a note in the agent
	// group, which the customer never sees.
	if hints := assist.Format(res.Hints); hints != "" {
		g.answer(ctx, m, hints)
	}
}

// answer replies to message m in its place (its topic).
func (g *agentGroup) answer(ctx context.Context, m *models.Message, text string) {
	p := &tg.SendMessageParams{ChatID: g.chat, Text: text, ReplyParameters: &models.ReplyParameters{MessageID: m.ID, AllowSendingWithoutReply: true}}
	if m.IsTopicMessage {
		p.MessageThreadID = m.MessageThreadID
	}
	if _, err := g.a.api.SendMessage(ctx, p); err != nil {
		g.warn(ctx, "telegram agent group: answer not sent", "err", err)
	}
}

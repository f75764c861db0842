package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/flows"
	"github.com/calmbot/calmbot/webserve"
)

// retryMillis is how long a browser waits before it reconnects a dropped
// event stream.
const retryMillis = 2000

// message is a transcript entry as the customer sees it: no analysis, no
// flow internals.
type message struct {
	Seq int64 `json:"seq"`
	// From is "customer", "bot" or "agent".
	From string `json:"from"`
	// Author is the agent who wrote the message ("agent:ada"), Name the
	// name the customer sees of them (WithAgentNames).
	Author string `json:"author,omitempty"`
	Name   string `json:"name,omitempty"`
	// ID is the client's id of a customer message.
	ID   string `json:"id,omitempty"`
	Text string `json:"text"`
	// Choice is the option id a customer's button press chose.
	Choice  string       `json:"choice,omitempty"`
	Choices []bot.Choice `json:"choices,omitempty"`
	// Status is the conversation's status once the bot's or an agent's
	// message was written ("" when unknown): a page tells from it that an
	// agent left and the assistant took over again.
	Status string    `json:"status,omitempty"`
	At     time.Time `json:"at"`
}

// replyMessage is toMessage for a reply the adapter was sent: the same
// message, with the same at, as its transcript entry.
func (a *Adapter) replyMessage(r bot.Reply) message {
	m := message{Seq: r.Seq, From: "bot", Author: r.Author, Text: r.Text, Choices: r.Choices, Status: string(r.Status), At: r.At.UTC()}
	if r.Author != "" {
		m.From, m.Name = "agent", a.agentName(r.Author)
	}
	return m
}

// agentName is the name the customer sees of the agent who is author.
func (a *Adapter) agentName(author string) string {
	id, ok := handoffAgentOf(author)
	if !ok || a.names == nil {
		return ""
	}
	return a.names(id)
}

// handoffAgentOf reads an agent's transcript author, "agent:<id>".
func handoffAgentOf(author string) (string, bool) { return strings.CutPrefix(author, "agent:") }

func (a *Adapter) toMessage(e bot.Entry) message {
	m := message{Seq: e.Seq, Author: e.Author, Text: e.Text, Choice: e.Choice, Choices: e.Choices, At: e.At.UTC()}
	switch {
	case e.Direction == bot.Inbound:
		m.From, m.ID = "customer", e.PlatformID
	case e.Author == "":
		m.From, m.Status = "bot", string(e.Status)
	default:
		m.From, m.Name, m.Status = "agent", a.agentName(e.Author), string(e.Status)
	}
	return m
}

// transcriptResponse answers GET /api/conversations/{id}/transcript.
type transcriptResponse struct {
	ID string `json:"id"`
	// Status is the conversation's status (bot, human, ended, rating), ""
	// before the first message.
	Status   string    `json:"status,omitempty"`
	Messages []message `json:"messages"`
	// Greeting is what the page shows when the chat opens; nil when the
	// engine has no flows to take it from.
	Greeting *greeting `json:"greeting,omitempty"`
}

// greeting is the flows' welcome in the conversation's language and the
// time a person from the team is expected to answer in.
type greeting struct {
	Lang string `json:"lang"`
	Text string `json:"text"`
	// ReplyWithinSeconds is the first-response target of a normal-priority
	// handoff: how soon a person answers once the customer asks for one.
	ReplyWithinSeconds int `json:"reply_within_seconds"`
}

// flowSource is an optional capability of an Engine: the flows it runs
// (*bot.Engine has it), for the greeting.
type flowSource interface {
	Flows() *flows.File
}

// defaultReplyWithin is the first-response target when the flows set none
// (the handoff package's default).
const defaultReplyWithin = 60 * time.Second

// greetingFor returns the greeting in lang (the conversation's, or the
// locale it was created with), or nil.
func (a *Adapter) greetingFor(lang string) *greeting {
	fs, ok := a.engine.(flowSource)
	if !ok {
		return nil
	}
	f := fs.Flows()
	if f == nil {
		return nil
	}
	lang = f.Language(lang)
	text, ok := f.Texts.Welcome.Get(lang, Channel)
	if !ok {
		lang = f.DefaultLanguage
		text, _ = f.Texts.Welcome.Get(lang, Channel)
	}
	within := defaultReplyWithin
	if d := time.Duration(f.Service.FirstResponse[flows.DefaultPriority]); d > 0 {
		within = d
	}
	return &greeting{Lang: lang, Text: text, ReplyWithinSeconds: int((within + time.Second - 1) / time.Second)}
}

// SendsInstantly implements bot.InstantSender: Send only wakes streams.
func (a *Adapter) SendsInstantly() {}

// Send implements bot.Sender: it wakes the conversation's event streams,
// which send what the transcript holds that they have not sent yet. It
// never blocks; with nobody listening the reply waits in the transcript.
func (a *Adapter) Send(_ context.Context, r bot.Reply) error {
	if r.Address.Channel == Channel {
		if r.Seq > 0 {
			a.hub.hold(r.Address.Conversation, r)
		}
		a.wake(r.Address.Conversation)
	}
	return nil
}

// transcript answers with the conversation so far.
func (a *Adapter) transcript(w http.ResponseWriter, r *http.Request, c conversation) {
	tr, err := a.engine.Transcript(r.Context(), c.addr)
	if err != nil {
		a.log.Error("web chat: read transcript", "addr", c.addr.String(), "err", err)
		a.fail(w, &httpError{status: http.StatusInternalServerError, msg: "transcript not available; try again", err: err})
		return
	}
	res := transcriptResponse{ID: c.id, Messages: make([]message, len(tr))}
	for i, e := range tr {
		res.Messages[i] = a.toMessage(e)
	}
	lang := c.lang
	if a.state != nil && len(tr) > 0 {
		if snap, err := a.state.Conversation(r.Context(), c.addr); err == nil {
			res.Status = string(snap.Status)
			if snap.Lang != "" {
				lang = snap.Lang
			}
		}
	}
	res.Greeting = a.greetingFor(lang)
	writeJSON(w, http.StatusOK, res)
}

// events streams the conversation as server-sent events: every transcript
// entry after Last-Event-ID (or ?after=) as a "message" (the customer's) or
// "reply" (the bot's or an agent's) event whose id is its seq, then each
// new one as it is stored, with "typing" and "status" events and heartbeat
// comments in between.
func (a *Adapter) events(w http.ResponseWriter, r *http.Request, c conversation) {
	after, err := lastEventID(r)
	if err != nil {
		a.fail(w, err)
		return
	}
	select {
	case <-a.done:
		a.fail(w, &httpError{status: http.StatusServiceUnavailable, msg: "the chat is shutting down; reconnect shortly"})
		return
	default:
	}
	release, err := a.streams.acquire(a.proxies.ClientAddr(r))
	if err != nil {
		a.fail(w, err)
		return
	}
	defer release()
	s, ok := a.hub.subscribe(c.id, a.maxSubscribers)
	if !ok {
		a.fail(w, &httpError{status: http.StatusTooManyRequests, retry: busyRetry, msg: fmt.Sprintf("more than %d event streams on this conversation", a.maxSubscribers)})
		return
	}
	defer a.hub.unsubscribe(c.id, s)

	st := &stream{Stream: webserve.NewStream(w, retryMillis*time.Millisecond, a.writeTimeout), last: after, fresh: true}
	ctx := r.Context()
	beat := time.NewTicker(a.heartbeat)
	defer beat.Stop()
	for {
		if err := a.push(ctx, c, st); err != nil {
			if ctx.Err() == nil {
				a.log.Debug("web chat: event stream ended", "addr", c.addr.String(), "err", err)
			}
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-a.done:
			return
		case <-s.wake:
		case <-beat.C:
			st.Ping()
		}
	}
}

// stream is one client's event stream and what it was sent.
type stream struct {
	*webserve.Stream
	last   int64  // seq of the last entry sent
	status string // last status sent
	typing bool   // last typing state sent
	// lastIn is whether the entry at last is the customer's; fresh is set
	// until the stream has read the transcript once.
	lastIn, fresh bool
}

// transcriptFrom is an optional capability of an Engine: the transcript
// after a seq, so a stream reads only what is new (*bot.Engine has it).
type transcriptFrom interface {
	TranscriptFrom(ctx context.Context, addr bot.Address, after int64) ([]bot.Entry, error)
}

// entriesAfter returns c's entries after seq.
func (a *Adapter) entriesAfter(ctx context.Context, c conversation, seq int64) ([]bot.Entry, error) {
	if tf, ok := a.engine.(transcriptFrom); ok {
		return tf.TranscriptFrom(ctx, c.addr, seq)
	}
	tr, err := a.engine.Transcript(ctx, c.addr)
	if err != nil {
		return nil, err
	}
	i, _ := slices.BinarySearchFunc(tr, seq+1, func(e bot.Entry, s int64) int { return cmp.Compare(e.Seq, s) })
	return tr[i:], nil
}

// push sends the stream what it has not had yet. It reads only the entries
// after the last one sent, so its cost does not grow with the history.
func (a *Adapter) push(ctx context.Context, c conversation, st *stream) error {
	// The state is read before the transcript, so the transcript is never
	// older than the state it is compared with.
	var snap *bot.Snapshot
	if a.state != nil {
		s, err := a.state.Conversation(ctx, c.addr)
		switch {
		case errors.Is(err, bot.ErrNotFound):
		case err != nil:
			return fmt.Errorf("read conversation: %w", err)
		default:
			snap = s
		}
	}
	from := st.last
	if st.fresh && from > 0 {
		from-- // the entry resumed after, to know whose it is
	}
	tr, err := a.entriesAfter(ctx, c, from)
	if err != nil {
		return fmt.Errorf("read transcript: %w", err)
	}
	for _, e := range tr {
		if e.Seq <= st.last {
			st.lastIn = e.Direction == bot.Inbound
			continue
		}
		kind := "reply"
		if e.Direction == bot.Inbound {
			kind = "message"
		}
		if err := st.Event(strconv.FormatInt(e.Seq, 10), kind, a.toMessage(e)); err != nil {
			return err
		}
		st.last, st.lastIn = e.Seq, e.Direction == bot.Inbound
	}
	st.fresh = false
	if snap == nil && a.state != nil && st.status == "" {
		// Before the first message the conversation is the bot's: a client
		// learns it on connect as it would for a stored one.
		st.status = string(bot.StatusBot)
		if err := st.Event("", "status", map[string]string{"status": st.status}); err != nil {
			return err
		}
	}
	if snap != nil {
		if s := string(snap.Status); s != st.status {
			st.status = s
			if err := st.Event("", "status", map[string]string{"status": s}); err != nil {
				return err
			}
		}
		if typing := typing(snap, st.last, st.lastIn); typing != st.typing {
			st.typing = typing
			if err := st.Event("", "typing", map[string]bool{"typing": typing}); err != nil {
				return err
			}
		}
	}
	return st.Flush()
}

// typing reports whether the bot is about to answer: it holds the
// conversation and has stored customer messages it has not answered yet
// (it waits for the end of a burst); last is the seq of the conversation's
// last entry, lastIn whether that is the customer's.
func typing(snap *bot.Snapshot, last int64, lastIn bool) bool {
	if snap.Status != bot.StatusBot || last == 0 || !lastIn {
		return false
	}
	return snap.Processed < last
}

// lastEventID reads where a stream resumes: the Last-Event-ID header a
// reconnecting EventSource sends, else ?after= (a page that already shows
// the transcript up to there), else 0 (from the start).
func lastEventID(r *http.Request) (int64, error) {
	v := r.Header.Get("Last-Event-ID")
	name := "Last-Event-ID"
	if v == "" {
		v, name = queryValue(r.URL, "after"), "after"
	}
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, badRequest("%s %q: want a message seq (a number)", name, v)
	}
	return n, nil
}

// hub tracks who listens to which conversation: event streams and posts
// waiting for their replies.
type hub struct {
	mu     sync.Mutex
	topics map[string]*topic
	// free holds listeners and topics done with, for the next ones: a
	// post in wait mode subscribes and unsubscribes every time.
	free     []*sub
	freeTops []*topic
}

// maxFree bounds the listeners and topics the hub keeps for reuse.
const maxFree = 1024

type topic struct {
	subs    map[*sub]struct{}
	streams int
}

// sub is a listener. Its wake channel holds at most one signal: wakes
// coalesce, and a listener that is slow to take one never holds anyone up;
// it reads the transcript and finds everything it missed.
type sub struct {
	wake   chan struct{}
	stream bool
	// waiter is a post in wait mode: it also keeps the replies Send sees
	// (got, guarded by the hub's lock), so it need not read the store.
	waiter bool
	got    []bot.Reply
}

// maxHeld bounds the replies a waiting post holds.
const maxHeld = 32

// hold gives conversation id's waiting posts a copy of r.
func (h *hub) hold(id string, r bot.Reply) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.topics[id]
	if t == nil {
		return
	}
	for s := range t.subs {
		if s.waiter && len(s.got) < maxHeld {
			s.got = append(s.got, r)
		}
	}
}

// answers returns the replies s holds that answer message msgID.
func (h *hub) answers(s *sub, msgID string) []bot.Reply {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []bot.Reply
	for _, r := range s.got {
		if slices.Contains(r.Answers, msgID) {
			out = append(out, r)
		}
	}
	return out
}

// subscribe adds a listener to conversation id. With limit > 0 it is an
// event stream, refused (false) when limit streams are open already.
func (h *hub) subscribe(id string, limit int) (*sub, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.topics[id]
	if t == nil {
		if n := len(h.freeTops); n > 0 {
			t, h.freeTops = h.freeTops[n-1], h.freeTops[:n-1]
		} else {
			t = &topic{subs: map[*sub]struct{}{}}
		}
		h.topics[id] = t
	}
	if limit > 0 && t.streams >= limit {
		if len(t.subs) == 0 {
			h.dropTopic(id, t)
		}
		return nil, false
	}
	var s *sub
	if n := len(h.free); n > 0 {
		s, h.free = h.free[n-1], h.free[:n-1]
	} else {
		s = &sub{wake: make(chan struct{}, 1)}
	}
	s.stream = limit > 0
	if s.stream {
		t.streams++
	}
	t.subs[s] = struct{}{}
	return s, true
}

func (h *hub) unsubscribe(id string, s *sub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.topics[id]
	if t == nil {
		return
	}
	if _, ok := t.subs[s]; !ok {
		return
	}
	delete(t.subs, s)
	if s.stream {
		t.streams--
	}
	if len(t.subs) == 0 {
		h.dropTopic(id, t)
	}
	// Nobody reaches s any more (hold and wake go through t.subs): it is
	// made new for the next listener.
	select {
	case <-s.wake:
	default:
	}
	clear(s.got)
	s.got, s.stream, s.waiter = s.got[:0], false, false
	if len(h.free) < maxFree {
		h.free = append(h.free, s)
	}
}

// dropTopic forgets conversation id's topic t, which has no listener left.
func (h *hub) dropTopic(id string, t *topic) {
	delete(h.topics, id)
	t.streams = 0
	if len(h.freeTops) < maxFree {
		h.freeTops = append(h.freeTops, t)
	}
}

// wake tells conversation id's listeners that it has news; it never blocks.
func (h *hub) wake(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.topics[id]
	if t == nil {
		return
	}
	for s := range t.subs {
		select {
		case s.wake <- struct{}{}:
		default: // a wake is pending already
		}
	}
}

// listeners counts conversation id's listeners.
func (h *hub) listeners(id string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t := h.topics[id]; t != nil {
		return len(t.subs)
	}
	return 0
}

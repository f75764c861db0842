package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/calmbot/calmbot/bot"
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
	// Author is the agent who wrote the message ("agent:ada").
	Author string `json:"author,omitempty"`
	// ID is the client's id of a customer message.
	ID      string       `json:"id,omitempty"`
	Text    string       `json:"text"`
	Choices []bot.Choice `json:"choices,omitempty"`
	At      time.Time    `json:"at"`
}

// replyMessage is toMessage for a reply the adapter was sent.
func replyMessage(r bot.Reply, at time.Time) message {
	m := message{Seq: r.Seq, From: "bot", Author: r.Author, Text: r.Text, Choices: r.Choices, At: at}
	if r.Author != "" {
		m.From = "agent"
	}
	return m
}

func toMessage(e bot.Entry) message {
	m := message{Seq: e.Seq, Author: e.Author, Text: e.Text, Choices: e.Choices, At: e.At}
	switch {
	case e.Direction == bot.Inbound:
		m.From, m.ID = "customer", e.PlatformID
	case e.Author == "":
		m.From = "bot"
	default:
		m.From = "agent"
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
}

// Send implements bot.Sender: it wakes the conversation's event streams,
// which send what the transcript holds that they have not sent yet. It
// never blocks; with nobody listening the reply waits in the transcript.
func (a *Adapter) Send(_ context.Context, r bot.Reply) error {
	if r.Address.Channel == Channel {
		if r.Seq > 0 {
			a.hub.hold(r.Address.Conversation, r)
		}
		a.hub.wake(r.Address.Conversation)
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
		res.Messages[i] = toMessage(e)
	}
	if a.state != nil && len(tr) > 0 {
		if snap, err := a.state.Conversation(r.Context(), c.addr); err == nil {
			res.Status = string(snap.Status)
		}
	}
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
	s, ok := a.hub.subscribe(c.id, a.maxSubscribers)
	if !ok {
		a.fail(w, &httpError{status: http.StatusTooManyRequests, msg: fmt.Sprintf("more than %d event streams on this conversation", a.maxSubscribers)})
		return
	}
	defer a.hub.unsubscribe(c.id, s)

	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // no proxy buffering
	w.WriteHeader(http.StatusOK)
	st := &stream{w: w, rc: http.NewResponseController(w), timeout: a.writeTimeout, last: after}
	fmt.Fprintf(&st.buf, "retry: %d\n\n", retryMillis)

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
			st.buf.WriteString(": ping\n\n")
		}
	}
}

// stream is one client's event stream and what it was sent.
type stream struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	buf     bytes.Buffer
	last    int64  // seq of the last entry sent
	status  string // last status sent
	typing  bool   // last typing state sent
}

// push sends the stream what it has not had yet.
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
	tr, err := a.engine.Transcript(ctx, c.addr)
	if err != nil {
		return fmt.Errorf("read transcript: %w", err)
	}
	for _, e := range tr {
		if e.Seq <= st.last {
			continue
		}
		kind := "reply"
		if e.Direction == bot.Inbound {
			kind = "message"
		}
		if err := st.event(strconv.FormatInt(e.Seq, 10), kind, toMessage(e)); err != nil {
			return err
		}
		st.last = e.Seq
	}
	if snap != nil {
		if s := string(snap.Status); s != st.status {
			st.status = s
			if err := st.event("", "status", map[string]string{"status": s}); err != nil {
				return err
			}
		}
		if typing := typing(snap, tr); typing != st.typing {
			st.typing = typing
			if err := st.event("", "typing", map[string]bool{"typing": typing}); err != nil {
				return err
			}
		}
	}
	return st.flush()
}

// typing reports whether the bot is about to answer: it holds the
// conversation and has stored customer messages it has not answered yet
// (it waits for the end of a burst).
func typing(snap *bot.Snapshot, tr []bot.Entry) bool {
	if snap.Status != bot.StatusBot || len(tr) == 0 || tr[len(tr)-1].Direction != bot.Inbound {
		return false
	}
	return snap.Processed < tr[len(tr)-1].Seq
}

// event adds one event to the stream's buffer.
func (st *stream) event(id, kind string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", kind, err)
	}
	if id != "" {
		st.buf.WriteString("id: " + id + "\n")
	}
	st.buf.WriteString("event: " + kind + "\ndata: ")
	st.buf.Write(data) // JSON has no raw newlines
	st.buf.WriteString("\n\n")
	return nil
}

// flush writes the buffer out; a client that does not take it within the
// write timeout is dropped (it reconnects and resumes with Last-Event-ID).
func (st *stream) flush() error {
	if st.buf.Len() == 0 {
		return nil
	}
	// Not every ResponseWriter has deadlines; such streams just have none.
	_ = st.rc.SetWriteDeadline(time.Now().Add(st.timeout))
	if _, err := st.w.Write(st.buf.Bytes()); err != nil {
		return fmt.Errorf("write events: %w", err)
	}
	st.buf.Reset()
	if err := st.rc.Flush(); err != nil {
		return fmt.Errorf("flush events: %w", err)
	}
	return nil
}

// lastEventID reads where a stream resumes: the Last-Event-ID header a
// reconnecting EventSource sends, else ?after= (a page that already shows
// the transcript up to there), else 0 (from the start).
func lastEventID(r *http.Request) (int64, error) {
	v := r.Header.Get("Last-Event-ID")
	name := "Last-Event-ID"
	if v == "" {
		v, name = r.URL.Query().Get("after"), "after"
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
}

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
		t = &topic{subs: map[*sub]struct{}{}}
		h.topics[id] = t
	}
	s := &sub{wake: make(chan struct{}, 1), stream: limit > 0}
	if s.stream {
		if t.streams >= limit {
			if len(t.subs) == 0 {
				delete(h.topics, id)
			}
			return nil, false
		}
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
		delete(h.topics, id)
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

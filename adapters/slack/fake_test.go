package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/calmbot/calmbot/adapters/adaptertest"
	"github.com/calmbot/calmbot/bot"
)

// Credentials the fake accepts.
const (
	fakeBotToken = "xoxb-1-fake-bot-token"
	fakeAppToken = "xapp-1-A0FAKE-fake-app-token"
	fakeSecret   = "8f742231b10e8888abcd99yyyzzz85a5"
	fakeBotUser  = "U0BOT"
	fakeBotID    = "B0BOT"
	fakeTeam     = "T0FAKE"
)

// fakeSlack is Slack on 127.0.0.1: the Web API methods the adapter calls
// (POST /api/<method>, form-encoded, answering Slack's JSON shapes and
// errors) and a Socket Mode websocket (/ws, the URL apps.connections.open
// returns) that says hello, pings, sends events_api and interactive
// envelopes and keeps each one until it is acked: a new connection gets
// every envelope not acked yet, as Slack redelivers them.
type fakeSlack struct {
	t   testing.TB
	srv *httptest.Server

	mu      sync.Mutex
	conn    *fakeConn
	conns   int
	drop    int
	pending []fakeEnvelope // not acked, in order
	last    map[string]fakeEnvelope
	acked   []string
	// ackPayload is what each acked envelope was acked with.
	ackPayload   map[string]json.RawMessage
	lastEnvelope string // of the last click or event
	nextEnv      int
	nextTS       int64
	users        map[string]string // user -> locale
	channels     map[string]bool
	sent         map[string][]*fakeMessage
	updates      []fakeUpdate
	ephemeral    map[string][]string
	// ephemeralTo are the ephemeral messages, with whom they were for.
	ephemeralTo []fakeEphemeral
	members     map[string][]string // channel -> its members' user ids
	names       map[string]string   // user -> display name
	throttle    []time.Duration
	failSends   bool
	calls       map[string]int
	archived    map[string]bool
	onPost      func(channel string)
}

type fakeEnvelope struct {
	id      string
	channel string
	raw     map[string]any
}

// fakeMessage is a message the bot posted.
type fakeMessage struct {
	Channel, TS, Text string
	Thread            string // thread_ts
	Buttons           []fakeButton
	Blocks            string
}

// fakeButton is an interactive element of a posted message: a button, or
// a menu (static_select with its Options, users_select) whose Text is its
// placeholder.
type fakeButton struct {
	ActionID, Value, Text string
	Type                  string
	Options               []fakeOption
}

type fakeOption struct{ Value, Text string }

type fakeUpdate struct{ Channel, TS, Text, Blocks string }

type fakeEphemeral struct{ Channel, User, Thread, Text string }

type fakeConn struct {
	ws   *websocket.Conn
	mu   sync.Mutex
	done chan struct{}
}

func (c *fakeConn) write(v any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ws.WriteJSON(v)
}

func (c *fakeConn) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.ws.Close()
}

func newFakeSlack(t testing.TB) *fakeSlack {
	f := &fakeSlack{
		t:          t,
		last:       map[string]fakeEnvelope{},
		users:      map[string]string{},
		channels:   map[string]bool{},
		sent:       map[string][]*fakeMessage{},
		ephemeral:  map[string][]string{},
		members:    map[string][]string{},
		names:      map[string]string{},
		calls:      map[string]int{},
		ackPayload: map[string]json.RawMessage{},
		archived:   map[string]bool{},
		nextTS:     1_700_000_000_000_000,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", f.serveAPI)
	mux.HandleFunc("/ws", f.serveWS)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		f.mu.Lock()
		c := f.conn
		f.mu.Unlock()
		if c != nil {
			c.close()
		}
		f.srv.Close()
	})
	return f
}

func (f *fakeSlack) URL() string { return f.srv.URL + "/api/" }

// newTSLocked is a fresh Slack ts.
func (f *fakeSlack) newTSLocked() string {
	f.nextTS += 100
	return fmt.Sprintf("%d.%06d", f.nextTS/1_000_000, f.nextTS%1_000_000)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func slackOK(w http.ResponseWriter, fields map[string]any) {
	out := map[string]any{"ok": true}
	for k, v := range fields {
		out[k] = v
	}
	writeJSON(w, http.StatusOK, out)
}

func slackErr(w http.ResponseWriter, code string) {
	writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": code})
}

func (f *fakeSlack) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"ok": false, "error": "method_not_allowed"})
		return
	}
	if err := r.ParseForm(); err != nil {
		slackErr(w, "invalid_form_data")
		return
	}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if token == "" {
		token = r.PostForm.Get("token")
	}
	f.mu.Lock()
	f.calls[method]++
	f.mu.Unlock()
	want := fakeBotToken
	if method == "apps.connections.open" {
		want = fakeAppToken
	}
	switch {
	case token == "":
		slackErr(w, "not_authed")
		return
	case token != want:
		slackErr(w, "invalid_auth")
		return
	}
	p := r.PostForm
	switch method {
	case "auth.test":
		slackOK(w, map[string]any{"url": "https://fake.slack.com/", "team": "Fake", "user": "calmbot",
			"team_id": fakeTeam, "user_id": fakeBotUser, "bot_id": fakeBotID})
	case "apps.connections.open":
		slackOK(w, map[string]any{"url": "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/ws"})
	case "users.info":
		f.mu.Lock()
		locale, ok := f.users[p.Get("user")]
		f.mu.Unlock()
		if !ok {
			slackErr(w, "user_not_found")
			return
		}
		u := map[string]any{"id": p.Get("user"), "team_id": fakeTeam, "name": "customer", "real_name": "A Customer",
			"profile": map[string]any{"display_name": f.names[p.Get("user")]}}
		if locale != "" && p.Get("include_locale") == "true" {
			u["locale"] = locale
		}
		slackOK(w, map[string]any{"user": u})
	case "chat.postMessage":
		f.postMessage(w, p)
	case "chat.update":
		f.update(w, p)
	case "conversations.members":
		f.mu.Lock()
		ms, ok := f.members[p.Get("channel")]
		f.mu.Unlock()
		if !ok {
			slackErr(w, "channel_not_found")
			return
		}
		// Two pages: the cursor is the index of the next member.
		from, _ := strconv.Atoi(p.Get("cursor"))
		from = min(from, len(ms))
		to := min(from+max(1, (len(ms)+1)/2), len(ms))
		next := ""
		if to < len(ms) {
			next = strconv.Itoa(to)
		}
		slackOK(w, map[string]any{"members": ms[from:to], "response_metadata": map[string]any{"next_cursor": next}})
	case "chat.postEphemeral":
		f.mu.Lock()
		f.ephemeralTo = append(f.ephemeralTo, fakeEphemeral{Channel: p.Get("channel"), User: p.Get("user"), Thread: p.Get("thread_ts"), Text: p.Get("text")})
		f.ephemeral[p.Get("channel")] = append(f.ephemeral[p.Get("channel")], p.Get("text"))
		ts := f.newTSLocked()
		f.mu.Unlock()
		slackOK(w, map[string]any{"message_ts": ts})
	default:
		slackErr(w, "unknown_method")
	}
}

func (f *fakeSlack) postMessage(w http.ResponseWriter, p map[string][]string) {
	get := func(k string) string {
		if v := p[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	channel, text, blocks := get("channel"), get("text"), get("blocks")
	f.mu.Lock()
	if len(f.throttle) > 0 {
		d := f.throttle[0]
		f.throttle = f.throttle[1:]
		f.mu.Unlock()
		w.Header().Set("Retry-After", strconv.Itoa(int(d/time.Second)))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
		return
	}
	switch {
	case f.failSends:
		f.mu.Unlock()
		http.Error(w, "<html>Internal Server Error</html>", http.StatusInternalServerError)
		return
	case f.archived[channel]:
		f.mu.Unlock()
		slackErr(w, "is_archived")
		return
	case !f.channels[channel]:
		f.mu.Unlock()
		slackErr(w, "channel_not_found")
		return
	case strings.TrimSpace(text) == "" && blocks == "":
		f.mu.Unlock()
		slackErr(w, "no_text")
		return
	case utf8.RuneCountInString(text) > 4000:
		f.mu.Unlock()
		slackErr(w, "msg_too_long")
		return
	}
	bs, err := parseButtons(blocks)
	if err != nil {
		f.mu.Unlock()
		slackErr(w, "invalid_blocks")
		return
	}
	m := &fakeMessage{Channel: channel, TS: f.newTSLocked(), Text: text, Buttons: bs, Blocks: blocks, Thread: get("thread_ts")}
	f.sent[channel] = append(f.sent[channel], m)
	onPost := f.onPost
	f.mu.Unlock()
	if onPost != nil {
		onPost(channel)
	}
	slackOK(w, map[string]any{"channel": channel, "ts": m.TS, "message": map[string]any{
		"type": "message", "user": fakeBotUser, "bot_id": fakeBotID, "text": text, "ts": m.TS}})
}

// parseButtons reads the buttons of a blocks parameter, checking the
// limits Slack enforces.
func parseButtons(blocks string) ([]fakeButton, error) {
	if blocks == "" {
		return nil, nil
	}
	var bl []struct {
		Type string `json:"type"`
		Text *struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"text"`
		Elements []struct {
			Type        string          `json:"type"`
			ActionID    string          `json:"action_id"`
			Value       string          `json:"value"`
			Text        json.RawMessage `json:"text"`
			Placeholder *fakeText       `json:"placeholder"`
			Options     []struct {
				Text  fakeText `json:"text"`
				Value string   `json:"value"`
			} `json:"options"`
		} `json:"elements"`
	}
	if err := json.Unmarshal([]byte(blocks), &bl); err != nil {
		return nil, err
	}
	var out []fakeButton
	for _, b := range bl {
		switch b.Type {
		case "section":
			if b.Text == nil || utf8.RuneCountInString(b.Text.Text) > 3000 {
				return nil, fmt.Errorf("section text")
			}
		case "actions":
			if len(b.Elements) == 0 || len(b.Elements) > 25 {
				return nil, fmt.Errorf("%d actions", len(b.Elements))
			}
			for _, e := range b.Elements {
				switch e.Type {
				case "static_select", "users_select":
					b, err := parseMenu(e.Type, e.ActionID, e.Placeholder, e.Options)
					if err != nil {
						return nil, err
					}
					out = append(out, b)
					continue
				}
				var text struct{ Type, Text string }
				if err := json.Unmarshal(e.Text, &text); err != nil {
					return nil, err
				}
				if e.Type != "button" || text.Type != "plain_text" || utf8.RuneCountInString(text.Text) > 75 || e.ActionID == "" {
					return nil, fmt.Errorf("bad button %+v", e)
				}
				out = append(out, fakeButton{ActionID: e.ActionID, Value: e.Value, Text: text.Text, Type: "button"})
			}
		case "context":
			for _, e := range b.Elements {
				var text string
				if e.Type != "mrkdwn" && e.Type != "plain_text" || json.Unmarshal(e.Text, &text) != nil {
					return nil, fmt.Errorf("bad context element %+v", e)
				}
			}
		default:
			return nil, fmt.Errorf("block type %q", b.Type)
		}
	}
	return out, nil
}

type fakeText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// parseMenu checks a select menu as Slack does: a plain_text placeholder,
// and for a static_select 1 to 100 options of at most 75 characters of
// text and 150 of value.
func parseMenu(typ, actionID string, placeholder *fakeText, options []struct {
	Text  fakeText `json:"text"`
	Value string   `json:"value"`
}) (fakeButton, error) {
	if actionID == "" || placeholder == nil || placeholder.Type != "plain_text" || utf8.RuneCountInString(placeholder.Text) > 150 {
		return fakeButton{}, fmt.Errorf("bad %s %q", typ, actionID)
	}
	b := fakeButton{ActionID: actionID, Text: placeholder.Text, Type: typ}
	if typ == "static_select" && (len(options) == 0 || len(options) > 100) {
		return fakeButton{}, fmt.Errorf("%s with %d options", actionID, len(options))
	}
	for _, o := range options {
		if o.Text.Type != "plain_text" || utf8.RuneCountInString(o.Text.Text) > 75 || o.Value == "" || len(o.Value) > 150 {
			return fakeButton{}, fmt.Errorf("%s: bad option %+v", actionID, o)
		}
		b.Options = append(b.Options, fakeOption{o.Value, o.Text.Text})
	}
	return b, nil
}

func (f *fakeSlack) update(w http.ResponseWriter, p map[string][]string) {
	get := func(k string) string {
		if v := p[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	channel, ts := get("channel"), get("ts")
	bs, err := parseButtons(get("blocks"))
	if err != nil {
		slackErr(w, "invalid_blocks")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.sent[channel] {
		if m.TS == ts {
			m.Buttons = bs
			if t := get("text"); t != "" {
				m.Text = t
			}
			f.updates = append(f.updates, fakeUpdate{channel, ts, get("text"), get("blocks")})
			slackOK(w, map[string]any{"channel": channel, "ts": ts, "text": m.Text})
			return
		}
	}
	slackErr(w, "message_not_found")
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (f *fakeSlack) serveWS(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &fakeConn{ws: ws, done: make(chan struct{})}
	f.mu.Lock()
	f.conns++
	if f.drop > 0 {
		f.drop--
		f.mu.Unlock()
		c.close()
		return
	}
	old := f.conn
	f.conn = c
	pending := append([]fakeEnvelope(nil), f.pending...)
	f.mu.Unlock()
	if old != nil {
		old.close()
	}
	defer close(c.done)
	go f.ping(c)
	_ = c.write(map[string]any{"type": "hello", "num_connections": 1,
		"debug_info":      map[string]any{"host": "fake", "approximate_connection_time": 18060},
		"connection_info": map[string]any{"app_id": "A0FAKE"}})
	for _, e := range pending {
		_ = c.write(e.raw)
	}
	for {
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if err := ws.ReadJSON(&ack); err != nil {
			f.mu.Lock()
			if f.conn == c {
				f.conn = nil
			}
			f.mu.Unlock()
			return
		}
		f.mu.Lock()
		f.acked = append(f.acked, ack.EnvelopeID)
		f.ackPayload[ack.EnvelopeID] = ack.Payload
		kept := f.pending[:0]
		for _, e := range f.pending {
			if e.id != ack.EnvelopeID {
				kept = append(kept, e)
			}
		}
		f.pending = kept
		f.mu.Unlock()
	}
}

// ping sends a websocket ping every 200 ms, as Slack does (less often).
func (f *fakeSlack) ping(c *fakeConn) {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		c.mu.Lock()
		err := c.ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second))
		c.mu.Unlock()
		if err != nil {
			return
		}
		select {
		case <-c.done:
			return
		case <-tick.C:
		}
	}
}

// enqueueLocked adds envelopes for channel and sends them on the current
// connection, if any.
func (f *fakeSlack) enqueueLocked(channel, typ string, payloads []map[string]any, retry int) []fakeEnvelope {
	envs := make([]fakeEnvelope, len(payloads))
	for i, p := range payloads {
		f.nextEnv++
		id := fmt.Sprintf("env-%d", f.nextEnv)
		raw := map[string]any{"envelope_id": id, "type": typ, "payload": p,
			"accepts_response_payload": false, "retry_attempt": retry, "retry_reason": ""}
		if retry > 0 {
			raw["retry_reason"] = "timeout"
		}
		envs[i] = fakeEnvelope{id: id, channel: channel, raw: raw}
		f.pending = append(f.pending, envs[i])
		f.last[channel] = envs[i]
	}
	return envs
}

// deliver sends envs on the current connection.
func (f *fakeSlack) deliver(envs []fakeEnvelope) {
	f.mu.Lock()
	c := f.conn
	f.mu.Unlock()
	if c == nil {
		return // sent on the next connection
	}
	for _, e := range envs {
		if c.write(e.raw) != nil {
			return
		}
	}
}

// eventPayload is an Events API event_callback of a message in a DM.
func eventPayload(id string, ev map[string]any) map[string]any {
	return map[string]any{"token": "verification-token-unused", "team_id": fakeTeam, "api_app_id": "A0FAKE",
		"event": ev, "type": "event_callback", "event_id": id, "event_time": time.Now().Unix(),
		"authorizations": []any{map[string]any{"team_id": fakeTeam, "user_id": fakeBotUser, "is_bot": true}}}
}

// say queues customer messages in channel from user; it returns their ts.
func (f *fakeSlack) say(channel, user, locale string, texts []string) []string {
	f.mu.Lock()
	f.users[user] = locale
	f.channels[channel] = true
	payloads := make([]map[string]any, len(texts))
	tss := make([]string, len(texts))
	for i, text := range texts {
		ts := f.newTSLocked()
		tss[i] = ts
		payloads[i] = eventPayload("Ev"+strings.ReplaceAll(ts, ".", ""), map[string]any{
			"type": "message", "channel": channel, "user": user, "text": escape(text), "ts": ts,
			"event_ts": ts, "channel_type": "im", "client_msg_id": "c-" + ts, "team": fakeTeam})
	}
	envs := f.enqueueLocked(channel, "events_api", payloads, 0)
	f.mu.Unlock()
	f.deliver(envs)
	return tss
}

// event queues one raw message event (any subtype) in channel.
func (f *fakeSlack) event(channel, user, locale string, ev map[string]any) {
	f.mu.Lock()
	f.users[user] = locale
	f.channels[channel] = true
	f.nextEnv++
	envs := f.enqueueLocked(channel, "events_api", []map[string]any{eventPayload(fmt.Sprintf("EvRaw%d", f.nextEnv), ev)}, 0)
	f.lastEnvelope = envs[0].id
	f.mu.Unlock()
	f.deliver(envs)
}

// lastWithButtons is channel's last message with buttons.
func (f *fakeSlack) lastWithButtons(channel string) *fakeMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.sent[channel]) - 1; i >= 0; i-- {
		if len(f.sent[channel][i].Buttons) > 0 {
			m := *f.sent[channel][i]
			return &m
		}
	}
	return nil
}

// click queues a block_actions interaction on button b of message m by
// user; it returns the action_ts.
func (f *fakeSlack) click(user string, m *fakeMessage, b fakeButton) string {
	return f.choose(user, m, b, "")
}

// choose is click on a menu: choice is the selected option's value or
// user's id.
func (f *fakeSlack) choose(user string, m *fakeMessage, b fakeButton, choice string) string {
	f.mu.Lock()
	ats := f.newTSLocked()
	payload := map[string]any{
		"type": "block_actions", "api_app_id": "A0FAKE", "token": "unused", "trigger_id": "1.2.3",
		"user":      map[string]any{"id": user, "username": "customer", "name": "customer", "team_id": fakeTeam},
		"team":      map[string]any{"id": fakeTeam, "domain": "fake"},
		"container": map[string]any{"type": "message", "message_ts": m.TS, "channel_id": m.Channel, "is_ephemeral": false},
		"channel":   map[string]any{"id": m.Channel, "name": "directmessage"},
		"message":   map[string]any{"type": "message", "user": fakeBotUser, "bot_id": fakeBotID, "text": m.Text, "ts": m.TS},
		"actions": []any{map[string]any{"action_id": b.ActionID, "block_id": blockChoices, "value": b.Value, "type": "button",
			"action_ts": ats, "text": map[string]any{"type": "plain_text", "text": b.Text, "emoji": true}}},
	}
	if m.Thread != "" {
		// A message in a thread: Slack names the thread in both.
		payload["container"].(map[string]any)["thread_ts"] = m.Thread
		payload["message"].(map[string]any)["thread_ts"] = m.Thread
	}
	switch b.Type {
	case "static_select":
		payload["actions"] = []any{map[string]any{"action_id": b.ActionID, "block_id": "calmbot_ticket", "type": b.Type, "action_ts": ats,
			"selected_option": map[string]any{"value": choice, "text": map[string]any{"type": "plain_text", "text": choice}}}}
	case "users_select":
		payload["actions"] = []any{map[string]any{"action_id": b.ActionID, "block_id": "calmbot_ticket", "type": b.Type, "action_ts": ats,
			"selected_user": choice}}
	}
	envs := f.enqueueLocked(m.Channel, "interactive", []map[string]any{payload}, 0)
	f.lastEnvelope = envs[0].id
	f.mu.Unlock()
	f.deliver(envs)
	return ats
}

// command queues the slash command /calmbot text by user in channel and
// returns its envelope id; its answer is the ack's payload (answerOf).
func (f *fakeSlack) command(channel, user, text string) string {
	f.mu.Lock()
	payload := map[string]any{"token": "unused", "team_id": fakeTeam, "team_domain": "fake", "channel_id": channel,
		"channel_name": "support", "user_id": user, "user_name": "agent", "command": "/calmbot", "text": text,
		"api_app_id": "A0FAKE", "response_url": f.srv.URL + "/response", "trigger_id": "1.2.3"}
	envs := f.enqueueLocked(channel, "slash_commands", []map[string]any{payload}, 0)
	f.mu.Unlock()
	f.deliver(envs)
	return envs[0].id
}

// answerOf returns the payload envelope id was acked with, once it was.
func (f *fakeSlack) answerOf(envelope string) (json.RawMessage, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.ackPayload[envelope]
	return p, ok
}

// isAcked reports whether envelope was acknowledged.
func (f *fakeSlack) isAcked(envelope string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.ackPayload[envelope]
	return ok
}

// redeliver sends channel's last envelope once more (a new envelope id,
// the same event), as Slack does when an ack came too late.
func (f *fakeSlack) redeliver(channel string) {
	f.mu.Lock()
	e, ok := f.last[channel]
	if !ok {
		f.mu.Unlock()
		f.t.Fatalf("fake: nothing to redeliver in %s", channel)
	}
	envs := f.enqueueLocked(channel, e.raw["type"].(string), []map[string]any{e.raw["payload"].(map[string]any)}, 1)
	f.mu.Unlock()
	f.deliver(envs)
}

func (f *fakeSlack) sentTo(channel string) []fakeMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]fakeMessage, len(f.sent[channel]))
	for i, m := range f.sent[channel] {
		out[i] = *m
		out[i].Buttons = append([]fakeButton(nil), m.Buttons...)
	}
	return out
}

func (f *fakeSlack) callCount(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

func (f *fakeSlack) pendingCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.pending)
}

// platform is the fake as adaptertest sees it: Socket Mode, with a signing
// secret for Forge.
type platform struct {
	f     *fakeSlack
	state *bot.MemoryState
	last  *Adapter
	opts  []Option
}

var _ adaptertest.Platform = (*platform)(nil)

func newPlatform(t testing.TB, opts ...Option) *platform {
	return &platform{f: newFakeSlack(t), state: bot.NewMemoryState(), opts: opts}
}

// testLogger writes the adapter's log into the test's output.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func (p *platform) NewAdapter(t testing.TB) adaptertest.Adapter { return p.newAdapter(t) }

func (p *platform) newAdapter(t testing.TB, extra ...Option) *Adapter {
	opts := []Option{
		WithAPIURL(p.f.URL()), WithAppToken(fakeAppToken), WithSigningSecret(fakeSecret), WithState(p.state),
		WithBackoff(5*time.Millisecond, 50*time.Millisecond), WithLogger(testLogger(t)),
	}
	opts = append(append(opts, p.opts...), extra...)
	a, err := New(fakeBotToken, opts...)
	if err != nil {
		t.Fatalf("new adapter: %v", err)
	}
	p.last = a
	return a
}

func hash(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

// channelID and userID are the Slack ids of a chat name.
func channelID(chat string) string { return fmt.Sprintf("D%08X", hash(chat)) }
func userID(chat string) string    { return fmt.Sprintf("U%08X", hash(chat)) }

func (p *platform) Address(chat string) bot.Address { return dm(channelID(chat)) }

// dm is the address of DM channel in the fake's team.
func dm(channel string) bot.Address { return conv{team: fakeTeam, channel: channel}.address() }

func (p *platform) Say(t testing.TB, chat, locale, text string) string {
	return p.SayAll(t, chat, locale, []string{text})[0]
}

func (p *platform) SayAll(_ testing.TB, chat, locale string, texts []string) []string {
	return p.f.say(channelID(chat), userID(chat), slackLocale(locale), texts)
}

// slackLocale is the locale users.info reports for a language ("it-IT").
func slackLocale(lang string) string {
	if lang == "" {
		return ""
	}
	return lang + "-" + strings.ToUpper(lang)
}

func (p *platform) Tap(t testing.TB, chat string, n int) string {
	m := p.f.lastWithButtons(channelID(chat))
	if m == nil || n < 1 || n > len(m.Buttons) {
		t.Fatalf("tap: %s has no message with a button %d", chat, n)
	}
	return "act" + p.f.click(userID(chat), m, m.Buttons[n-1])
}

func (p *platform) Redeliver(_ testing.TB, chat string) { p.f.redeliver(channelID(chat)) }

func (p *platform) Sent(chat string) []adaptertest.Sent {
	ms := p.f.sentTo(channelID(chat))
	out := make([]adaptertest.Sent, len(ms))
	for i, m := range ms {
		out[i].Text = unescape(m.Text) // as the Slack client shows it
		for _, b := range m.Buttons {
			out[i].Buttons = append(out[i].Buttons, b.Text)
		}
	}
	return out
}

func (p *platform) Throttle(d time.Duration) {
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	p.f.throttle = append(p.f.throttle, d)
}

func (p *platform) FailSends(on bool) {
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	p.f.failSends = on
}

func (p *platform) Drop(n int) {
	p.f.mu.Lock()
	c := p.f.conn
	if c != nil {
		n--
	}
	p.f.drop += n
	p.f.mu.Unlock()
	if c != nil {
		c.close()
	}
}

func (p *platform) Forge(t testing.TB, chat, text string) int {
	t.Helper()
	body := eventBody(channelID(chat), userID(chat), text, "1700000999.000100")
	return serve(p.last, signed(body, "not-the-secret", time.Now())).Code
}

// eventBody is an Events API request body of a DM.
func eventBody(channel, user, text, ts string) []byte {
	b, _ := json.Marshal(eventPayload("Ev"+strings.ReplaceAll(ts, ".", ""), map[string]any{
		"type": "message", "channel": channel, "user": user, "text": escape(text), "ts": ts,
		"event_ts": ts, "channel_type": "im"}))
	return b
}

// signed is an Events API request for body, signed with secret as Slack
// signs: v0=hex(HMAC-SHA256(secret, "v0:<timestamp>:<body>")).
func signed(body []byte, secret string, at time.Time) *http.Request {
	return signedTo(EventsPath, "application/json", body, secret, at)
}

func signedTo(path, contentType string, body []byte, secret string, at time.Time) *http.Request {
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body)))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return req
}

// serve passes req to a's route for its path.
func serve(a *Adapter, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h := a.Routes()["POST "+req.URL.Path]
	if h == nil {
		rec.Code = http.StatusNotFound
		return rec
	}
	h.ServeHTTP(rec, req)
	return rec
}

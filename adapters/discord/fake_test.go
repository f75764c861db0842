package discord

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/calmbot/calmbot/adapters/adaptertest"
	"github.com/calmbot/calmbot/bot"
)

// fakeBotID is the bot user /users/@me returns.
const fakeBotID = "900000000000000001"

// fakeGuild is the server of the fake's support channels.
const fakeGuild = "800000000000000001"

// hub is one server on 127.0.0.1 for every fake of the test binary:
// discordgo's endpoints are package variables, so all the adapters of the
// process talk to one root; each fake is found by its bot token (REST) or
// its gateway path.
type hub struct {
	srv *httptest.Server

	mu     sync.Mutex
	next   int
	fakes  map[string]*fakeDiscord // token -> fake
	byPath map[string]*fakeDiscord // gateway id -> fake
}

var theHub = sync.OnceValue(func() *hub {
	h := &hub{fakes: map[string]*fakeDiscord{}, byPath: map[string]*fakeDiscord{}}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	return h
})

// root is the Discord root the adapters are pointed at.
func (h *hub) root() string { return h.srv.URL + "/" }

func (h *hub) serve(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/ws/"); ok {
		// /ws/<fake>[/<instance>]: the instance names who connected.
		path, instance, _ := strings.Cut(strings.Trim(rest, "/"), "/")
		h.mu.Lock()
		f := h.byPath[path]
		h.mu.Unlock()
		if f == nil {
			http.NotFound(w, r)
			return
		}
		f.gateway(w, r, instance)
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/api/v9/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	h.mu.Lock()
	f := h.fakes[strings.TrimPrefix(r.Header.Get("Authorization"), "Bot ")]
	h.mu.Unlock()
	if f == nil {
		apiError(w, http.StatusUnauthorized, 0, "401: Unauthorized")
		return
	}
	f.rest(w, r, path)
}

// fakeDiscord is one Discord (REST and gateway) for one bot token, on the
// hub: it keeps channels and their messages, gateway sessions with the
// dispatches they sent (replayed on Resume), and what the bot did.
type fakeDiscord struct {
	t     testing.TB
	hub   *hub
	token string
	path  string

	mu          sync.Mutex
	nextID      uint64
	session     *fakeSession // the last identified session
	sessions    map[string]*fakeSession
	conn        *fakeConn
	channels    map[string]*fakeChannel
	lastEvent   map[string]json.RawMessage // channel -> last customer dispatch (type + data)
	lastType    map[string]string
	locales     map[string]string // user id -> locale
	throttle    []time.Duration
	failSends   bool
	refuse      int  // gateway connections refused with 503
	invalidate  bool // answer the next Resume with Invalid Session
	ready       chan struct{}
	identifies  int
	identified  []string // the instance of each Identify (the gateway URL's last segment)
	shards      [][]int  // the shard of each Identify, nil for none
	resumes     int
	acks        []string
	sendHook    func(channel string) // called as a send is accepted
	intents     int
	closedCodes []int
	gate        chan struct{}   // when set, gateway connections wait for it to close
	blocked     map[string]bool // channels whose sends answer 403 50007
	rejectAuth  bool            // Identify and Resume answered with close 4004
	noGateway   bool            // GET /gateway answers 500
}

type fakeSession struct {
	id  string
	seq int64
	log []logged
}

type logged struct {
	seq int64
	raw []byte
}

type fakeConn struct {
	ws   *websocket.Conn
	sess *fakeSession
	wmu  sync.Mutex
}

func (c *fakeConn) write(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ws.WriteJSON(v)
}

type fakeChannel struct {
	id, guild, parent string
	msgs              []*fakeMsg
}

type fakeMsg struct {
	ID, Channel, Guild string
	Author             map[string]any
	Bot                bool
	Content            string
	Components         json.RawMessage
	At                 time.Time
}

func newFake(t testing.TB) *fakeDiscord {
	h := theHub()
	h.mu.Lock()
	h.next++
	n := h.next
	f := &fakeDiscord{
		t: t, hub: h, token: fmt.Sprintf("fake-token-%d", n), path: strconv.Itoa(n),
		nextID: 1_200_000_000_000_000_000, sessions: map[string]*fakeSession{}, channels: map[string]*fakeChannel{},
		lastEvent: map[string]json.RawMessage{}, lastType: map[string]string{}, locales: map[string]string{},
		blocked: map[string]bool{},
		ready:   make(chan struct{}, 64),
	}
	h.fakes[f.token] = f
	h.byPath[f.path] = f
	h.mu.Unlock()
	t.Cleanup(func() {
		h.mu.Lock()
		delete(h.fakes, f.token)
		delete(h.byPath, f.path)
		h.mu.Unlock()
		f.mu.Lock()
		if f.conn != nil {
			_ = f.conn.ws.Close()
		}
		f.mu.Unlock()
	})
	return f
}

// idLocked returns a new snowflake, after every earlier one.
func (f *fakeDiscord) idLocked() string {
	f.nextID += 1 << 22
	return strconv.FormatUint(f.nextID, 10)
}

func (f *fakeDiscord) channelLocked(id string) *fakeChannel {
	c := f.channels[id]
	if c == nil {
		c = &fakeChannel{id: id}
		f.channels[id] = c
	}
	return c
}

// dispatchLocked sends a dispatch on the current session, or keeps it in
// the session's log for a Resume when no connection is up.
func (f *fakeDiscord) dispatchLocked(typ string, data any) {
	s := f.session
	if s == nil {
		return
	}
	s.seq++
	raw, err := json.Marshal(map[string]any{"op": 0, "t": typ, "s": s.seq, "d": data})
	if err != nil {
		f.t.Errorf("fake: %v", err)
		return
	}
	s.log = append(s.log, logged{seq: s.seq, raw: raw})
	if f.conn != nil && f.conn.sess == s {
		f.conn.wmu.Lock()
		_ = f.conn.ws.WriteMessage(websocket.TextMessage, raw)
		f.conn.wmu.Unlock()
	}
}

var upgrader = websocket.Upgrader{}

// gateway speaks the gateway protocol on one websocket: Hello, then
// Identify (READY) or Resume (the missed dispatches, RESUMED, or Invalid
// Session), heartbeats answered with ACKs.
func (f *fakeDiscord) gateway(w http.ResponseWriter, r *http.Request, instance string) {
	f.mu.Lock()
	if gate := f.gate; gate != nil {
		f.mu.Unlock()
		<-gate
		f.mu.Lock()
	}
	if f.refuse > 0 {
		f.refuse--
		f.mu.Unlock()
		http.Error(w, "gateway unavailable", http.StatusServiceUnavailable)
		return
	}
	f.mu.Unlock()
	if r.URL.Query().Get("v") != "9" || r.URL.Query().Get("encoding") != "json" {
		http.Error(w, "want ?v=9&encoding=json", http.StatusBadRequest)
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &fakeConn{ws: ws}
	defer func() {
		f.mu.Lock()
		if f.conn == c {
			f.conn = nil
		}
		f.mu.Unlock()
		_ = ws.Close()
	}()
	if c.write(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": 41250}}) != nil {
		return
	}
	for {
		var p struct {
			Op   int             `json:"op"`
			Data json.RawMessage `json:"d"`
		}
		if err := ws.ReadJSON(&p); err != nil {
			return
		}
		switch p.Op {
		case 1:
			_ = c.write(map[string]any{"op": 11})
		case 2:
			var id struct {
				Token   string `json:"token"`
				Intents int    `json:"intents"`
				Shard   []int  `json:"shard"`
			}
			_ = json.Unmarshal(p.Data, &id)
			f.mu.Lock()
			reject := f.rejectAuth
			f.mu.Unlock()
			if reject || id.Token != "Bot "+f.token {
				f.closeWith(c, 4004, "Authentication failed.")
				return
			}
			f.mu.Lock()
			f.intents = id.Intents
			f.identifies++
			f.identified = append(f.identified, instance)
			f.shards = append(f.shards, id.Shard)
			s := &fakeSession{id: fmt.Sprintf("session-%d", f.identifies)}
			f.sessions[s.id] = s
			f.session = s
			c.sess = s
			f.conn = c
			f.dispatchLocked("READY", map[string]any{
				"v": 9, "session_id": s.id, "user": botUser(), "guilds": []any{},
				"resume_gateway_url": "ws" + strings.TrimPrefix(f.hub.srv.URL, "http") + "/ws/" + f.path,
				"application":        map[string]any{"id": fakeBotID},
			})
			f.mu.Unlock()
			f.ready <- struct{}{}
		case 6:
			var res struct {
				Token     string `json:"token"`
				SessionID string `json:"session_id"`
				Seq       int64  `json:"seq"`
			}
			_ = json.Unmarshal(p.Data, &res)
			f.mu.Lock()
			s := f.sessions[res.SessionID]
			if res.Token != "Bot "+f.token || s == nil || f.invalidate || s != f.session {
				f.invalidate = false
				f.mu.Unlock()
				_ = c.write(map[string]any{"op": 9, "d": false})
				continue
			}
			f.resumes++
			c.sess = s
			f.conn = c
			for _, l := range s.log {
				if l.seq > res.Seq {
					c.wmu.Lock()
					_ = ws.WriteMessage(websocket.TextMessage, l.raw)
					c.wmu.Unlock()
				}
			}
			f.dispatchLocked("RESUMED", map[string]any{})
			f.mu.Unlock()
			f.ready <- struct{}{}
		}
	}
}

func (f *fakeDiscord) closeWith(c *fakeConn, code int, text string) {
	c.wmu.Lock()
	_ = c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(code, text))
	c.wmu.Unlock()
	f.mu.Lock()
	f.closedCodes = append(f.closedCodes, code)
	f.mu.Unlock()
}

func botUser() map[string]any {
	return map[string]any{"id": fakeBotID, "username": "calmbot", "discriminator": "0", "bot": true}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if h.Get("X-RateLimit-Limit") == "" {
		h.Set("X-RateLimit-Limit", "5")
		h.Set("X-RateLimit-Remaining", "4")
		h.Set("X-RateLimit-Reset-After", "0.001")
		h.Set("X-RateLimit-Bucket", "fake-bucket")
	}
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"code": code, "message": msg})
}

// rest answers the REST calls the adapter makes, in Discord's shapes.
func (f *fakeDiscord) rest(w http.ResponseWriter, r *http.Request, path string) {
	body, _ := io.ReadAll(r.Body)
	seg := strings.Split(path, "/")
	switch {
	case r.Method == http.MethodGet && path == "users/@me":
		writeJSON(w, 200, botUser())
	case r.Method == http.MethodGet && path == "gateway" && f.noGateway:
		apiError(w, 500, 0, "500: Internal Server Error")
	case r.Method == http.MethodGet && path == "gateway":
		writeJSON(w, 200, map[string]any{"url": "ws" + strings.TrimPrefix(f.hub.srv.URL, "http") + "/ws/" + f.path})
	case len(seg) == 3 && seg[0] == "channels" && seg[2] == "messages" && r.Method == http.MethodPost:
		f.send(w, seg[1], body)
	case len(seg) == 3 && seg[0] == "channels" && seg[2] == "messages" && r.Method == http.MethodGet:
		f.list(w, seg[1], r.URL.Query().Get("after"), r.URL.Query().Get("limit"))
	case len(seg) == 4 && seg[0] == "channels" && seg[2] == "messages" && r.Method == http.MethodGet:
		f.mu.Lock()
		m := f.findLocked(seg[1], seg[3])
		f.mu.Unlock()
		if m == nil {
			apiError(w, 404, 10008, "Unknown Message")
			return
		}
		writeJSON(w, 200, m.json())
	case len(seg) == 4 && seg[0] == "channels" && seg[2] == "messages" && r.Method == http.MethodPatch:
		f.edit(w, seg[1], seg[3], body)
	case len(seg) == 5 && seg[0] == "channels" && seg[4] == "threads" && r.Method == http.MethodPost:
		f.thread(w, seg[1], seg[3], body)
	case len(seg) == 4 && seg[0] == "interactions" && seg[3] == "callback" && r.Method == http.MethodPost:
		var resp struct {
			Type int `json:"type"`
		}
		_ = json.Unmarshal(body, &resp)
		if resp.Type != 6 {
			apiError(w, 400, 50035, fmt.Sprintf("want a deferred update (6), got %d", resp.Type))
			return
		}
		f.mu.Lock()
		f.acks = append(f.acks, seg[1])
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		apiError(w, 404, 0, "404: Not Found "+r.Method+" "+path)
	}
}

func (f *fakeDiscord) findLocked(channel, id string) *fakeMsg {
	c := f.channels[channel]
	if c == nil {
		return nil
	}
	for _, m := range c.msgs {
		if m.ID == id {
			return m
		}
	}
	return nil
}

func (m *fakeMsg) json() map[string]any {
	out := map[string]any{
		"id": m.ID, "channel_id": m.Channel, "author": m.Author, "content": m.Content,
		"timestamp": m.At.Format(time.RFC3339Nano), "type": 0,
	}
	if m.Components != nil {
		out["components"] = m.Components
	} else {
		out["components"] = []any{}
	}
	return out
}

func (f *fakeDiscord) send(w http.ResponseWriter, channel string, body []byte) {
	var req struct {
		Content         string          `json:"content"`
		Components      json.RawMessage `json:"components"`
		AllowedMentions *struct {
			Parse []string `json:"parse"`
		} `json:"allowed_mentions"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		apiError(w, 400, 50109, "The request body contains invalid JSON.")
		return
	}
	f.mu.Lock()
	if len(f.throttle) > 0 {
		d := f.throttle[0]
		f.throttle = f.throttle[1:]
		f.mu.Unlock()
		secs := strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
		h := w.Header()
		h.Set("Retry-After", strconv.Itoa(int(d.Seconds()+0.999)))
		h.Set("X-RateLimit-Limit", "5")
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Reset-After", "0.001")
		h.Set("X-RateLimit-Scope", "user")
		writeJSON(w, 429, map[string]any{"message": "You are being rate limited.", "retry_after": d.Seconds(), "global": false, "retry_after_str": secs})
		return
	}
	if f.failSends {
		f.mu.Unlock()
		apiError(w, 500, 0, "500: Internal Server Error")
		return
	}
	c := f.channels[channel]
	if c == nil {
		f.mu.Unlock()
		apiError(w, 404, 10003, "Unknown Channel")
		return
	}
	if f.blocked[channel] {
		f.mu.Unlock()
		apiError(w, 403, 50007, "Cannot send messages to this user")
		return
	}
	if n := len([]rune(req.Content)); n > MaxMessageLen || n == 0 && len(req.Components) == 0 {
		f.mu.Unlock()
		apiError(w, 400, 50035, fmt.Sprintf("Invalid Form Body: content of %d characters", n))
		return
	}
	if req.AllowedMentions == nil || req.AllowedMentions.Parse == nil || len(req.AllowedMentions.Parse) != 0 {
		f.mu.Unlock()
		apiError(w, 400, 50035, "fake: allowed_mentions must be {parse: []}")
		return
	}
	comps := req.Components
	if string(comps) == "null" {
		comps = nil
	}
	m := &fakeMsg{ID: f.idLocked(), Channel: channel, Author: botUser(), Bot: true, Content: req.Content, Components: comps, At: time.Now()}
	c.msgs = append(c.msgs, m)
	hook := f.sendHook
	f.mu.Unlock()
	if hook != nil {
		hook(channel)
	}
	writeJSON(w, 200, m.json())
}

func (f *fakeDiscord) list(w http.ResponseWriter, channel, after, limit string) {
	n, _ := strconv.Atoi(limit)
	if n <= 0 || n > 100 {
		n = 50
	}
	f.mu.Lock()
	c := f.channels[channel]
	if c == nil {
		f.mu.Unlock()
		apiError(w, 404, 10003, "Unknown Channel")
		return
	}
	var out []map[string]any
	for _, m := range c.msgs {
		if after == "" || cmpSnowflake(m.ID, after) > 0 {
			out = append(out, m.json())
			if len(out) == n {
				break
			}
		}
	}
	f.mu.Unlock()
	slices.Reverse(out) // newest first, as Discord answers
	if out == nil {
		out = []map[string]any{}
	}
	writeJSON(w, 200, out)
}

func (f *fakeDiscord) edit(w http.ResponseWriter, channel, id string, body []byte) {
	var req struct {
		Content    *string         `json:"content"`
		Components json.RawMessage `json:"components"`
	}
	_ = json.Unmarshal(body, &req)
	f.mu.Lock()
	m := f.findLocked(channel, id)
	if m == nil {
		f.mu.Unlock()
		apiError(w, 404, 10008, "Unknown Message")
		return
	}
	if req.Components != nil {
		m.Components = req.Components
	}
	if req.Content != nil {
		m.Content = *req.Content
	}
	out := m.json()
	f.mu.Unlock()
	writeJSON(w, 200, out)
}

func (f *fakeDiscord) thread(w http.ResponseWriter, channel, msg string, body []byte) {
	var req struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(body, &req)
	f.mu.Lock()
	defer f.mu.Unlock()
	parent := f.channels[channel]
	if parent == nil || f.findLocked(channel, msg) == nil {
		apiError(w, 404, 10008, "Unknown Message")
		return
	}
	th := &fakeChannel{id: msg, guild: parent.guild, parent: channel} // a thread from a message has its id
	f.channels[th.id] = th
	ch := map[string]any{"id": th.id, "type": 11, "guild_id": th.guild, "parent_id": channel, "name": req.Name, "owner_id": fakeBotID}
	f.dispatchLocked("THREAD_CREATE", ch)
	writeJSON(w, 201, ch)
}

// chatIDs are the ids of a chat name: the customer's user id and their DM
// channel's.
func chatIDs(chat string) (user, channel string) {
	h := fnv.New32a()
	h.Write([]byte(chat))
	n := uint64(h.Sum32())
	return strconv.FormatUint(1_000_000_000_000_000_000+n, 10), strconv.FormatUint(1_100_000_000_000_000_000+n, 10)
}

func customer(chat, locale string) map[string]any {
	user, _ := chatIDs(chat)
	u := map[string]any{"id": user, "username": chat, "global_name": strings.ToUpper(chat[:1]) + chat[1:], "discriminator": "0"}
	if locale != "" {
		u["locale"] = locale
	}
	return u
}

// say dispatches a customer's MESSAGE_CREATE in channel (guild "" for a
// DM) and keeps the message in the channel's history.
func (f *fakeDiscord) sayLocked(chat, locale, channel, guild, text string) string {
	c := f.channelLocked(channel)
	c.guild = guild
	m := &fakeMsg{ID: f.idLocked(), Channel: channel, Guild: guild, Author: customer(chat, locale), Content: text, At: time.Now()}
	c.msgs = append(c.msgs, m)
	d := m.json()
	if guild != "" {
		d["guild_id"] = guild
		d["member"] = map[string]any{"nick": nil, "roles": []string{}}
	}
	raw, _ := json.Marshal(d)
	f.lastEvent[channel], f.lastType[channel] = raw, "MESSAGE_CREATE"
	f.dispatchLocked("MESSAGE_CREATE", json.RawMessage(raw))
	return m.ID
}

// tapLocked presses button n of the last message with buttons in channel.
func (f *fakeDiscord) tapLocked(chat, channel string, n int) (string, error) {
	c := f.channels[channel]
	if c == nil {
		return "", fmt.Errorf("no channel %s", channel)
	}
	for i := len(c.msgs) - 1; i >= 0; i-- {
		m := c.msgs[i]
		bs := buttons(m.Components)
		if len(bs) == 0 {
			continue
		}
		if n < 1 || n > len(bs) {
			return "", fmt.Errorf("button %d of %d", n, len(bs))
		}
		id := f.idLocked()
		d := map[string]any{
			"id": id, "application_id": fakeBotID, "type": 3, "token": "itoken-" + id, "version": 1,
			"channel_id": channel, "locale": f.locales[chat],
			"data":    map[string]any{"custom_id": bs[n-1].CustomID, "component_type": 2},
			"message": m.json(),
		}
		if c.guild != "" {
			d["guild_id"] = c.guild
			d["member"] = map[string]any{"user": customer(chat, ""), "roles": []string{}}
		} else {
			d["user"] = customer(chat, "")
		}
		raw, _ := json.Marshal(d)
		f.lastEvent[channel], f.lastType[channel] = raw, "INTERACTION_CREATE"
		f.dispatchLocked("INTERACTION_CREATE", json.RawMessage(raw))
		return id, nil
	}
	return "", fmt.Errorf("no message with buttons in %s", channel)
}

type fakeButton struct {
	Type     int    `json:"type"`
	Label    string `json:"label"`
	CustomID string `json:"custom_id"`
	Disabled bool   `json:"disabled"`
	Options  []struct {
		Value string `json:"value"`
	} `json:"options"`
}

// buttons reads the buttons of a message's components.
func buttons(raw json.RawMessage) []fakeButton {
	var rows []struct {
		Type       int          `json:"type"`
		Components []fakeButton `json:"components"`
	}
	_ = json.Unmarshal(raw, &rows)
	var out []fakeButton
	for _, r := range rows {
		for _, c := range r.Components {
			if c.Type == 2 { // a button; 3 is a select menu
				out = append(out, c)
			}
		}
	}
	return out
}

// selects reads the select menus of a message's components.
func selects(raw json.RawMessage) []fakeButton {
	var rows []struct {
		Components []fakeButton `json:"components"`
	}
	_ = json.Unmarshal(raw, &rows)
	var out []fakeButton
	for _, r := range rows {
		for _, c := range r.Components {
			if c.Type == 3 {
				out = append(out, c)
			}
		}
	}
	return out
}

// sentTo is what the bot posted in channel, as a client shows it.
func (f *fakeDiscord) sentTo(channel string) []adaptertest.Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.channels[channel]
	if c == nil {
		return nil
	}
	var out []adaptertest.Sent
	for _, m := range c.msgs {
		if !m.Bot {
			continue
		}
		s := adaptertest.Sent{Text: unescape(m.Content)}
		for _, b := range buttons(m.Components) {
			s.Buttons = append(s.Buttons, b.Label)
		}
		out = append(out, s)
	}
	return out
}

// drop breaks the current gateway connection and refuses the next n-1.
func (f *fakeDiscord) drop(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refuse = n - 1
	if f.conn != nil {
		_ = f.conn.ws.UnderlyingConn().Close()
		f.conn = nil
	}
}

// waitReady waits for the next READY or RESUMED.
func (f *fakeDiscord) waitReady(t testing.TB) {
	t.Helper()
	select {
	case <-f.ready:
	case <-time.After(adaptertest.Timeout):
		t.Fatal("the adapter did not connect to the fake gateway")
	}
}

// platform is the fake as the adaptertest suite drives it: chats are DMs.
type platform struct {
	f     *fakeDiscord
	state *bot.MemoryState
	opts  []Option
}

var (
	_ adaptertest.Platform    = (*platform)(nil)
	_ adaptertest.Unforgeable = (*platform)(nil)
)

func newPlatform(t testing.TB, opts ...Option) *platform {
	return &platform{f: newFake(t), state: bot.NewMemoryState(), opts: opts}
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func (p *platform) NewAdapter(t testing.TB) adaptertest.Adapter { return p.newAdapter(t) }

func (p *platform) newAdapter(t testing.TB, extra ...Option) *Adapter {
	opts := []Option{WithAPIURL(p.f.hub.root()), WithState(p.state), WithLogger(testLogger(t)), WithRetry(5*time.Millisecond, 50*time.Millisecond)}
	opts = append(append(opts, p.opts...), extra...)
	a, err := New(p.f.token, opts...)
	if err != nil {
		t.Fatalf("new adapter: %v", err)
	}
	return a
}

func (p *platform) Address(chat string) bot.Address {
	_, ch := chatIDs(chat)
	return bot.Address{Channel: Channel, Conversation: ch}
}

func (p *platform) Say(t testing.TB, chat, locale, text string) string {
	return p.SayAll(t, chat, locale, []string{text})[0]
}

func (p *platform) SayAll(_ testing.TB, chat, locale string, texts []string) []string {
	_, ch := chatIDs(chat)
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	p.f.locales[chat] = locale
	ids := make([]string, len(texts))
	for i, text := range texts {
		ids[i] = p.f.sayLocked(chat, locale, ch, "", text)
	}
	return ids
}

func (p *platform) Tap(t testing.TB, chat string, n int) string {
	_, ch := chatIDs(chat)
	p.f.mu.Lock()
	id, err := p.f.tapLocked(chat, ch, n)
	p.f.mu.Unlock()
	if err != nil {
		t.Fatalf("tap: %v", err)
	}
	return id
}

func (p *platform) Redeliver(_ testing.TB, chat string) {
	_, ch := chatIDs(chat)
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	if raw := p.f.lastEvent[ch]; raw != nil {
		p.f.dispatchLocked(p.f.lastType[ch], raw)
	}
}

func (p *platform) Sent(chat string) []adaptertest.Sent {
	_, ch := chatIDs(chat)
	return p.f.sentTo(ch)
}

func (p *platform) Throttle(d time.Duration) {
	p.f.mu.Lock()
	p.f.throttle = append(p.f.throttle, d)
	p.f.mu.Unlock()
}

func (p *platform) FailSends(on bool) {
	p.f.mu.Lock()
	p.f.failSends = on
	p.f.mu.Unlock()
}

func (p *platform) Drop(n int) { p.f.drop(n) }

func (p *platform) Forge(t testing.TB, _, _ string) int {
	t.Fatal("Forge: the Discord adapter takes no inbound request")
	return 0
}

// Unforgeable implements adaptertest.Unforgeable.
func (p *platform) Unforgeable() string {
	return "the Discord adapter serves no webhook: it dials the gateway with its token, so there is no request to forge"
}

package telegram

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/calmbot/calmbot/adapters/adaptertest"
	"github.com/calmbot/calmbot/bot"
)

// fakeToken is the bot token the fake Bot API accepts.
const fakeToken = "123456:TEST-token_abcdefghijklmnopqrstuvwxyz"

// fakeBot is the bot user getMe returns.
const fakeBotID = 123456

// fakeAPI is a Bot API server on 127.0.0.1: POST /bot<token>/<method> with
// a multipart, urlencoded or JSON body, answering the real JSON shapes and
// error envelope. It keeps the updates Telegram would keep (until a
// getUpdates offset confirms them) and records every call.
type fakeAPI struct {
	t   testing.TB
	srv *httptest.Server

	mu         sync.Mutex
	pending    []fakeUpdate // not confirmed yet, in update_id order
	extra      []fakeUpdate // redeliveries, answered regardless of the offset
	lastUpdate map[int64]fakeUpdate
	nextUpdate int64
	nextMsg    map[int64]int
	wake       chan struct{}
	users      map[int64]string // chat -> language_code
	sent       map[int64][]*fakeMessage
	messages   map[int64]map[int]*fakeMessage
	calls      []fakeCall
	offsets    []int64
	throttle   []time.Duration
	passSends  int // sends let through before throttle applies
	failSends  bool
	failGetMe  int // getMe answers 502 this many times
	drop       int
	blocked    map[int64]bool
	onSend     func(chat int64, text string)
	webhook    url.Values
	forums     map[int64]bool // group chats with topics
	topics     map[int64]map[int]string
}

type fakeUpdate struct {
	id   int64
	chat int64
	raw  json.RawMessage
}

// fakeMessage is a message the bot sent.
type fakeMessage struct {
	ID      int
	Chat    int64
	Text    string
	Buttons []fakeButton
	// Thread is the forum topic's message_thread_id, ReplyTo the message
	// it answers (reply_parameters.message_id).
	Thread, ReplyTo int
}

type fakeButton struct{ Text, Data string }

type fakeCall struct {
	Method string
	Params map[string]string
	// Chunked is set for a request sent without a Content-Length.
	Chunked bool
}

func newFakeAPI(t testing.TB) *fakeAPI {
	f := &fakeAPI{
		t:          t,
		lastUpdate: map[int64]fakeUpdate{},
		nextMsg:    map[int64]int{},
		wake:       make(chan struct{}),
		users:      map[int64]string{},
		sent:       map[int64][]*fakeMessage{},
		messages:   map[int64]map[int]*fakeMessage{},
		blocked:    map[int64]bool{},
		forums:     map[int64]bool{},
		topics:     map[int64]map[int]string{},
		nextUpdate: 500,
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) URL() string { return f.srv.URL }

// wakeLocked wakes the waiting getUpdates calls; f.mu is held.
func (f *fakeAPI) wakeLocked() {
	close(f.wake)
	f.wake = make(chan struct{})
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || r.Method != http.MethodPost {
		fail(w, http.StatusNotFound, "Not Found", 0)
		return
	}
	if token != fakeToken {
		fail(w, http.StatusUnauthorized, "Unauthorized", 0)
		return
	}
	params, err := readParams(r)
	if err != nil {
		fail(w, http.StatusBadRequest, "Bad Request: "+err.Error(), 0)
		return
	}
	f.mu.Lock()
	f.calls = append(f.calls, fakeCall{method, params, slices.Contains(r.TransferEncoding, "chunked")})
	f.mu.Unlock()
	switch method {
	case "getMe":
		f.mu.Lock()
		down := f.failGetMe > 0
		if down {
			f.failGetMe--
		}
		f.mu.Unlock()
		if down {
			fail(w, http.StatusBadGateway, "Bad Gateway", 0)
			return
		}
		ok200(w, map[string]any{"id": fakeBotID, "is_bot": true, "first_name": "Calm", "username": "calm_test_bot",
			"can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false})
	case "deleteWebhook":
		ok200(w, true)
	case "setWebhook":
		f.mu.Lock()
		f.webhook = url.Values{"url": {params["url"]}, "secret_token": {params["secret_token"]}}
		f.mu.Unlock()
		ok200(w, true)
	case "getUpdates":
		f.getUpdates(w, r, params)
	case "sendMessage":
		f.sendMessage(w, params)
	case "answerCallbackQuery":
		if params["callback_query_id"] == "" {
			fail(w, http.StatusBadRequest, "Bad Request: query is too old and response timeout expired or query ID is invalid", 0)
			return
		}
		ok200(w, true)
	case "editMessageReplyMarkup":
		f.editMarkup(w, params)
	case "editMessageText":
		f.editText(w, params)
	case "getChat":
		f.getChat(w, params)
	case "createForumTopic":
		f.createTopic(w, params)
	default:
		fail(w, http.StatusNotFound, "Not Found: method not found", 0)
	}
}

// readParams reads a Bot API request's parameters from any of the three
// encodings Telegram accepts; JSON objects and arrays stay JSON text.
func readParams(r *http.Request) (map[string]string, error) {
	out := map[string]string{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var m map[string]json.RawMessage
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		if len(b) > 0 {
			if err := json.Unmarshal(b, &m); err != nil {
				return nil, err
			}
		}
		for k, v := range m {
			var s string
			if json.Unmarshal(v, &s) == nil {
				out[k] = s
			} else {
				out[k] = string(v)
			}
		}
	case "multipart/form-data":
		b, err := io.ReadAll(r.Body)
		if err != nil || len(b) == 0 { // go-telegram sends no part at all for a method without parameters
			return out, err
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			return nil, err
		}
		for k, v := range r.MultipartForm.Value {
			out[k] = v[0]
		}
	default:
		if err := r.ParseForm(); err != nil {
			return nil, err
		}
		for k, v := range r.PostForm {
			out[k] = v[0]
		}
	}
	return out, nil
}

func ok200(w http.ResponseWriter, result any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
}

// fail answers the Bot API's error envelope, with HTTP status code.
func fail(w http.ResponseWriter, code int, desc string, retryAfter int) {
	body := map[string]any{"ok": false, "error_code": code, "description": desc}
	if retryAfter > 0 {
		body["parameters"] = map[string]any{"retry_after": retryAfter}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}

func (f *fakeAPI) getUpdates(w http.ResponseWriter, r *http.Request, p map[string]string) {
	offset, _ := strconv.ParseInt(p["offset"], 10, 64)
	timeout, _ := strconv.Atoi(p["timeout"])
	limit := 100
	if l, err := strconv.Atoi(p["limit"]); err == nil && l > 0 {
		limit = l
	}
	deadline := time.NewTimer(time.Duration(timeout) * time.Second)
	defer deadline.Stop()
	f.mu.Lock()
	f.offsets = append(f.offsets, offset)
	if offset > 0 { // confirms every update before offset
		kept := f.pending[:0]
		for _, u := range f.pending {
			if u.id >= offset {
				kept = append(kept, u)
			}
		}
		f.pending = kept
	}
	for {
		if f.drop > 0 {
			f.drop--
			f.mu.Unlock()
			hijackClose(w)
			return
		}
		var out []json.RawMessage
		for _, u := range f.extra {
			out = append(out, u.raw)
		}
		f.extra = nil
		for _, u := range f.pending {
			if u.id >= offset && len(out) < limit {
				out = append(out, u.raw)
			}
		}
		if len(out) > 0 || timeout == 0 {
			f.mu.Unlock()
			if out == nil {
				out = []json.RawMessage{}
			}
			ok200(w, out)
			return
		}
		wake := f.wake
		f.mu.Unlock()
		select {
		case <-wake:
		case <-deadline.C:
			ok200(w, []json.RawMessage{})
			return
		case <-r.Context().Done():
			return
		}
		f.mu.Lock()
	}
}

// hijackClose drops the connection without an answer.
func hijackClose(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("no hijacker")
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		conn.Close()
	}
}

func (f *fakeAPI) sendMessage(w http.ResponseWriter, p map[string]string) {
	chat, err := strconv.ParseInt(p["chat_id"], 10, 64)
	if err != nil {
		fail(w, http.StatusBadRequest, "Bad Request: chat not found", 0)
		return
	}
	f.mu.Lock()
	if len(f.throttle) > 0 && f.passSends > 0 {
		f.passSends--
	} else if len(f.throttle) > 0 {
		d := f.throttle[0]
		f.throttle = f.throttle[1:]
		f.mu.Unlock()
		secs := int(d / time.Second)
		fail(w, http.StatusTooManyRequests, fmt.Sprintf("Too Many Requests: retry after %d", secs), secs)
		return
	}
	switch {
	case f.failSends:
		f.mu.Unlock()
		fail(w, http.StatusInternalServerError, "Internal Server Error", 0)
		return
	case f.blocked[chat]:
		f.mu.Unlock()
		fail(w, http.StatusForbidden, "Forbidden: bot was blocked by the user", 0)
		return
	case f.users[chat] == "" && chat > 0:
		f.mu.Unlock()
		fail(w, http.StatusBadRequest, "Bad Request: chat not found", 0)
		return
	}
	text := strings.TrimSpace(p["text"])
	switch {
	case text == "":
		f.mu.Unlock()
		fail(w, http.StatusBadRequest, "Bad Request: message text is empty", 0)
		return
	case utf16Len(text) > MaxText:
		f.mu.Unlock()
		fail(w, http.StatusBadRequest, "Bad Request: message is too long", 0)
		return
	}
	m := &fakeMessage{ID: f.newMessageIDLocked(chat), Chat: chat, Text: text}
	if th := p["message_thread_id"]; th != "" {
		m.Thread, _ = strconv.Atoi(th)
		if f.topics[chat][m.Thread] == "" {
			f.mu.Unlock()
			fail(w, http.StatusBadRequest, "Bad Request: message thread not found", 0)
			return
		}
	}
	if rp := p["reply_parameters"]; rp != "" {
		var r struct {
			MessageID int `json:"message_id"`
		}
		if err := json.Unmarshal([]byte(rp), &r); err != nil {
			f.mu.Unlock()
			fail(w, http.StatusBadRequest, "Bad Request: can't parse reply parameters JSON object", 0)
			return
		}
		m.ReplyTo = r.MessageID
	}
	if mk := p["reply_markup"]; mk != "" {
		bs, err := parseMarkup(mk)
		if err != nil {
			f.mu.Unlock()
			fail(w, http.StatusBadRequest, "Bad Request: can't parse reply keyboard markup JSON object", 0)
			return
		}
		m.Buttons = bs
	}
	f.sent[chat] = append(f.sent[chat], m)
	if f.messages[chat] == nil {
		f.messages[chat] = map[int]*fakeMessage{}
	}
	f.messages[chat][m.ID] = m
	onSend := f.onSend
	f.mu.Unlock()
	if onSend != nil {
		onSend(chat, text)
	}
	ok200(w, f.messageJSON(m))
}

func parseMarkup(s string) ([]fakeButton, error) {
	var mk struct {
		InlineKeyboard [][]struct {
			Text         string `json:"text"`
			CallbackData string `json:"callback_data"`
		} `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(s), &mk); err != nil {
		return nil, err
	}
	var out []fakeButton
	for _, row := range mk.InlineKeyboard {
		for _, b := range row {
			if len(b.CallbackData) > 64 {
				return nil, fmt.Errorf("callback_data of %d bytes", len(b.CallbackData))
			}
			out = append(out, fakeButton{b.Text, b.CallbackData})
		}
	}
	return out, nil
}

func (f *fakeAPI) editMarkup(w http.ResponseWriter, p map[string]string) {
	chat, _ := strconv.ParseInt(p["chat_id"], 10, 64)
	id, _ := strconv.Atoi(p["message_id"])
	f.mu.Lock()
	m := f.messages[chat][id]
	if m == nil {
		f.mu.Unlock()
		fail(w, http.StatusBadRequest, "Bad Request: message to edit not found", 0)
		return
	}
	bs, err := parseMarkup(p["reply_markup"])
	if err != nil && p["reply_markup"] != "" {
		f.mu.Unlock()
		fail(w, http.StatusBadRequest, "Bad Request: can't parse reply keyboard markup JSON object", 0)
		return
	}
	if len(bs) == 0 && len(m.Buttons) == 0 {
		f.mu.Unlock()
		fail(w, http.StatusBadRequest, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message", 0)
		return
	}
	m.Buttons = bs
	f.mu.Unlock()
	ok200(w, f.messageJSON(m))
}

func (f *fakeAPI) editText(w http.ResponseWriter, p map[string]string) {
	chat, _ := strconv.ParseInt(p["chat_id"], 10, 64)
	id, _ := strconv.Atoi(p["message_id"])
	text := strings.TrimSpace(p["text"])
	f.mu.Lock()
	m := f.messages[chat][id]
	switch {
	case m == nil:
		f.mu.Unlock()
		fail(w, http.StatusBadRequest, "Bad Request: message to edit not found", 0)
		return
	case text == "":
		f.mu.Unlock()
		fail(w, http.StatusBadRequest, "Bad Request: message text is empty", 0)
		return
	case utf16Len(text) > MaxText:
		f.mu.Unlock()
		fail(w, http.StatusBadRequest, "Bad Request: MESSAGE_TOO_LONG", 0)
		return
	}
	bs, err := parseMarkup(p["reply_markup"])
	if err != nil && p["reply_markup"] != "" {
		f.mu.Unlock()
		fail(w, http.StatusBadRequest, "Bad Request: can't parse reply keyboard markup JSON object", 0)
		return
	}
	if p["reply_markup"] == "" {
		bs = m.Buttons // not given: kept
	}
	if text == m.Text && slices.Equal(bs, m.Buttons) {
		f.mu.Unlock()
		fail(w, http.StatusBadRequest, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message", 0)
		return
	}
	m.Text, m.Buttons = text, bs
	f.mu.Unlock()
	ok200(w, f.messageJSON(m))
}

func (f *fakeAPI) getChat(w http.ResponseWriter, p map[string]string) {
	chat, err := strconv.ParseInt(p["chat_id"], 10, 64)
	if err != nil || chat > 0 && f.langOf(chat) == "" {
		fail(w, http.StatusBadRequest, "Bad Request: chat not found", 0)
		return
	}
	c := f.chatJSON(chat)
	c["accent_color_id"], c["max_reaction_count"] = 0, 11
	ok200(w, c)
}

func (f *fakeAPI) langOf(chat int64) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.users[chat]
}

func (f *fakeAPI) createTopic(w http.ResponseWriter, p map[string]string) {
	chat, _ := strconv.ParseInt(p["chat_id"], 10, 64)
	name := p["name"]
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case !f.forums[chat]:
		fail(w, http.StatusBadRequest, "Bad Request: the chat is not a forum", 0)
		return
	case name == "" || utf8.RuneCountInString(name) > 128:
		fail(w, http.StatusBadRequest, "Bad Request: TOPIC_TITLE_INVALID", 0)
		return
	}
	// A topic's id is the id of the service message that opened it.
	id := f.newMessageIDLocked(chat)
	if f.topics[chat] == nil {
		f.topics[chat] = map[int]string{}
	}
	f.topics[chat][id] = name
	ok200(w, map[string]any{"message_thread_id": id, "name": name, "icon_color": 7322096})
}

func (f *fakeAPI) newMessageIDLocked(chat int64) int {
	f.nextMsg[chat]++
	return f.nextMsg[chat]
}

// messageJSON is a bot's message as the Bot API returns it.
func (f *fakeAPI) messageJSON(m *fakeMessage) map[string]any {
	out := map[string]any{
		"message_id": m.ID,
		"from":       map[string]any{"id": fakeBotID, "is_bot": true, "first_name": "Calm", "username": "calm_test_bot"},
		"chat":       f.chatJSON(m.Chat),
		"date":       time.Now().Unix(),
		"text":       m.Text,
	}
	if m.Thread != 0 {
		out["message_thread_id"], out["is_topic_message"] = m.Thread, true
	}
	if len(m.Buttons) > 0 {
		rows := make([]any, len(m.Buttons))
		for i, b := range m.Buttons {
			rows[i] = []any{map[string]any{"text": b.Text, "callback_data": b.Data}}
		}
		out["reply_markup"] = map[string]any{"inline_keyboard": rows}
	}
	return out
}

// chatJSON is chatJSON, with is_forum for the fake's forums.
func (f *fakeAPI) chatJSON(chat int64) map[string]any {
	c := chatJSON(chat)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.forums[chat] {
		c["is_forum"] = true
	}
	return c
}

func chatJSON(chat int64) map[string]any {
	if chat < 0 {
		return map[string]any{"id": chat, "type": "supergroup", "title": "Support fans"}
	}
	return map[string]any{"id": chat, "type": "private", "first_name": "Customer" + strconv.FormatInt(chat, 10)}
}

func userJSON(chat int64, lang string) map[string]any {
	u := map[string]any{"id": chat, "is_bot": false, "first_name": "Customer" + strconv.FormatInt(chat, 10)}
	if lang != "" {
		u["language_code"] = lang
	}
	return u
}

// push queues updates built by mk (given their update_id) for chat, in one
// go, and returns their update_ids.
func (f *fakeAPI) push(chat int64, lang string, n int, mk func(i int, updateID int64) map[string]any) []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if chat > 0 {
		f.users[chat] = lang
		if lang == "" {
			f.users[chat] = "-"
		}
	}
	ids := make([]int64, n)
	for i := range n {
		f.nextUpdate++
		id := f.nextUpdate
		u := mk(i, id)
		u["update_id"] = id
		raw, err := json.Marshal(u)
		if err != nil {
			f.t.Fatalf("fake: %v", err)
		}
		fu := fakeUpdate{id: id, chat: chat, raw: raw}
		f.pending = append(f.pending, fu)
		f.lastUpdate[chat] = fu
		ids[i] = id
	}
	f.wakeLocked()
	return ids
}

// sayAll queues customer text messages; it returns their message_ids.
func (f *fakeAPI) sayAll(chat int64, lang string, texts []string) []int {
	msgIDs := make([]int, len(texts))
	f.push(chat, lang, len(texts), func(i int, _ int64) map[string]any {
		f.nextMsg[chat]++
		msgIDs[i] = f.nextMsg[chat]
		return map[string]any{"message": map[string]any{
			"message_id": msgIDs[i], "from": userJSON(chat, lang), "chat": chatJSON(chat),
			"date": time.Now().Unix(), "text": texts[i],
		}}
	})
	return msgIDs
}

// update queues one update with the given body (its update_id is added).
func (f *fakeAPI) update(chat int64, lang string, body map[string]any) int64 {
	return f.push(chat, lang, 1, func(int, int64) map[string]any { return body })[0]
}

// tap queues a tap on button n of the last message with buttons in chat.
// It returns the callback query id.
func (f *fakeAPI) tap(chat int64, n int) (string, error) {
	f.mu.Lock()
	var m *fakeMessage
	for i := len(f.sent[chat]) - 1; i >= 0; i-- {
		if len(f.sent[chat][i].Buttons) > 0 {
			m = f.sent[chat][i]
			break
		}
	}
	lang := f.users[chat]
	f.mu.Unlock()
	if m == nil || n < 1 || n > len(m.Buttons) {
		return "", fmt.Errorf("chat %d has no message with a button %d", chat, n)
	}
	return f.tapMessage(chat, lang, m, m.Buttons[n-1].Data), nil
}

func (f *fakeAPI) tapMessage(chat int64, lang string, m *fakeMessage, data string) string {
	f.mu.Lock()
	query := strconv.FormatInt(4000000000000000000+f.nextUpdate, 10)
	f.mu.Unlock()
	msg := f.messageJSON(m)
	f.update(chat, lang, map[string]any{"callback_query": map[string]any{
		"id": query, "from": userJSON(chat, lang), "message": msg,
		"chat_instance": "-5550001", "data": data,
	}})
	return query
}

// redeliver answers chat's last update once more, whatever the offset.
func (f *fakeAPI) redeliver(chat int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.lastUpdate[chat]
	if !ok {
		f.t.Fatalf("fake: nothing to redeliver in chat %d", chat)
	}
	f.extra = append(f.extra, u)
	f.wakeLocked()
}

func (f *fakeAPI) sentTo(chat int64) []fakeMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]fakeMessage, len(f.sent[chat]))
	for i, m := range f.sent[chat] {
		out[i] = *m
		out[i].Buttons = append([]fakeButton(nil), m.Buttons...)
	}
	return out
}

func (f *fakeAPI) callsTo(method string) []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeCall
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeAPI) seenOffsets() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int64(nil), f.offsets...)
}

// platform is the fake as adaptertest sees it.
type platform struct {
	f     *fakeAPI
	state *bot.MemoryState
	last  *Adapter
	opts  []Option
}

var _ adaptertest.Platform = (*platform)(nil)

func newPlatform(t testing.TB, opts ...Option) *platform {
	return &platform{f: newFakeAPI(t), state: bot.NewMemoryState(), opts: opts}
}

// testLogger writes the adapter's log into the test's output.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func (p *platform) NewAdapter(t testing.TB) adaptertest.Adapter {
	a := p.newAdapter(t)
	return a
}

func (p *platform) newAdapter(t testing.TB, extra ...Option) *Adapter {
	opts := []Option{
		WithAPIURL(p.f.URL()), WithState(p.state), WithPollTimeout(5 * time.Second),
		WithBackoff(5*time.Millisecond, 50*time.Millisecond), WithLogger(testLogger(t)),
	}
	opts = append(append(opts, p.opts...), extra...)
	a, err := New(fakeToken, opts...)
	if err != nil {
		t.Fatalf("new adapter: %v", err)
	}
	p.last = a
	return a
}

// chatID is the Telegram chat id of a chat name.
func chatID(chat string) int64 {
	h := fnv.New32a()
	h.Write([]byte(chat))
	return int64(h.Sum32()%1_000_000_000) + 10_000
}

func (p *platform) Address(chat string) bot.Address { return address(chatID(chat)) }

func (p *platform) Say(t testing.TB, chat, locale, text string) string {
	return p.SayAll(t, chat, locale, []string{text})[0]
}

func (p *platform) SayAll(_ testing.TB, chat, locale string, texts []string) []string {
	ids := p.f.sayAll(chatID(chat), locale, texts)
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.Itoa(id)
	}
	return out
}

func (p *platform) Tap(t testing.TB, chat string, n int) string {
	q, err := p.f.tap(chatID(chat), n)
	if err != nil {
		t.Fatalf("tap: %v", err)
	}
	return "cb" + q
}

func (p *platform) Redeliver(_ testing.TB, chat string) { p.f.redeliver(chatID(chat)) }

func (p *platform) Sent(chat string) []adaptertest.Sent {
	ms := p.f.sentTo(chatID(chat))
	out := make([]adaptertest.Sent, len(ms))
	for i, m := range ms {
		out[i].Text = m.Text
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
	defer p.f.mu.Unlock()
	p.f.drop += n
	p.f.wakeLocked()
}

func (p *platform) Forge(t testing.TB, chat, text string) int {
	return forge(t, p.last, chatID(chat), text, "not-the-secret")
}

// forge posts a webhook update with secret (none when "") to a's handler.
func forge(t testing.TB, a *Adapter, chat int64, text, secret string) int {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"update_id": 9_000_000, "message": map[string]any{
		"message_id": 1, "from": userJSON(chat, "en"), "chat": chatJSON(chat), "date": time.Now().Unix(), "text": text,
	}})
	req := httptest.NewRequest(http.MethodPost, "/telegram/webhook", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	rec := httptest.NewRecorder()
	a.Webhook().ServeHTTP(rec, req)
	return rec.Code
}

// fakeUser is a Telegram user writing in a group.
type fakeUser struct {
	ID   int64
	Name string
}

func (u fakeUser) json() map[string]any {
	return map[string]any{"id": u.ID, "is_bot": false, "first_name": u.Name, "language_code": "en"}
}

// groupSay queues a message of from in group chat: in topic thread (0 for
// none) and as a reply to message replyTo (0 for none). Telegram marks a
// topic's message as a reply to the topic's first message when it answers
// nothing else.
func (f *fakeAPI) groupSay(group int64, from fakeUser, text string, thread, replyTo int) int {
	var id int
	f.push(group, "", 1, func(int, int64) map[string]any {
		f.nextMsg[group]++
		id = f.nextMsg[group]
		m := map[string]any{"message_id": id, "from": from.json(), "chat": chatJSON(group), "date": time.Now().Unix(), "text": text}
		if f.forums[group] {
			m["chat"].(map[string]any)["is_forum"] = true
		}
		if thread != 0 {
			m["message_thread_id"], m["is_topic_message"] = thread, true
			if replyTo == 0 {
				replyTo = thread
			}
		}
		if replyTo != 0 {
			r := map[string]any{"message_id": replyTo, "chat": chatJSON(group), "date": time.Now().Unix()}
			if bm := f.messages[group][replyTo]; bm != nil {
				r["from"] = map[string]any{"id": fakeBotID, "is_bot": true, "first_name": "Calm", "username": "calm_test_bot"}
				r["text"] = bm.Text
			}
			m["reply_to_message"] = r
		}
		return map[string]any{"message": m}
	})
	return id
}

// groupTap queues a tap of from on the button with data of message m.
func (f *fakeAPI) groupTap(from fakeUser, m fakeMessage, data string) string {
	f.mu.Lock()
	query := strconv.FormatInt(4100000000000000000+f.nextUpdate, 10)
	f.mu.Unlock()
	f.update(m.Chat, "", map[string]any{"callback_query": map[string]any{
		"id": query, "from": from.json(), "message": f.messageJSON(&m),
		"chat_instance": "-5550002", "data": data,
	}})
	return query
}

// answer is the text the fake's answerCallbackQuery got for query; ok is
// false while it was not answered.
func (f *fakeAPI) answer(query string) (text string, ok bool) {
	for _, c := range f.callsTo("answerCallbackQuery") {
		if c.Params["callback_query_id"] == query {
			return c.Params["text"], true
		}
	}
	return "", false
}

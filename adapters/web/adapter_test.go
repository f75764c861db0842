package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/calmbot/calmbot/adapters/web"
	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/webserve"
)

// timeout bounds every wait in these tests.
const timeout = 10 * time.Second

// env is a web chat on a real engine behind an httptest server.
type env struct {
	t   testing.TB
	h   *bottest.Harness
	a   *web.Adapter
	srv *httptest.Server
}

func newEnv(t testing.TB, opts ...web.Option) *env {
	t.Helper()
	return newEnvWith(t, nil, nil, opts...)
}

// newEnvWith starts an env whose engine has botOpts; wrap, when set, gives
// the adapter a restricted view of the engine.
func newEnvWith(t testing.TB, botOpts []bot.Option, wrap func(*bot.Engine) web.Engine, opts ...web.Option) *env {
	t.Helper()
	h := bottest.New(t, bottest.LoadFlows(t, "../../flows.yaml"), botOpts...)
	var e web.Engine = h.Engine
	if wrap != nil {
		e = wrap(h.Engine)
	}
	base := []web.Option{web.WithKey([]byte("test key")), web.WithLogger(slog.New(slog.DiscardHandler))}
	a := web.New(e, append(base, opts...)...)
	h.Engine.Register(web.Channel, a)
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, h: h, a: a, srv: srv}
}

type created struct {
	ID    string `json:"id"`
	Token string `json:"token"`
	Lang  string `json:"lang"`
}

type msg struct {
	Seq     int64        `json:"seq"`
	From    string       `json:"from"`
	Author  string       `json:"author"`
	Name    string       `json:"name"`
	ID      string       `json:"id"`
	Text    string       `json:"text"`
	Choice  string       `json:"choice"`
	Choices []bot.Choice `json:"choices"`
}

type postResult struct {
	Stored   bool   `json:"stored"`
	ID       string `json:"id"`
	Replies  []msg  `json:"replies"`
	Complete *bool  `json:"complete"`
	Status   string `json:"status"`
	Error    string `json:"error"`
}

type transcript struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Messages []msg  `json:"messages"`
}

// do sends a request and returns the response with its body read,
// failing the test on a transport error.
func (e *env) do(method, path, token, body string, header ...string) (*http.Response, []byte) {
	e.t.Helper()
	res, b, err := e.request(method, path, token, body, header...)
	if err != nil {
		e.t.Fatal(err)
	}
	return res, b
}

// request sends a request and returns the response with its body read.
// header holds name, value pairs.
func (e *env) request(method, path, token, body string, header ...string) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.srv.URL+path, rd)
	if err != nil {
		return nil, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	return res, b, nil
}

func decode[T any](t testing.TB, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// create makes a conversation, with body as the optional request body.
func (e *env) create(body string, header ...string) created {
	e.t.Helper()
	res, b := e.do("POST", "/api/conversations", "", body, header...)
	if res.StatusCode != http.StatusCreated {
		e.t.Fatalf("create: status %d: %s", res.StatusCode, b)
	}
	return decode[created](e.t, b)
}

// post sends a customer message; query is "" or "?wait=1".
func (e *env) post(c created, query, id, text string, header ...string) (int, postResult) {
	e.t.Helper()
	body, _ := json.Marshal(map[string]string{"text": text, "id": id})
	res, b := e.do("POST", "/api/conversations/"+c.ID+"/messages"+query, c.Token, string(body), header...)
	return res.StatusCode, decode[postResult](e.t, b)
}

func (e *env) transcript(c created) transcript {
	e.t.Helper()
	res, b := e.do("GET", "/api/conversations/"+c.ID+"/transcript", c.Token, "")
	if res.StatusCode != http.StatusOK {
		e.t.Fatalf("transcript: status %d: %s", res.StatusCode, b)
	}
	return decode[transcript](e.t, b)
}

func addr(c created) bot.Address { return bot.Address{Channel: web.Channel, Conversation: c.ID} }

func TestCreate(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name     string
		body     string
		header   []string
		wantLang string
	}{
		{"no body", "", nil, ""},
		{"empty object", "{}", nil, ""},
		{"lang in body", `{"lang": "de"}`, []string{"Accept-Language", "fi"}, "de"},
		{"region in body", `{"lang": "pt-BR"}`, nil, "pt-BR"},
		{"accept-language", "", []string{"Accept-Language", "it-IT,it;q=0.9,en;q=0.8"}, "it-IT"},
		{"accept-language weights", "", []string{"Accept-Language", "en;q=0.5, fi;q=0.9, *"}, "fi"},
		{"accept-language junk", "", []string{"Accept-Language", "*, 12;q=1"}, ""},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, b := e.do("POST", "/api/conversations", "", tt.body, tt.header...)
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("status %d: %s", res.StatusCode, b)
			}
			c := decode[created](t, b)
			if len(c.ID) != 22 || seen[c.ID] {
				t.Errorf("id %q: want 22 fresh characters", c.ID)
			}
			seen[c.ID] = true
			if c.Lang != tt.wantLang {
				t.Errorf("lang %q, want %q", c.Lang, tt.wantLang)
			}
			if got, want := res.Header.Get("Location"), "/api/conversations/"+c.ID; got != want {
				t.Errorf("Location %q, want %q", got, want)
			}
			if c.Token == "" || strings.Contains(c.Token, c.ID) {
				t.Errorf("token %q", c.Token)
			}
			// The token works, and the language reaches the engine.
			if code, _ := e.post(c, "", "m1", "hello"); code != http.StatusAccepted {
				t.Fatalf("post: status %d", code)
			}
		})
	}
}

func TestPostStoresAndTranscript(t *testing.T) {
	e := newEnv(t)
	c := e.create("")
	code, res := e.post(c, "", "client-1", "my parcel hasn't arrived")
	if code != http.StatusAccepted || !res.Stored || res.ID != "client-1" || res.Replies != nil || res.Complete != nil {
		t.Fatalf("post: status %d, %+v; want 202, stored, no replies", code, res)
	}
	tr := e.transcript(c)
	if tr.ID != c.ID || tr.Status != "bot" {
		t.Errorf("transcript id %q status %q", tr.ID, tr.Status)
	}
	if len(tr.Messages) < 2 {
		t.Fatalf("transcript %+v: want the message and the bot's replies", tr.Messages)
	}
	first := tr.Messages[0]
	if first.From != "customer" || first.ID != "client-1" || first.Text != "my parcel hasn't arrived" || first.Seq != 1 {
		t.Errorf("first message %+v", first)
	}
	for i, m := range tr.Messages[1:] {
		if m.From != "bot" || m.Author != "" || m.Text == "" || m.Seq != int64(i+2) {
			t.Errorf("reply %d: %+v", i, m)
		}
	}
	// The customer sees no analysis, flow or outbox internals.
	_, raw := e.do("GET", "/api/conversations/"+c.ID+"/transcript", c.Token, "")
	for _, internal := range []string{"analysis", "sentiment", "outbox", "state", "flow"} {
		if strings.Contains(string(raw), `"`+internal) {
			t.Errorf("transcript shows %q: %s", internal, raw)
		}
	}

	// Posting the same client id again is harmless.
	if code, _ := e.post(c, "", "client-1", "my parcel hasn't arrived"); code != http.StatusAccepted {
		t.Fatalf("repost: status %d", code)
	}
	if got := len(e.transcript(c).Messages); got != len(tr.Messages) {
		t.Errorf("after a redelivery the transcript has %d messages, want %d", got, len(tr.Messages))
	}
	// The same id with another text is a conflict; the first text stays.
	body, _ := json.Marshal(map[string]string{"text": "something else", "id": "client-1"})
	hres, b := e.do("POST", "/api/conversations/"+c.ID+"/messages", c.Token, string(body))
	if hres.StatusCode != http.StatusConflict || !strings.Contains(string(b), "already stored with another text") {
		t.Errorf("repost with another text: status %d %s, want 409 with an error", hres.StatusCode, b)
	}
	if got := e.transcript(c).Messages; len(got) != len(tr.Messages) || got[0].Text != "my parcel hasn't arrived" {
		t.Errorf("after a conflicting repost the transcript is %+v", got)
	}
}

func TestPostWait(t *testing.T) {
	e := newEnv(t)
	c := e.create(`{"lang": "en"}`)

	code, res := e.post(c, "?wait=1", "a", "my parcel hasn't arrived")
	if code != http.StatusOK || !res.Stored || res.Complete == nil || !*res.Complete || res.Status != "bot" {
		t.Fatalf("wait: status %d, %+v", code, res)
	}
	if len(res.Replies) == 0 {
		t.Fatal("wait returned no replies")
	}
	for _, r := range res.Replies {
		if r.From != "bot" || r.Text == "" || r.Seq <= 1 {
			t.Errorf("reply %+v", r)
		}
	}

	// Prefer: wait=N does the same; the bot now offers choices.
	body, _ := json.Marshal(map[string]string{"text": "yes", "id": "b"})
	hres, b := e.do("POST", "/api/conversations/"+c.ID+"/messages", c.Token, string(body), "Prefer", "wait=5")
	res = decode[postResult](t, b)
	if hres.StatusCode != http.StatusOK || res.Complete == nil || !*res.Complete {
		t.Fatalf("prefer wait: status %d: %s", hres.StatusCode, b)
	}
	if got := hres.Header.Get("Preference-Applied"); got != "wait=5" {
		t.Errorf("Preference-Applied %q", got)
	}
	var choices []bot.Choice
	for _, r := range res.Replies {
		choices = append(choices, r.Choices...)
	}
	if len(choices) == 0 {
		t.Fatalf("replies %+v: want choices", res.Replies)
	}
	// The wait mode's replies are exactly what the transcript holds after the message.
	tr := e.transcript(c)
	var after []msg
	for _, m := range tr.Messages {
		if m.Seq > res.Replies[0].Seq-1 && m.From != "customer" {
			after = append(after, m)
		}
	}
	if len(after) != len(res.Replies) {
		t.Errorf("wait gave %d replies, transcript has %d", len(res.Replies), len(after))
	}

	// A choice's label is a valid answer.
	code, res = e.post(c, "?wait=1", "c", choices[0].Label)
	if code != http.StatusOK || len(res.Replies) == 0 {
		t.Fatalf("choice: status %d, %+v", code, res)
	}
}

// A pressed button posts the option's id as choice and its label as the
// text: the option is chosen whatever the label reads as, and the
// transcript keeps both.
func TestPostChoice(t *testing.T) {
	e := newEnv(t)
	c := e.create(`{"lang": "en"}`)
	e.post(c, "?wait=1", "a", "my parcel hasn't arrived")
	_, res := e.post(c, "?wait=1", "b", "yes")
	var choices []bot.Choice
	for _, r := range res.Replies {
		choices = append(choices, r.Choices...)
	}
	if len(choices) < 2 {
		t.Fatalf("replies %+v: want choices", res.Replies)
	}
	// The text is the first option's label; the button pressed was the second.
	body, _ := json.Marshal(map[string]string{"text": choices[0].Label, "id": "c", "choice": choices[1].ID})
	hres, b := e.do("POST", "/api/conversations/"+c.ID+"/messages?wait=1", c.Token, string(body))
	if hres.StatusCode != http.StatusOK {
		t.Fatalf("post choice: status %d: %s", hres.StatusCode, b)
	}
	s, err := e.h.Engine.Conversation(context.Background(), addr(c))
	if err != nil {
		t.Fatal(err)
	}
	if s.Chosen != choices[1].ID {
		t.Errorf("chosen %q, want %q (the button pressed)", s.Chosen, choices[1].ID)
	}
	tr := e.transcript(c)
	var last msg
	for _, m := range tr.Messages {
		if m.From == "customer" {
			last = m
		}
	}
	if last.Text != choices[0].Label || last.Choice != choices[1].ID {
		t.Errorf("transcript shows %q choice %q", last.Text, last.Choice)
	}

	body, _ = json.Marshal(map[string]string{"text": "x", "id": "d", "choice": "a\x00b"})
	if hres, b := e.do("POST", "/api/conversations/"+c.ID+"/messages", c.Token, string(body)); hres.StatusCode != http.StatusBadRequest {
		t.Errorf("a choice with a control character: status %d: %s", hres.StatusCode, b)
	}
}

func TestPostWaitHuman(t *testing.T) {
	e := newEnv(t, web.WithAgentNames(func(id string) string {
		if id == "ada" {
			return "Ada Lovelace"
		}
		return ""
	}))
	c := e.create(`{"lang": "en"}`)
	code, res := e.post(c, "?wait=1", "1", "I want to talk to a human")
	if code != http.StatusOK || res.Status != "human" || len(res.Replies) == 0 {
		t.Fatalf("handoff: status %d, %+v", code, res)
	}
	// While a person holds the conversation the bot says nothing, and wait
	// mode says so at once instead of waiting out its time.
	start := time.Now()
	code, res = e.post(c, "?wait=1", "2", "hello? anyone?")
	if code != http.StatusOK || res.Complete == nil || !*res.Complete || len(res.Replies) != 0 || res.Status != "human" {
		t.Fatalf("waiting for a person: status %d, %+v", code, res)
	}
	if d := time.Since(start); d > web.DefaultWait/2 {
		t.Errorf("wait took %v", d)
	}
	// An agent's message is a reply too, with its author.
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := e.h.Engine.Post(ctx, addr(c), "agent:ada", "Hello, I am Ada. I can see your messages."); err != nil {
		t.Fatal(err)
	}
	tr := e.transcript(c)
	last := tr.Messages[len(tr.Messages)-1]
	if last.From != "agent" || last.Author != "agent:ada" || last.Name != "Ada Lovelace" {
		t.Errorf("agent message %+v, want ada's name as customers see it", last)
	}
}

func TestPostWaitQuietWindow(t *testing.T) {
	e := newEnvWith(t, []bot.Option{bot.WithQuietWindow(2 * time.Second)}, nil, web.WithWait(timeout, timeout))
	c := e.create(`{"lang": "en"}`)
	done := make(chan postResult, 1)
	go func() {
		// Not e.post: t.Fatal must not run outside the test goroutine.
		body := `{"text": "my parcel hasn't arrived", "id": "q1"}`
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/conversations/"+c.ID+"/messages?wait=1", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+c.Token)
		var res postResult
		if r, err := e.srv.Client().Do(req); err == nil {
			_ = json.NewDecoder(r.Body).Decode(&res)
			r.Body.Close()
		}
		done <- res
	}()
	// The message is stored and the bot holds its answer for the quiet window.
	waitFor(t, "the quiet window timer", func() bool { return e.h.Clock.Pending() == 1 })
	select {
	case res := <-done:
		t.Fatalf("wait returned before the bot answered: %+v", res)
	default:
	}
	e.h.Clock.Advance(2 * time.Second)
	select {
	case res := <-done:
		if res.Complete == nil || !*res.Complete || len(res.Replies) == 0 {
			t.Errorf("after the quiet window: %+v", res)
		}
	case <-time.After(timeout):
		t.Fatal("wait did not return after the bot answered")
	}
}

func TestPostWaitTimesOut(t *testing.T) {
	e := newEnvWith(t, []bot.Option{bot.WithQuietWindow(time.Minute)}, nil, web.WithWait(50*time.Millisecond, time.Second))
	c := e.create("")
	code, res := e.post(c, "?wait=true", "1", "my parcel hasn't arrived")
	if code != http.StatusOK || !res.Stored || res.Complete == nil || *res.Complete || len(res.Replies) != 0 {
		t.Fatalf("status %d, %+v: want stored, incomplete, no replies", code, res)
	}
}

// minimal hides everything of the engine but what web.Engine requires.
type minimal struct{ web.Engine }

func TestPostWaitMinimalEngine(t *testing.T) {
	e := newEnvWith(t, nil, func(en *bot.Engine) web.Engine { return minimal{en} })
	c := e.create(`{"lang": "en"}`)
	code, res := e.post(c, "?wait=1", "1", "my parcel hasn't arrived")
	// The replies themselves say the conversation's status.
	if code != http.StatusOK || res.Complete == nil || !*res.Complete || len(res.Replies) == 0 || res.Status != "bot" {
		t.Fatalf("status %d, %+v", code, res)
	}
}

func TestBadRequests(t *testing.T) {
	e := newEnv(t, web.WithMaxBody(1024))
	c := e.create("")
	other := e.create("")
	msgs := "/api/conversations/" + c.ID + "/messages"
	events := "/api/conversations/" + c.ID + "/events"
	tests := []struct {
		name, method, path, token, body string
		header                          []string
		want                            int
		wantErr                         string
	}{
		{"oversized", "POST", msgs, c.Token, `{"text": "` + strings.Repeat("a", 2000) + `"}`, nil, 413, "larger than 1024 bytes"},
		{"bad JSON", "POST", msgs, c.Token, `{"text": "hi"`, nil, 400, "bad JSON"},
		{"not JSON", "POST", msgs, c.Token, `text=hi`, nil, 400, "bad JSON at byte"},
		{"wrong type", "POST", msgs, c.Token, `{"text": 42}`, nil, 400, `field "text" must be a string`},
		{"unknown field", "POST", msgs, c.Token, `{"txt": "hi"}`, nil, 400, `unknown field "txt"`},
		{"two objects", "POST", msgs, c.Token, `{"text": "hi"} {"text": "again"}`, nil, 400, "more data after the object"},
		{"no body", "POST", msgs, c.Token, ``, nil, 400, "empty body"},
		{"empty text", "POST", msgs, c.Token, `{"text": ""}`, nil, 400, "text is empty"},
		{"blank text", "POST", msgs, c.Token, `{"text": " \n\t "}`, nil, 400, "text is empty"},
		{"control characters only", "POST", msgs, c.Token, `{"text": "\u0000\u001b\u007f\r"}`, nil, 400, "text is empty once control characters are removed"},
		{"long id", "POST", msgs, c.Token, `{"text": "hi", "id": "` + strings.Repeat("x", 200) + `"}`, nil, 400, "id is longer"},
		{"bad wait", "POST", msgs + "?wait=soon", c.Token, `{"text": "hi"}`, nil, 400, "wait="},
		{"bad prefer", "POST", msgs, c.Token, `{"text": "hi"}`, []string{"Prefer", "wait=later"}, 400, "Prefer"},
		{"no token", "POST", msgs, "", `{"text": "hi"}`, nil, 401, "missing token"},
		{"wrong token", "POST", msgs, "AAAA" + c.Token[4:], `{"text": "hi"}`, nil, 401, "wrong token"},
		{"other conversation's token", "POST", msgs, other.Token, `{"text": "hi"}`, nil, 401, "wrong token"},
		{"token with a forged language", "POST", msgs, c.Token + ".de", `{"text": "hi"}`, nil, 401, "wrong token"},
		{"basic auth", "POST", msgs, "", `{"text": "hi"}`, []string{"Authorization", "Basic Zm9vOmJhcg=="}, 401, "missing token"},
		{"unknown id", "POST", "/api/conversations/nope/messages", c.Token, `{"text": "hi"}`, nil, 404, "no such conversation"},
		{"bad lang", "POST", "/api/conversations", "", `{"lang": "<script>"}`, nil, 400, "not a language tag"},
		{"create oversized", "POST", "/api/conversations", "", `{"lang": "` + strings.Repeat("a", 2000) + `"}`, nil, 413, "larger than"},
		{"events wrong token", "GET", events + "?token=" + other.Token, "", "", nil, 401, "wrong token"},
		{"events bad Last-Event-ID", "GET", events, c.Token, "", []string{"Last-Event-ID", "x"}, 400, "Last-Event-ID"},
		{"events unknown id", "GET", "/api/conversations/" + strings.Repeat("A", 21) + "!/events", c.Token, "", nil, 404, "no such conversation"},
		{"post token in query", "POST", msgs + "?token=" + c.Token, "", `{"text": "hi"}`, nil, 401, "missing token"},
		{"transcript token in query", "GET", "/api/conversations/" + c.ID + "/transcript?token=" + c.Token, "", "", nil, 401, "missing token"},
		{"events no token", "GET", events, "", "", nil, 401, "or ?token="},
		{"transcript no token", "GET", "/api/conversations/" + c.ID + "/transcript", "", "", nil, 401, "missing token"},
		{"transcript other token", "GET", "/api/conversations/" + c.ID + "/transcript", other.Token, "", nil, 401, "wrong token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, b := e.do(tt.method, tt.path, tt.token, tt.body, tt.header...)
			if res.StatusCode != tt.want {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.want, b)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			var got struct{ Error string }
			if err := json.Unmarshal(b, &got); err != nil || !strings.Contains(got.Error, tt.wantErr) {
				t.Errorf("error %q (%v), want it to say %q", got.Error, err, tt.wantErr)
			}
			if tt.want == 401 && res.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	// Nothing was stored for any of them.
	for _, cv := range []created{c, other} {
		tr, err := e.h.Engine.Transcript(context.Background(), addr(cv))
		if err != nil || len(tr) != 0 {
			t.Errorf("conversation %s holds %d messages (%v), want none", cv.ID, len(tr), err)
		}
	}
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// sse is a client's event stream, read by a goroutine of its own.
type sse struct {
	t        testing.TB
	res      *http.Response
	events   chan sseEvent
	comments chan string
	retry    chan string
}

type sseEvent struct {
	id, event, data string
}

// open starts an event stream; reading begins with read (call it at once
// unless the test wants a client that does not read).
func (e *env) open(c created, query string, header ...string) *sse {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e.t.Cleanup(cancel)
	if query == "" {
		query = "?"
	} else {
		query += "&"
	}
	req, err := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api/conversations/"+c.ID+"/events"+query+"token="+c.Token, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("open events: %v", err)
	}
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		e.t.Fatalf("open events: status %d: %s", res.StatusCode, b)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		e.t.Errorf("events Content-Type %q", ct)
	}
	return &sse{t: e.t, res: res, events: make(chan sseEvent, 1000), comments: make(chan string, 1000), retry: make(chan string, 10)}
}

// read parses the stream with a bufio reader until it ends.
func (s *sse) read() *sse {
	go func() {
		defer s.res.Body.Close()
		r := bufio.NewReader(s.res.Body)
		var ev sseEvent
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				close(s.events)
				return
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case line == "":
				if ev.event != "" || ev.data != "" {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
				s.comments <- line
			case strings.HasPrefix(line, "retry: "):
				s.retry <- strings.TrimPrefix(line, "retry: ")
			case strings.HasPrefix(line, "id: "):
				ev.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				ev.event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			default:
				s.t.Errorf("unexpected stream line %q", line)
			}
		}
	}()
	return s
}

// next returns the next event, failing the test after timeout.
func (s *sse) next() sseEvent {
	s.t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			s.t.Fatal("event stream ended")
		}
		return ev
	case <-time.After(timeout):
		s.t.Fatal("no event within the deadline")
	}
	return sseEvent{}
}

// nextMessage skips status and typing events and returns the next
// transcript entry.
func (s *sse) nextMessage() (string, msg) {
	s.t.Helper()
	for {
		ev := s.next()
		if ev.event == "status" || ev.event == "typing" {
			continue
		}
		var m msg
		if err := json.Unmarshal([]byte(ev.data), &m); err != nil {
			s.t.Fatalf("event %+v: %v", ev, err)
		}
		if ev.id != strconv.FormatInt(m.Seq, 10) {
			s.t.Errorf("event id %q for seq %d", ev.id, m.Seq)
		}
		return ev.event, m
	}
}

func TestEvents(t *testing.T) {
	e := newEnv(t)
	c := e.create(`{"lang": "en"}`)
	s := e.open(c, "").read()
	select {
	case r := <-s.retry:
		if r != "2000" {
			t.Errorf("retry %q", r)
		}
	case <-time.After(timeout):
		t.Fatal("no retry line")
	}

	if code, _ := e.post(c, "", "m1", "my parcel hasn't arrived"); code != http.StatusAccepted {
		t.Fatalf("post: %d", code)
	}
	kind, m := s.nextMessage()
	if kind != "message" || m.From != "customer" || m.ID != "m1" || m.Seq != 1 {
		t.Errorf("first event %s %+v", kind, m)
	}
	kind, m = s.nextMessage()
	if kind != "reply" || m.From != "bot" || m.Seq != 2 || m.Text == "" {
		t.Errorf("second event %s %+v", kind, m)
	}
	tr := e.transcript(c)
	for _, want := range tr.Messages[2:] {
		if _, m := s.nextMessage(); m.Seq != want.Seq || m.Text != want.Text {
			t.Errorf("event %+v, want %+v", m, want)
		}
	}

	// The bot hands off: a status event says a person holds the conversation.
	if code, _ := e.post(c, "?wait=1", "m2", "I want to talk to a human"); code != http.StatusOK {
		t.Fatalf("post: %d", code)
	}
	var handoff []string
	for {
		ev := s.next()
		if ev.event == "status" && ev.data == `{"status":"human"}` {
			break
		}
		handoff = append(handoff, ev.event)
	}
	// Before it: the customer's message and the bot's handoff reply (the
	// bot's status came on connect).
	if want := []string{"message", "reply"}; !slices.Equal(handoff, want) {
		t.Errorf("events before the handoff status %v, want %v", handoff, want)
	}
	// An agent's message reaches the stream, with its author.
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := e.h.Engine.Post(ctx, addr(c), "agent:ada", "Hi, Ada here. <b>I</b> see everything you wrote."); err != nil {
		t.Fatal(err)
	}
	kind, m = s.nextMessage()
	if kind != "reply" || m.From != "agent" || m.Author != "agent:ada" || m.Text != "Hi, Ada here. <b>I</b> see everything you wrote." {
		t.Errorf("agent event %s %+v", kind, m)
	}
}

func TestEventsTyping(t *testing.T) {
	e := newEnvWith(t, []bot.Option{bot.WithQuietWindow(2 * time.Second)}, nil)
	c := e.create(`{"lang": "en"}`)
	s := e.open(c, "").read()
	if code, _ := e.post(c, "", "m1", "my parcel hasn't arrived"); code != http.StatusAccepted {
		t.Fatalf("post: %d", code)
	}
	want := []string{"status", "message", "typing"}
	for i := 0; i < len(want); i++ {
		ev := s.next()
		if ev.event != want[i] {
			t.Fatalf("event %d: %+v, want %s", i, ev, want[i])
		}
		if ev.event == "typing" && ev.data != `{"typing":true}` {
			t.Errorf("typing %q", ev.data)
		}
	}
	e.h.Clock.Advance(2 * time.Second)
	// The bot's answer arrives and the typing stops.
	for replied, stopped := false, false; !replied || !stopped; {
		switch ev := s.next(); ev.event {
		case "reply":
			replied = true
		case "typing":
			if ev.data != `{"typing":false}` {
				t.Fatalf("typing %q", ev.data)
			}
			stopped = true
		default:
			t.Fatalf("after the quiet window: %+v", ev)
		}
	}
}

func TestEventsReplay(t *testing.T) {
	e := newEnv(t)
	c := e.create(`{"lang": "en"}`)
	e.post(c, "?wait=1", "1", "my parcel hasn't arrived")
	e.post(c, "?wait=1", "2", "yes")
	tr := e.transcript(c)
	if len(tr.Messages) < 5 {
		t.Fatalf("transcript too short: %+v", tr.Messages)
	}
	tests := []struct {
		name   string
		query  string
		header []string
		from   int64
	}{
		{"from the start", "", nil, 1},
		{"Last-Event-ID", "", []string{"Last-Event-ID", "2"}, 3},
		{"Last-Event-ID wins over after", "?after=1", []string{"Last-Event-ID", "4"}, 5},
		{"after", "?after=3", nil, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := e.open(c, tt.query, tt.header...).read()
			for seq := tt.from; seq <= int64(len(tr.Messages)); seq++ {
				_, m := s.nextMessage()
				want := tr.Messages[seq-1]
				if m.Seq != want.Seq || m.Text != want.Text || m.From != want.From {
					t.Fatalf("replayed %+v, want %+v", m, want)
				}
			}
			// Then the status, and nothing else until something happens.
			if ev := s.next(); ev.event != "status" {
				t.Errorf("after the replay: %+v", ev)
			}
		})
	}
}

func TestEventsSeveralTabs(t *testing.T) {
	e := newEnv(t, web.WithMaxSubscribers(2))
	c := e.create(`{"lang": "en"}`)
	tabs := []*sse{e.open(c, "").read(), e.open(c, "").read()}
	// A third is refused.
	if res, b := e.do("GET", "/api/conversations/"+c.ID+"/events", c.Token, ""); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("third stream: status %d: %s", res.StatusCode, b)
	}
	e.post(c, "", "1", "my parcel hasn't arrived")
	for i, s := range tabs {
		kind, m := s.nextMessage()
		if kind != "message" || m.ID != "1" {
			t.Errorf("tab %d: %s %+v", i, kind, m)
		}
		if kind, m := s.nextMessage(); kind != "reply" || m.From != "bot" {
			t.Errorf("tab %d: %s %+v", i, kind, m)
		}
	}
}

func TestEventsHeartbeat(t *testing.T) {
	e := newEnv(t, web.WithHeartbeat(20*time.Millisecond))
	c := e.create("")
	s := e.open(c, "").read()
	for range 2 {
		select {
		case line := <-s.comments:
			if line != ": ping" {
				t.Errorf("comment %q", line)
			}
		case <-time.After(timeout):
			t.Fatal("no heartbeat")
		}
	}
}

// TestSlowSubscriber opens a stream that reads nothing while the bot
// answers many messages: posts do not wait for it, and once it reads it
// gets every message, in order.
func TestSlowSubscriber(t *testing.T) {
	e := newEnv(t)
	c := e.create(`{"lang": "en"}`)
	slow := e.open(c, "") // not reading
	texts := []string{"my parcel hasn't arrived", "yes", "trace", "yes"}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 25 {
			body, _ := json.Marshal(map[string]string{"text": texts[i%len(texts)], "id": strconv.Itoa(i)})
			req, _ := http.NewRequest("POST", e.srv.URL+"/api/conversations/"+c.ID+"/messages?wait=1", strings.NewReader(string(body)))
			req.Header.Set("Authorization", "Bearer "+c.Token)
			res, err := e.srv.Client().Do(req)
			if err != nil {
				t.Errorf("post %d: %v", i, err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Errorf("post %d: status %d", i, res.StatusCode)
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(timeout):
		t.Fatal("posts blocked by a subscriber that does not read")
	}
	tr := e.transcript(c)
	slow.read()
	for _, want := range tr.Messages {
		if _, m := slow.nextMessage(); m.Seq != want.Seq || m.Text != want.Text {
			t.Fatalf("slow subscriber got %+v, want %+v", m, want)
		}
	}
}

func TestClose(t *testing.T) {
	e := newEnvWith(t, []bot.Option{bot.WithQuietWindow(time.Minute)}, nil, web.WithWait(timeout, timeout))
	c := e.create(`{"lang": "en"}`)
	s := e.open(c, "").read()
	waiting := make(chan postResult, 1)
	go func() {
		var res postResult
		r, b, err := e.request("POST", "/api/conversations/"+c.ID+"/messages?wait=1", c.Token, `{"text": "hello"}`)
		if err == nil && r.StatusCode == http.StatusOK {
			_ = json.Unmarshal(b, &res)
		}
		waiting <- res
	}()
	// The message is stored; the bot holds its answer for a minute.
	waitFor(t, "the quiet window timer", func() bool { return e.h.Clock.Pending() == 1 })
	e.a.Close()
	e.a.Close() // twice is harmless
	select {
	case res := <-waiting:
		if !res.Stored || res.Complete == nil || *res.Complete {
			t.Errorf("waiting post after Close: %+v; want stored, incomplete", res)
		}
	case <-time.After(timeout):
		t.Fatal("a waiting post outlived Close")
	}
	// The stream ends.
	deadline := time.After(timeout)
	for open := true; open; {
		select {
		case ev, ok := <-s.events:
			if ev.event == "reply" {
				t.Errorf("reply before the bot answered: %+v", ev)
			}
			open = ok
		case <-deadline:
			t.Fatal("the event stream outlived Close")
		}
	}
	if res, b := e.do("GET", "/api/conversations/"+c.ID+"/events", c.Token, ""); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("stream after Close: status %d: %s", res.StatusCode, b)
	}
}

func TestSendOtherChannel(t *testing.T) {
	e := newEnv(t)
	// Replies of other channels are not the web chat's; Send never fails.
	if err := e.a.Send(context.Background(), bot.Reply{Address: bot.Address{Channel: "slack", Conversation: "x"}, Text: "hi"}); err != nil {
		t.Errorf("send: %v", err)
	}
}

func TestAssets(t *testing.T) {
	tests := []struct {
		prefix, path string
		want         int
		contentType  string
	}{
		{"", "/", 200, "text/html; charset=utf-8"},
		{"", "/assets/chat.js", 200, "text/javascript; charset=utf-8"},
		{"", "/assets/chat.css", 200, "text/css; charset=utf-8"},
		{"", "/launcher.js", 200, "text/javascript; charset=utf-8"},
		{"/chat", "/chat/launcher.js", 200, "text/javascript; charset=utf-8"},
		{"", "/assets/nope.js", 404, ""},
		{"", "/index.html", 404, ""},
		{"/chat", "/chat/", 200, "text/html; charset=utf-8"},
		{"/chat/", "/chat/assets/chat.js", 200, "text/javascript; charset=utf-8"},
		{"/chat", "/", 404, ""},
	}
	envs := map[string]*env{}
	for _, tt := range tests {
		if envs[tt.prefix] == nil {
			envs[tt.prefix] = newEnv(t, web.WithPrefix(tt.prefix))
		}
	}
	for _, tt := range tests {
		t.Run(tt.prefix+tt.path, func(t *testing.T) {
			e := *envs[tt.prefix]
			e.t = t
			res, b := e.do("GET", tt.path, "", "")
			if res.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.want)
			}
			if tt.want != 200 {
				return
			}
			if got := res.Header.Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type %q, want %q", got, tt.contentType)
			}
			if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("ETag") == "" {
				t.Errorf("headers %v", res.Header)
			}
			body := string(b)
			code := body
			if strings.HasSuffix(tt.path, "launcher.js") {
				// Its comments show the script tag; SVG needs its namespace.
				code = strings.ReplaceAll(code, `"http://www.w3.org/2000/svg"`, "")
				code = regexp.MustCompile(`(?m)^//.*$`).ReplaceAllString(code, "")
			}
			for _, external := range []string{"http://", "https://", "//cdn", "@import"} {
				if strings.Contains(code, external) {
					t.Errorf("%s refers to %q", tt.path, external)
				}
			}
			switch {
			case strings.HasSuffix(tt.path, "/"):
				csp := res.Header.Get("Content-Security-Policy")
				if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "connect-src 'self'") {
					t.Errorf("CSP %q", csp)
				}
				for _, ref := range []string{`src="assets/chat.js"`, `href="assets/chat.css"`, `name="viewport"`, `<label for="text"`, `role="log"`} {
					if !strings.Contains(body, ref) {
						t.Errorf("index.html lacks %s", ref)
					}
				}
			case strings.HasSuffix(tt.path, ".js"):
				// User text is only ever set with textContent.
				for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
					if strings.Contains(body, bad) {
						t.Errorf("chat.js uses %s", bad)
					}
				}
				need := []string{"textContent", "navigator.language", "localStorage", "EventSource", "api/conversations"}
				if strings.HasSuffix(tt.path, "launcher.js") {
					// The chat beside the script, in a frame, with a bubble that says what it opens.
					need = []string{`new URL("./", me.src)`, `createElement("iframe")`, "aria-expanded", "aria-label"}
				}
				for _, n := range need {
					if !strings.Contains(body, n) {
						t.Errorf("%s lacks %s", tt.path, n)
					}
				}
			}
			// Validators let browsers revalidate cheaply.
			res2, _ := e.do("GET", tt.path, "", "", "If-None-Match", res.Header.Get("ETag"))
			if res2.StatusCode != http.StatusNotModified {
				t.Errorf("revalidation: status %d", res2.StatusCode)
			}
		})
	}
}

func TestPrefixAPI(t *testing.T) {
	e := newEnv(t, web.WithPrefix("/chat"))
	res, b := e.do("POST", "/chat/api/conversations", "", "")
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d: %s", res.StatusCode, b)
	}
	c := decode[created](t, b)
	if got := res.Header.Get("Location"); got != "/chat/api/conversations/"+c.ID {
		t.Errorf("Location %q", got)
	}
	res, b = e.do("POST", "/chat/api/conversations/"+c.ID+"/messages?wait=1", c.Token, `{"text": "hello"}`)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("post: %d: %s", res.StatusCode, b)
	}
	// Without the trailing slash the page redirects.
	client := *e.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	r, err := client.Get(e.srv.URL + "/chat")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusMovedPermanently || r.Header.Get("Location") != "/chat/" {
		t.Errorf("GET /chat: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
}

// BenchmarkPostWait posts messages with ?wait=1 through HTTP on the
// in-memory store, each answered by the bot, a new conversation every four.
func BenchmarkPostWait(b *testing.B) {
	// The rate limits are tested on their own; every post here comes from one address.
	e := newEnv(b, web.WithRateLimits(webserve.Rate{}, webserve.Rate{}))
	e.srv.Client().Transport.(*http.Transport).MaxIdleConnsPerHost = 256
	script := []string{"my parcel hasn't arrived", "yes", "trace", "yes"}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var c created
		n := 0
		for pb.Next() {
			if n%len(script) == 0 {
				res, body, err := e.request("POST", "/api/conversations", "", `{"lang": "en"}`)
				if err != nil || res.StatusCode != http.StatusCreated || json.Unmarshal(body, &c) != nil {
					b.Errorf("create: %v %s", err, body)
					return
				}
			}
			msg := fmt.Sprintf(`{"text": %q, "id": "%d"}`, script[n%len(script)], n)
			res, body, err := e.request("POST", "/api/conversations/"+c.ID+"/messages?wait=1", c.Token, msg)
			if err != nil || res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"complete":true`) {
				b.Errorf("post: %v %s", err, body)
				return
			}
			n++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// TestEventsStatusOnConnect: a stream opened before the first message
// starts with the bot's status, as docs/http-api.md says, and does not
// repeat it once the first message is stored.
func TestEventsStatusOnConnect(t *testing.T) {
	e := newEnv(t)
	c := e.create(`{"lang": "en"}`)
	s := e.open(c, "").read()
	if ev := s.next(); ev.event != "status" || ev.data != `{"status":"bot"}` {
		t.Fatalf("first event %+v, want the status bot", ev)
	}
	if code, _ := e.post(c, "", "m1", "my parcel hasn't arrived"); code != http.StatusAccepted {
		t.Fatalf("post: %d", code)
	}
	for seen := 0; seen < 2; {
		ev := s.next()
		if ev.event == "status" {
			t.Errorf("status sent again: %s", ev.data)
		}
		if ev.event == "message" || ev.event == "reply" {
			seen++
		}
	}
}

// TestPostWaitSameAt: wait mode gives each reply the at of its transcript
// entry (it gave the time the wait ended).
func TestPostWaitSameAt(t *testing.T) {
	e := newEnv(t)
	c := e.create(`{"lang": "en"}`)
	res, b := e.do("POST", "/api/conversations/"+c.ID+"/messages?wait=1", c.Token, `{"text": "my parcel hasn't arrived", "id": "m1"}`)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("post: %d %s", res.StatusCode, b)
	}
	type at struct {
		Seq int64  `json:"seq"`
		At  string `json:"at"`
	}
	waited := decode[struct {
		Replies []at `json:"replies"`
	}](t, b)
	if len(waited.Replies) == 0 {
		t.Fatalf("no replies: %s", b)
	}
	_, tb := e.do("GET", "/api/conversations/"+c.ID+"/transcript", c.Token, "")
	stored := map[int64]string{}
	for _, m := range decode[struct {
		Messages []at `json:"messages"`
	}](t, tb).Messages {
		stored[m.Seq] = m.At
	}
	for _, r := range waited.Replies {
		if r.At != stored[r.Seq] {
			t.Errorf("reply %d: wait mode at %s, transcript at %s", r.Seq, r.At, stored[r.Seq])
		}
	}
}

// TestTranscriptGreeting: the transcript carries the flows' welcome in the
// conversation's language and how soon a person answers.
func TestTranscriptGreeting(t *testing.T) {
	e := newEnv(t)
	f := e.h.Engine.Flows()
	tests := []struct {
		create, lang string
	}{
		{`{"lang": "it-IT"}`, "it"},
		{`{"lang": "de"}`, "de"},
		{`{"lang": "fi"}`, "fi"},
		{`{"lang": "pt-BR"}`, "en"}, // not in the flows: the default language
		{``, "en"},
	}
	for _, tt := range tests {
		t.Run(tt.create, func(t *testing.T) {
			c := e.create(tt.create)
			_, b := e.do("GET", "/api/conversations/"+c.ID+"/transcript", c.Token, "")
			g := decode[struct {
				Greeting struct {
					Lang   string `json:"lang"`
					Text   string `json:"text"`
					Within int    `json:"reply_within_seconds"`
				} `json:"greeting"`
			}](t, b).Greeting
			want, _ := f.Texts.Welcome.Get(tt.lang, web.Channel)
			if g.Lang != tt.lang || g.Text != want || want == "" {
				t.Errorf("greeting %+v, want %s %q", g, tt.lang, want)
			}
			if g.Within != 60 {
				t.Errorf("reply_within_seconds %d, want 60 (service.first_response.normal)", g.Within)
			}
		})
	}
}

// TestMessageStatus: the bot's and agents' messages carry the status they
// left the conversation in, so a page shows when an agent left and the
// assistant took over again, also in a transcript loaded later.
func TestMessageStatus(t *testing.T) {
	e := newEnv(t)
	c := e.create(`{"lang": "en"}`)
	if code, _ := e.post(c, "?wait=1", "m1", "I want to talk to a human"); code != http.StatusOK {
		t.Fatalf("post: %d", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := e.h.Engine.Post(ctx, addr(c), "agent:ada", "Hi, Ada here."); err != nil {
		t.Fatal(err)
	}
	if err := e.h.Engine.Release(ctx, addr(c), "", ""); err != nil {
		t.Fatal(err)
	}
	_, b := e.do("GET", "/api/conversations/"+c.ID+"/transcript", c.Token, "")
	var got []string
	for _, m := range decode[struct {
		Messages []struct {
			From   string `json:"from"`
			Status string `json:"status"`
		} `json:"messages"`
	}](t, b).Messages {
		got = append(got, m.From+":"+m.Status)
	}
	want := []string{"customer:", "bot:human", "agent:human", "bot:bot"}
	if !slices.Equal(got, want) {
		t.Errorf("messages %v, want %v", got, want)
	}
}

package web_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/calmbot/calmbot/adapters/web"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/webserve"
)

// headerSafe reports whether s can arrive as a header value: net/http's
// server refuses control characters other than tab before any handler
// runs.
func headerSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// FuzzDecode drives the web chat's real handler with requests built from
// the fuzz input: the JSON bodies of create and post, the ?wait= query, the
// Prefer and Accept-Language headers, the conversation id and token. No
// request may panic, and none may answer 5xx (the documented 500 and 503
// need a failing store or a shutdown, which this engine never has); every
// answer is JSON, and the wait applied is at most the limit.
func FuzzDecode(f *testing.F) {
	h := bottest.New(f, bottest.LoadFlows(f, "../../flows.yaml"))
	a := web.New(h.Engine, web.WithKey([]byte("fuzz key")), web.WithLogger(slog.New(slog.DiscardHandler)),
		// Waits far below a second: an input still waiting when the fuzz
		// time ends fails the run with "context deadline exceeded".
		web.WithWait(10*time.Millisecond, 20*time.Millisecond),
		// Every fuzz request comes from one address: the rate limits
		// (tested on their own) would answer 429 to most of them.
		web.WithRateLimits(webserve.Rate{}, webserve.Rate{}))
	h.Engine.Register(web.Channel, a)
	handler := a.Handler()

	seeds := []struct {
		route, auth      uint8
		body             string
		query, prefer, l string
		last             string
	}{
		{0, 0, ``, "", "", "en-GB,en;q=0.8", ""},
		{0, 0, `{"lang": "de"}`, "", "", "", ""},
		{0, 0, `{"lang": "not a tag"}`, "", "", "*", ""},
		{0, 0, `{"lang": 3}`, "", "", "fi;q=0.5, it;q=0.9", ""},
		{0, 0, `{"lang": "en"} {}`, "", "", "en;q=abc", ""},
		{1, 0, `{"text": "my parcel has not arrived", "id": "m1"}`, "", "", "", ""},
		{1, 0, `{"text": "where is my order?", "id": "m2"}`, "wait=1", "", "it", ""},
		{1, 0, `{"text": "hello"}`, "", "wait=1", "", ""},
		{1, 0, `{"text": "hello", "id": "m3"}`, "", `wait="2", respond-async`, "", ""},
		{1, 0, `{"text": "   "}`, "", "", "", ""},
		{1, 0, `{"text": "hi", "id": "a\u0001b"}`, "", "", "", ""},
		{1, 0, `{"text": "hi", "extra": 1}`, "wait=maybe", "", "", ""},
		{1, 0, `{"text": "hi", "id": "` + strings.Repeat("x", 200) + `"}`, "", "wait=-1", "", ""},
		{1, 1, `{"text": "hi"}`, "", "", "", ""},
		{1, 2, `{"text": "hi"}`, "", "", "", ""},
		{1, 3, `{"text": "hi"}`, "", "", "", ""},
		{2, 0, ``, "", "", "", ""},
		{2, 3, ``, "token=x", "", "", ""},
		{3, 0, ``, "", "", "", "2"},
		{3, 1, ``, "token=abc", "", "", "-1"},
		{3, 0, ``, "", "", "", "99999999999999999999"},
	}
	for _, s := range seeds {
		f.Add(s.route, s.auth, []byte(s.body), s.query, s.prefer, s.l, s.last)
	}
	f.Fuzz(func(t *testing.T, route, auth uint8, body []byte, query, prefer, acceptLang, lastEventID string) {
		if !headerSafe(prefer) || !headerSafe(acceptLang) || !headerSafe(lastEventID) {
			t.Skip("not a header value a server would pass on")
		}
		// A fresh conversation: its id and token, as the client holds them.
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/conversations", nil))
		var c struct{ ID, Token string }
		if err := json.Unmarshal(rec.Body.Bytes(), &c); err != nil || rec.Code != http.StatusCreated {
			t.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
		id, tok := c.ID, c.Token
		switch auth % 4 {
		case 1:
			tok = ""
		case 2:
			tok = strings.ToUpper(tok)
		case 3:
			id = strings.Repeat("A", len(id))
		}

		var method, path string
		switch route % 4 {
		case 0:
			method, path = http.MethodPost, "/api/conversations"
		case 1:
			method, path = http.MethodPost, "/api/conversations/"+id+"/messages"
		case 2:
			method, path = http.MethodGet, "/api/conversations/"+id+"/transcript"
		case 3:
			method, path = http.MethodGet, "/api/conversations/"+id+"/events"
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if route%4 == 3 {
			// A stream runs until the client leaves: this one has left.
			cancel()
		}
		r := httptest.NewRequestWithContext(ctx, method, path, strings.NewReader(string(body)))
		r.URL.RawQuery = query
		if tok != "" {
			r.Header.Set("Authorization", "Bearer "+tok)
		}
		if prefer != "" {
			r.Header.Set("Prefer", prefer)
		}
		if acceptLang != "" {
			r.Header.Set("Accept-Language", acceptLang)
		}
		if lastEventID != "" {
			r.Header.Set("Last-Event-ID", lastEventID)
		}
		rec = httptest.NewRecorder()
		handler.ServeHTTP(rec, r)
		if rec.Code >= 500 {
			t.Fatalf("%s %s?%s (Prefer %q): %d %s", method, path, query, prefer, rec.Code, rec.Body)
		}
		if applied := rec.Header().Get("Preference-Applied"); applied != "" {
			// The wait applied is within the documented maximum (1 s here).
			if n, err := strconv.Atoi(strings.TrimPrefix(applied, "wait=")); err != nil || n < 0 || n > 1 {
				t.Errorf("Prefer %q: Preference-Applied %q, want wait=0 or wait=1", prefer, applied)
			}
		}
		if ct := rec.Header().Get("Content-Type"); route%4 != 3 || rec.Code != http.StatusOK {
			if !strings.HasPrefix(ct, "application/json") || !json.Valid(rec.Body.Bytes()) {
				t.Errorf("%s %s: %d answer is not JSON (%q): %q", method, path, rec.Code, ct, rec.Body)
			}
		}
	})
}

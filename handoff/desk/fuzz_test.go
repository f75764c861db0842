package desk_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/desk"
	"github.com/calmbot/calmbot/handoff/handofftest"
)

// deskRoutes are the desk API's routes that read a JSON body ({id} is a
// ticket id).
var deskRoutes = []struct{ method, path string }{
	{"POST", "/desk/api/login"},
	{"PUT", "/desk/api/me/presence"},
	{"POST", "/desk/api/queue/next"},
	{"POST", "/desk/api/tickets/{id}/claim"},
	{"POST", "/desk/api/tickets/{id}/reply"},
	{"POST", "/desk/api/tickets/{id}/notes"},
	{"POST", "/desk/api/tickets/{id}/invite"},
	{"POST", "/desk/api/tickets/{id}/leave"},
	{"POST", "/desk/api/tickets/{id}/transfer"},
	{"POST", "/desk/api/tickets/{id}/release"},
	{"POST", "/desk/api/tickets/{id}/close"},
}

// FuzzDeskAPI sends the desk API's JSON endpoints arbitrary bodies, ticket
// ids and content types from a logged-in agent: no request may panic or
// answer 5xx, and every answer is JSON.
func FuzzDeskAPI(f *testing.F) {
	ctx := context.Background()
	lc := &lateClock{}
	svc, err := handoff.New(ctx, handofftest.NewStore(), nil, handoff.WithClock(lc), handoff.WithBcryptCost(bcrypt.MinCost), handoff.WithLogger(quiet()))
	if err != nil {
		f.Fatal(err)
	}
	h := bottest.New(f, bottest.LoadFlows(f, "../../flows.yaml"), bot.WithEscalator(svc), bot.WithListener(svc), bot.WithLogger(quiet()))
	lc.c.Store(h.Clock)
	svc.SetEngine(h.Engine)
	d := desk.New(svc, desk.WithKey(testKey), desk.WithLogger(quiet()), desk.WithClock(h.Clock))
	f.Cleanup(d.Close)
	handler := mount(d)
	for _, name := range []string{"ada", "bob"} {
		if _, err := svc.AddAgent(ctx, name, "password-"+name, []string{"delivery"}, 5); err != nil {
			f.Fatal(err)
		}
	}
	h.Chat("en").Say("I want to talk to a human")
	if len(svc.Tickets()) == 0 {
		f.Fatal("no ticket opened")
	}
	ticket := svc.Tickets()[0].ID

	rec := httptest.NewRecorder()
	login := httptest.NewRequest("POST", "/desk/api/login", strings.NewReader(`{"name": "ada", "password": "password-ada"}`))
	login.Header.Set("Content-Type", "application/json")
	handler.ServeHTTP(rec, login)
	var out struct{ CSRF string }
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || rec.Code != http.StatusOK {
		f.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	cookies := rec.Result().Cookies()

	for i, body := range []string{
		`{"name": "ada", "password": "nope"}`,
		`{"presence": "online"}`,
		`{"presence": "away"}`,
		``,
		``,
		`{"text": "Hello, I am Ada."}`,
		`{"text": "a note"}`,
		`{"agent": "bob"}`,
		``,
		`{"agent": "bob", "skill": "billing", "note": "over to you"}`,
		`{"flow": "late_delivery", "state": "options"}`,
		`{"rate": true}`,
	} {
		f.Add(uint8(i%len(deskRoutes)), "", []byte(body), "application/json")
	}
	f.Add(uint8(4), "-1", []byte(`{"text": 5}`), "application/json; charset=utf-8")
	f.Add(uint8(4), "99999999999999999999", []byte(`{"text": "x"} {}`), "text/plain")
	f.Add(uint8(9), "0x1", []byte(`{"flow": "", "state": "\u0000"}`), "")
	f.Fuzz(func(t *testing.T, route uint8, id string, body []byte, contentType string) {
		if strings.ContainsAny(id, "/?#%") || !headerSafe(contentType) {
			t.Skip("not a path segment or header value a server would pass on")
		}
		if id == "" {
			id = strconv.FormatInt(ticket, 10)
		}
		rt := deskRoutes[int(route)%len(deskRoutes)]
		path := strings.Replace(rt.path, "{id}", id, 1)
		r := httptest.NewRequest(rt.method, "/", strings.NewReader(string(body)))
		r.URL.Path = path
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		r.Header.Set("X-CSRF-Token", out.CSRF)
		for _, c := range cookies {
			r.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, r)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", rt.method, path, body, rec.Code, rec.Body)
		}
		// The mux's own answers (a redirect to the cleaned path, no such
		// path) are not the API's.
		mux := rec.Code/100 == 3 || rec.Code == http.StatusNotFound && !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json")
		if ct := rec.Header().Get("Content-Type"); !mux && (!strings.HasPrefix(ct, "application/json") || !json.Valid(rec.Body.Bytes())) {
			t.Errorf("%s %s: %d answer is not JSON (%q): %q", rt.method, path, rec.Code, ct, rec.Body)
		}
	})
}

// headerSafe reports whether s can arrive as a header value.
func headerSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

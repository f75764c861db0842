package desk_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calmbot/calmbot/handoff/desk"
)

// cookieOf returns c's session cookie.
func (r *rig) cookieOf(c *client) *http.Cookie {
	r.t.Helper()
	for _, ck := range c.hc.Jar.Cookies(mustURL(r.t, r.srv.URL+"/desk/")) {
		if ck.Name == "calmbot_desk" {
			return ck
		}
	}
	r.t.Fatal("no session cookie in the jar")
	return nil
}

// statusWith is the status of GET /desk/api/me on h with cookie ck.
func statusWith(t *testing.T, base string, ck *http.Cookie) int {
	t.Helper()
	req, err := http.NewRequest("GET", base+"/desk/api/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(ck)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// newRigOn is the desk of r started again (same service, same key) with
// opts: a restart.
func newRigOn(r *rig, opts ...desk.Option) *httptest.Server {
	r.t.Helper()
	d := desk.New(r.svc, append([]desk.Option{desk.WithKey(testKey), desk.WithLogger(quiet()), desk.WithClock(r.h.Clock)}, opts...)...)
	srv := httptest.NewServer(mount(d))
	r.t.Cleanup(srv.Close)
	r.t.Cleanup(d.Close)
	return srv
}

var csrfMetaRE = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

// csrfMeta returns the CSRF token a page carries in its head.
func csrfMeta(t *testing.T, page string) string {
	t.Helper()
	m := csrfMetaRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf-token meta in the page:\n%s", page)
	}
	return m[1]
}

// TestLogoutEndsStream: an event stream opened before a logout ends with
// it, and another session of the same agent goes on.
func TestLogoutEndsStream(t *testing.T) {
	r := newRig(t)
	r.agent("ada", 2)
	c, other := r.login("ada"), r.login("ada")
	ev := c.events()
	ev.next(t, "hello", func(e sseEvent) bool { return e.kind == "hello" })
	keeps := other.events()
	keeps.next(t, "hello", func(e sseEvent) bool { return e.kind == "hello" })
	c.call("POST", "/desk/api/logout", nil, http.StatusNoContent, nil)
	if got := ev.ended(t); !strings.Contains(got, "logged out") {
		t.Errorf("last event %s, want a logout saying logged out", got)
	}
	// The other session still gets the customers' messages.
	r.handoff("I want to talk to a human")
	keeps.next(t, "queue update", func(e sseEvent) bool { return e.kind == "queue" })
	other.call("GET", "/desk/api/me", nil, http.StatusOK, nil)
}

// revocations is a Revocations that outlives a desk, as a database does.
type revocations struct {
	mu  sync.Mutex
	ids map[string]time.Time
}

func (v *revocations) RevokeSession(_ context.Context, id string, exp time.Time) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.ids[id] = exp
	return nil
}

func (v *revocations) SessionRevoked(_ context.Context, id string) (bool, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	_, ok := v.ids[id]
	return ok, nil
}

// TestLogoutSurvivesRestart: with Revocations, a logged-out cookie stays
// refused by the next desk on the same key.
func TestLogoutSurvivesRestart(t *testing.T) {
	rev := &revocations{ids: map[string]time.Time{}}
	r := newRig(t, desk.WithRevocations(rev))
	r.agent("ada", 1)
	c := r.login("ada")
	old := r.cookieOf(c)
	c.call("POST", "/desk/api/logout", nil, http.StatusNoContent, nil)
	again := newRigOn(r, desk.WithRevocations(rev))
	if got := statusWith(t, again.URL, old); got != http.StatusUnauthorized {
		t.Errorf("logged-out cookie after a restart: status %d, want 401", got)
	}
	still := r.login("ada")
	if got := statusWith(t, again.URL, r.cookieOf(still)); got != http.StatusOK {
		t.Errorf("another session after a restart: status %d, want 200", got)
	}
}

// TestPasswordChangeEndsSessions: a password changed by another process
// ends the agent's sessions and their event streams at once.
func TestPasswordChangeEndsSessions(t *testing.T) {
	r := newRig(t)
	r.agent("ada", 1)
	r.agent("bob", 1)
	c, bob := r.login("ada"), r.login("bob")
	ev := c.events()
	ev.next(t, "hello", func(e sseEvent) bool { return e.kind == "hello" })
	if _, err := r.svc.SetPassword(r.ctx, "ada", "a brand new password"); err != nil {
		t.Fatal(err)
	}
	if got := ev.ended(t); !strings.Contains(got, "session ended") {
		t.Errorf("last event %s, want a logout saying session ended", got)
	}
	c.call("GET", "/desk/api/me", nil, http.StatusUnauthorized, nil)
	bob.call("GET", "/desk/api/me", nil, http.StatusOK, nil)
	c.call("POST", "/desk/api/login", map[string]string{"name": "ada", "password": "password-ada"}, http.StatusUnauthorized, nil)
	c.call("POST", "/desk/api/login", map[string]string{"name": "ada", "password": "a brand new password"}, http.StatusOK, nil)
}

// TestRemovedAgent: an agent removed by another process loses their
// sessions and streams, and cannot log in.
func TestRemovedAgent(t *testing.T) {
	r := newRig(t)
	r.agent("ada", 1)
	c := r.login("ada")
	ev := c.events()
	ev.next(t, "hello", func(e sseEvent) bool { return e.kind == "hello" })
	if err := r.store.RemoveAgent(r.ctx, "ada"); err != nil {
		t.Fatal(err)
	}
	c.call("GET", "/desk/api/me", nil, http.StatusUnauthorized, nil)
	if got := ev.ended(t); !strings.Contains(got, "session ended") {
		t.Errorf("last event %s, want a logout saying session ended", got)
	}
	c.call("POST", "/desk/api/login", map[string]string{"name": "ada", "password": "password-ada"}, http.StatusUnauthorized, nil)
}

// TestChangePassword is the desk's password form and API.
func TestChangePassword(t *testing.T) {
	r := newRig(t)
	r.agent("ada", 1)
	c, elsewhere := r.login("ada"), r.login("ada")
	res, page := c.do("GET", "/desk/account", nil, nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), `name="current"`) {
		t.Fatalf("account page: %d\n%s", res.StatusCode, page)
	}
	m := csrfField.FindStringSubmatch(string(page))
	if m == nil {
		t.Fatalf("no csrf field in the account page:\n%s", page)
	}
	post := func(v url.Values) (int, string) {
		t.Helper()
		res, err := c.hc.PostForm(r.srv.URL+"/desk/account", v)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, string(b)
	}
	form := func(csrf, current, password, confirm string) url.Values {
		return url.Values{"csrf": {csrf}, "current": {current}, "password": {password}, "confirm": {confirm}}
	}
	tests := []struct {
		name   string
		v      url.Values
		status int
		says   string
	}{
		{"no csrf", form("", "password-ada", "new password 1", "new password 1"), http.StatusForbidden, "CSRF"},
		{"wrong current", form(m[1], "password-nope", "new password 1", "new password 1"), http.StatusForbidden, "current password is wrong"},
		{"repeated differently", form(m[1], "password-ada", "new password 1", "new password 2"), http.StatusBadRequest, "differ"},
		{"too short", form(m[1], "password-ada", "short", "short"), http.StatusBadRequest, "8 to 72"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := post(tt.v)
			if status != tt.status || !strings.Contains(body, tt.says) {
				t.Errorf("status %d, want %d saying %q:\n%s", status, tt.status, tt.says, body)
			}
		})
	}
	elsewhere.call("GET", "/desk/api/me", nil, http.StatusOK, nil) // nothing changed yet

	status, body := post(form(m[1], "password-ada", "new password 1", "new password 1"))
	if status != http.StatusOK || !strings.Contains(body, "password is changed") {
		t.Fatalf("change: status %d\n%s", status, body)
	}
	// This browser goes on with a new session; the other one is out.
	c.csrf = csrfMeta(t, body)
	c.call("GET", "/desk/api/me", nil, http.StatusOK, nil)
	c.call("PUT", "/desk/api/me/presence", map[string]string{"presence": "away"}, http.StatusOK, nil)
	elsewhere.call("GET", "/desk/api/me", nil, http.StatusUnauthorized, nil)

	// The API does the same.
	c.call("PUT", "/desk/api/me/password", map[string]string{"current": "new password 1", "password": "x"}, http.StatusBadRequest, nil)
	c.call("PUT", "/desk/api/me/password", map[string]string{"current": "nope nope", "password": "new password 2"}, http.StatusForbidden, nil)
	var out struct {
		CSRF string `json:"csrf"`
	}
	c.call("PUT", "/desk/api/me/password", map[string]string{"current": "new password 1", "password": "new password 2"}, http.StatusOK, &out)
	if out.CSRF == "" || out.CSRF == c.csrf {
		t.Errorf("new csrf %q after a password change, want a new one", out.CSRF)
	}
	c.csrf = out.CSRF
	c.call("PUT", "/desk/api/me/presence", map[string]string{"presence": "online"}, http.StatusOK, nil)
	c.call("POST", "/desk/api/login", map[string]string{"name": "ada", "password": "new password 2"}, http.StatusOK, nil)
}

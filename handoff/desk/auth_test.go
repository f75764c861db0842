package desk_test

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/desk"
	"github.com/calmbot/calmbot/webserve"
)

func TestLoginAPI(t *testing.T) {
	r := newRig(t)
	r.agent("ada", 2)
	tests := []struct {
		name        string
		contentType string
		body        string
		want        int
	}{
		{"good", "application/json", `{"name": "ada", "password": "password-ada"}`, http.StatusOK},
		{"name in capitals", "application/json", `{"name": " ADA ", "password": "password-ada"}`, http.StatusOK},
		{"wrong password", "application/json", `{"name": "ada", "password": "password-bob"}`, http.StatusUnauthorized},
		{"unknown name", "application/json", `{"name": "zed", "password": "password-zed"}`, http.StatusUnauthorized},
		{"not JSON", "application/x-www-form-urlencoded", `name=ada&password=password-ada`, http.StatusUnsupportedMediaType},
		{"bad JSON", "application/json", `{"name": "ada"`, http.StatusBadRequest},
		{"unknown field", "application/json", `{"name": "ada", "password": "password-ada", "admin": true}`, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := r.client()
			req, _ := http.NewRequest("POST", r.srv.URL+"/desk/api/login", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.contentType)
			got, err := c.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got.Body.Close()
			if got.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", got.StatusCode, tt.want)
			}
			var session *http.Cookie
			for _, ck := range got.Cookies() {
				if ck.Name == "calmbot_desk" {
					session = ck
				}
			}
			if tt.want != http.StatusOK {
				if session != nil {
					t.Errorf("session cookie set on a failed login")
				}
				c.call("GET", "/desk/api/me", nil, http.StatusUnauthorized, nil)
				return
			}
			if session == nil {
				t.Fatal("no session cookie")
			}
			if !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/desk/" || session.Secure {
				t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/desk/, not Secure over plain HTTP", session)
			}
			var me struct {
				Agent handoff.Agent `json:"agent"`
				CSRF  string        `json:"csrf"`
			}
			c.call("GET", "/desk/api/me", nil, http.StatusOK, &me)
			if me.Agent.ID != "ada" || me.CSRF == "" {
				t.Errorf("me: %+v", me)
			}
			if me.Agent.Presence != handoff.PresenceOnline {
				t.Errorf("presence after login: %s, want online", me.Agent.Presence)
			}
		})
	}
}

func TestSecureCookieOverTLS(t *testing.T) {
	r := newRig(t)
	r.agent("ada", 1)
	req := httptest.NewRequest("POST", "https://desk.example/desk/api/login", strings.NewReader(`{"name":"ada","password":"password-ada"}`))
	req.Header.Set("Content-Type", "application/json")
	req.TLS = &tls.ConnectionState{}
	w := httptest.NewRecorder()
	r.desk.Handler().ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if c := w.Result().Cookies(); len(c) != 1 || !c[0].Secure {
		t.Errorf("cookies over TLS: %+v, want one Secure cookie", c)
	}
}

// TestSecureCookieBehindProxy: behind a TLS-terminating proxy the cookie is
// Secure when a trusted proxy says https, or always with WithSecureCookies.
func TestSecureCookieBehindProxy(t *testing.T) {
	p, _ := webserve.ParseProxies("10.0.0.0/8")
	tests := []struct {
		name, peer, proto string
		opts              []desk.Option
		want              bool
	}{
		{"trusted proxy says https", "10.0.0.1:4000", "https", []desk.Option{desk.WithTrustedProxies(p)}, true},
		{"trusted proxy says http", "10.0.0.1:4000", "http", []desk.Option{desk.WithTrustedProxies(p)}, false},
		{"untrusted peer says https", "192.0.2.1:4000", "https", []desk.Option{desk.WithTrustedProxies(p)}, false},
		{"no proxies configured", "10.0.0.1:4000", "https", nil, false},
		{"--secure-cookies", "192.0.2.1:4000", "", []desk.Option{desk.WithSecureCookies(true)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, tt.opts...)
			r.agent("ada", 1)
			req := httptest.NewRequest("POST", "http://desk.example/desk/api/login", strings.NewReader(`{"name":"ada","password":"password-ada"}`))
			req.Header.Set("Content-Type", "application/json")
			req.RemoteAddr = tt.peer
			if tt.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			w := httptest.NewRecorder()
			r.desk.Handler().ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if c := w.Result().Cookies(); len(c) != 1 || c[0].Secure != tt.want {
				t.Errorf("cookies %+v, want one with Secure %v", c, tt.want)
			}
		})
	}
}

func TestNotLoggedIn(t *testing.T) {
	r := newRig(t)
	c := r.client()
	for _, path := range []string{"/desk/api/me", "/desk/api/queue", "/desk/api/tickets/1", "/desk/api/events", "/desk/api/dashboard"} {
		t.Run("api "+path, func(t *testing.T) {
			res, b := c.do("GET", path, nil, nil)
			if res.StatusCode != http.StatusUnauthorized || !strings.Contains(string(b), `"error"`) {
				t.Errorf("status %d %s, want 401 with an error", res.StatusCode, b)
			}
		})
	}
	for _, path := range []string{"/desk/", "/desk/tickets/1", "/desk/dashboard"} {
		t.Run("page "+path, func(t *testing.T) {
			res, _ := c.do("GET", path, nil, nil)
			want := "/desk/login?next=" + url.QueryEscape(path)
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
				t.Errorf("got %d to %q, want 303 to %q", res.StatusCode, res.Header.Get("Location"), want)
			}
		})
	}
	if res, _ := c.do("GET", "/desk", nil, nil); res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/desk/" {
		t.Errorf("/desk: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func TestLoginForm(t *testing.T) {
	r := newRig(t)
	r.agent("ada", 1)
	form := func(c *client, csrf, password string) *http.Response {
		t.Helper()
		v := url.Values{"name": {"ada"}, "password": {password}, "next": {"/desk/dashboard"}}
		if csrf != "" {
			v.Set("csrf", csrf)
		}
		res, err := c.hc.PostForm(r.srv.URL+"/desk/login", v)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	page := func(c *client) string {
		t.Helper()
		res, b := c.do("GET", "/desk/login", nil, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("login page: %d", res.StatusCode)
		}
		m := csrfField.FindStringSubmatch(string(b))
		if m == nil {
			t.Fatalf("no csrf field in the login page:\n%s", b)
		}
		return m[1]
	}
	t.Run("good", func(t *testing.T) {
		c := r.client()
		res := form(c, page(c), "password-ada")
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/desk/dashboard" {
			t.Fatalf("got %d to %q, want 303 to /desk/dashboard", res.StatusCode, res.Header.Get("Location"))
		}
		c.call("GET", "/desk/api/me", nil, http.StatusOK, nil)
		if res, _ := c.do("GET", "/desk/dashboard", nil, nil); res.StatusCode != http.StatusOK {
			t.Errorf("dashboard after login: %d", res.StatusCode)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		c := r.client()
		if res := form(c, page(c), "password-nope"); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", res.StatusCode)
		}
	})
	t.Run("missing csrf", func(t *testing.T) {
		c := r.client()
		page(c)
		if res := form(c, "", "password-ada"); res.StatusCode != http.StatusForbidden {
			t.Errorf("status %d, want 403", res.StatusCode)
		}
		c.call("GET", "/desk/api/me", nil, http.StatusUnauthorized, nil)
	})
	t.Run("csrf of another browser", func(t *testing.T) {
		other := r.client()
		tok := page(other)
		c := r.client()
		page(c)
		if res := form(c, tok, "password-ada"); res.StatusCode != http.StatusForbidden {
			t.Errorf("status %d, want 403", res.StatusCode)
		}
	})
	t.Run("open redirect", func(t *testing.T) {
		c := r.client()
		v := url.Values{"name": {"ada"}, "password": {"password-ada"}, "next": {"//evil.example/desk/"}, "csrf": {page(c)}}
		res, err := c.hc.PostForm(r.srv.URL+"/desk/login", v)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := res.Header.Get("Location"); got != "/desk/" {
			t.Errorf("redirect to %q, want /desk/", got)
		}
	})
}

// tryLogin posts a login as client ip (through the rig's trusted proxy).
func (r *rig) tryLogin(ip, name, password string) *http.Response {
	r.t.Helper()
	res, _ := r.client().do("POST", "/desk/api/login", map[string]string{"name": name, "password": password}, http.Header{"X-Forwarded-For": {ip}})
	return res
}

// behindProxy trusts the loopback peer of the rig's server as a proxy.
func behindProxy(t *testing.T) desk.Option {
	t.Helper()
	p, err := webserve.ParseProxies("127.0.0.1,::1")
	if err != nil {
		t.Fatal(err)
	}
	return desk.WithTrustedProxies(p)
}

// TestLoginRateLimited: an address that keeps failing on a name is
// refused for it (429 with Retry-After), and lets up after a while; the
// agent logging in from elsewhere is not held up, nor are other names from
// that address. (It once was: five wrong passwords locked the agent out.)
func TestLoginRateLimited(t *testing.T) {
	clock := bottest.NewClock()
	r := newRig(t, desk.WithLoginLimit(3, time.Minute), desk.WithClock(clock), behindProxy(t))
	r.agent("ada", 1)
	r.agent("bob", 1)
	const guesser, office = "203.0.113.66", "198.51.100.10"
	for i := range 3 {
		if res := r.tryLogin(guesser, "ada", "wrong-password"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d, want 401", i+1, res.StatusCode)
		}
	}
	res := r.tryLogin(guesser, "ada", "password-ada")
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Errorf("the guesser after 3 failures: status %d, Retry-After %q; want 429 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if res := r.tryLogin(office, "ada", "password-ada"); res.StatusCode != http.StatusOK {
		t.Errorf("ada from her own address: status %d, want 200 (no lockout)", res.StatusCode)
	}
	if res := r.tryLogin(guesser, "bob", "password-bob"); res.StatusCode != http.StatusOK {
		t.Errorf("another name from the guesser's address: status %d, want 200", res.StatusCode)
	}
	clock.Advance(time.Minute)
	if res := r.tryLogin(guesser, "ada", "password-ada"); res.StatusCode != http.StatusOK {
		t.Errorf("after a minute: status %d, want 200", res.StatusCode)
	}
}

// TestLoginManyAddresses: a guesser with many addresses uses up the name's
// tries; then only addresses that have not failed on it may try, so the
// agent still gets in.
func TestLoginManyAddresses(t *testing.T) {
	clock := bottest.NewClock()
	r := newRig(t, desk.WithLoginLimit(1, time.Minute), desk.WithClock(clock), behindProxy(t))
	r.agent("ada", 1)
	for i := range 4 { // 4 x burst: the name's tries over all addresses
		if res := r.tryLogin(fmt.Sprintf("203.0.113.%d", i), "ada", "guess"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess %d: status %d", i, res.StatusCode)
		}
	}
	if res := r.tryLogin("203.0.113.0", "ada", "password-ada"); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("a guessing address: status %d, want 429", res.StatusCode)
	}
	if res := r.tryLogin("198.51.100.10", "ada", "password-ada"); res.StatusCode != http.StatusOK {
		t.Errorf("ada from a clean address: status %d, want 200", res.StatusCode)
	}
}

// TestLoginBehindProxy: behind a trusted proxy each client has its own
// limits (they once all shared the proxy's address); an untrusted peer's
// X-Forwarded-For is ignored.
func TestLoginBehindProxy(t *testing.T) {
	tests := []struct {
		name    string
		opts    []desk.Option
		another int // status of another client after one client's failures
	}{
		{"trusted proxy: clients apart", []desk.Option{behindProxy(t)}, http.StatusOK},
		{"no trusted proxy: one peer", nil, http.StatusTooManyRequests},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]desk.Option{desk.WithLoginLimit(100, time.Minute), desk.WithLoginAttempts(webserve.Rate{N: 2, Per: time.Hour})}, tt.opts...)
			r := newRig(t, opts...)
			r.agent("ada", 1)
			r.tryLogin("203.0.113.1", "x", "y")
			r.tryLogin("203.0.113.1", "z", "y")
			if res := r.tryLogin("198.51.100.2", "ada", "password-ada"); res.StatusCode != tt.another {
				t.Errorf("another client: status %d, want %d", res.StatusCode, tt.another)
			}
		})
	}
}

func TestSessions(t *testing.T) {
	clock := bottest.NewClock()
	r := newRig(t, desk.WithSessionTTL(time.Hour), desk.WithClock(clock))
	r.agent("ada", 1)
	c := r.login("ada")
	var cookie *http.Cookie
	for _, ck := range c.hc.Jar.Cookies(mustURL(t, r.srv.URL+"/desk/")) {
		if ck.Name == "calmbot_desk" {
			cookie = ck
		}
	}
	if cookie == nil {
		t.Fatal("no session cookie in the jar")
	}
	with := func(h http.Handler, ck *http.Cookie) int {
		req := httptest.NewRequest("GET", "/desk/api/me", nil)
		req.AddCookie(ck)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w.Code
	}
	t.Run("restart with the same key", func(t *testing.T) {
		again := desk.New(r.svc, desk.WithKey(testKey), desk.WithClock(clock), desk.WithLogger(quiet()))
		if got := with(again.Handler(), cookie); got != http.StatusOK {
			t.Errorf("status %d, want 200", got)
		}
	})
	t.Run("another key", func(t *testing.T) {
		other := desk.New(r.svc, desk.WithKey([]byte("another key, another server......")), desk.WithLogger(quiet()))
		if got := with(other.Handler(), cookie); got != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", got)
		}
	})
	t.Run("forged", func(t *testing.T) {
		forged := *cookie
		parts := strings.Split(forged.Value, ".")
		parts[0] = "Ym9i" // "bob"
		forged.Value = strings.Join(parts, ".")
		if got := with(r.desk.Handler(), &forged); got != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", got)
		}
	})
	t.Run("expired", func(t *testing.T) {
		clock.Advance(time.Hour)
		if got := with(r.desk.Handler(), cookie); got != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", got)
		}
	})
	t.Run("logout", func(t *testing.T) {
		c := r.login("ada")
		var old *http.Cookie
		for _, ck := range c.hc.Jar.Cookies(mustURL(t, r.srv.URL+"/desk/")) {
			if ck.Name == "calmbot_desk" {
				old = ck
			}
		}
		c.call("POST", "/desk/api/logout", nil, http.StatusNoContent, nil)
		c.call("GET", "/desk/api/me", nil, http.StatusUnauthorized, nil)
		if got := with(r.desk.Handler(), old); got != http.StatusUnauthorized {
			t.Errorf("old cookie after logout: status %d, want 401", got)
		}
		if a, _ := r.svc.Agent("ada"); a.Presence != handoff.PresenceOffline {
			t.Errorf("presence after logout: %s, want offline", a.Presence)
		}
	})
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestCSRF(t *testing.T) {
	r := newRig(t)
	r.agent("ada", 2)
	_, tk := r.handoff("I want to talk to a human")
	c := r.login("ada")
	id := "/desk/api/tickets/" + itoa(tk.ID)
	requests := []struct {
		method, path string
		body         any
	}{
		{"POST", "/desk/api/queue/next", nil},
		{"POST", id + "/claim", nil},
		{"POST", id + "/reply", map[string]string{"text": "hi"}},
		{"POST", id + "/notes", map[string]string{"text": "hi"}},
		{"POST", id + "/invite", map[string]string{"agent": "bob"}},
		{"POST", id + "/transfer", map[string]string{"skill": "billing"}},
		{"POST", id + "/release", map[string]string{}},
		{"POST", id + "/close", nil},
		{"PUT", "/desk/api/me/presence", map[string]string{"presence": "away"}},
		{"POST", "/desk/api/logout", nil},
	}
	for _, tok := range []struct{ name, value string }{{"missing", ""}, {"wrong", "not-the-token"}, {"login token", c.csrf + "x"}} {
		for _, req := range requests {
			t.Run(tok.name+" "+req.method+" "+req.path, func(t *testing.T) {
				saved := c.csrf
				c.csrf = ""
				defer func() { c.csrf = saved }()
				var h http.Header
				if tok.value != "" {
					h = http.Header{"X-Csrf-Token": {tok.value}}
				}
				res, b := c.do(req.method, req.path, req.body, h)
				if res.StatusCode != http.StatusForbidden || !strings.Contains(string(b), "CSRF") {
					t.Errorf("status %d %s, want 403 about CSRF", res.StatusCode, b)
				}
			})
		}
	}
	// Nothing changed.
	if got, _ := r.svc.Ticket(r.ctx, tk.ID); got.Status != handoff.StatusQueued {
		t.Errorf("ticket after refused requests: %s", got.Status)
	}
	if a, _ := r.svc.Agent("ada"); a.Presence != handoff.PresenceOnline {
		t.Errorf("presence after refused requests: %s", a.Presence)
	}
	c.call("GET", "/desk/api/me", nil, http.StatusOK, nil)
	t.Run("logout form without csrf", func(t *testing.T) {
		res, err := c.hc.PostForm(r.srv.URL+"/desk/logout", url.Values{})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("status %d, want 403", res.StatusCode)
		}
	})
	t.Run("logout form", func(t *testing.T) {
		res, err := c.hc.PostForm(r.srv.URL+"/desk/logout", url.Values{"csrf": {c.csrf}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/desk/login" {
			t.Errorf("got %d to %q, want 303 to /desk/login", res.StatusCode, res.Header.Get("Location"))
		}
		c.call("GET", "/desk/api/me", nil, http.StatusUnauthorized, nil)
	})
}

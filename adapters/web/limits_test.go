package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/calmbot/calmbot/adapters/web"
	"github.com/calmbot/calmbot/webserve"
)

// TestPreferWait: every wait a client asks for is clamped or refused; a
// huge one once overflowed into a negative wait and crashed the handler
// after the message was stored.
func TestPreferWait(t *testing.T) {
	e := newEnv(t, web.WithWait(time.Second, 2*time.Second))
	tests := []struct {
		name, prefer string
		status       int
		applied      string // Preference-Applied
		stored       bool
	}{
		{"within the limit", "wait=1", http.StatusOK, "wait=1", true},
		{"above the limit", "wait=3", http.StatusOK, "wait=2", true},
		{"overflows a Duration", "wait=9223372037", http.StatusOK, "wait=2", true},
		{"overflows int64", "wait=99999999999999999999999999", http.StatusOK, "wait=2", true},
		{"quoted", `wait="1"`, http.StatusOK, "wait=1", true},
		{"zero: no wait", "wait=0", http.StatusAccepted, "", true},
		{"negative", "wait=-1", http.StatusBadRequest, "", false},
		{"fraction", "wait=1.5", http.StatusBadRequest, "", false},
		{"sign", "wait=+1", http.StatusBadRequest, "", false},
		{"empty", "wait=", http.StatusBadRequest, "", false},
		{"words", "wait=soon", http.StatusBadRequest, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.create(`{"lang": "en"}`)
			res, b := e.do("POST", "/api/conversations/"+c.ID+"/messages", c.Token, `{"text": "my parcel has not arrived", "id": "m1"}`, "Prefer", tt.prefer)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tt.status, b)
			}
			if got := res.Header.Get("Preference-Applied"); got != tt.applied {
				t.Errorf("Preference-Applied = %q, want %q", got, tt.applied)
			}
			if got := len(e.transcript(c).Messages) > 0; got != tt.stored {
				t.Errorf("stored = %v, want %v", got, tt.stored)
			}
		})
	}
}

// trusted is the option under which the tests' X-Forwarded-For names the
// client: the httptest server's peer is loopback.
func trusted(t *testing.T) web.Option {
	t.Helper()
	p, err := webserve.ParseProxies("127.0.0.1, ::1")
	if err != nil {
		t.Fatal(err)
	}
	return web.WithTrustedProxies(p)
}

func TestRateLimits(t *testing.T) {
	e := newEnv(t, trusted(t), web.WithRateLimits(webserve.Rate{N: 2, Per: time.Hour}, webserve.Rate{N: 3, Per: time.Hour}))
	from := func(ip string) []string { return []string{"X-Forwarded-For", ip} }
	e.create("", from("198.51.100.1")...)
	c := e.create(`{"lang": "en"}`, from("198.51.100.1")...)
	res, b := e.do("POST", "/api/conversations", "", "", from("198.51.100.1")...)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Errorf("third conversation: %d, Retry-After %q: %s", res.StatusCode, res.Header.Get("Retry-After"), b)
	}
	e.create("", from("198.51.100.2")...) // another client has its own budget

	for i := range 3 {
		if code, res := e.post(c, "", strconv.Itoa(i), "hello", from("198.51.100.1")...); code != http.StatusAccepted {
			t.Fatalf("post %d: %d %+v", i, code, res)
		}
	}
	res, b = e.do("POST", "/api/conversations/"+c.ID+"/messages", c.Token, `{"text": "one too many", "id": "x"}`, from("198.51.100.1")...)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Errorf("fourth post: %d, Retry-After %q: %s", res.StatusCode, res.Header.Get("Retry-After"), b)
	}
	waitFor(t, "three messages stored", func() bool { return len(e.transcript(c).Messages) >= 3 })
	for _, m := range e.transcript(c).Messages {
		if m.ID == "x" {
			t.Error("a refused message was stored")
		}
	}
}

// openStream opens an event stream as client ip and returns its status,
// Retry-After and a function that closes it.
func (e *env) openStream(c created, ip string) (int, string, func()) {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api/conversations/"+c.ID+"/events?token="+c.Token, nil)
	req.Header.Set("X-Forwarded-For", ip)
	res, err := e.srv.Client().Do(req)
	if err != nil {
		cancel()
		e.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		cancel()
		return res.StatusCode, res.Header.Get("Retry-After"), func() {}
	}
	e.t.Cleanup(cancel)
	return res.StatusCode, "", func() { cancel(); res.Body.Close() }
}

func TestStreamLimits(t *testing.T) {
	e := newEnv(t, trusted(t), web.WithStreamLimits(3, 2))
	c1, c2, c3 := e.create(""), e.create(""), e.create("")
	tests := []struct {
		name       string
		c          created
		ip         string
		want       int
		retryAfter bool
	}{
		{"a: first", c1, "203.0.113.1", http.StatusOK, false},
		{"a: second, other conversation", c2, "203.0.113.1", http.StatusOK, false},
		{"a: over the per-address cap", c3, "203.0.113.1", http.StatusTooManyRequests, true},
		{"b: first", c3, "203.0.113.2", http.StatusOK, false},
		{"c: over the global cap", c3, "203.0.113.3", http.StatusServiceUnavailable, true},
	}
	var closeFirst func()
	for i, tt := range tests {
		code, retry, closeIt := e.openStream(tt.c, tt.ip)
		if code != tt.want || (retry != "") != tt.retryAfter {
			t.Errorf("%s: %d, Retry-After %q; want %d", tt.name, code, retry, tt.want)
		}
		if i == 0 {
			closeFirst = closeIt
		}
	}
	// A closed stream gives its place back.
	closeFirst()
	waitFor(t, "a place freed", func() bool {
		code, _, closeIt := e.openStream(c1, "203.0.113.3")
		defer closeIt()
		return code == http.StatusOK
	})
}

func TestSecurityHeaders(t *testing.T) {
	tests := []struct {
		name     string
		opts     []web.Option
		path     string
		ancestor string
	}{
		{"page, default", nil, "/", "frame-ancestors 'self'"},
		{"API, default", nil, "/api/conversations", "frame-ancestors 'self'"},
		{"page, embedded", []web.Option{web.WithFrameAncestors("https://shop.example.com")}, "/", "frame-ancestors https://shop.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.opts...)
			method := "GET"
			if strings.HasPrefix(tt.path, "/api") {
				method = "POST"
			}
			res, _ := e.do(method, tt.path, "", "")
			h := res.Header
			if h.Get("X-Content-Type-Options") != "nosniff" || !strings.HasSuffix(h.Get("Content-Security-Policy"), tt.ancestor) {
				t.Errorf("headers: nosniff %q, CSP %q; want it to end in %q", h.Get("X-Content-Type-Options"), h.Get("Content-Security-Policy"), tt.ancestor)
			}
		})
	}
}

package webserve_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/calmbot/calmbot/webserve"
)

func TestPolicy(t *testing.T) {
	tests := []struct {
		name     string
		p        webserve.Policy
		csp, xfo string
	}{
		{"default denies framing", webserve.Policy{CSP: "default-src 'none'"}, "default-src 'none'; frame-ancestors 'none'", "DENY"},
		{"self", webserve.Policy{CSP: "default-src 'self';", FrameAncestors: webserve.FrameSelf}, "default-src 'self'; frame-ancestors 'self'", "SAMEORIGIN"},
		{"origins", webserve.Policy{FrameAncestors: "https://shop.example.com"}, "frame-ancestors https://shop.example.com", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			tt.p.Wrap(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			h := rec.Header()
			if got := h.Get("Content-Security-Policy"); got != tt.csp {
				t.Errorf("CSP = %q, want %q", got, tt.csp)
			}
			if got := h.Get("X-Frame-Options"); got != tt.xfo {
				t.Errorf("X-Frame-Options = %q, want %q", got, tt.xfo)
			}
			if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", got)
			}
		})
	}
}

func TestParseFrameAncestors(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"'none'", "'none'", true},
		{"none", "'none'", true},
		{"self", "'self'", true},
		{"self, https://shop.example.com", "'self' https://shop.example.com", true},
		{"https://*.example.com https://a.example", "https://*.example.com https://a.example", true},
		{"", "", false},
		{"none self", "", false},
		{"https://a.example; script-src *", "", false},
		{"https://a.example\nX: y", "", false},
	}
	for _, tt := range tests {
		got, err := webserve.ParseFrameAncestors(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseFrameAncestors(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestClientAddr(t *testing.T) {
	tests := []struct {
		name, proxies, peer string
		xff                 []string
		proto               string
		tls                 bool
		want                string
		wantTLS             bool
	}{
		{"no proxies: peer, headers ignored", "", "203.0.113.9:5000", []string{"1.1.1.1"}, "https", false, "203.0.113.9", false},
		{"untrusted peer: headers ignored", "10.0.0.0/8", "203.0.113.9:5000", []string{"1.1.1.1"}, "https", false, "203.0.113.9", false},
		{"trusted peer: its client", "10.0.0.0/8", "10.0.0.2:5000", []string{"198.51.100.7"}, "https", false, "198.51.100.7", true},
		{"right-most untrusted hop, spoofed left ones ignored", "10.0.0.0/8", "10.0.0.2:5000", []string{"6.6.6.6, 198.51.100.7", "10.1.1.1"}, "http", false, "198.51.100.7", false},
		{"all hops trusted: left-most", "10.0.0.0/8", "10.0.0.2:1", []string{"10.9.9.9, 10.1.1.1"}, "", false, "10.9.9.9", false},
		{"no header: the proxy", "10.0.0.2", "10.0.0.2:1", nil, "", false, "10.0.0.2", false},
		{"junk hop: the last good one", "10.0.0.0/8", "10.0.0.2:1", []string{"1.2.3.4, junk, 10.1.1.1"}, "", false, "10.1.1.1", false},
		{"ipv6 and mapped", "::1, 10.0.0.0/8", "[::1]:80", []string{"[2001:db8::1]:443", "::ffff:10.0.0.3"}, "https", false, "2001:db8::1", true},
		{"proto: the nearest proxy's word", "::1", "[::1]:80", nil, "https, http", false, "::1", false},
		{"real TLS", "", "203.0.113.9:1", nil, "", true, "203.0.113.9", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := webserve.ParseProxies(tt.proxies)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if tt.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if got := p.ClientAddr(r); got != tt.want {
				t.Errorf("ClientAddr = %q, want %q", got, tt.want)
			}
			if got := p.IsTLS(r); got != tt.wantTLS {
				t.Errorf("IsTLS = %v, want %v", got, tt.wantTLS)
			}
		})
	}
	var none *webserve.Proxies
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "192.0.2.1:1"
	r.Header.Set("X-Forwarded-For", "1.1.1.1")
	if got := none.ClientAddr(r); got != "192.0.2.1" {
		t.Errorf("nil Proxies: ClientAddr = %q", got)
	}
	for _, bad := range []string{"10.0.0.0/33", "example.com", "10.0.0.1:80"} {
		if _, err := webserve.ParseProxies(bad); err == nil {
			t.Errorf("ParseProxies(%q) accepted", bad)
		}
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want webserve.Rate
		ok   bool
	}{
		{"30/m", webserve.Rate{N: 30, Per: time.Minute}, true},
		{"5/s", webserve.Rate{N: 5, Per: time.Second}, true},
		{"100/h", webserve.Rate{N: 100, Per: time.Hour}, true},
		{"5/10s", webserve.Rate{N: 5, Per: 10 * time.Second}, true},
		{"off", webserve.Rate{}, true},
		{"0", webserve.Rate{}, true},
		{"30", webserve.Rate{}, false},
		{"-1/s", webserve.Rate{}, false},
		{"3/fortnight", webserve.Rate{}, false},
		{"3/-1s", webserve.Rate{}, false},
	}
	for _, tt := range tests {
		got, err := webserve.ParseRate(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if err == nil {
			if back, _ := webserve.ParseRate(got.String()); back != got {
				t.Errorf("%q round trip: %v", tt.in, back)
			}
		}
	}
}

func TestLimiter(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	l := webserve.NewLimiter(webserve.Rate{N: 3, Per: 3 * time.Second}, 100)
	for i := range 3 {
		if ok, _ := l.Allow(t0, "a"); !ok {
			t.Fatalf("take %d refused", i)
		}
	}
	ok, wait := l.Allow(t0, "a")
	if ok || wait != time.Second {
		t.Errorf("4th take: %v, wait %v; want refused, 1s", ok, wait)
	}
	if ok, _ := l.Allow(t0, "b"); !ok {
		t.Error("another key shares a's bucket")
	}
	if w := l.Wait(t0.Add(500*time.Millisecond), "a"); w != 500*time.Millisecond {
		t.Errorf("Wait half a second later = %v", w)
	}
	if ok, _ := l.Allow(t0.Add(time.Second), "a"); !ok {
		t.Error("a token did not grow back in a second")
	}
	if l.Full(t0.Add(time.Second), "a") || !l.Full(t0, "never") {
		t.Error("Full wrong")
	}
	// Buckets full again are forgotten.
	if ok, _ := l.Allow(t0.Add(10*time.Second), "c"); !ok || l.Len() != 1 {
		t.Errorf("after 10 s: %d keys, want only c", l.Len())
	}

	// However many keys come, at most size are kept.
	small := webserve.NewLimiter(webserve.Rate{N: 1, Per: time.Hour}, 10)
	for i := range 1000 {
		small.Allow(t0, fmt.Sprint("k", i))
	}
	if n := small.Len(); n != 10 {
		t.Errorf("%d keys kept, want 10", n)
	}

	var off *webserve.Limiter = webserve.NewLimiter(webserve.Rate{}, 10)
	if ok, _ := off.Allow(t0, "a"); !ok || off != nil {
		t.Error("an off rate limits")
	}
}

func TestRetryAfter(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "1", 10 * time.Millisecond: "1", time.Second: "1", 1500 * time.Millisecond: "2", time.Minute: "60"} {
		if got := webserve.RetryAfter(d); got != want {
			t.Errorf("RetryAfter(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestStream(t *testing.T) {
	rec := httptest.NewRecorder()
	s := webserve.NewStream(rec, 2*time.Second, time.Second)
	if err := s.Event("7", "reply", map[string]string{"text": "a\nb"}); err != nil {
		t.Fatal(err)
	}
	s.Ping()
	_ = s.Event("", "typing", true)
	if rec.Body.Len() != 0 {
		t.Error("events written before Flush")
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "retry: 2000\n\nid: 7\nevent: reply\ndata: {\"text\":\"a\\nb\"}\n\n: ping\n\nevent: typing\ndata: true\n\n"
	if got := rec.Body.String(); got != want {
		t.Errorf("stream:\n%q\nwant\n%q", got, want)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") || !rec.Flushed {
		t.Errorf("Content-Type %q, flushed %v", ct, rec.Flushed)
	}
	if err := s.Event("", "bad", func() {}); err == nil {
		t.Error("an unencodable event was accepted")
	}
}

func TestAsset(t *testing.T) {
	fsys := fstest.MapFS{"assets/app.js": {Data: []byte("alert(1)")}}
	a, err := webserve.LoadAsset(fsys, "assets/app.js")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, httptest.NewRequest("GET", "/app.js", nil))
	if rec.Code != 200 || rec.Body.String() != "alert(1)" || rec.Header().Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Errorf("GET: %d %q %q", rec.Code, rec.Body, rec.Header().Get("Content-Type"))
	}
	req := httptest.NewRequest("GET", "/app.js", nil)
	req.Header.Set("If-None-Match", a.ETag)
	rec = httptest.NewRecorder()
	a.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Errorf("conditional GET: %d", rec.Code)
	}
	if _, err := webserve.LoadAsset(fsys, "missing.css"); err == nil {
		t.Error("a missing asset loaded")
	}
}

func TestWriteError(t *testing.T) {
	rec := httptest.NewRecorder()
	webserve.WriteError(rec, http.StatusTooManyRequests, "slow down")
	if rec.Code != 429 || rec.Body.String() != "{\"error\":\"slow down\"}\n" || rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%d %q %v", rec.Code, rec.Body, rec.Header())
	}
}

// deadlineRecorder is a ResponseWriter that records read deadlines.
type deadlineRecorder struct {
	*httptest.ResponseRecorder
	deadline time.Time
}

func (d *deadlineRecorder) SetReadDeadline(t time.Time) error { d.deadline = t; return nil }

func TestBodyTimeout(t *testing.T) {
	h := webserve.BodyTimeout(http.NotFoundHandler(), time.Minute)
	tests := []struct {
		name string
		body io.Reader
		want bool
	}{
		{"a body gets a deadline", strings.NewReader("{}"), true},
		{"no body (an event stream) gets none", nil, false},
	}
	for _, tt := range tests {
		w := &deadlineRecorder{ResponseRecorder: httptest.NewRecorder()}
		r := httptest.NewRequest("POST", "/", tt.body)
		if tt.body == nil {
			r.Body = http.NoBody
		}
		h.ServeHTTP(w, r)
		if got := !w.deadline.IsZero(); got != tt.want {
			t.Errorf("%s: deadline set %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestListenLoopback(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "localhost:0", "[::1]:0"} {
		ln, err := webserve.ListenLoopback(addr)
		if err != nil {
			if addr == "[::1]:0" && !errors.Is(err, webserve.ErrNotLoopback) {
				continue // a machine without IPv6 loopback
			}
			t.Errorf("webserve.ListenLoopback(%q): %v", addr, err)
			continue
		}
		ln.Close()
	}
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0", "example.com:0"} {
		ln, err := webserve.ListenLoopback(addr)
		if !errors.Is(err, webserve.ErrNotLoopback) {
			if ln != nil {
				ln.Close()
			}
			t.Errorf("webserve.ListenLoopback(%q): %v, want ErrNotLoopback", addr, err)
		}
	}
	if _, err := webserve.ListenLoopback("nonsense"); err == nil || errors.Is(err, webserve.ErrNotLoopback) {
		t.Errorf("webserve.ListenLoopback(%q): %v, want an address error", "nonsense", err)
	}
}

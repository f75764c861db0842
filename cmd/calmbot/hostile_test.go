package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestHostileClients starts the real server with small limits and throws
// hostile clients at it on loopback: a burst of conversation creations,
// more event streams than the caps allow, a trickled body. The limits
// answer 429 or 503 with Retry-After, the slow body is cut off, and the
// health checks and the desk keep answering. Every wait has a deadline.
func TestHostileClients(t *testing.T) {
	base, stderr, _ := startServer(t, "--admin-addr", "127.0.0.1:0", "--trusted-proxies", "127.0.0.1",
		"--max-conns", "40", "--max-streams", "4", "--max-streams-per-addr", "2",
		"--conversation-rate", "5/m", "--message-rate", "3/m", "--body-timeout", "300ms")
	m := regexp.MustCompile(`desk=(http://127\.0\.0\.1:\d+)/desk/`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("no desk address in the log:\n%s", stderr.String())
	}
	admin := m[1]
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client := &http.Client{Timeout: 5 * time.Second}
	send := func(method, url, body string, hdr ...string) *http.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
		return res
	}
	status := func(url string) int {
		t.Helper()
		res := send("GET", url, "")
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}

	// A burst of conversation creations from one client: 5 pass, then 429.
	type conv struct{ ID, Token string }
	var convs []conv
	limited := 0
	for range 20 {
		res := send("POST", base+"/api/conversations", "", "X-Forwarded-For", "203.0.113.1")
		switch res.StatusCode {
		case http.StatusCreated:
			var c conv
			_ = json.NewDecoder(res.Body).Decode(&c)
			convs = append(convs, c)
		case http.StatusTooManyRequests:
			limited++
			if res.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		default:
			t.Errorf("create: status %d", res.StatusCode)
		}
		res.Body.Close()
	}
	if len(convs) != 5 || limited != 15 {
		t.Fatalf("burst of 20 creations: %d created, %d limited; want 5 and 15", len(convs), limited)
	}
	// Another client is not held up by the first.
	if res := send("POST", base+"/api/conversations", "", "X-Forwarded-For", "203.0.113.2"); res.StatusCode != http.StatusCreated {
		t.Errorf("another client's creation: %d", res.StatusCode)
	}

	// Event streams beyond the caps.
	open := func(c conv, ip string) *http.Response {
		t.Helper()
		res := send("GET", base+"/api/conversations/"+c.ID+"/events?token="+c.Token, "", "X-Forwarded-For", ip)
		if res.StatusCode == http.StatusOK {
			t.Cleanup(func() { res.Body.Close() })
		} else {
			res.Body.Close()
		}
		return res
	}
	streams := []struct {
		c    int
		ip   string
		want int
	}{
		{0, "198.51.100.1", http.StatusOK},
		{1, "198.51.100.1", http.StatusOK},
		{2, "198.51.100.1", http.StatusTooManyRequests}, // per address
		{2, "198.51.100.2", http.StatusOK},
		{3, "198.51.100.2", http.StatusOK},
		{4, "198.51.100.3", http.StatusServiceUnavailable}, // over all
	}
	for _, s := range streams {
		res := open(convs[s.c], s.ip)
		if res.StatusCode != s.want || s.want != http.StatusOK && res.Header.Get("Retry-After") == "" {
			t.Errorf("stream %d from %s: %d, Retry-After %q; want %d", s.c, s.ip, res.StatusCode, res.Header.Get("Retry-After"), s.want)
		}
	}

	// A body trickled in: one byte, then nothing. The server answers 408 or
	// hangs up once the body timeout passes, well before the deadline.
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/conversations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nX-Forwarded-For: 192.0.2.9\r\n\r\n{")
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	switch {
	case err == nil && strings.HasPrefix(line, "HTTP/1.1 408"):
	case err == io.EOF:
	default:
		t.Errorf("trickled body: got %q, %v; want 408 or the connection closed", line, err)
	}

	// The health checks and the desk still answer, on both listeners.
	for _, url := range []string{base + "/healthz", admin + "/healthz", admin + "/readyz", admin + "/desk/login"} {
		if code := status(url); code != http.StatusOK {
			t.Errorf("GET %s under load: %d", url, code)
		}
	}
	// The desk and the metrics are not on the customer listener.
	for _, path := range []string{"/metrics", "/desk/login"} {
		if code := status(base + path); code != http.StatusNotFound {
			t.Errorf("customer listener GET %s: %d, want 404", path, code)
		}
	}
	if code := status(admin + "/metrics"); code != http.StatusOK {
		t.Errorf("admin /metrics: %d", code)
	}

	// Posting is limited too: 3 messages a minute from one address.
	c := convs[4]
	codes := []int{}
	for i := range 4 {
		res := send("POST", base+"/api/conversations/"+c.ID+"/messages", fmt.Sprintf(`{"text":"hello","id":"m%d"}`, i),
			"Authorization", "Bearer "+c.Token, "X-Forwarded-For", "203.0.113.7")
		codes = append(codes, res.StatusCode)
		res.Body.Close()
	}
	if fmt.Sprint(codes) != "[202 202 202 429]" {
		t.Errorf("4 posts: %v, want [202 202 202 429]", codes)
	}
}

// TestServeHTTPFlags: bad limits and proxies stop serve before it starts,
// from a flag or from the environment; a flag wins over the environment.
func TestServeHTTPFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string // in stderr
	}{
		{"streams above the connection cap", []string{"--max-conns", "100", "--max-streams", "90"}, nil, "at most 3/4 of --max-conns"},
		{"bad proxy", []string{"--trusted-proxies", "10.0.0.0/99"}, nil, "--trusted-proxies"},
		{"bad proxy from the environment", nil, map[string]string{"CALMBOT_TRUSTED_PROXIES": "proxy.example"}, "CALMBOT_TRUSTED_PROXIES"},
		{"bad frame ancestors", []string{"--frame-ancestors", "https://a.example; script-src *"}, nil, "--frame-ancestors"},
		{"bad rate", []string{"--message-rate", "lots"}, nil, "rate"},
		{"bad rate from the environment", nil, map[string]string{"CALMBOT_CONVERSATION_RATE": "9"}, "CALMBOT_CONVERSATION_RATE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errb strings.Builder
			args := append([]string{"serve", "--db", t.TempDir() + "/x.db", "--flows", "../../flows.yaml", "--addr", "127.0.0.1:0"}, tt.args...)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := run(ctx, args, strings.NewReader(""), io.Discard, &errb, func(k string) string { return tt.env[k] })
			code := exitCode(err, &errb)
			if code != 2 || !strings.Contains(errb.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errb.String(), tt.want)
			}
		})
	}
}

func TestServeFlagsFromEnv(t *testing.T) {
	vars := map[string]string{"CALMBOT_CONVERSATION_RATE": "9/h", "CALMBOT_MESSAGE_RATE": "7/s", "CALMBOT_SECURE_COOKIES": "true"}
	e := &env{stderr: io.Discard, getenv: func(k string) string { return vars[k] }}
	var o serveOptions
	fs := e.serveFlags(&o)
	if err := fs.Parse([]string{"--message-rate", "5/m"}); err != nil {
		t.Fatal(err)
	}
	if err := e.fromEnv(fs); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(o.conversationRate, " ", o.messageRate, " ", o.secureCookies); got != "9/h 5/m true" {
		t.Errorf("got %s, want 9/h 5/m true (the flag wins over the environment)", got)
	}
}

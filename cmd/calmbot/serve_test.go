package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer runs `calmbot serve` on a free port and returns its base URL.
func startServer(t *testing.T, args ...string) (base string, stderr *syncBuffer, stop func() error) {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	stderr = &syncBuffer{}
	done := make(chan error, 1)
	all := append([]string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "calmbot.db"), "--flows", "../../flows.yaml"}, args...)
	go func() {
		done <- run(ctx, all, strings.NewReader(""), io.Discard, stderr, func(string) string { return "" })
	}()
	re := regexp.MustCompile(`chat=(http://127\.0\.0\.1:\d+)/`)
	deadline := time.Now().Add(30 * time.Second) // start-up under -race on a busy machine is slow
	for {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond) // polling the log for the address
	}
	var once sync.Once
	var stopErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(15 * time.Second):
				stopErr = context.DeadlineExceeded
			}
		})
		return stopErr
	}
	t.Cleanup(func() { _ = stop() })
	return base, stderr, stop
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServe(t *testing.T) {
	base, stderr, stop := startServer(t)
	if !strings.Contains(stderr.String(), "first agent created") || !strings.Contains(stderr.String(), "name=admin") {
		t.Errorf("startup log lacks the first agent's credentials:\n%s", stderr.String())
	}
	for _, path := range []string{"/healthz", "/", "/desk/"} {
		if code, _ := get(t, base+path); code != http.StatusOK {
			t.Errorf("GET %s = %d", path, code)
		}
	}
	pollOK(t, base+"/readyz")
	// Before anything happened, the documented series exist at 0.
	_, m0 := get(t, base+"/metrics")
	for _, want := range []string{`calmbot_handoffs_total{reason="not_understood"} 0`, `calmbot_conversations_ended_total{outcome="contained"} 0`, `calmbot_turns_stalled_total{channel="web"} 0`, `calmbot_first_responses_total{priority="urgent",within_target="false"} 0`, "calmbot_panics_total 0"} {
		if !strings.Contains(m0, want) {
			t.Errorf("metrics at start lack %q:\n%s", want, grepCalmbot(m0))
		}
	}

	// A customer talks through the HTTP API and asks for a person.
	conv := newWebChat(t, base)
	say := func(text string) string {
		code, b := conv.post(t, base, text)
		if code != http.StatusOK {
			t.Fatalf("post %q: %d %s", text, code, b)
		}
		return b
	}
	if r := say("my parcel has still not arrived"); !strings.Contains(r, "Just to be sure") {
		t.Errorf("first reply: %s", r)
	}
	if r := say("I want to talk to a real person"); !strings.Contains(r, `"status":"human"`) {
		t.Errorf("asking for a person: %s", r)
	}
	_, m := get(t, base+"/metrics")
	for _, want := range []string{`calmbot_handoffs_total{reason="customer_request"} 1`, `calmbot_conversations_started_total{channel="web"} 1`, "calmbot_queue_length 1"} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q:\n%s", want, grepCalmbot(m))
		}
	}
	if err := stop(); err != nil {
		t.Errorf("serve returned %v\n%s", err, stderr.String())
	}
}

func pollOK(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if code, _ := get(t, url); code == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never became ready", url)
		}
		time.Sleep(5 * time.Millisecond) // polling readiness
	}
}

// webChat is a customer's conversation in the web chat's HTTP API.
type webChat struct{ ID, Token string }

// newWebChat starts a conversation in English on the server at base.
func newWebChat(t *testing.T, base string) webChat {
	t.Helper()
	resp, err := http.Post(base+"/api/conversations", "application/json", strings.NewReader(`{"lang":"en"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c webChat
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || c.ID == "" {
		t.Fatalf("new conversation: %d, %v", resp.StatusCode, err)
	}
	return c
}

// post sends text to the conversation through the server at base (any
// instance of it), waits for the replies and returns the status and body.
func (c webChat) post(t *testing.T, base, text string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/api/conversations/"+c.ID+"/messages?wait=1", strings.NewReader(`{"text":`+quote(text)+`}`))
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestServeRefusesBusyPort(t *testing.T) {
	base, _, _ := startServer(t)
	addr := strings.TrimPrefix(base, "http://")
	r := runCmd(t, "", "serve", "--addr", addr, "--db", filepath.Join(t.TempDir(), "x.db"), "--flows", "../../flows.yaml")
	if r.code != 1 || !strings.Contains(r.stderr, "cannot listen on") {
		t.Errorf("second server on a busy port: exit %d\n%s", r.code, r.stderr)
	}
}

func TestAgentsCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "a.db")
	r := runCmd(t, "s3cret-password\n", "agents", "add", "--db", db, "--skills", "billing,delivery", "--capacity", "2", "--password-stdin", "ada")
	if r.code != 0 || !strings.Contains(r.stdout, "added agent ada (skills billing,delivery, capacity 2)") || strings.Contains(r.stdout, "password:") {
		t.Errorf("add: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCmd(t, "", "agents", "add", "--db", db, "grace")
	if r.code != 0 || !strings.Contains(r.stdout, "password: ") {
		t.Errorf("add with a generated password: %d\n%s", r.code, r.stdout)
	}
	r = runCmd(t, "", "agents", "add", "--db", db, "ada")
	if r.code != 1 {
		t.Errorf("adding ada twice: exit %d", r.code)
	}
	r = runCmd(t, "", "agents", "list", "--db", db)
	if r.code != 0 || !strings.Contains(r.stdout, "ada") || !strings.Contains(r.stdout, "grace") {
		t.Errorf("list: %d\n%s", r.code, r.stdout)
	}
	links := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"link", "--name", "Ada L.", "ada", "telegram:12345"}, 0, "linked agent ada to telegram:12345"},
		{[]string{"link", "grace", "telegram:12345"}, 1, ""},
		{[]string{"link", "nobody", "telegram:999"}, 1, ""},
		{[]string{"link", "ada", "telegram"}, 2, ""},
		{[]string{"list"}, 0, "telegram:12345 (Ada L.)"},
		{[]string{"unlink", "telegram:12345"}, 0, "unlinked telegram:12345"},
		{[]string{"unlink", "telegram:12345"}, 1, ""},
	}
	for _, l := range links {
		r := runCmd(t, "", append([]string{"agents", l.args[0], "--db", db}, l.args[1:]...)...)
		if r.code != l.code || !strings.Contains(r.stdout, l.out) {
			t.Errorf("agents %v: exit %d, want %d\n%s%s", l.args, r.code, l.code, r.stdout, r.stderr)
		}
	}
}

// grepCalmbot keeps calmbot's own lines of a metrics page, for messages.
func grepCalmbot(page string) string {
	var out []string
	for _, l := range strings.Split(page, "\n") {
		if strings.HasPrefix(l, "calmbot_") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestDatabaseByScheme(t *testing.T) {
	for _, tc := range []struct {
		dsn, path, err string
	}{
		{dsn: "calmbot.db", path: "calmbot.db"},
		{dsn: "/var/lib/calmbot/calmbot.db", path: "/var/lib/calmbot/calmbot.db"},
		{dsn: "sqlite:calmbot.db", path: "calmbot.db"},
		{dsn: "sqlite:///tmp/calmbot.db", path: "/tmp/calmbot.db"},
		{dsn: "sqlite:", err: "names no file"},
		{dsn: "postgres://calmbot@db/calmbot", err: "is PostgreSQL, not a SQLite file"},
		{dsn: "postgresql://db/calmbot", err: "is PostgreSQL, not a SQLite file"},
		{dsn: "mysql://root:secret@db/calmbot", err: `"mysql://root:xxxxx@db/calmbot": unknown scheme "mysql"`},
		{dsn: "mysql://db/calmbot", err: `unknown scheme "mysql"`},
	} {
		path, err := sqlitePath(tc.dsn)
		if path != tc.path || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("sqlitePath(%q) = %q, %v, want %q, %q", tc.dsn, path, err, tc.path, tc.err)
		}
	}
}

// TestServeRefusesSQLiteInUse starts a second server on a SQLite file a
// first one serves: it refuses, pointing at PostgreSQL, and the first
// goes on. Once the first stopped, the file can be served again.
func TestServeRefusesSQLiteInUse(t *testing.T) {
	db := filepath.Join(t.TempDir(), "shared.db")
	base, _, stop := startServer(t, "--db", db)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errb bytes.Buffer
	err := run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", db, "--flows", "../../flows.yaml"},
		strings.NewReader(""), io.Discard, &errb, func(string) string { return "" })
	if code := exitCode(err, &errb); code != 1 || !strings.Contains(errb.String(), "in use by another calmbot") ||
		!strings.Contains(errb.String(), "PostgreSQL") {
		t.Errorf("second serve on %s: exit %d (ctx %v)\n%s", db, code, ctx.Err(), errb.String())
	}
	pollOK(t, base+"/readyz")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	base, _, _ = startServer(t, "--db", db)
	pollOK(t, base+"/readyz")
}

package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/calmbot/calmbot/store/postgres/pgtest"
	"github.com/jackc/pgx/v5"
)

// With CALMBOT_TEST_POSTGRES_DSN set (.ci/run sets it), the tests of this
// package that run on PostgreSQL get a database of their own, created by
// TestMain and dropped after; pgDSN is its URL, "" when they skip.
var pgDSN string

func TestMain(m *testing.M) {
	if args := os.Getenv("CALMBOT_TEST_CHILD_ARGS"); args != "" {
		// A child process of a multi-instance test: calmbot itself.
		main1(strings.Split(args, "\x1f"))
		return
	}
	flag.Parse()
	os.Exit(runTests(m))
}

// main1 is main with args, for child processes.
func main1(args []string) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, args, os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

func runTests(m *testing.M) int {
	dsn, drop, err := pgtest.Database(context.Background(), "calmbot_cmd_")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer drop()
	pgDSN = dsn
	return m.Run()
}

// postgresDSN returns the test database's URL with schema as its search
// path (a fresh set of tables per test), or skips t.
func postgresDSN(t *testing.T, schema string) string {
	t.Helper()
	if pgDSN == "" {
		t.Skip("CALMBOT_TEST_POSTGRES_DSN is not set")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	// Dropped after the test (its servers, started later, stop first), so
	// that -count=N runs it again.
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, pgDSN)
		if err != nil {
			t.Logf("drop schema %s: %v (left to the database's drop)", schema, err)
			return
		}
		defer conn.Close(ctx)
		// A server still in a transaction would hold the drop: the
		// schema is left then, dropped with the database after the run.
		if _, err := conn.Exec(ctx, `SET lock_timeout = '5s'`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		if _, err := conn.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Logf("drop schema %s: %v (left to the database's drop)", schema, err)
		}
	})
	u, _ := url.Parse(pgDSN)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// proxy forwards TCP connections to a target until paused: then it drops
// the connections it carries and refuses new ones, as an unreachable
// database does.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	paused bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		ln.Close()
		p.pause(true)
		p.wg.Wait()
	})
	return p
}

func (p *proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.paused {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Go(func() { _, _ = io.Copy(up, c); up.Close(); c.Close() })
		p.wg.Go(func() { _, _ = io.Copy(c, up); up.Close(); c.Close() })
	}
}

// pause cuts (true) or restores (false) the way to the target.
func (p *proxy) pause(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused = on
	if on {
		for c := range p.conns {
			c.Close()
		}
		clear(p.conns)
	}
}

// waitStatus polls url until it answers code.
func waitStatus(t *testing.T, url string, code int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == code {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never answered %d", url, code)
		}
		time.Sleep(20 * time.Millisecond) // polling readiness
	}
}

// TestServePostgres serves on PostgreSQL, selected by the URL: a customer
// is answered, /readyz reports not ready while the database is
// unreachable and ready again once it is back, and a second instance on
// the same database starts (no SQLite lock) and shares the key, so the
// customer's token is good there too.
func TestServePostgres(t *testing.T) {
	dsn := postgresDSN(t, "serve_pg")
	u, _ := url.Parse(dsn)
	p := newProxy(t, u.Host)
	u.Host = p.ln.Addr().String()
	base, stderr, stop := startServer(t, "--database", u.String())
	waitStatus(t, base+"/readyz", http.StatusOK)
	if !strings.Contains(stderr.String(), "first agent created") {
		t.Errorf("the first instance did not create the first agent:\n%s", stderr.String())
	}

	conv := newWebChat(t, base)
	post := func(base, text string) (int, string) { return conv.post(t, base, text) }
	if code, r := post(base, "my parcel has still not arrived"); code != http.StatusOK || !strings.Contains(r, "Just to be sure") {
		t.Errorf("first reply: %d %s", code, r)
	}

	p.pause(true)
	waitStatus(t, base+"/readyz", http.StatusServiceUnavailable)
	p.pause(false)
	waitStatus(t, base+"/readyz", http.StatusOK)

	// A second instance on the same database, directly.
	base2, stderr2, _ := startServer(t, "--db", dsn)
	waitStatus(t, base2+"/readyz", http.StatusOK)
	if strings.Contains(stderr2.String(), "first agent created") {
		t.Errorf("the second instance created another first agent:\n%s", stderr2.String())
	}
	// The customer's stream is on the first instance; the second answers.
	sctx, scancel := context.WithCancel(context.Background())
	defer scancel()
	req, _ := http.NewRequestWithContext(sctx, "GET", base+"/api/conversations/"+conv.ID+"/events?after=2&token="+conv.Token, nil)
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		r := bufio.NewReader(stream.Body)
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return
			}
			lines <- l
		}
	}()
	if code, r := post(base2, "yes"); code != http.StatusOK || !strings.Contains(r, "Here is what I can do for you") {
		t.Errorf("the customer's next message on the other instance: %d %s", code, r)
	}
	deadline := time.After(30 * time.Second)
	for seen := false; !seen; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("the stream on the first instance ended")
			}
			seen = strings.Contains(l, "Here is what I can do for you")
		case <-deadline:
			t.Fatal("the second instance's reply did not reach the stream on the first")
		}
	}

	// A handoff on the second instance is in the first one's queue.
	if code, r := post(base2, "I want to talk to a real person"); code != http.StatusOK || !strings.Contains(r, `"status":"human"`) {
		t.Errorf("asking for a person on the other instance: %d %s", code, r)
	}
	deadline = time.After(30 * time.Second)
	for {
		_, m := get(t, base+"/metrics")
		if strings.Contains(m, "calmbot_queue_length 1\n") {
			break
		}
		select {
		case <-deadline:
			t.Fatalf("the ticket opened on the second instance is not in the first one's queue: %s\nfirst instance:\n%s\nsecond instance:\n%s",
				queueLine(m), stderr.String(), stderr2.String())
		case <-time.After(20 * time.Millisecond): // polling the metrics
		}
	}
	if err := stop(); err != nil {
		t.Errorf("serve returned %v\n%s", err, stderr.String())
	}
}

// queueLine returns the queue length line of a metrics page.
func queueLine(metrics string) string {
	for l := range strings.Lines(metrics) {
		if strings.HasPrefix(l, "calmbot_queue_length ") {
			return strings.TrimSpace(l)
		}
	}
	return "no calmbot_queue_length"
}

package main

import (
	"bufio"
	"context"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// firstPassword reads the first agent's password from the server's log.
func firstPassword(t *testing.T, log string) string {
	t.Helper()
	m := regexp.MustCompile(`first agent created.*password=(\S+)`).FindStringSubmatch(log)
	if m == nil {
		t.Fatalf("no first agent in the log:\n%s", log)
	}
	return m[1]
}

// deskLogin logs name in to the desk at base and returns the agent's
// client, or nil with the status when the login is refused.
func deskLogin(t *testing.T, base, name, password string) (*deskClient, int) {
	t.Helper()
	d := &deskClient{client: http.DefaultClient, base: base}
	var out struct {
		CSRF string `json:"csrf"`
	}
	code, err := d.do(context.Background(), "POST", "/login", map[string]string{"name": name, "password": password}, &out)
	if err != nil {
		t.Fatalf("login %s: %v", name, err)
	}
	if code != http.StatusOK {
		return nil, code
	}
	d.csrf = out.CSRF
	return d, code
}

// status is the status of an API call of d.
func (d *deskClient) status(t *testing.T, method, path string, body any) int {
	t.Helper()
	code, err := d.do(context.Background(), method, path, body, nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return code
}

// deskStream is an agent's open desk event stream.
type deskStream struct {
	lines chan string
}

// stream opens d's event stream and waits for its hello.
func (d *deskClient) stream(t *testing.T) *deskStream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", d.base+"/desk/api/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Cookie", d.cookie)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("event stream: %s", res.Status)
	}
	s := &deskStream{lines: make(chan string, 256)}
	go func() {
		defer res.Body.Close()
		defer close(s.lines)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	s.wait(t, "event: hello")
	return s
}

// wait reads the stream until a line with want, failing after a deadline.
func (s *deskStream) wait(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case l, ok := <-s.lines:
			if !ok {
				t.Fatalf("event stream ended before %q", want)
			}
			if strings.Contains(l, want) {
				return
			}
		case <-deadline:
			t.Fatalf("no %q on the event stream within 10s", want)
		}
	}
}

// ends reads the stream to its end, which must come after a logout event.
func (s *deskStream) ends(t *testing.T) {
	t.Helper()
	if !s.ended() {
		t.Fatal("the event stream did not end with a logout within 10s")
	}
}

// ended reports whether the stream sends a logout and ends within 10s.
func (s *deskStream) ended() bool {
	deadline := time.After(10 * time.Second)
	logout := false
	for {
		select {
		case l, ok := <-s.lines:
			if !ok {
				return logout
			}
			logout = logout || l == "event: logout"
		case <-deadline:
			return false
		}
	}
}

// TestAgentsWhileServing runs `calmbot agents` against the database of a
// running server: the changes hold at once, without a restart, and a
// presence change does not bring an old password back.
func TestAgentsWhileServing(t *testing.T) {
	db := filepath.Join(t.TempDir(), "calmbot.db")
	base, stderr, _ := startServer(t, "--db", db)
	if !strings.Contains(stderr.String(), "/desk/account") {
		t.Errorf("the first-start log does not say where to change the password:\n%s", stderr.String())
	}
	first := firstPassword(t, stderr.String())
	admin, code := deskLogin(t, base, "admin", first)
	if admin == nil {
		t.Fatalf("admin login: %d", code)
	}
	events := admin.stream(t)

	if r := runCmd(t, "a new admin password\n", "agents", "passwd", "--db", db, "--password-stdin", "admin"); r.code != 0 {
		t.Fatalf("agents passwd: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if _, code := deskLogin(t, base, "admin", first); code != http.StatusUnauthorized {
		t.Errorf("old password after passwd: status %d, want 401", code)
	}
	if got := admin.status(t, "GET", "/me", nil); got != http.StatusUnauthorized {
		t.Errorf("session of the old password: status %d, want 401", got)
	}
	events.ends(t)
	again, code := deskLogin(t, base, "admin", "a new admin password")
	if again == nil {
		t.Fatalf("new password after passwd: status %d, want 200", code)
	}
	// A presence change, which used to write the whole cached account.
	if got := again.status(t, "PUT", "/me/presence", map[string]string{"presence": "away"}); got != http.StatusOK {
		t.Fatalf("presence: status %d", got)
	}
	if _, code := deskLogin(t, base, "admin", first); code != http.StatusUnauthorized {
		t.Errorf("old password after a presence change: status %d, want 401", code)
	}
	if d, code := deskLogin(t, base, "admin", "a new admin password"); d == nil {
		t.Errorf("new password after a presence change: status %d, want 200", code)
	}

	// An agent added meanwhile logs in at once; removed, they are out.
	if r := runCmd(t, "password-of-bob\n", "agents", "add", "--db", db, "--password-stdin", "bob"); r.code != 0 {
		t.Fatalf("agents add: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	bob, code := deskLogin(t, base, "bob", "password-of-bob")
	if bob == nil {
		t.Fatalf("new agent's login: status %d, want 200", code)
	}
	bobEvents := bob.stream(t)
	if r := runCmd(t, "", "agents", "remove", "--db", db, "bob"); r.code != 0 || !strings.Contains(r.stdout, "removed agent bob") {
		t.Fatalf("agents remove: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := bob.status(t, "GET", "/me", nil); got != http.StatusUnauthorized {
		t.Errorf("removed agent's session: status %d, want 401", got)
	}
	bobEvents.ends(t)
	if _, code := deskLogin(t, base, "bob", "password-of-bob"); code != http.StatusUnauthorized {
		t.Errorf("removed agent's login: status %d, want 401", code)
	}
	if r := runCmd(t, "", "agents", "remove", "--db", db, "bob"); r.code != 1 || !strings.Contains(r.stderr, "no agent") {
		t.Errorf("removing bob twice: exit %d\n%s", r.code, r.stderr)
	}
}

// TestLogoutSurvivesRestart: a logged-out desk cookie stays refused after
// the server restarts on the same database and key.
func TestLogoutSurvivesRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "calmbot.db")
	base, stderr, stop := startServer(t, "--db", db)
	first := firstPassword(t, stderr.String())
	out, code := deskLogin(t, base, "admin", first)
	if out == nil {
		t.Fatalf("login: %d", code)
	}
	stays, _ := deskLogin(t, base, "admin", first)
	events := out.stream(t)
	cookie := out.cookie
	if got := out.status(t, "POST", "/logout", nil); got != http.StatusNoContent {
		t.Fatalf("logout: status %d", got)
	}
	if !events.ended() {
		t.Error("the event stream opened before the logout did not end with a logout event")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	base, _, _ = startServer(t, "--db", db)
	out.base, out.cookie = base, cookie
	if got := out.status(t, "GET", "/me", nil); got != http.StatusUnauthorized {
		t.Errorf("logged-out cookie after a restart: status %d, want 401", got)
	}
	stays.base = base
	if got := stays.status(t, "GET", "/me", nil); got != http.StatusOK {
		t.Errorf("a session that did not log out, after a restart: status %d, want 200", got)
	}
}

// TestFirstAgentLineNamesTheDesk: the first start's line with the admin
// password is logged before "calmbot is running" (start-up is over when
// that line is there), and points at the desk's address, which is
// --admin-addr's when it is set, not the chat's.
func TestFirstAgentLineNamesTheDesk(t *testing.T) {
	_, stderr, stop := startServer(t, "--admin-addr", "127.0.0.1:0")
	log := stderr.String()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	desk := regexp.MustCompile(`desk=(http://127\.0\.0\.1:\d+)/desk/`).FindStringSubmatch(log)
	if desk == nil {
		t.Fatalf("no desk address in the log:\n%s", log)
	}
	first := strings.Index(log, "first agent created")
	running := strings.Index(log, "calmbot is running")
	switch {
	case first < 0 || running < 0:
		t.Fatalf("want both the first agent's line and the running line:\n%s", log)
	case first > running:
		t.Errorf("the first agent's line comes after the running line:\n%s", log)
	}
	if !strings.Contains(log, desk[1]+"/desk/account") {
		t.Errorf("the first agent's line does not point at the desk's address %s:\n%s", desk[1], log)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/store/sqlite"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// result is one run of the command.
type result struct {
	code           int
	stdout, stderr string
}

func runCmd(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(string) string { return "" }
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errb, getenv)
	code := exitCode(err, &errb)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		out  string // in stdout
		err  string // in stderr
	}{
		{[]string{"help"}, 0, "flows check", ""},
		{[]string{"--help"}, 0, "Commands:", ""},
		{[]string{"help", "chat"}, 0, "-quiet-window", ""},
		{[]string{"help", "flows", "test"}, 0, "-junit", ""},
		{[]string{"chat", "-h"}, 0, "-jsonl", ""},
		{[]string{"version"}, 0, "calmbot dev", ""},
		{[]string{"help", "serve"}, 0, "-addr", ""},
		{[]string{"help", "agents"}, 0, "agents add", ""},
		{[]string{"serve", "extra"}, 2, "", "serve takes no arguments"},
		{[]string{"nope"}, 2, "", `unknown command "nope"`},
		{[]string{"flows"}, 2, "", "needs a subcommand"},
		{[]string{"flows", "lint"}, 2, "", `unknown flows subcommand "lint"`},
		{[]string{"chat", "--bogus"}, 2, "", "flag provided but not defined: -bogus"},
		{[]string{"chat", "extra"}, 2, "", "chat takes no arguments"},
		{[]string{"flows", "graph", "--format", "png", "../../flows.yaml"}, 2, "", "want mermaid or dot"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCmd(t, "", tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\nstderr: %s", r.code, tt.code, r.stderr)
			}
			if !strings.Contains(r.stdout, tt.out) {
				t.Errorf("stdout lacks %q:\n%s", tt.out, r.stdout)
			}
			if !strings.Contains(r.stderr, tt.err) {
				t.Errorf("stderr lacks %q:\n%s", tt.err, r.stderr)
			}
		})
	}
}

func TestFlowsCheck(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"default", []string{"flows", "check", "--strict", "../../flows.yaml"}, 0},
		{"broken", []string{"flows", "check", "testdata/broken.yaml"}, 1},
		{"tagged", []string{"flows", "check", "testdata/tagged.yaml"}, 1},
		{"warnings", []string{"flows", "check", "testdata/warnings.yaml"}, 0},
		{"warnings-strict", []string{"flows", "check", "--strict", "testdata/warnings.yaml"}, 1},
		{"missing", []string{"flows", "check", "testdata/none.yaml"}, 1},
		// The default flows have telegram variants: a bot without Telegram is told.
		{"channels-web", []string{"flows", "check", "--strict", "--channels", "web", "../../flows.yaml"}, 1},
		{"channels-web-slack", []string{"flows", "check", "--strict", "--channels", "web, slack", "../../flows.yaml"}, 0},
		{"channels-bad", []string{"flows", "check", "--channels", "web,Tele gram", "../../flows.yaml"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, "", tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d", r.code, tt.code)
			}
			golden(t, "check-"+tt.name, r.stderr)
		})
	}
}

func TestFlowsTest(t *testing.T) {
	junit := filepath.Join(t.TempDir(), "report.xml")
	r := runCmd(t, "", "flows", "test", "--junit", junit, "../../flows.yaml")
	if r.code != 0 {
		t.Fatalf("default flows' tests fail (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, " passed, 0 failed") {
		t.Errorf("no summary line:\n%s", r.stdout)
	}
	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var suite struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal(data, &suite); err != nil {
		t.Fatalf("junit report: %v\n%s", err, data)
	}
	if suite.Tests < 30 || suite.Failures != 0 {
		t.Errorf("junit: %d tests, %d failures", suite.Tests, suite.Failures)
	}

	r = runCmd(t, "", "flows", "test", "testdata/failing.yaml")
	if r.code != 1 {
		t.Errorf("failing tests: exit %d, want 1", r.code)
	}
	for _, want := range []string{"FAIL fails on purpose", `state = "confirm", want "options"`, "1 passed, 1 failed"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	r = runCmd(t, "", "flows", "test", "--run", "^passes$", "testdata/failing.yaml")
	if r.code != 0 || !strings.Contains(r.stdout, "1 passed, 0 failed") {
		t.Errorf("--run: exit %d\n%s", r.code, r.stdout)
	}
}

func TestFlowsGraph(t *testing.T) {
	for format, want := range map[string]string{"mermaid": "late_delivery", "dot": "digraph"} {
		r := runCmd(t, "", "flows", "graph", "--format", format, "../../flows.yaml")
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("%s: exit %d, output lacks %q", format, r.code, want)
		}
	}
	r := runCmd(t, "", "flows", "graph", "--flow", "nope", "../../flows.yaml")
	if r.code != 1 || !strings.Contains(r.stderr, `no flow "nope"`) {
		t.Errorf("unknown flow: exit %d, %s", r.code, r.stderr)
	}
}

type event struct {
	Type    string       `json:"type"`
	Text    string       `json:"text"`
	State   string       `json:"state"`
	Flow    string       `json:"flow"`
	Lang    string       `json:"lang"`
	Reason  string       `json:"reason"`
	Choices []bot.Choice `json:"choices"`
	Line    int          `json:"line"`
	Error   string       `json:"error"`
	// Conversation is the id in the first event, "conversation".
	Conversation string `json:"conversation"`
}

// events reads chat --jsonl output: the first event names the
// conversation (conv, when not ""), the others are returned.
func events(t *testing.T, out, conv string) []event {
	t.Helper()
	var evs []event
	for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var ev event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("output line is not JSON: %q: %v", line, err)
		}
		if i == 0 {
			if ev.Type != "conversation" || conv != "" && ev.Conversation != conv {
				t.Fatalf("first event %q does not name the conversation %q", line, conv)
			}
			continue
		}
		evs = append(evs, ev)
	}
	return evs
}

func TestChatJSONL(t *testing.T) {
	db := filepath.Join(t.TempDir(), "chat.db")
	in := strings.Join([]string{
		`{"text": "my order still has not arrived and I am really annoyed"}`,
		`not json`,
		`{"text": "yes"}`,
		`{"text": "2"}`,
		`{"text": "yes, that works"}`,
		`{"text": "no thanks, that's all"}`,
	}, "\n")
	r := runCmd(t, in, "chat", "--jsonl", "--db", db, "--conversation", "j1", "--flows", "../../flows.yaml")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	evs := events(t, r.stdout, "j1")
	var states []string
	for _, ev := range evs {
		switch ev.Type {
		case "reply":
			states = append(states, ev.State)
			if ev.Lang != "en" || ev.Flow != "late_delivery" {
				t.Errorf("reply lang %q flow %q", ev.Lang, ev.Flow)
			}
			if ev.State == "options" && len(ev.Choices) < 2 {
				t.Errorf("options reply offers %d choices", len(ev.Choices))
			}
		case "error":
			if ev.Line != 2 {
				t.Errorf("error event for line %d, want 2", ev.Line)
			}
		default:
			t.Errorf("unexpected event %+v", ev)
		}
	}
	want := "acknowledge confirm options agree close close"
	if got := strings.Join(states, " "); got != want {
		t.Errorf("states %q, want %q", got, want)
	}

	// Everything is in the database.
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	addr := bot.Address{Channel: "console", Conversation: "j1"}
	tr, err := st.Transcript(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr) != 11 {
		t.Errorf("transcript has %d entries, want 5 in + 6 out", len(tr))
	}
	snap, err := st.Load(context.Background(), addr)
	if err != nil || snap.Status != bot.StatusEnded {
		t.Errorf("stored conversation: %v %+v", err, snap)
	}
}

func TestChatContinuesConversation(t *testing.T) {
	db := filepath.Join(t.TempDir(), "chat.db")
	args := []string{"chat", "--jsonl", "--db", db, "--conversation", "again", "--lang", "de"}
	r := runCmd(t, `{"text": "Mein Paket ist immer noch nicht angekommen"}`, args...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	r = runCmd(t, `{"text": "ja"}`, args...)
	evs := events(t, r.stdout, "again")
	if len(evs) == 0 || evs[0].State != "options" || evs[0].Lang != "de" {
		t.Errorf("second run did not continue the conversation: %+v", evs)
	}
	r = runCmd(t, `{"text": "ich will mit einem Menschen sprechen"}`, args...)
	evs = events(t, r.stdout, "again")
	if len(evs) == 0 || evs[0].Type != "handoff" || evs[0].Reason != string(bot.ReasonCustomerRequest) {
		t.Errorf("handoff: %+v", evs)
	}
	// Written to while it waits for a person, in text mode, and continued
	// with the id as chat prints it (channel:id).
	r = runCmd(t, "hello? anyone there?\n", "chat", "--db", db, "--conversation", "console:again", "--lang", "de")
	if r.code != 0 || !strings.Contains(r.stdout, "waiting for a person") {
		t.Errorf("a message after the handoff: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
}

func TestChatRefusesBadSetup(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "x.db")
	r := runCmd(t, "", "chat", "--flows", "testdata/broken.yaml", "--db", db)
	if r.code != 1 || !strings.Contains(r.stderr, "testdata/broken.yaml:4:17:") || !strings.Contains(r.stderr, "nothing was started") {
		t.Errorf("broken flows: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a database was created for a broken flow file")
	}
	r = runCmd(t, "", "chat", "--db", dir)
	if r.code != 1 || !strings.Contains(r.stderr, "cannot open database") {
		t.Errorf("directory as database: exit %d\n%s", r.code, r.stderr)
	}
	notDB := filepath.Join(dir, "text.db")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("not a database\n", 200)), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runCmd(t, "", "chat", "--db", notDB)
	if r.code != 1 || !strings.Contains(r.stderr, "cannot open database") {
		t.Errorf("text file as database: exit %d\n%s", r.code, r.stderr)
	}
}

package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/calmbot/calmbot/flows"
)

// TestHelpForEveryCommand: every command in the usage has help on stdout,
// from "calmbot help CMD" and from "calmbot CMD -h", with no sentinel
// defaults in it.
func TestHelpForEveryCommand(t *testing.T) {
	listed := map[string]bool{}
	inCommands := false
	for line := range strings.SplitSeq(usage, "\n") {
		switch {
		case strings.HasPrefix(line, "Commands:"):
			inCommands = true
		case inCommands && line == "":
			inCommands = false
		case inCommands && strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   "):
			listed[strings.Fields(line)[0]] = true
		}
	}
	for _, c := range commandNames() {
		if !listed[c] {
			t.Errorf("command %q is not in the usage", c)
		}
		delete(listed, c)
	}
	for c := range listed {
		t.Errorf("the usage lists %q, which commandNames does not know", c)
	}
	sentinel := regexp.MustCompile(`\(default -\d`)
	for _, args := range [][]string{
		{"help", "serve"}, {"help", "agents"}, {"help", "chat"}, {"help", "flows"}, {"help", "flows", "check"},
		{"help", "flows", "test"}, {"help", "flows", "graph"}, {"help", "bench"}, {"help", "analyze"},
		{"help", "eval"}, {"help", "train"}, {"help", "migrate"}, {"migrate", "-h"}, {"train", "-h"}, {"train", "sentiment", "-h"}, {"help", "help"}, {"help", "version"},
		{"serve", "-h"}, {"chat", "--help"}, {"bench", "-h"}, {"analyze", "-h"}, {"eval", "-h"},
		{"flows", "check", "-h"}, {"flows", "test", "-h"}, {"flows", "graph", "-h"}, {"agents", "add", "-h"},
	} {
		r := runCmd(t, "", args...)
		if r.code != 0 || r.stdout == "" || r.stderr != "" {
			t.Errorf("%q: exit %d, %d bytes on stdout, stderr %q; want help on stdout only", args, r.code, len(r.stdout), r.stderr)
		}
		if m := sentinel.FindString(r.stdout); m != "" {
			t.Errorf("%q: the help shows an internal default %q", args, m)
		}
	}
	for _, c := range commandNames() {
		if r := runCmd(t, "", "help", c); r.code != 0 {
			t.Errorf("help %s: exit %d: %s", c, r.code, r.stderr)
		}
	}
}

// TestFlagsAfterArguments: flags may follow a command's arguments, as the
// README writes "calmbot agents add NAME --skills billing".
func TestFlagsAfterArguments(t *testing.T) {
	db := filepath.Join(t.TempDir(), "a.db")
	r := runCmd(t, "", "agents", "add", "ada", "--skills", "billing", "--capacity", "2", "--db", db)
	if r.code != 0 || !strings.Contains(r.stdout, "skills billing, capacity 2") {
		t.Fatalf("agents add NAME --flags: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	r = runCmd(t, "", "agents", "list", "--db", db)
	if !strings.Contains(r.stdout, "ada") || !strings.Contains(r.stdout, "billing") {
		t.Errorf("agents list after add: %s %s", r.stdout, r.stderr)
	}
	// After "--" everything is an argument, even what looks like a flag.
	r = runCmd(t, "", "flows", "check", "--", "--strict")
	if r.code == 0 || !strings.Contains(r.stderr, "--strict") {
		t.Errorf(`flows check -- --strict: exit %d, stderr %q; want the file "--strict" refused`, r.code, r.stderr)
	}
}

// TestUnknownCommand: the error comes first, with a hint, not the whole usage.
func TestUnknownCommand(t *testing.T) {
	r := runCmd(t, "", "serev")
	if r.code != 2 {
		t.Errorf("exit %d, want 2", r.code)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) > 3 || !strings.Contains(lines[0], `unknown command "serev"`) || !strings.Contains(lines[0], `did you mean "serve"`) {
		t.Errorf("stderr:\n%s\nwant the error first, a suggestion and a short hint", r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout %q, want nothing", r.stdout)
	}
}

// TestQuietNote: the bench says when the quiet window, not calmbot, is
// what it measured.
func TestQuietNote(t *testing.T) {
	f := &flows.File{}
	f.Policy.QuietWindow = flows.Duration(2 * time.Second)
	tests := []struct {
		name string
		o    benchOptions
		p50  time.Duration
		want bool
	}{
		{"in process, no window", benchOptions{}, 3 * time.Millisecond, false},
		{"in process, window dominates", benchOptions{quiet: time.Second}, 1010 * time.Millisecond, true},
		{"in process, window short", benchOptions{quiet: time.Second}, 20 * time.Millisecond, false},
		{"server with the flows' window", benchOptions{url: "http://x"}, 2100 * time.Millisecond, true},
		{"server without a window", benchOptions{url: "http://x"}, 4 * time.Millisecond, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := quietNote(tt.o, f, &benchResult{P50: tt.p50})
			if (got != "") != tt.want {
				t.Errorf("quietNote = %q, want a note: %v", got, tt.want)
			}
		})
	}
}

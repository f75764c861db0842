package bot_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/flows"
)

// reloadOnce writes src to a new flows.yaml, starts Watch on it, triggers
// one reload and returns what the reload reported. The file is written
// before the watcher starts, so only the trigger reloads it.
func reloadOnce(t *testing.T, h interface {
	Watch(context.Context, string, <-chan struct{}, chan<- error) error
}, src string) error {
	t.Helper()
	path := filepath.Join(t.TempDir(), "flows.yaml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	trigger := make(chan struct{})
	reloaded := make(chan error)
	done := make(chan error, 1)
	go func() { done <- h.Watch(ctx, path, trigger, reloaded) }()
	defer func() { cancel(); <-done }()
	select {
	case trigger <- struct{}{}:
	case err := <-done:
		t.Fatalf("Watch ended: %v", err)
	}
	select {
	case err := <-reloaded:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("no reload reported within 10s")
	}
	return nil
}

// TestWatchKeepsFlowsOnBadFile saves flow files the parser refuses (a YAML
// tag on a list panicked it and killed the server, issue 7) and checks that
// the reload reports file:line:col, the running flows keep answering, and a
// good file then loads.
func TestWatchKeepsFlowsOnBadFile(t *testing.T) {
	h := newHarness(t)
	good := h.Engine.Flows()
	src := string(good.Source)
	if !strings.Contains(src, "\nlanguages: [en, it]\n") {
		t.Fatal("the test flows no longer have languages: [en, it] on line 2")
	}
	for _, b := range []struct{ name, languages string }{
		{"core tag on a list", "languages: !!str en"},
		{"local tag on a list", "languages: !en"},
		{"custom tag on a list", "languages: !foo x"},
	} {
		t.Run(b.name, func(t *testing.T) {
			err := reloadOnce(t, h.Engine, strings.Replace(src, "languages: [en, it]", b.languages, 1))
			if want := "flows.yaml:2:12: tag: languages: "; err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("reload error = %v, want %q", err, want)
			}
			if got := h.Engine.Flows().Hash(); got != good.Hash() {
				t.Errorf("flows changed to %s after a bad file", got)
			}
			if got := texts(h.Chat("en").Say("intent:late")); len(got) != 2 || got[1] != "Is it your latest order?" {
				t.Errorf("running flows after a bad file: %q", got)
			}
		})
	}
	v2 := strings.Replace(src, "Is it your latest order?", "Was it your latest order?", 1)
	if err := reloadOnce(t, h.Engine, v2); err != nil {
		t.Fatalf("good file not reloaded: %v", err)
	}
	if got := texts(h.Chat("en").Say("intent:late")); len(got) != 2 || got[1] != "Was it your latest order?" {
		t.Errorf("after a good file: %q", got)
	}
}

// TestWatchLogsEachProblem: a reload that fails with many problems logs a
// count, then one record per problem (file:line:col: rule: message) up to
// a limit, not one escaped string holding them all.
func TestWatchLogsEachProblem(t *testing.T) {
	var logs syncBuffer
	h := newHarness(t, bot.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	src := string(h.Engine.Flows().Source)
	// A third language every text lacks: one problem per text.
	err := reloadOnce(t, h.Engine, strings.Replace(src, "languages: [en, it]", "languages: [en, it, de]", 1))
	var ds flows.Diagnostics
	if !errors.As(err, &ds) || len(ds) <= 10 {
		t.Fatalf("reload error %v: want more than 10 diagnostics for the test", err)
	}
	var summary, each, more int
	for line := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
		if strings.Contains(line, `\n`) {
			t.Errorf("a log record holds several lines: %s", line)
		}
		switch {
		case strings.Contains(line, "flows not reloaded") && strings.Contains(line, "problems="+strconv.Itoa(len(ds))):
			summary++
		case strings.Contains(line, "and "+strconv.Itoa(len(ds)-10)+" more problems"):
			more++
		case strings.Contains(line, `msg="flows: `) && strings.Contains(line, "flows.yaml:"):
			each++
		}
	}
	if summary != 1 || each != 10 || more != 1 {
		t.Errorf("logged %d summaries, %d problems and %d 'more' lines; want 1, 10, 1:\n%s", summary, each, more, logs.String())
	}
}

package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/store"
	"github.com/calmbot/calmbot/store/sqlite"
)

func TestRetentionFlags(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		flag, mode, envAge, envMode string
		keep                        time.Duration
		want                        store.PruneMode
		err                         string
	}{
		{keep: 0, want: store.PruneDelete}, // the default: keep for ever
		{flag: "90d", keep: 90 * day, want: store.PruneDelete},
		{flag: "2160h", mode: "anonymise", keep: 90 * day, want: store.PruneAnonymise},
		{flag: "30d", mode: "Anonymize", keep: 30 * day, want: store.PruneAnonymise},
		{envAge: "7d", envMode: "anonymise", keep: 7 * day, want: store.PruneAnonymise},
		{flag: "1d", envAge: "7d", mode: "delete", envMode: "anonymise", keep: day, want: store.PruneDelete}, // flags win
		{flag: "0", envAge: "7d", keep: 0, want: store.PruneDelete},                                          // an explicit 0 keeps for ever
		{flag: "forever", keep: 0, want: store.PruneDelete},
		{flag: "12h", err: "at least 1d"},
		{flag: "0d", err: "at least 1d"},
		{flag: "-3d", err: "number of days"},
		{flag: "ninety days", err: "number of days"},
		{flag: "90d", mode: "shred", err: "delete or anonymise"},
	}
	for _, tt := range tests {
		name := tt.flag + "/" + tt.mode + "/" + tt.envAge + "/" + tt.envMode
		t.Run(name, func(t *testing.T) {
			vars := map[string]string{"CALMBOT_RETENTION": tt.envAge, "CALMBOT_RETENTION_MODE": tt.envMode}
			e := &env{getenv: func(k string) string { return vars[k] }}
			r, err := e.retention(tt.flag, tt.mode)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("retention(%q, %q) = %+v, %v; want an error saying %q", tt.flag, tt.mode, r, err, tt.err)
				}
				return
			}
			if err != nil || r.keep != tt.keep || r.mode != tt.want {
				t.Errorf("retention(%q, %q) = %+v, %v; want %v then %s", tt.flag, tt.mode, r, err, tt.keep, tt.want)
			}
		})
	}
}

// fakePruner records the cutoffs it was asked for.
type fakePruner struct {
	mu     sync.Mutex
	calls  []time.Time
	fail   error
	called chan struct{}
}

func (f *fakePruner) Prune(_ context.Context, before time.Time, mode store.PruneMode) (int, error) {
	f.mu.Lock()
	f.calls = append(f.calls, before)
	err := f.fail
	f.mu.Unlock()
	f.called <- struct{}{}
	return 0, err
}

func TestRetainPrunesAtStartAndEveryTick(t *testing.T) {
	f := &fakePruner{called: make(chan struct{}), fail: errors.New("disk full")}
	var logs syncBuffer
	tick := make(chan time.Time)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		retain(ctx, f, retention{keep: 30 * 24 * time.Hour, mode: store.PruneAnonymise}, slog.New(slog.NewTextHandler(&logs, nil)), tick)
	}()
	<-f.called // at start, failing: logged, and tried again at the next tick
	f.mu.Lock()
	f.fail = nil
	f.mu.Unlock()
	tick <- time.Now()
	<-f.called
	cancel()
	<-done
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.calls) != 2 {
		t.Fatalf("%d prunes, want 2", len(f.calls))
	}
	if age := start.Sub(f.calls[0]); age < 30*24*time.Hour-time.Minute || age > 30*24*time.Hour+time.Minute {
		t.Errorf("pruned before %v, want 30 days ago", f.calls[0])
	}
	if got := logs.String(); !strings.Contains(got, "level=ERROR") || !strings.Contains(got, "disk full") {
		t.Errorf("log:\n%s", got)
	}
}

func TestServeRefusesBadRetention(t *testing.T) {
	for _, args := range [][]string{{"--retention", "12h"}, {"--retention", "90d", "--retention-mode", "shred"}} {
		r := runCmd(t, "", append([]string{"serve", "--db", filepath.Join(t.TempDir(), "x.db")}, args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, "--retention") {
			t.Errorf("serve %q: exit %d\n%s", args, r.code, r.stderr)
		}
	}
}

// TestServeRetention: `calmbot serve --retention 30d` prunes an old
// conversation at start and keeps a recent one.
func TestServeRetention(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "calmbot.db")
	st, err := sqlite.Open(ctx, db, sqlite.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	for name, updated := range map[string]time.Time{"old": time.Now().AddDate(0, 0, -31), "recent": time.Now().AddDate(0, 0, -29)} {
		a := bot.Address{Channel: "web", Conversation: name}
		if _, err := st.Commit(ctx, &bot.Turn{Address: a,
			Inbound: []bot.Entry{{Seq: 1, Direction: bot.Inbound, PlatformID: "1", Text: "hello", At: updated}},
			State:   &bot.Snapshot{Address: a, Status: bot.StatusEnded, Seq: 1, Processed: 1, Started: updated, Updated: updated}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	_, stderr, stop := startServer(t, "--db", db, "--retention", "30d")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), "old conversations pruned") {
		if time.Now().After(deadline) {
			t.Fatalf("no prune logged:\n%s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond) // polling the log
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := stderr.String(); !strings.Contains(got, "count=1") || !strings.Contains(got, "kept 30d, then delete") {
		t.Errorf("log:\n%s", got)
	}
	st, err = sqlite.Open(ctx, db, sqlite.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Load(ctx, bot.Address{Channel: "web", Conversation: "old"}); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("old conversation: %v, want it pruned", err)
	}
	if _, err := st.Load(ctx, bot.Address{Channel: "web", Conversation: "recent"}); err != nil {
		t.Errorf("recent conversation: %v", err)
	}
}

// TestPruneLeases: serve's lease pruner deletes the expired leases at
// every tick, keeps the live ones, and stops with its context.
func TestPruneLeases(t *testing.T) {
	var l bot.LocalLeases
	ctx, cancel := context.WithCancel(context.Background())
	a := func(s string) bot.Address { return bot.Address{Channel: "web", Conversation: s} }
	for _, c := range []string{"x", "y", "z"} {
		if ok, err := l.Lease(ctx, a(c), "crashed", time.Nanosecond); err != nil || !ok {
			t.Fatal(ok, err)
		}
	}
	if ok, err := l.Lease(ctx, a("live"), "one", time.Hour); err != nil || !ok {
		t.Fatal(ok, err)
	}
	tick, done := make(chan time.Time), make(chan struct{})
	go func() {
		defer close(done)
		pruneLeases(ctx, &l, 0, slog.New(slog.NewTextHandler(io.Discard, nil)), tick)
	}()
	tick <- time.Now()
	tick <- time.Now() // the first tick's pruning is over
	if n, err := l.PruneLeases(ctx, 0); err != nil || n != 0 {
		t.Errorf("after the pruner's ticks, %d expired leases were left (%v); want 0", n, err)
	}
	if ok, _ := l.Lease(ctx, a("live"), "two", time.Minute); ok {
		t.Error("the live lease was pruned")
	}
	cancel()
	<-done
}

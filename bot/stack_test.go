package bot_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/bot/intent"
	"github.com/calmbot/calmbot/flows"
	"github.com/calmbot/calmbot/store/sqlite"
)

// TestTurnsLeaveTheCallersStackSmall checks that a turn, on SQLite and
// the intent analyzer, leaves its worker's stack small: the engine runs
// each conversation's turns on a goroutine of their own, whose stack
// would grow (and be copied) on every turn, and Go gives every new
// goroutine a stack as large as the average.
func TestTurnsLeaveTheCallersStackSmall(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes every stack larger")
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "stack.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	var held atomic.Int32
	release := make(chan struct{})
	store := &hookedStore{Store: st}
	analyzer := func(f *flows.File) (bot.Analyzer, error) { return intent.New(f) }
	e, err := bot.New(ctx, store, loadTestFlows(t), analyzer, bot.WithQuietWindow(0),
		bot.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	e.Register(bottest.Channel, bottest.NewSender())
	say := func(conv string) error {
		return e.Handle(ctx, bot.Message{Address: bot.Address{Channel: bottest.Channel, Conversation: conv}, ID: "1",
			Text: "my parcel still has not arrived, this is ridiculous"})
	}
	if err := say("warm"); err != nil {
		t.Fatal(err)
	}
	// Each turn waits in its commit, once analysed, until all are there.
	store.hook = func(tr *bot.Turn) {
		if len(tr.Outbound) > 0 {
			held.Add(1)
			<-release
		}
	}
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // a collection would shrink the stacks measured
	const n = 100
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	errs := make(chan error, n)
	for i := range n {
		go func() { errs <- say(fmt.Sprint("c", i)) }()
	}
	for deadline := time.Now().Add(10 * time.Second); held.Load() < n; runtime.Gosched() {
		if time.Now().After(deadline) {
			close(release)
			t.Fatalf("%d of %d turns reached their commit", held.Load(), n)
		}
	}
	runtime.ReadMemStats(&after)
	close(release)
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	// Each conversation has two goroutines: the caller's of Handle and its worker.
	per := (int64(after.StackInuse) - int64(before.StackInuse)) / n
	t.Logf("%d B of stack per conversation in a turn", per)
	if per > 24<<10 {
		t.Errorf("%d KiB of stack per conversation in a turn, want at most 24 KiB", per>>10)
	}
}

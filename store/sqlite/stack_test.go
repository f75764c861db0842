package sqlite

import (
	"context"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"

	"github.com/calmbot/calmbot/bot"
)

// TestReadsLeaveTheCallersStackSmall checks that the reads of a turn keep
// the caller's goroutine stack small (modernc.org/sqlite keeps C frames off it):
// a read that grew it would grow every engine worker that reads, and with them
// the stack Go gives every new goroutine, which follows the average.
func TestReadsLeaveTheCallersStackSmall(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes every stack larger")
	}
	s, _ := openStore(t)
	ctx := context.Background()
	mustCommit(t, s, turn(addr("a"), 1, "1", "hello"))
	reads := func() {
		if _, err := s.Load(ctx, addr("a")); err != nil {
			t.Error(err)
		}
		if _, err := s.Transcript(ctx, addr("a")); err != nil {
			t.Error(err)
		}
		if _, err := s.Received(ctx, addr("a"), []string{"1"}); err != nil {
			t.Error(err)
		}
		if _, err := s.Pending(ctx, 0, 10); err != nil {
			t.Error(err)
		}
		if _, err := s.Load(ctx, bot.Address{Channel: "test", Conversation: "none"}); err == nil {
			t.Error("Load of an unknown conversation: no error")
		}
	}
	reads()
	// No collection meanwhile: it would shrink the stacks measured.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	const n = 100
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	release := make(chan struct{})
	var ready sync.WaitGroup
	for range n {
		ready.Add(1)
		go func() {
			reads()
			ready.Done()
			<-release
		}()
	}
	ready.Wait()
	runtime.ReadMemStats(&after)
	close(release)
	per := (int64(after.StackInuse) - int64(before.StackInuse)) / n
	t.Logf("%d B of stack per goroutine that read", per)
	if per > 12<<10 {
		t.Errorf("%d KiB of stack per goroutine that read, want at most 12 KiB", per>>10)
	}
}

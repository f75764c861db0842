package intent

import (
	"context"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"

	"github.com/calmbot/calmbot/bot"
)

// TestAnalyzeLeavesTheStackSmall checks that a turn's working memory
// (tokens, features, scores, stems) is not on the caller's stack: the
// engine analyses every turn on a fresh goroutine, whose stack would grow
// (and be copied) to hold it on every turn, and with it the stack Go gives
// every new goroutine, which follows the average.
func TestAnalyzeLeavesTheStackSmall(t *testing.T) {
	a := newDefaultAnalyzer(t)
	ctx := context.Background()
	in := bot.AnalyzeInput{Text: "I ordered a new phone two weeks ago and my parcel still hasn't arrived, this is ridiculous! not the refund, the second one",
		Lang: "en", Choices: []bot.Choice{{ID: "track", Label: "Track it"}, {ID: "resend", Label: "Send a new one"}}}
	a.Analyze(ctx, in)
	// No collection meanwhile: it would shrink the stacks measured.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	const n = 200
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	release := make(chan struct{})
	var ready sync.WaitGroup
	for range n {
		ready.Add(1)
		go func() {
			a.Analyze(ctx, in)
			ready.Done()
			<-release
		}()
	}
	ready.Wait()
	runtime.ReadMemStats(&after)
	close(release)
	per := (int64(after.StackInuse) - int64(before.StackInuse)) / n
	t.Logf("%d B of stack per goroutine that analysed a turn", per)
	if per > 12<<10 {
		t.Errorf("%d KiB of stack per goroutine that analysed a turn, want at most 12 KiB", per>>10)
	}
}

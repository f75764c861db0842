package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
)

// BenchmarkCommitParallel measures group commit with the engine's typical
// turn (one inbound message, one reply, a new snapshot), each goroutine
// playing one conversation, with PRAGMA synchronous=FULL on the real disk.
//
//	go test -run '^$' -bench 'Commit(Parallel|Floor)' -benchtime 20000x ./store/sqlite/
//
// BenchmarkCommitFloor, in the same run, is the floor to read it against.
func BenchmarkCommitParallel(b *testing.B) {
	for _, conv := range []int{1, 64, 100, 1024} {
		b.Run(fmt.Sprintf("conversations=%d", conv), func(b *testing.B) {
			benchCommit(b, conv, 1)
		})
	}
	b.Run("conversations=1024/replies=2", func(b *testing.B) {
		benchCommit(b, 1024, 2)
	})
}

func benchCommit(b *testing.B, conversations, replies int) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.SetParallelism(max(1, conversations/runtime.GOMAXPROCS(0)))
	var next atomic.Int64
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	cpu0, cpuOK := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		n := next.Add(1)
		addr := bot.Address{Channel: "bench", Conversation: "c" + strconv.FormatInt(n, 10)}
		sn := &bot.Snapshot{Address: addr, Status: bot.StatusBot, Lang: "en", FlowsVersion: "h1",
			Flow: "late_delivery", State: "confirm", Visited: map[string]int{"acknowledge": 1}, Started: start}
		seq := int64(0)
		for pb.Next() {
			base := seq
			seq++
			in := seq
			t := &bot.Turn{
				Address: addr,
				Base:    base,
				Inbound: []bot.Entry{{Seq: in, PlatformID: addr.Conversation + "-" + strconv.FormatInt(in, 10),
					Text: "my order hasn't arrived", At: start,
					Analysis: &bot.Analysis{Lang: "en", Sentiment: -0.4, Label: "negative", Intent: "late_delivery", IntentScore: 0.8, InScope: true}}},
				State: sn,
			}
			for range replies {
				seq++
				t.Outbound = append(t.Outbound, bot.Entry{Seq: seq, Text: "Thank you for telling us.", At: start,
					Flow: "late_delivery", State: "confirm"})
			}
			sn.Seq, sn.Processed, sn.Updated = seq, in, start.Add(time.Duration(seq))
			res, err := s.Commit(ctx, t)
			if err != nil {
				b.Error(err)
				return
			}
			if res.Duplicate || len(res.OutboxIDs) != replies {
				b.Errorf("got %+v", res)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
	if cpu1, ok := cpuTime(); ok && cpuOK {
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	}
}

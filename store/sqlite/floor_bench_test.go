package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/calmbot/calmbot/internal/floor"
)

// BenchmarkCommitFloor is the floor BenchmarkCommitParallel is read
// against, in the same run: the least a durable turn can cost with this
// driver and these PRAGMAs (WAL, synchronous=FULL, the store's DSN). Each
// goroutine plays one conversation; a writer goroutine group-commits what
// is waiting, as the store's does, but a turn is only one UPDATE ...
// RETURNING of a small conversation row and one two-row INSERT into a
// table with no index but its key (internal/floor), each prepared once:
// no JSON, no outbox, no handoff, no compare-and-swap. The store's cpu-µs/op divided by this one's is what
// calmbot's schema and writer add to SQLite's own cost.
//
//	go test -run '^$' -bench 'Commit(Parallel|Floor)' -benchtime 20000x ./store/sqlite/
func BenchmarkCommitFloor(b *testing.B) {
	for _, conv := range []int{64, 100, 1024} {
		b.Run(fmt.Sprintf("conversations=%d", conv), func(b *testing.B) {
			benchFloor(b, conv)
		})
	}
}

func benchFloor(b *testing.B, conversations int) {
	ctx := context.Background()
	db := openWriterDB(b, filepath.Join(b.TempDir(), "floor.db"), defaultConfig())
	db.SetMaxOpenConns(1)
	w, err := floor.NewWriter(ctx, db, conversations)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	for range conversations {
		if _, err := w.Create(ctx); err != nil {
			b.Fatal(err)
		}
	}

	b.SetParallelism(max(1, conversations/runtime.GOMAXPROCS(0)))
	var next atomic.Int64
	b.ReportAllocs()
	cpu0, cpuOK := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		conv := next.Add(1)
		for pb.Next() {
			if err := w.Turn(ctx, conv, "my order hasn't arrived"); err != nil {
				b.Error(err)
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

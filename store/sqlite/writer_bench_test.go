package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
)

// BenchmarkWriteBatch measures the writer alone, on one goroutine: what one
// turn (one inbound message, one reply, a snapshot) costs inside batches of
// 512, commit included, without the queue, the callers or JSON encoding.
// The store cannot commit more turns per second than 1s / (its ns/op).
//
//	go test -run '^$' -bench WriteBatch -benchtime 100000x ./store/sqlite/
func BenchmarkWriteBatch(b *testing.B) {
	for _, conv := range []int{64, 1024} {
		b.Run(fmt.Sprintf("conversations=%d", conv), func(b *testing.B) {
			benchWriteBatch(b, conv)
		})
	}
}

func benchWriteBatch(b *testing.B, conversations int) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "bench.db")
	s, err := Open(ctx, path) // creates the schema
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	db := openWriterDB(b, path, s.cfg)
	conn, err := db.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()

	seqs := make([]int64, conversations)
	next := func(i int) *request {
		c := i % conversations
		seqs[c] += 2
		a := bot.Address{Channel: "bench", Conversation: "c" + strconv.Itoa(c)}
		tr := turn(a, seqs[c]-1, a.Conversation+"-"+strconv.FormatInt(seqs[c], 10), "Thank you for telling us.")
		tr.Inbound[0].Analysis = &bot.Analysis{Lang: "en", Sentiment: -0.4, Label: "negative",
			Intent: "late_delivery", IntentScore: 0.8, InScope: true}
		r := newRequest()
		if err := r.encodeTurn(tr); err != nil {
			b.Fatal(err)
		}
		r.state.Store(stateClaimed)
		return r
	}
	err = conn.Raw(func(dc any) error {
		w, err := newWriter(ctx, dc)
		if err != nil {
			return err
		}
		defer w.close()
		const size = 512
		batch := make([]*request, 0, size)
		b.ReportAllocs()
		b.ResetTimer()
		var cpu time.Duration // in writeTx
		for i := 0; i < b.N; {
			b.StopTimer()
			batch = batch[:0]
			for ; len(batch) < size && i < b.N; i++ {
				batch = append(batch, next(i))
			}
			b.StartTimer()
			c0, _ := cpuTime()
			if err := s.writeTx(ctx, w, batch); err != nil {
				return err
			}
			c1, _ := cpuTime()
			cpu += c1 - c0
			for _, r := range batch {
				if r.err != nil {
					return r.err
				}
			}
		}
		if _, ok := cpuTime(); ok {
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// openWriterDB opens path with the writer's DSN for cfg (its PRAGMAs),
// closed when the benchmark ends.
func openWriterDB(b *testing.B, path string, cfg config) *sql.DB {
	b.Helper()
	wdsn, _, _, err := dsns(path, cfg)
	if err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("sqlite", wdsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	return db
}

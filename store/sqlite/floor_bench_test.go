package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
)

// BenchmarkCommitFloor is the floor BenchmarkCommitParallel is read
// against, in the same run: the least a durable turn can cost with this
// driver and these PRAGMAs (WAL, synchronous=FULL, the store's DSN). Each
// goroutine plays one conversation; a writer goroutine group-commits what
// is waiting, as the store's does, but a turn is only one UPDATE ...
// RETURNING of a two-column conversation row and one two-row INSERT into
// a table with no index but its key: no JSON, no outbox, no handoff, no
// compare-and-swap. The store's cpu-µs/op divided by this one's is what
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

// floorTurn is one conversation's turn for the floor's writer.
type floorTurn struct {
	conv int64
	text string
	done chan error
}

func benchFloor(b *testing.B, conversations int) {
	ctx := context.Background()
	db := openWriterDB(b, filepath.Join(b.TempDir(), "floor.db"), defaultConfig())
	db.SetMaxOpenConns(1)
	for _, q := range []string{
		`CREATE TABLE conv (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, state TEXT NOT NULL)`,
		`CREATE TABLE msg (conv INTEGER NOT NULL, seq INTEGER NOT NULL, dir INTEGER NOT NULL, text TEXT NOT NULL, PRIMARY KEY (conv, seq))`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	for i := range conversations {
		if _, err := db.ExecContext(ctx, `INSERT INTO conv (id, seq, state) VALUES (?, 0, '')`, i+1); err != nil {
			b.Fatal(err)
		}
	}
	queue := make(chan *floorTurn, conversations)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		floorWriter(ctx, db, queue)
	}()
	defer func() { close(queue); <-stopped }()

	b.SetParallelism(max(1, conversations/runtime.GOMAXPROCS(0)))
	var next atomic.Int64
	b.ReportAllocs()
	cpu0, cpuOK := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		t := &floorTurn{conv: next.Add(1), text: "my order hasn't arrived", done: make(chan error, 1)}
		for pb.Next() {
			queue <- t
			if err := <-t.done; err != nil {
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

// floorWriter commits the turns of queue in batches of what is waiting,
// until queue is closed.
func floorWriter(ctx context.Context, db *sql.DB, queue chan *floorTurn) {
	batch := make([]*floorTurn, 0, cap(queue))
	for t := range queue {
		batch = append(batch[:0], t)
	more:
		for len(batch) < cap(batch) {
			select {
			case t, ok := <-queue:
				if !ok {
					break more
				}
				batch = append(batch, t)
			default:
				break more
			}
		}
		err := floorCommit(ctx, db, batch)
		for _, t := range batch {
			t.done <- err
		}
	}
}

func floorCommit(ctx context.Context, db *sql.DB, batch []*floorTurn) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, t := range batch {
		var seq int64
		if err := tx.QueryRowContext(ctx, `UPDATE conv SET seq = seq + 2, state = ? WHERE id = ? RETURNING seq`,
			`{"flow":"late_delivery","state":"confirm"}`, t.conv).Scan(&seq); err != nil {
			return fmt.Errorf("update conversation %d: %w", t.conv, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO msg (conv, seq, dir, text) VALUES (?, ?, 0, ?), (?, ?, 1, ?)`,
			t.conv, seq-1, t.text, t.conv, seq, "Thank you for telling us."); err != nil {
			return fmt.Errorf("insert messages %d: %w", t.conv, err)
		}
	}
	return tx.Commit()
}

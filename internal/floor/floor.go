// Package floor is the least a durable chat turn can cost with calmbot's
// own components, to read calmbot's figures against: a writer that
// group-commits each turn as two SQL statements (one UPDATE ... RETURNING
// of a small conversation row and one two-row INSERT into a table with no
// index but its key), and Handler, the web chat's HTTP shape around it
// (the same routes, JSON in and out and a bearer-token check) with no
// engine. BenchmarkCommitFloor (store/sqlite) and cmd/httpfloor use it.
package floor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// schema creates the floor's two tables.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS conv (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, state TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS msg (conv INTEGER NOT NULL, seq INTEGER NOT NULL, dir INTEGER NOT NULL,
		text TEXT NOT NULL, PRIMARY KEY (conv, seq))`,
}

// Reply is the text every turn stores as the bot's answer.
const Reply = "Thank you for telling us."

// ErrClosed is returned for work handed to a closed Writer.
var ErrClosed = errors.New("floor: writer closed")

// Writer commits turns and new conversations on one connection, in
// batches of whatever is waiting when the last batch is done, as
// calmbot's SQLite writer does.
type Writer struct {
	db                     *sql.DB
	create, update, insert *sql.Stmt // prepared once, as calmbot's are
	queue                  chan *job
	mu                     sync.RWMutex // guards closed against sends on queue
	closed                 bool
	stopped                chan struct{}
}

// job is one conversation to create (conv 0) or one turn of conv.
type job struct {
	conv int64
	text string
	id   int64 // the new conversation's id
	done chan error
}

// NewWriter creates the schema in db, which must hold one connection to a
// SQLite database, and starts the writer; batch bounds a commit's jobs.
func NewWriter(ctx context.Context, db *sql.DB, batch int) (*Writer, error) {
	for _, q := range schema {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("floor: schema: %w", err)
		}
	}
	w := &Writer{db: db, queue: make(chan *job, max(1, batch)), stopped: make(chan struct{})}
	for _, p := range []struct {
		st **sql.Stmt
		q  string
	}{
		{&w.create, `INSERT INTO conv (seq, state) VALUES (0, '') RETURNING id`},
		{&w.update, `UPDATE conv SET seq = seq + 2, state = ? WHERE id = ? RETURNING seq`},
		{&w.insert, `INSERT INTO msg (conv, seq, dir, text) VALUES (?, ?, 0, ?), (?, ?, 1, ?)`},
	} {
		st, err := db.PrepareContext(ctx, p.q)
		if err != nil {
			return nil, fmt.Errorf("floor: prepare: %w", err)
		}
		*p.st = st
	}
	go w.loop()
	return w, nil
}

// Create stores a new conversation and returns its id.
func (w *Writer) Create(ctx context.Context) (int64, error) {
	j := &job{done: make(chan error, 1)}
	if err := w.do(ctx, j); err != nil {
		return 0, err
	}
	return j.id, nil
}

// Turn stores a customer's text and the bot's Reply in conversation conv,
// durably once it returns nil.
func (w *Writer) Turn(ctx context.Context, conv int64, text string) error {
	return w.do(ctx, &job{conv: conv, text: text, done: make(chan error, 1)})
}

func (w *Writer) do(ctx context.Context, j *job) error {
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return ErrClosed
	}
	select {
	case w.queue <- j:
		w.mu.RUnlock()
	case <-ctx.Done():
		w.mu.RUnlock()
		return ctx.Err()
	}
	return <-j.done // the writer answers every job it took
}

// Close stops the writer once what was handed to it is committed.
func (w *Writer) Close() error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.queue)
	}
	w.mu.Unlock()
	<-w.stopped
	return errors.Join(w.create.Close(), w.update.Close(), w.insert.Close())
}

func (w *Writer) loop() {
	defer close(w.stopped)
	batch := make([]*job, 0, cap(w.queue))
	for j := range w.queue {
		batch = append(batch[:0], j)
	more:
		for len(batch) < cap(batch) {
			select {
			case j, ok := <-w.queue:
				if !ok {
					break more
				}
				batch = append(batch, j)
			default:
				break more
			}
		}
		err := w.commit(batch)
		for _, j := range batch {
			j.done <- err
		}
	}
}

func (w *Writer) commit(batch []*job) error {
	ctx := context.Background() // a started batch is finished
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("floor: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	for _, j := range batch {
		if j.conv == 0 {
			if err := tx.StmtContext(ctx, w.create).QueryRowContext(ctx).Scan(&j.id); err != nil {
				return fmt.Errorf("floor: create conversation: %w", err)
			}
			continue
		}
		var seq int64
		if err := tx.StmtContext(ctx, w.update).QueryRowContext(ctx, `{"flow":"late_delivery","state":"confirm"}`, j.conv).Scan(&seq); err != nil {
			return fmt.Errorf("floor: update conversation %d: %w", j.conv, err)
		}
		if _, err := tx.StmtContext(ctx, w.insert).ExecContext(ctx, j.conv, seq-1, j.text, j.conv, seq, Reply); err != nil {
			return fmt.Errorf("floor: insert messages %d: %w", j.conv, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("floor: commit: %w", err)
	}
	return nil
}

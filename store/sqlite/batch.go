package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/calmbot/calmbot/bot"
)

// The writer goroutine works on its connection at the driver level: its
// statements are prepared once and keep their argument slices, which saves
// database/sql's per-call locking and conversions on the hot path.

// dstmt is a statement prepared on the writer's connection.
type dstmt struct {
	st    driver.Stmt
	exec  driver.StmtExecContext
	query driver.StmtQueryContext
	args  []driver.NamedValue
	dest  []driver.Value
}

func prepareDriver(ctx context.Context, conn driver.ConnPrepareContext, query string) (*dstmt, error) {
	st, err := conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare %q: %w", query, err)
	}
	exec, ok1 := st.(driver.StmtExecContext)
	q, ok2 := st.(driver.StmtQueryContext)
	if !ok1 || !ok2 {
		_ = st.Close()
		return nil, errors.New("driver statements lack ExecContext or QueryContext")
	}
	return &dstmt{st: st, exec: exec, query: q, dest: make([]driver.Value, 1)}, nil
}

// set binds vals, which must be driver.Value types (int64, string, []byte
// or nil), in order.
func (d *dstmt) set(vals []any) []driver.NamedValue {
	for len(d.args) < len(vals) {
		d.args = append(d.args, driver.NamedValue{Ordinal: len(d.args) + 1})
	}
	for i, v := range vals {
		d.args[i].Value = v
	}
	return d.args[:len(vals)]
}

// unset drops the references to the last arguments.
func (d *dstmt) unset() {
	for i := range d.args {
		d.args[i].Value = nil
	}
}

// Exec runs the statement with vals.
func (d *dstmt) Exec(ctx context.Context, vals ...any) (driver.Result, error) {
	defer d.unset()
	return d.exec.ExecContext(ctx, d.set(vals))
}

// QueryInt64 runs a statement that returns one integer, such as an
// INSERT ... RETURNING id.
func (d *dstmt) QueryInt64(ctx context.Context, vals ...any) (int64, error) {
	defer d.unset()
	rows, err := d.query.QueryContext(ctx, d.set(vals))
	if err != nil {
		return 0, err
	}
	err = rows.Next(d.dest)
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, io.EOF) {
		return 0, errNoRow
	}
	if err != nil {
		return 0, err
	}
	v := d.dest[0]
	d.dest[0] = nil
	n, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("got %T, want an integer", v)
	}
	return n, nil
}

// errNoRow is QueryInt64's error for a statement that returned no row.
var errNoRow = errors.New("no row returned")

// QueryInt64s runs a statement that returns rows of one integer each.
func (d *dstmt) QueryInt64s(ctx context.Context, vals ...any) ([]int64, error) {
	defer d.unset()
	rows, err := d.query.QueryContext(ctx, d.set(vals))
	if err != nil {
		return nil, err
	}
	var out []int64
	for {
		if err = rows.Next(d.dest); err != nil {
			break
		}
		v := d.dest[0]
		d.dest[0] = nil
		n, ok := v.(int64)
		if !ok {
			err = fmt.Errorf("got %T, want an integer", v)
			break
		}
		out = append(out, n)
	}
	if cerr := rows.Close(); errors.Is(err, io.EOF) {
		err = cerr
	}
	return out, err
}

// maxKnown bounds the writer's map of conversation ids; past it the map
// starts afresh. Ended conversations leave it at once, so it holds the
// open ones (and those abandoned without an end): 16,384 ids are ~1.5 MiB;
// a conversation not in it is written by address, one indexed lookup more.
const maxKnown = 1 << 14

// maxRows is the most rows one INSERT of a turn's messages holds; a turn
// with more is written in several.
const maxRows = 8

// markSizes is how many MarkSent statements there are: they mark 1, 2, 4,
// ..., 64 ids.
const markSizes = 7 // 1, 2, 4, ..., 64

// writer holds the writer goroutine's connection and statements.
type writer struct {
	prep  driver.ConnPrepareContext
	begin driver.ConnBeginTx
	exec  driver.ExecerContext // for kindExec; nil when the driver lacks it

	// known maps committed conversations to their ids, so that a turn
	// updates its conversation by id rather than by an upsert on the
	// address. added holds the ids learnt in the current transaction, and
	// turnID the one learnt by the current turn: each is kept only once the
	// turn, then the transaction, is written.
	known  map[bot.Address]int64
	added  map[bot.Address]int64
	turnID int64

	// written counts requests committed since the checkpointer was woken.
	written int

	// rows is insertRows' scratch space.
	rows []rowRef

	savepoint, release, rollbackTo *dstmt
	upsertSnapshot, touch          *dstmt
	updateSnapshot, raiseLastIn    *dstmt
	updateSnapshotAt               *dstmt
	analysed                       *dstmt
	insertHandoff, upsertRating    *dstmt
	saveFlows                      *dstmt
	seq, stored, claim             *dstmt
	// markSent[k] marks 1<<k ids sent, prepared when first needed.
	markSent [markSizes]*dstmt
	// insertRows[i][o] inserts i inbound then o outbound rows
	// (sqlInsertRows, i+o <= maxRows), prepared when first needed.
	insertRows [maxRows + 1][maxRows + 1]*dstmt
}

// rowRef is one row of a turn's INSERT: its seq, whether it is inbound,
// its index in Turn.Inbound or Turn.Outbound, and the id it got.
type rowRef struct {
	seq int64
	in  bool
	i   int
	id  int64
}

func newWriter(ctx context.Context, dc any) (*writer, error) {
	prep, ok1 := dc.(driver.ConnPrepareContext)
	begin, ok2 := dc.(driver.ConnBeginTx)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("driver connection %T lacks PrepareContext or BeginTx", dc)
	}
	w := &writer{prep: prep, begin: begin, known: make(map[bot.Address]int64), added: make(map[bot.Address]int64)}
	w.exec, _ = dc.(driver.ExecerContext)
	for _, p := range []struct {
		dst   **dstmt
		query string
	}{
		{&w.savepoint, sqlSavepoint}, {&w.release, sqlRelease}, {&w.rollbackTo, sqlRollbackTo},
		{&w.upsertSnapshot, sqlUpsertSnapshot}, {&w.touch, sqlTouch},
		{&w.updateSnapshot, sqlUpdateSnapshot}, {&w.raiseLastIn, sqlRaiseLastIn},
		{&w.updateSnapshotAt, sqlUpdateSnapshotAt},
		{&w.analysed, sqlAnalysed},
		{&w.insertHandoff, sqlInsertHandoff}, {&w.upsertRating, sqlUpsertRating},
		{&w.saveFlows, sqlSaveFlows},
		{&w.seq, sqlSeq}, {&w.stored, sqlStored}, {&w.claim, sqlClaim},
	} {
		d, err := prepareDriver(ctx, prep, p.query)
		if err != nil {
			w.close()
			return nil, err
		}
		*p.dst = d
	}
	// The common shapes, so that a bad statement fails Open.
	for _, n := range [][2]int{{1, 1}, {1, 2}} {
		if _, err := w.insertStmt(ctx, n[0], n[1]); err != nil {
			w.close()
			return nil, err
		}
	}
	return w, nil
}

// insertStmt returns the statement that inserts in inbound rows, then out
// outbound ones (1 <= in+out <= maxRows).
func (w *writer) insertStmt(ctx context.Context, in, out int) (*dstmt, error) {
	if d := w.insertRows[in][out]; d != nil {
		return d, nil
	}
	var q strings.Builder
	q.WriteString(sqlInsertRows)
	for i := range in + out {
		if i > 0 {
			q.WriteString(", ")
		}
		if i < in {
			q.WriteString(inValues)
		} else {
			q.WriteString(outValues)
		}
	}
	q.WriteString(insertRowsTail)
	d, err := prepareDriver(ctx, w.prep, q.String())
	if err != nil {
		return nil, err
	}
	d.set(make([]any, in*inColumns+out*outColumns)) // sizes d.args
	w.insertRows[in][out] = d
	return d, nil
}

// markStmt returns the statement that marks 1<<k ids sent.
func (w *writer) markStmt(ctx context.Context, k int) (*dstmt, error) {
	if d := w.markSent[k]; d != nil {
		return d, nil
	}
	n := 1 << k
	q := sqlMarkSent + "(?" + strings.Repeat(", ?", n-1) + ")"
	d, err := prepareDriver(ctx, w.prep, q)
	if err != nil {
		return nil, err
	}
	d.set(make([]any, n)) // sizes d.args
	w.markSent[k] = d
	return d, nil
}

// markSentIDs marks ids sent: 64 at a time, the rest in one statement
// whose list is padded to the next size with the last id.
func (w *writer) markSentIDs(ctx context.Context, ids []int64) error {
	for len(ids) > 0 {
		m := min(len(ids), 1<<(markSizes-1))
		k := bits.Len(uint(m - 1)) // 1<<k >= m
		d, err := w.markStmt(ctx, k)
		if err != nil {
			return err
		}
		for i := range 1 << k {
			d.args[i].Value = ids[min(i, m-1)]
		}
		_, err = d.exec.ExecContext(ctx, d.args[:1<<k])
		d.unset()
		if err != nil {
			return fmt.Errorf("sqlite: mark sent %d to %d: %w", ids[0], ids[m-1], err)
		}
		ids = ids[m:]
	}
	return nil
}

func (w *writer) close() {
	list := []*dstmt{w.savepoint, w.release, w.rollbackTo, w.upsertSnapshot, w.touch,
		w.updateSnapshot, w.raiseLastIn, w.updateSnapshotAt,
		w.analysed, w.insertHandoff, w.upsertRating, w.saveFlows, w.seq, w.stored, w.claim}
	for i := range w.insertRows {
		list = append(list, w.insertRows[i][:]...)
	}
	list = append(list, w.markSent[:]...)
	for _, d := range list {
		if d != nil {
			_ = d.st.Close()
		}
	}
}

// run is the writer goroutine. It owns conn for the store's life; ready
// receives the outcome of preparing its statements. It returns when Close
// closed reqs and the last batch was written.
func (s *Store) run(ctx context.Context, conn *sql.Conn, ready chan<- error) {
	defer close(s.stopped)
	started := false
	err := conn.Raw(func(dc any) error {
		w, err := newWriter(ctx, dc)
		started = true
		ready <- err
		if err != nil {
			return err
		}
		defer w.close()
		s.loop(ctx, w)
		return nil
	})
	if !started {
		ready <- err
	}
}

// loop takes what is queued, up to a batch, writes it in one transaction
// and answers every request of the batch.
func (s *Store) loop(ctx context.Context, w *writer) {
	batch := make([]*request, 0, s.cfg.maxBatch)
	last := 0 // size of the previous batch
	for r := range s.reqs {
		if last > 1 {
			// Under load, the callers just answered are about to queue
			// their next requests: let them, for a fuller batch.
			runtime.Gosched()
		}
		batch = append(batch[:0], r)
	drain:
		for len(batch) < s.cfg.maxBatch {
			select {
			case r, ok := <-s.reqs:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		if h := s.cfg.hooks.beforeBatch; h != nil {
			h(len(batch))
		}
		s.writeBatch(ctx, w, batch)
		if h := s.cfg.hooks.afterBatch; h != nil {
			h(len(w.known))
		}
		last = len(batch)
		clear(batch)
	}
}

// errAbort marks an error after which the transaction cannot go on.
type errAbort struct{ err error }

func (e *errAbort) Error() string { return e.err.Error() }
func (e *errAbort) Unwrap() error { return e.err }

// writeBatch writes the requests of batch whose callers still wait in one
// transaction, and answers them.
func (s *Store) writeBatch(ctx context.Context, w *writer, batch []*request) {
	live := batch[:0]
	for _, r := range batch {
		if r.state.CompareAndSwap(statePending, stateClaimed) {
			live = append(live, r)
		}
	}
	if len(live) == 0 {
		return
	}
	// The statements run on a context without Done: modernc's driver starts
	// a goroutine per statement to watch a Done channel (a quarter of the
	// allocations of a turn). A Shutdown past its deadline ends the writer
	// between batches instead: what is still queued fails with ctx's error.
	err := ctx.Err()
	if err == nil {
		err = s.writeTx(context.WithoutCancel(ctx), w, live)
	}
	if err != nil {
		s.cfg.logger.ErrorContext(ctx, "sqlite batch failed", slog.Int("requests", len(live)), slog.Any("error", err))
		err = fmt.Errorf("sqlite: write: %w", err)
		for _, r := range live {
			r.res, r.err = bot.CommitResult{}, err
		}
	}
	for _, r := range live {
		r.done <- struct{}{}
	}
}

// writeTx writes the requests of one batch in one transaction; each
// request gets its own result, and an error returned fails them all.
//
// On the happy path the requests run one after the other with no
// savepoint. When one of them has to be undone (it failed, or it is a
// redelivered turn), the transaction is rolled back and written again
// without it, the requests after it each in a savepoint of its own: one
// bad request costs at most one more pass, and never fails the others.
func (s *Store) writeTx(ctx context.Context, w *writer, live []*request) error {
	for _, r := range live {
		r.settled = false
		// Rare writes of several statements, which may fail by design,
		// always run in a savepoint.
		r.guard = r.kind == kindExec || r.kind == kindPrune
	}
	for {
		undone, err := s.tryTx(ctx, w, live)
		if err != nil || undone < 0 {
			return err
		}
		live[undone].settled = true
		for _, r := range live[undone+1:] {
			r.guard = true
		}
	}
}

// tryTx runs one pass of writeTx. It returns the index of a request
// without a savepoint that has to be undone, having rolled the transaction
// back (the request keeps its result), or -1 once the transaction is
// committed.
func (s *Store) tryTx(ctx context.Context, w *writer, live []*request) (int, error) {
	clear(w.added)
	tx, err := w.begin.BeginTx(ctx, driver.TxOptions{})
	if err != nil {
		return -1, fmt.Errorf("begin: %w", err)
	}
	for i, r := range live {
		if r.settled {
			continue
		}
		if r.guard {
			r.err = s.applyGuarded(ctx, w, r)
			var abort *errAbort
			if errors.As(r.err, &abort) {
				_ = tx.Rollback()
				return -1, abort.err
			}
			continue
		}
		var undo bool
		undo, r.err = s.apply(ctx, w, r)
		if undo {
			if err := tx.Rollback(); err != nil && !noTransaction(err) {
				return -1, fmt.Errorf("rollback: %w", err)
			}
			return i, nil
		}
	}
	if err := tx.Commit(); err != nil { // the driver rolls back a failed commit
		return -1, fmt.Errorf("commit: %w", err)
	}
	s.unsynced.Store(true)
	if len(w.known)+len(w.added) > maxKnown {
		clear(w.known)
	}
	for a, id := range w.added {
		w.known[a] = id
	}
	if w.written += len(live); w.written >= ckptEvery {
		w.written = 0
		select {
		case s.ckpt <- struct{}{}:
		default: // already woken
		}
	}
	return -1, nil
}

// noTransaction reports whether a failed ROLLBACK found no transaction
// to roll back: after some errors (a full disk, I/O), SQLite rolls the
// transaction back itself.
func noTransaction(err error) bool {
	return strings.Contains(err.Error(), "no transaction is active")
}

// applyGuarded writes one request inside a savepoint, so that its failure
// undoes it alone. It returns an *errAbort when the transaction is lost.
func (s *Store) applyGuarded(ctx context.Context, w *writer, r *request) error {
	if _, err := w.savepoint.Exec(ctx); err != nil {
		return &errAbort{fmt.Errorf("savepoint: %w", err)}
	}
	undo, err := s.apply(ctx, w, r)
	if undo {
		if _, rerr := w.rollbackTo.Exec(ctx); rerr != nil {
			return &errAbort{errors.Join(fmt.Errorf("rollback to savepoint: %w", rerr), err)}
		}
	}
	if _, rerr := w.release.Exec(ctx); rerr != nil {
		return &errAbort{fmt.Errorf("release savepoint: %w", rerr)}
	}
	return err
}

// apply writes one request and sets its result. undo reports that what it
// wrote must be undone: it failed (err says why), or it is a redelivered
// turn.
func (s *Store) apply(ctx context.Context, w *writer, r *request) (undo bool, err error) {
	switch r.kind {
	case kindTurn:
		w.turnID = 0
		r.res, err = s.applyTurn(ctx, w, r)
		undo = err != nil || r.res.Duplicate
		if err != nil {
			r.res = bot.CommitResult{}
			err = fmt.Errorf("sqlite: commit %s: %w", r.turn.Address, err)
		}
		if !undo && w.turnID != 0 {
			w.added[r.turn.Address] = w.turnID
		}
	case kindMarkSent:
		err = w.markSentIDs(ctx, r.ids)
		undo = err != nil
	case kindSaveFlows:
		if _, err = w.saveFlows.Exec(ctx, r.hash, r.source, time.Now().UnixNano()); err != nil {
			err = fmt.Errorf("sqlite: save flows %s: %w", r.hash, err)
		}
		undo = err != nil
	case kindClaim:
		c := &r.claim
		r.ids, err = w.claim.QueryInt64s(ctx, c.owner, c.until, c.after, c.channels, c.now, c.limit)
		if err != nil {
			r.ids, err = nil, fmt.Errorf("sqlite: claim outbox: %w", err)
		}
		undo = err != nil
	case kindExec:
		r.result, err = w.execAll(ctx, r.execs)
		undo = err != nil
	case kindPrune:
		r.result, err = w.execAll(ctx, r.execs)
		undo = err != nil
		// Pruned conversations were deleted or renamed: their cached ids
		// must not be updated for their old addresses.
		clear(w.known)
		clear(w.added)
	}
	return undo, err
}

// applyTurn writes a turn's rows. The caller undoes a duplicate.
func (s *Store) applyTurn(ctx context.Context, w *writer, r *request) (bot.CommitResult, error) {
	t := r.turn
	var res bot.CommitResult
	convID, ok, err := conversation(ctx, w, r)
	if err != nil {
		return res, err
	}
	if !ok {
		// The compare-and-swap on Base failed. A redelivery says so
		// first, as it does for a turn that is not stale.
		return staleTurn(ctx, w, t)
	}
	if err := insertRows(ctx, w, r, convID, &res); err != nil || res.Duplicate {
		return res, err
	}
	for _, a := range r.analysed {
		out, err := w.analysed.Exec(ctx, a.json, convID, a.seq)
		if err != nil {
			return res, fmt.Errorf("analysis of %d: %w", a.seq, err)
		}
		if n, err := out.RowsAffected(); err != nil || n == 0 {
			return res, fmt.Errorf("analysis of %d: no inbound message with that seq", a.seq)
		}
	}
	if h := t.Handoff; h != nil {
		if _, err := w.insertHandoff.Exec(ctx, convID, string(h.Reason), nullString(r.evidence),
			h.Skill, h.Priority, h.Flow, h.State, h.Lang, nanos(h.At)); err != nil {
			return res, fmt.Errorf("handoff: %w", err)
		}
	}
	if rt := t.Rating; rt != nil {
		if _, err := w.upsertRating.Exec(ctx, convID, int64(rt.Score), rt.Comment, nanos(rt.At)); err != nil {
			return res, fmt.Errorf("rating: %w", err)
		}
	}
	if h := s.cfg.hooks.inTurn; h != nil {
		if err := h(t); err != nil {
			return res, err
		}
	}
	return res, nil
}

// staleTurn answers a turn whose Base is not its conversation's stored
// seq: a duplicate when one of its inbound messages is stored, else
// bot.ErrStale. It writes nothing.
func staleTurn(ctx context.Context, w *writer, t *bot.Turn) (bot.CommitResult, error) {
	var res bot.CommitResult
	stored, err := w.seq.QueryInt64(ctx, t.Address.Channel, t.Address.Conversation)
	switch {
	case errors.Is(err, errNoRow):
		stored = 0
	case err != nil:
		return res, fmt.Errorf("conversation seq: %w", err)
	}
	if dup, err := redeliveries(ctx, w, t, &res, math.MaxInt64); err != nil || dup {
		return res, err
	}
	if stored == t.Base {
		// The compare-and-swap failed on a seq it should have matched.
		return res, fmt.Errorf("conversation seq %d: snapshot not written", stored)
	}
	return res, fmt.Errorf("turn on seq %d, stored %d: %w", t.Base, stored, bot.ErrStale)
}

// insertRows stores the turn's inbound and outbound messages in as few
// INSERTs as it can (one, up to maxRows rows), records the outbox ids in
// res and, when an inbound message was stored already, marks res a
// duplicate.
func insertRows(ctx context.Context, w *writer, r *request, convID int64, res *bot.CommitResult) error {
	t := r.turn
	rows := w.rows[:0]
	for i := range t.Inbound {
		rows = append(rows, rowRef{seq: t.Inbound[i].Seq, in: true, i: i})
	}
	for i := range t.Outbound {
		rows = append(rows, rowRef{seq: t.Outbound[i].Seq, i: i})
	}
	w.rows = rows
	// Boxed once for all the rows.
	var cid, ch any = convID, t.Address.Channel
	mine := int64(math.MaxInt64) // the turn's first row id, once one is stored
	for start := 0; start < len(rows); start += maxRows {
		chunk := rows[start:min(start+maxRows, len(rows))]
		in := 0 // inbound rows come first
		for in < len(chunk) && chunk[in].in {
			in++
		}
		d, err := w.insertStmt(ctx, in, len(chunk)-in)
		if err != nil {
			return err
		}
		args, k := d.args, 0
		for _, row := range chunk {
			if row.in {
				e := &t.Inbound[row.i]
				v := args[k : k+inColumns]
				k += inColumns
				v[0].Value, v[1].Value, v[2].Value = cid, ch, row.seq
				v[3].Value, v[4].Value, v[5].Value = nullString(e.PlatformID), nullString(e.Text), nanos(e.At)
				v[6].Value, v[7].Value = nullString(r.analysis[row.i]), nullString(e.Choice)
				continue
			}
			e := &t.Outbound[row.i]
			v := args[k : k+outColumns]
			k += outColumns
			v[0].Value, v[1].Value, v[2].Value = cid, ch, row.seq
			v[3].Value, v[4].Value, v[5].Value = nullString(e.Author), nullString(e.Text), nanos(e.At)
			v[6].Value, v[7].Value, v[8].Value = nullString(e.Flow), nullString(e.State), nullString(r.choices[row.i])
			v[9].Value, v[10].Value, v[11].Value = nullString(e.Lang), nullString(r.answers[row.i]), status(e.Status)
		}
		out, err := d.exec.ExecContext(ctx, args[:k])
		d.unset()
		if err != nil {
			// A redelivered turn may clash on a seq as well (its replies
			// take the seqs stored after its messages): a redelivery
			// says so first.
			if dup, derr := redeliveries(ctx, w, t, res, mine); derr != nil || dup {
				return derr
			}
			return fmt.Errorf("messages %d to %d: %w", chunk[0].seq, chunk[len(chunk)-1].seq, err)
		}
		n, err := out.RowsAffected()
		if err != nil {
			return fmt.Errorf("messages %d to %d: %w", chunk[0].seq, chunk[len(chunk)-1].seq, err)
		}
		// The rows were inserted in order, each with the next rowid
		// (SQLite gives a new row the largest rowid plus one, until the
		// largest possible rowid is taken), so the last one's id numbers
		// them all.
		var last int64
		if n > 0 {
			if last, err = out.LastInsertId(); err != nil {
				return fmt.Errorf("messages %d to %d: %w", chunk[0].seq, chunk[len(chunk)-1].seq, err)
			}
			mine = min(mine, last-n+1)
		}
		if int(n) < len(chunk) {
			// A redelivered message was not inserted: find which.
			dup, err := redeliveries(ctx, w, t, res, mine)
			if err == nil && !dup {
				err = fmt.Errorf("messages %d to %d: %d of %d rows stored", chunk[0].seq, chunk[len(chunk)-1].seq, n, len(chunk))
			}
			return err
		}
		for k := range chunk {
			chunk[k].id = last - int64(len(chunk)-1-k)
		}
	}
	if len(t.Outbound) > 0 {
		res.OutboxIDs = make([]int64, len(t.Outbound))
		for _, row := range rows {
			if row.in {
				continue
			}
			res.OutboxIDs[row.i] = row.id
		}
	}
	return nil
}

// redeliveries records in res the inbound messages of t stored already,
// and reports whether there are any. Rows with an id from mine on are the
// turn's own (math.MaxInt64: none): of those, only a repeat of the same
// platform id later in the turn is a redelivery.
func redeliveries(ctx context.Context, w *writer, t *bot.Turn, res *bot.CommitResult, mine int64) (bool, error) {
	res.Redelivered = res.Redelivered[:0]
	for i := range t.Inbound {
		pid := t.Inbound[i].PlatformID
		if pid == "" {
			continue
		}
		id, err := w.stored.QueryInt64(ctx, t.Address.Channel, t.Address.Conversation, pid)
		switch {
		case errors.Is(err, errNoRow):
			continue
		case err != nil:
			return false, fmt.Errorf("inbound %d: %w", t.Inbound[i].Seq, err)
		}
		earlier := slices.ContainsFunc(t.Inbound[:i], func(e bot.Entry) bool { return e.PlatformID == pid })
		if id < mine || earlier {
			res.Redelivered = append(res.Redelivered, i)
		}
	}
	res.Duplicate = len(res.Redelivered) > 0
	return res.Duplicate, nil
}

// conversation writes the turn's snapshot, or makes sure the conversation
// exists, and returns its id. ok is false, with nothing written, when the
// turn's compare-and-swap on Base failed. It updates a conversation the
// writer knows by id; otherwise it writes it by address and sets w.turnID.
func conversation(ctx context.Context, w *writer, r *request) (id int64, ok bool, err error) {
	t := r.turn
	sn := t.State
	id, ok = w.added[t.Address]
	if !ok {
		id, ok = w.known[t.Address]
	}
	if ok {
		var res driver.Result
		switch {
		case sn != nil:
			res, err = w.updateSnapshot.Exec(ctx, status(sn.Status), sn.Lang, sn.FlowsVersion, sn.Flow, sn.State,
				r.snapshot, sn.Seq, sn.Processed, nanos(sn.Started), nanos(sn.Updated), r.lastIn, id, t.Base)
		case len(t.Inbound) > 0:
			res, err = w.raiseLastIn.Exec(ctx, r.lastIn, id)
		default:
			return id, true, nil
		}
		if err != nil {
			return 0, false, fmt.Errorf("conversation: %w", err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 1 {
			if ended(sn) {
				w.forget(t.Address)
			}
			return id, true, nil
		}
		// Stale, or not there any more: look it up by address.
		w.forget(t.Address)
	}
	switch {
	case sn == nil:
		id, err = w.touch.QueryInt64(ctx, t.Address.Channel, t.Address.Conversation, r.lastIn)
	case t.Base == 0:
		id, err = w.upsertSnapshot.QueryInt64(ctx, t.Address.Channel, t.Address.Conversation,
			status(sn.Status), sn.Lang, sn.FlowsVersion, sn.Flow, sn.State, r.snapshot,
			sn.Seq, sn.Processed, r.lastIn, nanos(sn.Started), nanos(sn.Updated), t.Base)
	default:
		id, err = w.updateSnapshotAt.QueryInt64(ctx, status(sn.Status), sn.Lang, sn.FlowsVersion, sn.Flow, sn.State,
			r.snapshot, sn.Seq, sn.Processed, nanos(sn.Started), nanos(sn.Updated), r.lastIn,
			t.Address.Channel, t.Address.Conversation, t.Base)
	}
	if errors.Is(err, errNoRow) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("conversation: %w", err)
	}
	if !ended(sn) {
		w.turnID = id
	}
	return id, true, nil
}

// ended reports whether a turn's snapshot ends its conversation: the
// writer forgets its id, so that finished conversations do not pile up in
// its map (a conversation that starts again is found by address).
func ended(sn *bot.Snapshot) bool { return sn != nil && sn.Status == bot.StatusEnded }

// forget drops a conversation from the writer's ids.
func (w *writer) forget(a bot.Address) {
	delete(w.known, a)
	delete(w.added, a)
}

// nanos stores a time as Unix nanoseconds, the zero time as NULL.
func nanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// nullString binds s, "" as NULL: a column written through coalesce stores
// the same empty text, and the driver binds a NULL without copying it.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// status binds a conversation status: the known ones as constants, which
// box without allocating.
func status(s bot.Status) any {
	switch s {
	case bot.StatusBot:
		return string(bot.StatusBot)
	case bot.StatusHuman:
		return string(bot.StatusHuman)
	case bot.StatusEnded:
		return string(bot.StatusEnded)
	case bot.StatusRating:
		return string(bot.StatusRating)
	}
	return string(s)
}

package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
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
// starts afresh.
const maxKnown = 1 << 17

// writer holds the writer goroutine's connection and statements.
type writer struct {
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

	savepoint, release, rollbackTo *dstmt
	upsertSnapshot, touch          *dstmt
	updateSnapshot, raiseLastIn    *dstmt
	insertIn, analysed, insertOut  *dstmt
	insertHandoff, upsertRating    *dstmt
	markSent, saveFlows            *dstmt
	seq, stored, claim             *dstmt
}

func newWriter(ctx context.Context, dc any) (*writer, error) {
	prep, ok1 := dc.(driver.ConnPrepareContext)
	begin, ok2 := dc.(driver.ConnBeginTx)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("driver connection %T lacks PrepareContext or BeginTx", dc)
	}
	w := &writer{begin: begin, known: make(map[bot.Address]int64), added: make(map[bot.Address]int64)}
	w.exec, _ = dc.(driver.ExecerContext)
	for _, p := range []struct {
		dst   **dstmt
		query string
	}{
		{&w.savepoint, sqlSavepoint}, {&w.release, sqlRelease}, {&w.rollbackTo, sqlRollbackTo},
		{&w.upsertSnapshot, sqlUpsertSnapshot}, {&w.touch, sqlTouch},
		{&w.updateSnapshot, sqlUpdateSnapshot}, {&w.raiseLastIn, sqlRaiseLastIn},
		{&w.insertIn, sqlInsertIn}, {&w.analysed, sqlAnalysed}, {&w.insertOut, sqlInsertOut},
		{&w.insertHandoff, sqlInsertHandoff}, {&w.upsertRating, sqlUpsertRating},
		{&w.markSent, sqlMarkSent}, {&w.saveFlows, sqlSaveFlows},
		{&w.seq, sqlSeq}, {&w.stored, sqlStored}, {&w.claim, sqlClaim},
	} {
		d, err := prepareDriver(ctx, prep, p.query)
		if err != nil {
			w.close()
			return nil, err
		}
		*p.dst = d
	}
	return w, nil
}

func (w *writer) close() {
	for _, d := range []*dstmt{w.savepoint, w.release, w.rollbackTo, w.upsertSnapshot, w.touch,
		w.updateSnapshot, w.raiseLastIn,
		w.insertIn, w.analysed, w.insertOut, w.insertHandoff, w.upsertRating, w.markSent, w.saveFlows, w.seq, w.stored, w.claim} {
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

// writeTx runs the transaction of one batch. Each request gets its own
// result; an error returned fails the whole batch.
func (s *Store) writeTx(ctx context.Context, w *writer, live []*request) error {
	clear(w.added)
	tx, err := w.begin.BeginTx(ctx, driver.TxOptions{})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	for _, r := range live {
		r.err = s.apply(ctx, w, r)
		var abort *errAbort
		if errors.As(r.err, &abort) {
			_ = tx.Rollback()
			return abort.err
		}
	}
	if err := tx.Commit(); err != nil { // the driver rolls back a failed commit
		return fmt.Errorf("commit: %w", err)
	}
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
	return nil
}

// apply writes one request inside a savepoint, so that its failure undoes
// it alone. It returns an *errAbort when the transaction is lost.
func (s *Store) apply(ctx context.Context, w *writer, r *request) error {
	if _, err := w.savepoint.Exec(ctx); err != nil {
		return &errAbort{fmt.Errorf("savepoint: %w", err)}
	}
	var err error
	undo := false
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
		for _, id := range r.ids {
			if _, err = w.markSent.Exec(ctx, id); err != nil {
				err = fmt.Errorf("sqlite: mark sent %d: %w", id, err)
				break
			}
		}
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

// applyTurn writes a turn's rows. apply undoes a duplicate.
func (s *Store) applyTurn(ctx context.Context, w *writer, r *request) (bot.CommitResult, error) {
	t := r.turn
	var res bot.CommitResult
	// The compare-and-swap on Base. A redelivery says so first, as it
	// does for a turn that is not stale.
	if t.State != nil {
		stored, err := w.seq.QueryInt64(ctx, t.Address.Channel, t.Address.Conversation)
		switch {
		case errors.Is(err, errNoRow):
			stored = 0
		case err != nil:
			return res, fmt.Errorf("conversation seq: %w", err)
		}
		if stored != t.Base {
			for i := range t.Inbound {
				if pid := t.Inbound[i].PlatformID; pid != "" {
					_, err := w.stored.QueryInt64(ctx, t.Address.Channel, t.Address.Conversation, pid)
					switch {
					case err == nil:
						res.Redelivered = append(res.Redelivered, i)
					case !errors.Is(err, errNoRow):
						return res, fmt.Errorf("inbound %d: %w", t.Inbound[i].Seq, err)
					}
				}
			}
			if len(res.Redelivered) > 0 {
				res.Duplicate = true
				return res, nil
			}
			return res, fmt.Errorf("turn on seq %d, stored %d: %w", t.Base, stored, bot.ErrStale)
		}
	}
	convID, err := conversation(ctx, w, r)
	if err != nil {
		return res, err
	}
	ch := t.Address.Channel
	for i := range t.Inbound {
		e := &t.Inbound[i]
		out, err := w.insertIn.Exec(ctx, convID, ch, e.Seq, e.PlatformID, e.Text, nanos(e.At), nullString(r.analysis[i]), e.Choice)
		if err != nil {
			return res, fmt.Errorf("inbound %d: %w", e.Seq, err)
		}
		n, err := out.RowsAffected()
		if err != nil {
			return res, fmt.Errorf("inbound %d: %w", e.Seq, err)
		}
		if n == 0 {
			res.Redelivered = append(res.Redelivered, i)
		}
	}
	if len(res.Redelivered) > 0 {
		// Storing the rest would leave a gap in the seq numbers: the
		// caller drops the redeliveries and commits again.
		res.Duplicate = true
		return res, nil
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
	if len(t.Outbound) > 0 {
		res.OutboxIDs = make([]int64, len(t.Outbound))
		for i := range t.Outbound {
			e := &t.Outbound[i]
			out, err := w.insertOut.Exec(ctx, convID, ch, e.Seq, e.Author, e.Text, nanos(e.At), e.Flow, e.State, nullString(r.choices[i]),
				e.Lang, nullString(r.answers[i]), string(e.Status))
			if err != nil {
				return res, fmt.Errorf("outbound %d: %w", e.Seq, err)
			}
			if res.OutboxIDs[i], err = out.LastInsertId(); err != nil {
				return res, fmt.Errorf("outbound %d: %w", e.Seq, err)
			}
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

// conversation writes the turn's snapshot, or makes sure the conversation
// exists, and returns its id. It updates a conversation the writer knows by
// id; otherwise it upserts it by address and sets w.turnID.
func conversation(ctx context.Context, w *writer, r *request) (int64, error) {
	t := r.turn
	sn := t.State
	id, ok := w.added[t.Address]
	if !ok {
		id, ok = w.known[t.Address]
	}
	if ok {
		var res driver.Result
		var err error
		switch {
		case sn != nil:
			res, err = w.updateSnapshot.Exec(ctx, string(sn.Status), sn.Lang, sn.FlowsVersion, sn.Flow, sn.State,
				r.snapshot, sn.Seq, sn.Processed, nanos(sn.Started), nanos(sn.Updated), r.lastIn, id)
		case len(t.Inbound) > 0:
			res, err = w.raiseLastIn.Exec(ctx, r.lastIn, id)
		default:
			return id, nil
		}
		if err != nil {
			return 0, fmt.Errorf("conversation: %w", err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 1 {
			return id, nil
		}
		delete(w.known, t.Address) // not there any more: look it up again
		delete(w.added, t.Address)
	}
	var err error
	if sn != nil {
		id, err = w.upsertSnapshot.QueryInt64(ctx, t.Address.Channel, t.Address.Conversation,
			string(sn.Status), sn.Lang, sn.FlowsVersion, sn.Flow, sn.State, r.snapshot,
			sn.Seq, sn.Processed, r.lastIn, nanos(sn.Started), nanos(sn.Updated))
	} else {
		id, err = w.touch.QueryInt64(ctx, t.Address.Channel, t.Address.Conversation, r.lastIn)
	}
	if err != nil {
		return 0, fmt.Errorf("conversation: %w", err)
	}
	w.turnID = id
	return id, nil
}

// nanos stores a time as Unix nanoseconds, the zero time as NULL.
func nanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

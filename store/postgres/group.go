package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/calmbot/calmbot/bot"
)

// Group commit: Commit (and MarkSent) hands its turn to one of a few committers, which
// takes every turn waiting at that moment (up to maxBatch) and writes them
// in one round trip: each turn is one statement (sqlTurn*), the statements
// go in one pipeline ending in a single Sync, which makes them one
// implicit transaction, committed (and flushed, with synchronous_commit on)
// before any of their callers returns. A turn whose statement fails takes
// the whole pipeline with it: the batch is sent again without it, and it
// is committed alone, in a transaction of its own, which gives it its own
// answer (an error, a redelivery, or a success, as for a deadlock victim).

const (
	// committers is how many batches can be in flight at once: while one
	// waits for the server, the next one gathers.
	committers = 2
	// maxBatch caps the turns of one batch.
	maxBatch = 64
	// batchTimeout bounds one batch's round trip and its turns alone.
	batchTimeout = 30 * time.Second
)

// States of a request.
const (
	statePending   int32 = iota // waiting for a committer
	stateClaimed                // in a batch: the caller waits for its answer
	stateAbandoned              // the caller gave up before a committer took it
)

// request is a turn, or a MarkSent (turn nil, ids set), waiting for its
// group commit.
type request struct {
	turn  *bot.Turn
	ids   []int64
	state atomic.Int32
	res   bot.CommitResult
	err   error
	done  chan struct{}

	args  []any // the statement's arguments, once built
	query string
}

// Commit writes t atomically, in a batch with the turns of other
// conversations waiting at the same time. The conversation's row is updated
// only when its stored seq is t.Base, so that two instances handling one
// conversation cannot both commit a turn built on the same snapshot (the
// loser gets bot.ErrStale). When an inbound entry of t was already stored,
// by this instance or another, nothing is written and the result says
// Duplicate, with the entries' indexes in Redelivered.
//
// When ctx ends before a committer took the turn, nothing is written and
// Commit returns ctx's error; once taken, Commit waits for the batch.
func (s *Store) Commit(ctx context.Context, t *bot.Turn) (bot.CommitResult, error) {
	if err := checkTurn(t); err != nil {
		return bot.CommitResult{}, fmt.Errorf("postgres: commit: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return bot.CommitResult{}, fmt.Errorf("postgres: commit %s: %w", t.Address, err)
	}
	r := &request{turn: t, done: make(chan struct{})}
	select {
	case s.turns <- r:
	case <-s.quit:
		return bot.CommitResult{}, ErrClosed
	case <-ctx.Done():
		return bot.CommitResult{}, fmt.Errorf("postgres: commit %s: %w", t.Address, ctx.Err())
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		if r.state.CompareAndSwap(statePending, stateAbandoned) {
			return bot.CommitResult{}, fmt.Errorf("postgres: commit %s: %w", t.Address, ctx.Err())
		}
		<-r.done
	}
	return r.res, r.err
}

// sqlMarkSent is MarkSent's statement.
const sqlMarkSent = `UPDATE messages SET sent = true, claim_owner = '', claim_until = 0
	WHERE id = ANY($1) AND direction = 'out'`

// MarkSent records that outbox entries were delivered (and ends their
// claims), in a batch with the turns committed at the same moment.
func (s *Store) MarkSent(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("postgres: mark sent: %w", err)
	}
	r := &request{ids: ids, done: make(chan struct{}), query: sqlMarkSent, args: []any{ids}}
	select {
	case s.turns <- r:
	case <-s.quit:
		return ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("postgres: mark sent: %w", ctx.Err())
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		if r.state.CompareAndSwap(statePending, stateAbandoned) {
			return fmt.Errorf("postgres: mark sent: %w", ctx.Err())
		}
		<-r.done
	}
	return r.err
}

// startCommitters starts the committer goroutines; Shutdown ends them.
func (s *Store) startCommitters() {
	s.turns = make(chan *request)
	s.quit = make(chan struct{})
	for range committers {
		s.committing.Go(s.committer)
	}
}

// committer takes the first turn offered, then every other one waiting
// (the channel is unbuffered: those are the callers blocked in Commit),
// and commits them together, until Shutdown.
func (s *Store) committer() {
	batch := make([]*request, 0, maxBatch)
	for {
		select {
		case r := <-s.turns:
			batch = append(batch[:0], r)
		case <-s.quit:
			return
		}
	gather:
		for len(batch) < maxBatch {
			select {
			case r := <-s.turns:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		s.commitBatch(batch)
		clear(batch)
	}
}

// commitBatch commits the requests of batch whose callers still wait and
// answers each of them.
func (s *Store) commitBatch(batch []*request) {
	live := make([]*request, 0, len(batch))
	for _, r := range batch {
		if !r.state.CompareAndSwap(statePending, stateClaimed) {
			continue
		}
		if r.turn == nil {
			live = append(live, r)
			continue
		}
		if err := r.build(); err != nil {
			r.err = fmt.Errorf("postgres: commit %s: %w", r.turn.Address, err)
			close(r.done)
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	// One order of conversations for every batch of every instance, so
	// that two batches never wait for each other's rows in a cycle; a
	// conversation's own turns keep their order.
	slices.SortStableFunc(live, func(a, b *request) int { return a.compare(b) })
	var alone []*request
	for len(live) > 0 {
		failed, again, err := s.sendBatch(ctx, live)
		if err != nil {
			s.log.ErrorContext(ctx, "postgres group commit failed", slog.Int("turns", len(live)), slog.Any("error", err))
			for _, r := range live {
				r.res, r.err = bot.CommitResult{}, r.fail(err)
				close(r.done)
			}
			break
		}
		if failed < 0 {
			for _, r := range live {
				if !slices.Contains(again, r) {
					close(r.done)
				}
			}
			alone = append(alone, again...)
			break
		}
		// Nothing was written: the batch goes again without the turn
		// that failed, which is committed on its own after.
		alone = append(alone, live[failed])
		live = slices.Delete(live, failed, failed+1)
	}
	for _, r := range alone {
		if r.turn == nil {
			if _, err := s.pool.Exec(ctx, sqlMarkSent, r.ids); err != nil {
				r.err = r.fail(err)
			}
		} else {
			r.res, r.err = s.commitAlone(ctx, r.turn)
		}
		close(r.done)
	}
}

// compare orders requests by conversation, MarkSent first.
func (r *request) compare(o *request) int {
	var a, b bot.Address
	if r.turn != nil {
		a = r.turn.Address
	}
	if o.turn != nil {
		b = o.turn.Address
	}
	return cmp.Or(cmp.Compare(a.Channel, b.Channel), cmp.Compare(a.Conversation, b.Conversation))
}

// fail is r's error for a batch that failed with err.
func (r *request) fail(err error) error {
	if r.turn == nil {
		return fmt.Errorf("postgres: mark sent: %w", err)
	}
	return fmt.Errorf("postgres: commit %s: %w", r.turn.Address, err)
}

// sendBatch sends the turns of live in one pipeline. On success it
// returns failed -1, with the results set and, in again, the turns that
// wrote nothing because their base was not the stored seq (stale or
// redelivered: commitAlone tells which). When a turn's statement failed it
// returns its index: then nothing of the batch was written. err is an
// error of the whole batch (the connection, the server).
func (s *Store) sendBatch(ctx context.Context, live []*request) (failed int, again []*request, err error) {
	b := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, len(live))}
	for _, r := range live {
		b.Queue(r.query, r.args...)
	}
	br := s.pool.SendBatch(ctx, b)
	type result struct {
		convID *int64
		ids    []int64
	}
	results := make([]result, len(live))
	failed = -1
	for i, r := range live {
		if r.turn == nil {
			_, err = br.Exec()
		} else {
			var refused *int32
			err = br.QueryRow().Scan(&results[i].convID, &results[i].ids, &refused)
		}
		if err != nil {
			failed = i
			break
		}
	}
	// Close reads to the end of the pipeline: the Sync that commits it.
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		var pe *pgconn.PgError
		if failed < 0 || !errors.As(err, &pe) || !turnError(pe) {
			return -1, nil, err
		}
		return failed, nil, nil
	}
	for i, r := range live {
		if r.turn == nil {
			continue
		}
		if results[i].convID == nil {
			again = append(again, r)
			continue
		}
		r.res = bot.CommitResult{}
		if len(r.turn.Outbound) > 0 {
			r.res.OutboxIDs = results[i].ids
		}
	}
	return -1, again, nil
}

// turnError reports whether a server error belongs to one statement (bad
// data, a constraint, the refusal sqlTurn raises, a deadlock or a
// serialization failure) rather than to the connection or the server.
func turnError(pe *pgconn.PgError) bool {
	switch pe.Code[:2] {
	case "22", "23", "40":
		return true
	}
	return false
}

// commitAlone writes t in a transaction of its own, statement by statement:
// the way of a turn its batch could not take, which tells a redelivery
// from a stale base and says which statement failed.
func (s *Store) commitAlone(ctx context.Context, t *bot.Turn) (bot.CommitResult, error) {
	var res bot.CommitResult
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		res = bot.CommitResult{}
		return s.commit(ctx, tx, t, &res)
	})
	switch {
	case errors.Is(err, errDuplicate):
		res.Duplicate, res.OutboxIDs = true, nil
		return res, nil
	case err != nil:
		return bot.CommitResult{}, fmt.Errorf("postgres: commit %s: %w", t.Address, err)
	}
	return res, nil
}

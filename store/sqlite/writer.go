package sqlite

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/store"
)

// kind is what a request asks the writer to do.
type kind uint8

const (
	kindTurn kind = iota + 1
	kindMarkSent
	kindSaveFlows
	kindExec  // statements on other tables than the bot's (handoff.go)
	kindPrune // statements that delete or rename conversations (retention.go)
	kindClaim // ClaimOutbox
)

// Request states: a request is pending until the writer claims it, or until
// its caller gives up on it.
const (
	statePending int32 = iota
	stateClaimed
	stateCancelled
)

// request is one write waiting for the writer. The caller fills it, sends
// it on Store.reqs and waits on done; the writer claims it, writes it, sets
// res and err and signals done, after which it no longer touches it.
type request struct {
	kind kind

	// kindTurn: the turn and its JSON, encoded by the caller so that the
	// writer only binds values.
	turn     *bot.Turn
	snapshot string   // "" when turn.State is nil
	analysis []string // per turn.Inbound entry, "" for none
	analysed []analysed
	choices  []string // per turn.Outbound entry, "" for none
	answers  []string // per turn.Outbound entry, "" for none
	evidence string
	lastIn   int64 // the highest inbound seq of the turn

	ids    []int64       // kindMarkSent; kindClaim: the ids claimed
	claim  claimArgs     // kindClaim
	execs  []execStmt    // kindExec
	result driver.Result // kindExec: the last statement's result
	hash   string        // kindSaveFlows
	source []byte

	// guard and settled are the writer's: guard runs the request in a
	// savepoint, settled leaves it out of a transaction written again.
	guard, settled bool

	state atomic.Int32
	done  chan struct{}
	res   bot.CommitResult
	err   error

	buf  []byte // the turn's JSON values, one after the other
	ends []int  // where each value ends in buf

	endsBuf                [8]int
	analysisBuf            [2]string
	choicesBuf, answersBuf [4]string
}

// claimArgs are a ClaimOutbox request's bound values.
type claimArgs struct {
	owner      string
	until, now int64
	after      int64
	channels   any // a JSON array, or nil for all channels
	limit      int64
}

type analysed struct {
	seq  int64
	json string
}

func newRequest() *request {
	r := &request{done: make(chan struct{}, 1)}
	// A usual turn's slices fit in the request itself: sync.Pool drops
	// requests at every GC, so that they would grow anew most of the time.
	r.ends, r.analysis = r.endsBuf[:0], r.analysisBuf[:0]
	r.choices, r.answers = r.choicesBuf[:0], r.answersBuf[:0]
	return r
}

// reset clears r for reuse, keeping its buffers.
func (r *request) reset() {
	r.kind = 0
	r.turn = nil
	r.snapshot, r.evidence, r.hash = "", "", ""
	clear(r.analysis)
	r.analysis = r.analysis[:0]
	clear(r.analysed)
	r.analysed = r.analysed[:0]
	clear(r.choices)
	r.choices = r.choices[:0]
	clear(r.answers)
	r.answers = r.answers[:0]
	r.claim = claimArgs{}
	r.lastIn = 0
	r.ids, r.source = nil, nil
	r.execs, r.result = nil, nil
	r.ends = r.ends[:0]
	r.guard, r.settled = false, false
	r.state.Store(statePending)
	r.res, r.err = bot.CommitResult{}, nil
}

// end records where the value just appended to r.buf ends. The values
// of a turn are appended one after the other and then cut out of one
// string (take), one allocation for all of them.
func (r *request) end() {
	r.ends = append(r.ends, len(r.buf))
}

// take returns the k-th value appended, out of all (r.buf as a string),
// and moves k past it.
func (r *request) take(all string, k *int) string {
	start := 0
	if *k > 0 {
		start = r.ends[*k-1]
	}
	end := r.ends[*k]
	*k++
	return all[start:end]
}

// encodeTurn encodes the JSON columns of t, with store's Append
// functions: as encoding/json with HTML escaping off writes them.
func (r *request) encodeTurn(t *bot.Turn) error {
	r.kind, r.turn = kindTurn, t
	r.buf = r.buf[:0]
	r.ends = r.ends[:0]
	var err error
	// First every value, in the order the second loop takes them.
	if t.State != nil {
		if r.buf, err = store.AppendSnapshot(r.buf, t.State); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
		r.end()
	}
	for i := range t.Inbound {
		e := &t.Inbound[i]
		r.lastIn = max(r.lastIn, e.Seq)
		if e.Analysis != nil {
			if r.buf, err = store.AppendAnalysis(r.buf, e.Analysis); err != nil {
				return fmt.Errorf("inbound %d analysis: %w", e.Seq, err)
			}
			r.end()
		}
	}
	for seq, a := range t.Analysed {
		if a == nil {
			continue
		}
		if r.buf, err = store.AppendAnalysis(r.buf, a); err != nil {
			return fmt.Errorf("analysis of %d: %w", seq, err)
		}
		r.end()
		r.analysed = append(r.analysed, analysed{seq: seq})
	}
	for i := range t.Outbound {
		e := &t.Outbound[i]
		if len(e.Choices) > 0 {
			r.buf = store.AppendChoices(r.buf, e.Choices)
			r.end()
		}
		if len(e.Answers) > 0 {
			r.buf = store.AppendStrings(r.buf, e.Answers)
			r.end()
		}
	}
	if h := t.Handoff; h != nil && len(h.Evidence) > 0 {
		if r.buf, err = store.AppendEvidence(r.buf, h.Evidence); err != nil {
			return fmt.Errorf("handoff evidence: %w", err)
		}
		r.end()
	}
	// Then cut them out of one string.
	all, k := string(r.buf), 0
	if t.State != nil {
		r.snapshot = r.take(all, &k)
	}
	for i := range t.Inbound {
		s := ""
		if t.Inbound[i].Analysis != nil {
			s = r.take(all, &k)
		}
		r.analysis = append(r.analysis, s)
	}
	for i := range r.analysed {
		r.analysed[i].json = r.take(all, &k)
	}
	for i := range t.Outbound {
		e := &t.Outbound[i]
		c, a := "", ""
		if len(e.Choices) > 0 {
			c = r.take(all, &k)
		}
		if len(e.Answers) > 0 {
			a = r.take(all, &k)
		}
		r.choices, r.answers = append(r.choices, c), append(r.answers, a)
	}
	if h := t.Handoff; h != nil && len(h.Evidence) > 0 {
		r.evidence = r.take(all, &k)
	}
	return nil
}

func checkTurn(t *bot.Turn) error {
	if t == nil {
		return errors.New("nil turn")
	}
	if t.Address.Channel == "" || t.Address.Conversation == "" {
		return fmt.Errorf("incomplete address %q", t.Address)
	}
	if t.State != nil && t.State.Address != (bot.Address{}) && t.State.Address != t.Address {
		return fmt.Errorf("snapshot address %s differs from turn address %s", t.State.Address, t.Address)
	}
	if t.Handoff != nil && t.Handoff.Address != (bot.Address{}) && t.Handoff.Address != t.Address {
		return fmt.Errorf("handoff address %s differs from turn address %s", t.Handoff.Address, t.Address)
	}
	return nil
}

// Commit writes t in one transaction with the other turns queued at the
// same time, and returns once that transaction is durable. When any
// inbound entry of t was already stored (a redelivery: same conversation
// and platform id, however old), nothing is written and the result says
// Duplicate, with the indexes of those entries in Redelivered. A Commit whose ctx ends
// before the writer took the turn returns ctx.Err() and writes nothing; once
// taken, the turn's real outcome is returned.
func (s *Store) Commit(ctx context.Context, t *bot.Turn) (bot.CommitResult, error) {
	if err := checkTurn(t); err != nil {
		return bot.CommitResult{}, fmt.Errorf("sqlite: commit: %w", err)
	}
	r := s.pool.Get().(*request)
	if err := r.encodeTurn(t); err != nil {
		s.put(r)
		return bot.CommitResult{}, fmt.Errorf("sqlite: commit %s: %w", t.Address, err)
	}
	return s.do(ctx, r)
}

// MarkSent records that the outbox entries ids were delivered. Unknown ids
// are ignored.
func (s *Store) MarkSent(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	r := s.pool.Get().(*request)
	r.kind, r.ids = kindMarkSent, ids
	_, err := s.do(ctx, r)
	return err
}

// ClaimOutbox claims undelivered replies for c.Owner until c.Lease has
// passed, oldest first, skipping every conversation in which another owner
// holds a live claim: a conversation's queue goes to one owner at a time,
// from its head. The owner's own live claims are handed out again and
// renewed. Claims expire on this machine's clock.
func (s *Store) ClaimOutbox(ctx context.Context, c bot.OutboxClaim) ([]bot.Outgoing, error) {
	if c.Owner == "" || c.Limit < 1 || c.Lease <= 0 {
		return nil, fmt.Errorf("sqlite: claim outbox: need an owner, a limit and a lease, got %+v", c)
	}
	r := s.pool.Get().(*request)
	now := time.Now()
	r.kind = kindClaim
	r.claim = claimArgs{owner: c.Owner, until: now.Add(c.Lease).UnixNano(), now: now.UnixNano(), after: c.After, limit: int64(c.Limit)}
	if c.Channels != nil {
		js, err := json.Marshal(c.Channels)
		if err != nil {
			s.put(r)
			return nil, fmt.Errorf("sqlite: claim outbox: %w", err)
		}
		r.claim.channels = string(js)
	}
	if err := s.enqueue(ctx, r); err != nil {
		s.put(r)
		return nil, err
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		if r.state.CompareAndSwap(statePending, stateCancelled) {
			return nil, ctx.Err()
		}
		<-r.done
	}
	ids, err := r.ids, r.err
	r.ids = nil
	s.put(r)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	js, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim outbox: %w", err)
	}
	rows, err := s.rd.claimed.QueryContext(ctx, string(js))
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim outbox: %w", err)
	}
	out, err := scanOutgoing(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim outbox: %w", err)
	}
	return out, nil
}

// SaveFlows stores a flow file's source under its hash; saving a hash again
// keeps the first source.
func (s *Store) SaveFlows(ctx context.Context, hash string, source []byte) error {
	if hash == "" {
		return errors.New("sqlite: save flows: empty hash")
	}
	r := s.pool.Get().(*request)
	r.kind, r.hash, r.source = kindSaveFlows, hash, source
	_, err := s.do(ctx, r)
	return err
}

// write runs stmts in the writer as one request of kind (kindExec or
// kindPrune) and returns the last one's result once they are durable.
func (s *Store) write(ctx context.Context, k kind, stmts []execStmt) (driver.Result, error) {
	r := s.pool.Get().(*request)
	r.kind, r.execs = k, stmts
	if err := s.enqueue(ctx, r); err != nil {
		s.put(r)
		return nil, err
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		if r.state.CompareAndSwap(statePending, stateCancelled) {
			return nil, ctx.Err() // the writer skips r; r is not reused
		}
		<-r.done
	}
	res, err := r.result, r.err
	s.put(r)
	return res, err
}

func (s *Store) put(r *request) {
	r.reset()
	s.pool.Put(r)
}

// do queues r and waits for the writer's answer.
func (s *Store) do(ctx context.Context, r *request) (bot.CommitResult, error) {
	if err := s.enqueue(ctx, r); err != nil {
		s.put(r)
		return bot.CommitResult{}, err
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		if r.state.CompareAndSwap(statePending, stateCancelled) {
			// The writer will skip r; it may still hold it, so r is not reused.
			return bot.CommitResult{}, ctx.Err()
		}
		<-r.done // claimed: the writer answers within this batch
	}
	res, err := r.res, r.err
	s.put(r)
	return res, err
}

func (s *Store) enqueue(ctx context.Context, r *request) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	select {
	case s.reqs <- r:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

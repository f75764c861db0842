package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/calmbot/calmbot/bot"
)

const (
	// sqlInsertConv creates a conversation with its first snapshot, or
	// updates one whose stored seq is still 0 (only touched so far): the
	// compare-and-swap of a turn with Base 0. No row back: stale.
	sqlInsertConv = `INSERT INTO conversations AS c
	(channel, conversation, status, lang, flows_version, flow, state, snapshot, seq, processed, last_in, started, updated)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
	ON CONFLICT (channel, conversation) DO UPDATE SET
		status = excluded.status, lang = excluded.lang, flows_version = excluded.flows_version,
		flow = excluded.flow, state = excluded.state, snapshot = excluded.snapshot,
		seq = excluded.seq, processed = excluded.processed, last_in = greatest(c.last_in, excluded.last_in),
		started = excluded.started, updated = excluded.updated
	WHERE c.seq = 0
	RETURNING id`

	// sqlUpdateConv is the compare-and-swap of a turn on Base ($14).
	sqlUpdateConv = `UPDATE conversations SET
		status = $3, lang = $4, flows_version = $5, flow = $6, state = $7, snapshot = $8,
		seq = $9, processed = $10, last_in = greatest(last_in, $11), started = $12, updated = $13
	WHERE channel = $1 AND conversation = $2 AND seq = $14
	RETURNING id`

	sqlTouch = `INSERT INTO conversations AS c (channel, conversation, last_in) VALUES ($1, $2, $3)
	ON CONFLICT (channel, conversation) DO UPDATE SET last_in = greatest(c.last_in, excluded.last_in)
	RETURNING id`

	sqlInsertIn = `INSERT INTO messages (conv_id, channel, seq, direction, platform_id, text, at, analysis, choice)
	VALUES ($1, $2, $3, 'in', $4, $5, $6, $7, $8)
	ON CONFLICT (conv_id, platform_id) WHERE direction = 'in' AND platform_id <> '' DO NOTHING`

	sqlAnalysed = `UPDATE messages SET analysis = $1 WHERE conv_id = $2 AND seq = $3 AND direction = 'in'`

	sqlInsertOut = `INSERT INTO messages (conv_id, channel, seq, direction, author, text, at, flow, state, choices, lang, answers, status)
	VALUES ($1, $2, $3, 'out', $4, $5, $6, $7, $8, $9, $10, $11, $12)
	RETURNING id`

	sqlStored = `SELECT m.platform_id FROM messages m JOIN conversations c ON c.id = m.conv_id
	WHERE c.channel = $1 AND c.conversation = $2 AND m.direction = 'in' AND m.platform_id = ANY($3) AND m.platform_id <> ''`

	sqlUpsertRating = `INSERT INTO ratings AS r (conv_id, score, comment, at) VALUES ($1, $2, $3, $4)
	ON CONFLICT (conv_id, at) DO UPDATE SET score = excluded.score, comment = excluded.comment`

	sqlInsertHandoff = `INSERT INTO handoffs (conv_id, reason, evidence, skill, priority, flow, state, lang, at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
)

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

// errDuplicate ends a turn's transaction that found a redelivery.
var errDuplicate = errors.New("redelivered")

// Commit writes t in one transaction. The conversation's row is updated
// only when its stored seq is t.Base, so that two instances handling one
// conversation cannot both commit a turn built on the same snapshot (the
// loser gets bot.ErrStale). When an inbound entry of t was already stored,
// by this instance or another, nothing is written and the result says
// Duplicate, with the entries' indexes in Redelivered.
func (s *Store) Commit(ctx context.Context, t *bot.Turn) (bot.CommitResult, error) {
	if err := checkTurn(t); err != nil {
		return bot.CommitResult{}, fmt.Errorf("postgres: commit: %w", err)
	}
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

func (s *Store) commit(ctx context.Context, tx pgx.Tx, t *bot.Turn, res *bot.CommitResult) error {
	a := t.Address
	var lastIn int64
	for i := range t.Inbound {
		lastIn = max(lastIn, t.Inbound[i].Seq)
	}
	var convID int64
	var err error
	if sn := t.State; sn != nil {
		js, err := marshal(sn)
		if err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
		args := []any{a.Channel, a.Conversation, string(sn.Status), sn.Lang, sn.FlowsVersion, sn.Flow, sn.State, js,
			sn.Seq, sn.Processed, lastIn, nanos(sn.Started), nanos(sn.Updated)}
		if t.Base == 0 {
			err = tx.QueryRow(ctx, sqlInsertConv, args...).Scan(&convID)
		} else {
			err = tx.QueryRow(ctx, sqlUpdateConv, append(args, t.Base)...).Scan(&convID)
		}
		if errors.Is(err, pgx.ErrNoRows) {
			// Stale, unless it is a redelivery, which says so first.
			if err := s.redelivered(ctx, tx, t, res); err != nil {
				return err
			}
			if len(res.Redelivered) > 0 {
				return errDuplicate
			}
			return fmt.Errorf("turn on seq %d: %w", t.Base, bot.ErrStale)
		}
	} else {
		err = tx.QueryRow(ctx, sqlTouch, a.Channel, a.Conversation, lastIn).Scan(&convID)
	}
	if err != nil {
		return fmt.Errorf("conversation: %w", err)
	}
	for i := range t.Inbound {
		e := &t.Inbound[i]
		an, err := marshal(e.Analysis)
		if err != nil {
			return fmt.Errorf("inbound %d analysis: %w", e.Seq, err)
		}
		tag, err := tx.Exec(ctx, sqlInsertIn, convID, a.Channel, e.Seq, e.PlatformID, e.Text, nanos(e.At), an, e.Choice)
		if err != nil {
			return fmt.Errorf("inbound %d: %w", e.Seq, err)
		}
		if tag.RowsAffected() == 0 {
			res.Redelivered = append(res.Redelivered, i)
		}
	}
	if len(res.Redelivered) > 0 {
		// Storing the rest would leave a gap in the seq numbers: the
		// caller drops the redeliveries and commits again.
		return errDuplicate
	}
	for seq, an := range t.Analysed {
		if an == nil {
			continue
		}
		js, err := marshal(an)
		if err != nil {
			return fmt.Errorf("analysis of %d: %w", seq, err)
		}
		tag, err := tx.Exec(ctx, sqlAnalysed, js, convID, seq)
		if err != nil {
			return fmt.Errorf("analysis of %d: %w", seq, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("analysis of %d: no inbound message with that seq", seq)
		}
	}
	if len(t.Outbound) > 0 {
		res.OutboxIDs = make([]int64, len(t.Outbound))
		for i := range t.Outbound {
			e := &t.Outbound[i]
			var choices, answers any
			if len(e.Choices) > 0 {
				if choices, err = marshal(e.Choices); err != nil {
					return fmt.Errorf("outbound %d choices: %w", e.Seq, err)
				}
			}
			if len(e.Answers) > 0 {
				if answers, err = marshal(e.Answers); err != nil {
					return fmt.Errorf("outbound %d answers: %w", e.Seq, err)
				}
			}
			if err := tx.QueryRow(ctx, sqlInsertOut, convID, a.Channel, e.Seq, e.Author, e.Text, nanos(e.At), e.Flow, e.State,
				choices, e.Lang, answers, string(e.Status)).Scan(&res.OutboxIDs[i]); err != nil {
				return fmt.Errorf("outbound %d: %w", e.Seq, err)
			}
		}
	}
	if h := t.Handoff; h != nil {
		var ev any
		if len(h.Evidence) > 0 {
			if ev, err = marshal(h.Evidence); err != nil {
				return fmt.Errorf("handoff evidence: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, sqlInsertHandoff, convID, string(h.Reason), ev, h.Skill, h.Priority, h.Flow, h.State, h.Lang, nanos(h.At)); err != nil {
			return fmt.Errorf("handoff: %w", err)
		}
	}
	if rt := t.Rating; rt != nil {
		if _, err := tx.Exec(ctx, sqlUpsertRating, convID, rt.Score, rt.Comment, nanos(rt.At)); err != nil {
			return fmt.Errorf("rating: %w", err)
		}
	}
	return nil
}

// redelivered fills res.Redelivered with the inbound entries of t already stored.
func (s *Store) redelivered(ctx context.Context, tx pgx.Tx, t *bot.Turn, res *bot.CommitResult) error {
	var pids []string
	for i := range t.Inbound {
		if pid := t.Inbound[i].PlatformID; pid != "" {
			pids = append(pids, pid)
		}
	}
	if len(pids) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, sqlStored, t.Address.Channel, t.Address.Conversation, pids)
	if err != nil {
		return fmt.Errorf("redelivery check: %w", err)
	}
	stored, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("redelivery check: %w", err)
	}
	for i := range t.Inbound {
		for _, pid := range stored {
			if t.Inbound[i].PlatformID == pid {
				res.Redelivered = append(res.Redelivered, i)
				break
			}
		}
	}
	return nil
}

// MarkSent records that outbox entries were delivered (and ends their claims).
func (s *Store) MarkSent(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.pool.Exec(ctx, `UPDATE messages SET sent = true, claim_owner = '', claim_until = 0
		WHERE id = ANY($1) AND direction = 'out'`, ids); err != nil {
		return fmt.Errorf("postgres: mark sent: %w", err)
	}
	return nil
}

// claimLock is the transaction advisory lock claims take: one claim at a
// time sees the others' committed claims, which keeps a conversation's
// replies with one owner. Claims are rare (a restart, a Sender
// registering); a turn's own replies are sent without one.
const claimLock = 0x63616c6d626f74 // "calmbot"

// sqlClaim claims undelivered replies above a cursor ($3) on channels $4
// (NULL: all) for owner $1 until $2, skipping every conversation in which
// another owner holds a live claim ($5 is now) or a live conversation
// lease (Lease: only the holder delivers), and rows other
// transactions hold locked (a MarkSent in progress).
const sqlClaim = `WITH cand AS (
		SELECT m.id FROM messages m
		WHERE m.direction = 'out' AND NOT m.sent AND m.id > $3
			AND ($4::text[] IS NULL OR m.channel = ANY($4))
			AND NOT EXISTS (SELECT 1 FROM messages o
				WHERE o.conv_id = m.conv_id AND o.direction = 'out' AND NOT o.sent
					AND o.claim_owner <> $1 AND o.claim_until > $5)
			AND NOT EXISTS (SELECT 1 FROM conversations c JOIN conversation_leases l
				ON l.channel = c.channel AND l.conversation = c.conversation
				WHERE c.id = m.conv_id AND l.owner <> $1 AND l.expires > clock_timestamp())
		ORDER BY m.id LIMIT $6
		FOR UPDATE SKIP LOCKED)
	UPDATE messages m SET claim_owner = $1, claim_until = $2 FROM cand WHERE m.id = cand.id
	RETURNING m.id`

// ClaimOutbox hands out undelivered replies to c.Owner for c.Lease,
// oldest first, never one of a conversation in which another owner holds
// a live claim.
func (s *Store) ClaimOutbox(ctx context.Context, c bot.OutboxClaim) ([]bot.Outgoing, error) {
	if c.Owner == "" || c.Limit < 1 || c.Lease <= 0 {
		return nil, fmt.Errorf("postgres: claim outbox: need an owner, a limit and a lease, got %+v", c)
	}
	now := time.Now()
	var channels []string
	if c.Channels != nil {
		channels = append([]string{}, c.Channels...)
	}
	var out []bot.Outgoing
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(claimLock)); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, sqlClaim, c.Owner, now.Add(c.Lease).UnixNano(), c.After, channels, now.UnixNano(), c.Limit)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil || len(ids) == 0 {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT `+outgoingColumns+` FROM messages m JOIN conversations c ON c.id = m.conv_id
			WHERE m.id = ANY($1) ORDER BY m.id`, ids)
		if err != nil {
			return err
		}
		out, err = scanOutgoing(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: claim outbox: %w", err)
	}
	return out, nil
}

// SaveFlows stores a flow file's source under its hash (idempotent).
func (s *Store) SaveFlows(ctx context.Context, hash string, source []byte) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO flows_versions (hash, source, at) VALUES ($1, $2, $3)
		ON CONFLICT (hash) DO NOTHING`, hash, source, time.Now().UnixNano()); err != nil {
		return fmt.Errorf("postgres: save flows %s: %w", hash, err)
	}
	return nil
}

// marshal encodes v as JSON text, nil (SQL NULL) for a nil pointer.
func marshal(v any) (any, error) {
	switch x := v.(type) {
	case *bot.Analysis:
		if x == nil {
			return nil, nil
		}
	case *bot.Snapshot:
		if x == nil {
			return nil, nil
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// nanos stores a time as Unix nanoseconds, the zero time as NULL.
func nanos(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	n := t.UnixNano()
	return &n
}

// fromNanos reads what nanos stored.
func fromNanos(n *int64) time.Time {
	if n == nil {
		return time.Time{}
	}
	return time.Unix(0, *n).UTC()
}

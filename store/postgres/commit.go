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

// A turn in a batch is one statement: the conversation's row (one of
// three heads), then its inbound messages, the analyses of earlier ones,
// the replies, a handoff and a rating, each a data-modifying CTE reading
// the conversation's id from the head, so that a head that changed no row
// (a stale base) writes nothing at all. The arrays are the entries'
// columns ($3-$20), the scalars the handoff's ($21-$28, none when $21 is
// NULL) and the rating's ($29-$31, none when $29 is NULL), $32 the
// highest inbound seq, $33-$42 the snapshot's columns and $43 the base.
// It returns the conversation's id (NULL: stale or redelivered, nothing
// written) and the replies' ids in seq order. When an inbound message was
// already stored or an analysed one is missing, the last column's cast
// fails (invalid_text_representation): the statement, and its batch, are
// undone, and the turn is committed alone, which tells what it was.
const (
	sqlTurnTail = `,
	ins AS (
		INSERT INTO messages (conv_id, channel, seq, direction, platform_id, text, at, analysis, choice)
		SELECT conv.id, $1, i.seq, 'in', i.pid, i.text, i.at, i.an, i.choice
		FROM conv, unnest($3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[])
			AS i(seq, pid, text, at, an, choice)
		ON CONFLICT (conv_id, platform_id) WHERE direction = 'in' AND platform_id <> '' DO NOTHING
		RETURNING 1),
	an AS (
		UPDATE messages m SET analysis = a.js
		FROM conv, unnest($9::bigint[], $10::text[]) AS a(seq, js)
		WHERE m.conv_id = conv.id AND m.seq = a.seq AND m.direction = 'in'
		RETURNING 1),
	outb AS (
		INSERT INTO messages (conv_id, channel, seq, direction, author, text, at, flow, state, choices, lang, answers, status)
		SELECT conv.id, $1, o.seq, 'out', o.author, o.text, o.at, o.flow, o.state, o.choices, o.lang, o.answers, o.status
		FROM conv, unnest($11::bigint[], $12::text[], $13::text[], $14::bigint[], $15::text[], $16::text[], $17::text[],
			$18::text[], $19::text[], $20::text[]) AS o(seq, author, text, at, flow, state, choices, lang, answers, status)
		ORDER BY o.seq
		RETURNING id, seq),
	ho AS (
		INSERT INTO handoffs (conv_id, reason, evidence, skill, priority, flow, state, lang, at)
		SELECT conv.id, $21::text, $22::text, $23::text, $24::text, $25::text, $26::text, $27::text, $28::bigint
		FROM conv WHERE $21::text IS NOT NULL),
	rt AS (
		INSERT INTO ratings AS r (conv_id, score, comment, at)
		SELECT conv.id, $29::int, $30::text, $31::bigint FROM conv WHERE $29::int IS NOT NULL
		ON CONFLICT (conv_id, at) DO UPDATE SET score = excluded.score, comment = excluded.comment)
	SELECT (SELECT id FROM conv), (SELECT array_agg(id ORDER BY seq) FROM outb),
		CASE WHEN EXISTS (SELECT 1 FROM conv) AND ((SELECT count(*) FROM ins) <> cardinality($3::bigint[])
			OR (SELECT count(*) FROM an) <> cardinality($9::bigint[]))
		THEN ('calmbot: turn refused: ' || (SELECT count(*) FROM ins) || ' of ' || cardinality($3::bigint[]) ||
			' inbound stored, ' || (SELECT count(*) FROM an) || ' of ' || cardinality($9::bigint[]) || ' analysed')::int
		END`

	// sqlTurnInsert is a turn with Base 0: sqlInsertConv's compare-and-swap.
	sqlTurnInsert = `WITH conv AS (
		INSERT INTO conversations AS c
		(channel, conversation, status, lang, flows_version, flow, state, snapshot, seq, processed, last_in, started, updated)
		VALUES ($1, $2, $33, $34, $35, $36, $37, $38, $39, $40, $32, $41, $42)
		ON CONFLICT (channel, conversation) DO UPDATE SET
			status = excluded.status, lang = excluded.lang, flows_version = excluded.flows_version,
			flow = excluded.flow, state = excluded.state, snapshot = excluded.snapshot,
			seq = excluded.seq, processed = excluded.processed, last_in = greatest(c.last_in, excluded.last_in),
			started = excluded.started, updated = excluded.updated
		WHERE c.seq = 0 AND $43::bigint = 0
		RETURNING id)` + sqlTurnTail

	// sqlTurnUpdate is a turn on Base $43: sqlUpdateConv's compare-and-swap.
	sqlTurnUpdate = `WITH conv AS (
		UPDATE conversations SET
			status = $33, lang = $34, flows_version = $35, flow = $36, state = $37, snapshot = $38,
			seq = $39, processed = $40, last_in = greatest(last_in, $32), started = $41, updated = $42
		WHERE channel = $1 AND conversation = $2 AND seq = $43::bigint
		RETURNING id)` + sqlTurnTail

	// sqlTurnTouch is a turn without a snapshot: sqlTouch.
	sqlTurnTouch = `WITH conv AS (
		INSERT INTO conversations AS c (channel, conversation, last_in) VALUES ($1, $2, $32)
		ON CONFLICT (channel, conversation) DO UPDATE SET last_in = greatest(c.last_in, excluded.last_in)
		RETURNING id)` + sqlTurnTail
)

// build sets r's statement and arguments.
func (r *request) build() error {
	t := r.turn
	a := t.Address
	n := len(t.Inbound)
	inSeq, inPID, inText, inAt, inAn, inChoice := make([]int64, n), make([]string, n), make([]string, n),
		make([]*int64, n), make([]*string, n), make([]string, n)
	var lastIn int64
	for i := range t.Inbound {
		e := &t.Inbound[i]
		lastIn = max(lastIn, e.Seq)
		js, err := marshalText(e.Analysis)
		if err != nil {
			return fmt.Errorf("inbound %d analysis: %w", e.Seq, err)
		}
		inSeq[i], inPID[i], inText[i], inAt[i], inAn[i], inChoice[i] = e.Seq, e.PlatformID, e.Text, nanos(e.At), js, e.Choice
	}
	anSeq, anJS := make([]int64, 0, len(t.Analysed)), make([]string, 0, len(t.Analysed))
	for seq, an := range t.Analysed {
		if an == nil {
			continue
		}
		js, err := marshalText(an)
		if err != nil {
			return fmt.Errorf("analysis of %d: %w", seq, err)
		}
		anSeq, anJS = append(anSeq, seq), append(anJS, *js)
	}
	n = len(t.Outbound)
	outSeq, outAuthor, outText, outAt, outFlow, outState := make([]int64, n), make([]string, n), make([]string, n),
		make([]*int64, n), make([]string, n), make([]string, n)
	outChoices, outLang, outAnswers, outStatus := make([]*string, n), make([]string, n), make([]*string, n), make([]string, n)
	for i := range t.Outbound {
		e := &t.Outbound[i]
		var err error
		if len(e.Choices) > 0 {
			if outChoices[i], err = marshalText(e.Choices); err != nil {
				return fmt.Errorf("outbound %d choices: %w", e.Seq, err)
			}
		}
		if len(e.Answers) > 0 {
			if outAnswers[i], err = marshalText(e.Answers); err != nil {
				return fmt.Errorf("outbound %d answers: %w", e.Seq, err)
			}
		}
		outSeq[i], outAuthor[i], outText[i], outAt[i], outFlow[i], outState[i] = e.Seq, e.Author, e.Text, nanos(e.At), e.Flow, e.State
		outLang[i], outStatus[i] = e.Lang, string(e.Status)
	}
	var hReason, hEvidence *string
	var hSkill, hPriority, hFlow, hState, hLang string
	var hAt *int64
	if h := t.Handoff; h != nil {
		reason := string(h.Reason)
		hReason = &reason
		if len(h.Evidence) > 0 {
			var err error
			if hEvidence, err = marshalText(h.Evidence); err != nil {
				return fmt.Errorf("handoff evidence: %w", err)
			}
		}
		hSkill, hPriority, hFlow, hState, hLang, hAt = h.Skill, h.Priority, h.Flow, h.State, h.Lang, nanos(h.At)
	}
	var rScore *int32
	var rComment string
	var rAt *int64
	if rt := t.Rating; rt != nil {
		score := int32(rt.Score)
		rScore, rComment, rAt = &score, rt.Comment, nanos(rt.At)
	}
	r.args = []any{a.Channel, a.Conversation,
		inSeq, inPID, inText, inAt, inAn, inChoice,
		anSeq, anJS,
		outSeq, outAuthor, outText, outAt, outFlow, outState, outChoices, outLang, outAnswers, outStatus,
		hReason, hEvidence, hSkill, hPriority, hFlow, hState, hLang, hAt,
		rScore, rComment, rAt,
		lastIn}
	sn := t.State
	if sn == nil {
		r.query = sqlTurnTouch
		return nil
	}
	js, err := marshal(sn)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	r.args = append(r.args, string(sn.Status), sn.Lang, sn.FlowsVersion, sn.Flow, sn.State, js,
		sn.Seq, sn.Processed, nanos(sn.Started), nanos(sn.Updated), t.Base)
	r.query = sqlTurnUpdate
	if t.Base == 0 {
		r.query = sqlTurnInsert
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

// errDuplicate ends a turn's transaction that found a redelivery.
var errDuplicate = errors.New("redelivered")

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

// marshalText is marshal for a value that is not a nil pointer.
func marshalText(v any) (*string, error) {
	js, err := marshal(v)
	if err != nil || js == nil {
		return nil, err
	}
	s := js.(string)
	return &s, nil
}

// nanos stores a time as Unix nanoseconds, the zero time as NULL.
func nanos(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	n := t.UnixNano()
	return &n
}

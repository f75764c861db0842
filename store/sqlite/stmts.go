package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/calmbot/calmbot/store"
)

// The writer's statements. They use plain ? parameters, bound in order,
// which the driver binds without looking up names.
const (
	sqlSavepoint  = `SAVEPOINT turn`
	sqlRelease    = `RELEASE turn`
	sqlRollbackTo = `ROLLBACK TO turn`

	// The snapshot writes carry the turn's compare-and-swap on Turn.Base:
	// each changes the conversation only when its stored seq is the base,
	// so that the happy path needs no read of the stored seq.

	// sqlUpsertSnapshot writes the snapshot of a conversation the writer
	// does not know yet, for a turn on base 0 (the last parameter), and
	// returns its id; no row when the stored seq is not the base. last_in
	// is the turn's highest inbound seq.
	sqlUpsertSnapshot = `INSERT INTO conversations
	(channel, conversation, status, lang, flows_version, flow, state, snapshot, seq, processed, last_in, started, updated)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (channel, conversation) DO UPDATE SET
		status = excluded.status, lang = excluded.lang, flows_version = excluded.flows_version,
		flow = excluded.flow, state = excluded.state, snapshot = excluded.snapshot,
		seq = excluded.seq, processed = excluded.processed, last_in = max(last_in, excluded.last_in),
		started = excluded.started, updated = excluded.updated
	WHERE conversations.seq = ?
	RETURNING id`

	// sqlUpdateSnapshotAt is sqlUpsertSnapshot for a turn on a base above
	// 0, which needs the conversation stored: the address, then the base,
	// come last.
	sqlUpdateSnapshotAt = `UPDATE conversations SET
		status = ?, lang = ?, flows_version = ?, flow = ?, state = ?, snapshot = ?,
		seq = ?, processed = ?, started = ?, updated = ?, last_in = max(last_in, ?)
	WHERE channel = ? AND conversation = ? AND seq = ?
	RETURNING id`

	// sqlTouch finds or creates the conversation of a turn without a
	// snapshot, raising last_in to the turn's highest inbound seq.
	sqlTouch = `INSERT INTO conversations (channel, conversation, last_in) VALUES (?, ?, ?)
	ON CONFLICT (channel, conversation) DO UPDATE SET last_in = max(last_in, excluded.last_in)
	RETURNING id`

	// sqlUpdateSnapshot is sqlUpdateSnapshotAt for a conversation whose id
	// the writer knows: the id, then the base, come last.
	sqlUpdateSnapshot = `UPDATE conversations SET
		status = ?, lang = ?, flows_version = ?, flow = ?, state = ?, snapshot = ?,
		seq = ?, processed = ?, started = ?, updated = ?, last_in = max(last_in, ?)
	WHERE id = ? AND seq = ?`

	// sqlRaiseLastIn is sqlTouch for a conversation whose id the writer knows.
	sqlRaiseLastIn = `UPDATE conversations SET last_in = max(last_in, ?) WHERE id = ?`

	// sqlInsertRows is the head of the INSERT that stores a turn's rows,
	// inbound and outbound, in one statement: inValues once per inbound
	// row, then outValues once per outbound row, then insertRowsTail. A
	// redelivered inbound row changes nothing.
	//
	// The columns a direction leaves at their default are literals, and
	// the text columns that are often empty are bound as NULL for "" and
	// read through coalesce: the driver copies every bound text into C
	// memory (a malloc and a free) and a NULL costs nothing.
	sqlInsertRows = `INSERT INTO messages (conv_id, channel, seq, direction, author, platform_id, text, at,
	analysis, choice, flow, state, choices, lang, answers, status) VALUES `
	// inValues binds conv_id, channel, seq, platform_id, text, at,
	// analysis, choice.
	inValues  = `(?, ?, ?, 'in', '', coalesce(?, ''), coalesce(?, ''), ?, ?, coalesce(?, ''), '', '', NULL, '', NULL, '')`
	inColumns = 8
	// outValues binds conv_id, channel, seq, author, text, at, flow,
	// state, choices, lang, answers, status.
	outValues = `(?, ?, ?, 'out', coalesce(?, ''), '', coalesce(?, ''), ?, NULL, '',
		coalesce(?, ''), coalesce(?, ''), ?, coalesce(?, ''), ?, coalesce(?, ''))`
	outColumns     = 12
	insertRowsTail = `
	ON CONFLICT (conv_id, platform_id) WHERE direction = 'in' AND platform_id <> '' DO NOTHING`

	sqlAnalysed = `UPDATE messages SET analysis = ? WHERE conv_id = ? AND seq = ? AND direction = 'in'`

	// sqlSeq reads a conversation's stored seq, for the turn's
	// compare-and-swap on Turn.Base.
	sqlSeq = `SELECT seq FROM conversations WHERE channel = ? AND conversation = ?`

	// sqlStored finds an inbound message by platform id, for a stale
	// turn's redelivery check.
	sqlStored = `SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conv_id
	WHERE c.channel = ? AND c.conversation = ? AND m.direction = 'in' AND m.platform_id = ? AND m.platform_id <> ''`

	// sqlClaim claims undelivered replies above a cursor (?3) on the
	// channels of a JSON array (?4, NULL for all) for owner ?1 until ?2,
	// skipping every conversation in which another owner holds a live
	// claim (?5 is now), and returns the ids claimed (in no order).
	// INDEXED BY keeps the look at one conversation's replies on the
	// (conv_id, seq) key: messages_outbox would read the whole outbox.
	sqlClaim = `UPDATE messages SET claim_owner = ?1, claim_until = ?2
	WHERE id IN (
		SELECT m.id FROM messages m
		WHERE m.direction = 'out' AND m.sent = 0 AND m.id > ?3
			AND (?4 IS NULL OR m.channel IN (SELECT value FROM json_each(?4)))
			AND NOT EXISTS (SELECT 1 FROM messages o INDEXED BY sqlite_autoindex_messages_1
				WHERE o.conv_id = m.conv_id AND o.direction = 'out' AND o.sent = 0
					AND o.claim_owner <> ?1 AND o.claim_until > ?5)
		ORDER BY m.id LIMIT ?6)
	RETURNING id`

	sqlUpsertRating = `INSERT INTO ratings (conv_id, score, comment, at) VALUES (?, ?, ?, ?)
	ON CONFLICT (conv_id, at) DO UPDATE SET score = excluded.score, comment = excluded.comment`

	sqlInsertHandoff = `INSERT INTO handoffs (conv_id, reason, evidence, skill, priority, flow, state, lang, at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`

	// sqlMarkSent marks the replies of an id list sent: the list, "(?, ?)"
	// with as many ? as ids, follows.
	sqlMarkSent = `UPDATE messages SET sent = 1, claim_owner = '', claim_until = 0 WHERE direction = 'out' AND id IN `

	sqlSaveFlows = `INSERT INTO flows_versions (hash, source, at) VALUES (?, ?, ?)
	ON CONFLICT (hash) DO NOTHING`
)

// The readers' statements.
const (
	// sqlLoad has plain ? parameters: the driver looks up a named or
	// numbered parameter's name, a string, at every call.
	sqlLoad = `SELECT snapshot FROM conversations WHERE channel = ? AND conversation = ?`

	sqlTranscript = `SELECT ` + store.EntryColumns + `
	FROM messages m JOIN conversations c ON c.id = m.conv_id
	WHERE c.channel = ?1 AND c.conversation = ?2
	ORDER BY m.seq`

	sqlPending = `SELECT ` + store.OutgoingColumns + `
	FROM messages m JOIN conversations c ON c.id = m.conv_id
	WHERE m.direction = 'out' AND m.sent = 0 AND m.id > ?2
	ORDER BY m.id LIMIT ?1`

	// sqlClaimed reads the replies of a JSON array of ids.
	sqlClaimed = `SELECT ` + store.OutgoingColumns + `
	FROM messages m JOIN conversations c ON c.id = m.conv_id
	WHERE m.id IN (SELECT value FROM json_each(?1))
	ORDER BY m.id`

	// sqlReceived finds a stored inbound message by platform id (messages_redelivery).
	sqlReceived = `SELECT m.text FROM messages m JOIN conversations c ON c.id = m.conv_id
	WHERE c.channel = ?1 AND c.conversation = ?2 AND m.direction = 'in' AND m.platform_id = ?3 AND m.platform_id <> ''`

	// sqlTranscriptFrom is sqlTranscript after a seq; the (conv_id, seq)
	// key makes it read only those rows.
	sqlTranscriptFrom = `SELECT ` + store.EntryColumns + `
	FROM messages m JOIN conversations c ON c.id = m.conv_id
	WHERE c.channel = ?1 AND c.conversation = ?2 AND m.seq > ?3
	ORDER BY m.seq`

	sqlUnanswered = `SELECT channel, conversation FROM conversations WHERE last_in > processed ORDER BY id`

	sqlFlows = `SELECT source FROM flows_versions WHERE hash = ?1`

	sqlHandoffs = `SELECT ` + store.HandoffColumns + `
	FROM handoffs h JOIN conversations c ON c.id = h.conv_id
	WHERE c.channel = ?1 AND c.conversation = ?2
	ORDER BY h.id`

	// sqlHandedOff lists the conversations a person holds with their latest handoff.
	sqlHandedOff = `SELECT ` + store.HandoffColumns + `
	FROM conversations c JOIN handoffs h ON h.id = (SELECT max(id) FROM handoffs WHERE conv_id = c.id)
	WHERE c.status = 'human'
	ORDER BY h.id`

	sqlRatings = `SELECT ` + store.RatingColumns + `
	FROM ratings r JOIN conversations c ON c.id = r.conv_id
	WHERE c.channel = ?1 AND c.conversation = ?2
	ORDER BY r.id`
)

// readStmts are prepared on the read pool.
type readStmts struct {
	load, transcript, transcriptFrom, pending, unanswered, flows, handoffs, ratings, handedOff, received, claimed *sql.Stmt
}

func (r *readStmts) list() []**sql.Stmt {
	return []**sql.Stmt{&r.load, &r.transcript, &r.transcriptFrom, &r.pending, &r.unanswered, &r.flows, &r.handoffs, &r.ratings, &r.handedOff, &r.received, &r.claimed}
}

func (r *readStmts) prepare(ctx context.Context, db *sql.DB) error {
	return prepareAll(ctx, db, r.list(), []string{sqlLoad, sqlTranscript, sqlTranscriptFrom, sqlPending, sqlUnanswered, sqlFlows, sqlHandoffs, sqlRatings, sqlHandedOff, sqlReceived, sqlClaimed})
}

func (r *readStmts) close() error { return closeAll(r.list()) }

func prepareAll(ctx context.Context, db *sql.DB, dst []**sql.Stmt, queries []string) error {
	for i, q := range queries {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		*dst[i] = st
	}
	return nil
}

func closeAll(list []**sql.Stmt) error {
	var errs []error
	for _, p := range list {
		if *p != nil {
			errs = append(errs, (*p).Close())
		}
	}
	return errors.Join(errs...)
}

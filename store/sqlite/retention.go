package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/calmbot/calmbot/store"
)

// pruneBatch bounds the conversations one write transaction prunes, so
// that turns queued behind it wait little.
const pruneBatch = 256

// The conversations Prune may touch (?1 is the cutoff): not updated since,
// not with a person, nothing unanswered, no undelivered reply, no open ticket.
// INDEXED BY reads a conversation's replies on the (conv_id, seq) key.
const sqlPrunable = `c.updated IS NOT NULL AND c.updated < ?1
	AND c.status <> 'human' AND c.last_in <= c.processed
	AND NOT EXISTS (SELECT 1 FROM messages m INDEXED BY sqlite_autoindex_messages_1 WHERE m.conv_id = c.id AND m.direction = 'out' AND m.sent = 0)
	AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.channel = c.channel AND t.conversation = c.conversation AND t.status <> 'closed')`

const (
	// sqlPruneCandidates pages through old conversations on the read pool.
	sqlPruneCandidates = `SELECT id FROM conversations WHERE updated < ?1 AND id > ?2 ORDER BY id LIMIT ?3`

	sqlPruneTable = `CREATE TEMP TABLE IF NOT EXISTS prune_ids (id INTEGER PRIMARY KEY)`
	sqlPruneClear = `DELETE FROM temp.prune_ids`
	// sqlPruneSelect keeps the candidates (?2, a JSON array of ids) that
	// may still be pruned now, inside the writer's transaction.
	sqlPruneSelect = `INSERT INTO temp.prune_ids SELECT c.id FROM conversations c
	WHERE c.id IN (SELECT value FROM json_each(?2)) AND ` + sqlPrunable

	sqlDeleteMessages      = `DELETE FROM messages WHERE conv_id IN temp.prune_ids`
	sqlDeleteHandoffs      = `DELETE FROM handoffs WHERE conv_id IN temp.prune_ids`
	sqlDeleteRatings       = `DELETE FROM ratings WHERE conv_id IN temp.prune_ids`
	sqlDeleteTickets       = `DELETE FROM tickets WHERE EXISTS (SELECT 1 FROM conversations c WHERE c.id IN temp.prune_ids AND c.channel = tickets.channel AND c.conversation = tickets.conversation)`
	sqlDeleteConversations = `DELETE FROM conversations WHERE id IN temp.prune_ids`

	sqlAnonMessages = `UPDATE messages SET text = ?1, platform_id = '' WHERE conv_id IN temp.prune_ids`
	sqlAnonRatings  = `UPDATE ratings SET comment = ?1 WHERE conv_id IN temp.prune_ids AND comment <> ''`
	sqlAnonTickets  = `UPDATE tickets SET conversation = 'anonymised-' || c.id,
		ticket = json_set(tickets.ticket,
			'$.address.conversation', 'anonymised-' || c.id,
			'$.notes', json((SELECT json_group_array(json_set(n.value, '$.text', ?1)) FROM json_each(tickets.ticket, '$.notes') n)),
			'$.transfers', json((SELECT json_group_array(json_remove(x.value, '$.note')) FROM json_each(tickets.ticket, '$.transfers') x)))
	FROM conversations c
	WHERE c.id IN temp.prune_ids AND c.channel = tickets.channel AND c.conversation = tickets.conversation`
	sqlAnonConversations = `UPDATE conversations SET conversation = 'anonymised-' || id, snapshot = NULL WHERE id IN temp.prune_ids`
)

// Prune deletes or anonymises (mode) the conversations last updated before
// before, and returns how many. It never touches a conversation a person
// holds (or that has an open ticket), nor one with messages the bot has
// not answered or replies not yet delivered. An anonymised conversation
// is not anonymised again, but store.PruneDelete deletes it. Prune works
// in small transactions beside the turns; it can be stopped with ctx and
// run again.
func (s *Store) Prune(ctx context.Context, before time.Time, mode store.PruneMode) (int, error) {
	var stmts []execStmt
	switch mode {
	case store.PruneDelete:
		stmts = []execStmt{{sqlDeleteMessages, nil}, {sqlDeleteHandoffs, nil}, {sqlDeleteRatings, nil},
			{sqlDeleteTickets, nil}, {sqlDeleteConversations, nil}}
	case store.PruneAnonymise:
		stmts = []execStmt{{sqlAnonMessages, []any{store.Removed}}, {sqlAnonRatings, []any{store.Removed}},
			{sqlAnonTickets, []any{store.Removed}}, {sqlAnonConversations, nil}}
	default:
		return 0, fmt.Errorf("sqlite: prune: unknown mode %q: want %q or %q", mode, store.PruneDelete, store.PruneAnonymise)
	}
	cutoff := before.UnixNano()
	total := 0
	for after := int64(0); ; {
		ids, err := s.pruneCandidates(ctx, cutoff, after)
		if err != nil || len(ids) == 0 {
			return total, err
		}
		after = ids[len(ids)-1]
		js, err := json.Marshal(ids)
		if err != nil {
			return total, fmt.Errorf("sqlite: prune: %w", err)
		}
		sel := sqlPruneSelect
		if mode == store.PruneAnonymise {
			sel += ` AND c.snapshot IS NOT NULL`
		}
		all := append([]execStmt{{sqlPruneTable, nil}, {sqlPruneClear, nil}, {sel, []any{cutoff, string(js)}}}, stmts...)
		res, err := s.write(ctx, kindPrune, all)
		if err != nil {
			return total, fmt.Errorf("sqlite: prune: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("sqlite: prune: %w", err)
		}
		total += int(n)
	}
}

// pruneCandidates returns the ids after after of conversations updated
// before cutoff, a page at a time: Prune checks the rest in the writer.
func (s *Store) pruneCandidates(ctx context.Context, cutoff, after int64) ([]int64, error) {
	rows, err := s.rdb.QueryContext(ctx, sqlPruneCandidates, cutoff, after, pruneBatch)
	if err != nil {
		return nil, fmt.Errorf("sqlite: prune: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlite: prune: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: prune: %w", err)
	}
	return ids, nil
}

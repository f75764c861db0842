package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/calmbot/calmbot/store"
)

// pruneBatch bounds the conversations one transaction prunes.
const pruneBatch = 256

// sqlPruneSelect locks the next page of conversations Prune may touch ($1
// is the cutoff, $2 the cursor): not updated since, not with a person,
// nothing unanswered, no undelivered reply, no open ticket. A conversation
// another instance is writing is skipped for now.
const sqlPruneSelect = `SELECT c.id FROM conversations c
	WHERE c.updated IS NOT NULL AND c.updated < $1 AND c.id > $2
		AND c.status <> 'human' AND c.last_in <= c.processed
		AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conv_id = c.id AND m.direction = 'out' AND NOT m.sent)
		AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.channel = c.channel AND t.conversation = c.conversation AND t.status <> 'closed')
		%s
	ORDER BY c.id LIMIT $3
	FOR UPDATE OF c SKIP LOCKED`

var pruneDelete = []string{
	`DELETE FROM messages WHERE conv_id = ANY($1)`,
	`DELETE FROM handoffs WHERE conv_id = ANY($1)`,
	`DELETE FROM ratings WHERE conv_id = ANY($1)`,
	`DELETE FROM tickets t USING conversations c WHERE c.id = ANY($1) AND c.channel = t.channel AND c.conversation = t.conversation`,
	`DELETE FROM conversations WHERE id = ANY($1)`,
}

// jsonArray is a ticket's array field, [] when it has none.
const jsonArray = `(CASE WHEN jsonb_typeof(t.ticket::jsonb -> '%[1]s') = 'array' THEN t.ticket::jsonb -> '%[1]s' ELSE '[]'::jsonb END)`

var pruneAnonymise = []string{
	`UPDATE messages SET text = $2, platform_id = '' WHERE conv_id = ANY($1)`,
	`UPDATE ratings SET comment = $2 WHERE conv_id = ANY($1) AND comment <> ''`,
	`UPDATE tickets t SET conversation = 'anonymised-' || c.id,
		ticket = jsonb_set(jsonb_set(jsonb_set(t.ticket::jsonb,
			'{address,conversation}', to_jsonb('anonymised-' || c.id)),
			'{notes}', coalesce((SELECT jsonb_agg(jsonb_set(n, '{text}', to_jsonb($2::text))) FROM jsonb_array_elements(` + fmt.Sprintf(jsonArray, "notes") + `) n), '[]'::jsonb)),
			'{transfers}', coalesce((SELECT jsonb_agg(x - 'note') FROM jsonb_array_elements(` + fmt.Sprintf(jsonArray, "transfers") + `) x), '[]'::jsonb))::text
	FROM conversations c
	WHERE c.id = ANY($1) AND c.channel = t.channel AND c.conversation = t.conversation`,
	`UPDATE conversations SET conversation = 'anonymised-' || id, snapshot = NULL WHERE id = ANY($1)`,
}

// Prune deletes or anonymises (mode) the conversations last updated before
// before, and returns how many, as store/sqlite's Prune does. It works in
// small transactions beside the turns of every instance; it can be
// stopped with ctx and run again.
func (s *Store) Prune(ctx context.Context, before time.Time, mode store.PruneMode) (int, error) {
	var stmts []string
	extra := ""
	switch mode {
	case store.PruneDelete:
		stmts = pruneDelete
	case store.PruneAnonymise:
		stmts, extra = pruneAnonymise, `AND c.snapshot IS NOT NULL`
	default:
		return 0, fmt.Errorf("postgres: prune: unknown mode %q: want %q or %q", mode, store.PruneDelete, store.PruneAnonymise)
	}
	sel := fmt.Sprintf(sqlPruneSelect, extra)
	total := 0
	for after := int64(0); ; {
		var ids []int64
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, sel, before.UnixNano(), after, pruneBatch)
			if err != nil {
				return err
			}
			if ids, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil || len(ids) == 0 {
				return err
			}
			for _, q := range stmts {
				args := []any{ids}
				if strings.Contains(q, "$2") {
					args = append(args, store.Removed)
				}
				if _, err := tx.Exec(ctx, q, args...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("postgres: prune: %w", err)
		}
		if len(ids) == 0 {
			return total, nil
		}
		total += len(ids)
		after = ids[len(ids)-1]
	}
}

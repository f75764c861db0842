package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/store"
)

// outgoingColumns are what scanOutgoing reads.
const outgoingColumns = store.OutgoingColumns

// Load returns the conversation's latest snapshot, or an error wrapping
// bot.ErrNotFound when no snapshot was committed for addr.
func (s *Store) Load(ctx context.Context, addr bot.Address) (*bot.Snapshot, error) {
	var js *string
	err := s.pool.QueryRow(ctx, `SELECT snapshot FROM conversations WHERE channel = $1 AND conversation = $2`,
		addr.Channel, addr.Conversation).Scan(&js)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && js == nil) {
		return nil, fmt.Errorf("postgres: load %s: %w", addr, bot.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: load %s: %w", addr, err)
	}
	sn := new(bot.Snapshot)
	if err := json.Unmarshal([]byte(*js), sn); err != nil {
		return nil, fmt.Errorf("postgres: load %s: snapshot: %w", addr, err)
	}
	return sn, nil
}

// Transcript returns the conversation's messages in seq order.
func (s *Store) Transcript(ctx context.Context, addr bot.Address) ([]bot.Entry, error) {
	return s.TranscriptFrom(ctx, addr, -1)
}

var _ bot.TranscriptFromStore = (*Store)(nil)

// TranscriptFrom returns the conversation's messages after seq after.
func (s *Store) TranscriptFrom(ctx context.Context, addr bot.Address, after int64) ([]bot.Entry, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+store.EntryColumns+`
		FROM messages m JOIN conversations c ON c.id = m.conv_id
		WHERE c.channel = $1 AND c.conversation = $2 AND m.seq > $3
		ORDER BY m.seq`, addr.Channel, addr.Conversation, after)
	if err != nil {
		return nil, fmt.Errorf("postgres: transcript %s: %w", addr, err)
	}
	defer rows.Close()
	out, err := store.Entries[[]byte](rows)
	if err != nil {
		return nil, fmt.Errorf("postgres: transcript %s: %w", addr, err)
	}
	return out, nil
}

// Received returns the texts of addr's stored inbound messages whose
// platform id is among ids, by id.
func (s *Store) Received(ctx context.Context, addr bot.Address, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT m.platform_id, m.text FROM messages m JOIN conversations c ON c.id = m.conv_id
		WHERE c.channel = $1 AND c.conversation = $2 AND m.direction = 'in' AND m.platform_id = ANY($3) AND m.platform_id <> ''`,
		addr.Channel, addr.Conversation, ids)
	if err != nil {
		return nil, fmt.Errorf("postgres: received %s: %w", addr, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, text string
		if err := rows.Scan(&id, &text); err != nil {
			return nil, fmt.Errorf("postgres: received %s: %w", addr, err)
		}
		out[id] = text
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: received %s: %w", addr, err)
	}
	return out, nil
}

// Pending returns up to limit undelivered replies with an id above after,
// oldest first; limit <= 0 returns them all.
func (s *Store) Pending(ctx context.Context, after int64, limit int) ([]bot.Outgoing, error) {
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	rows, err := s.pool.Query(ctx, `SELECT `+outgoingColumns+`
		FROM messages m JOIN conversations c ON c.id = m.conv_id
		WHERE m.direction = 'out' AND NOT m.sent AND m.id > $1
		ORDER BY m.id LIMIT $2`, after, lim)
	if err != nil {
		return nil, fmt.Errorf("postgres: pending: %w", err)
	}
	out, err := scanOutgoing(rows)
	if err != nil {
		return nil, fmt.Errorf("postgres: pending: %w", err)
	}
	return out, nil
}

// scanOutgoing reads outbox rows (outgoingColumns) and closes them.
func scanOutgoing(rows pgx.Rows) ([]bot.Outgoing, error) {
	defer rows.Close()
	return store.Outgoing[[]byte](rows)
}

// Unanswered returns the conversations with stored inbound messages the
// bot has not processed, in the order they were first stored.
func (s *Store) Unanswered(ctx context.Context) ([]bot.Address, error) {
	rows, err := s.pool.Query(ctx, `SELECT channel, conversation FROM conversations WHERE last_in > processed ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: unanswered: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (bot.Address, error) {
		var a bot.Address
		err := r.Scan(&a.Channel, &a.Conversation)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: unanswered: %w", err)
	}
	return out, nil
}

// Flows returns the flow file source stored under hash, or an error
// wrapping bot.ErrNotFound.
func (s *Store) Flows(ctx context.Context, hash string) ([]byte, error) {
	var src []byte
	err := s.pool.QueryRow(ctx, `SELECT source FROM flows_versions WHERE hash = $1`, hash).Scan(&src)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: flows %s: %w", hash, bot.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: flows %s: %w", hash, err)
	}
	return src, nil
}

// Handoffs returns the handoffs stored for a conversation, oldest first.
func (s *Store) Handoffs(ctx context.Context, addr bot.Address) ([]bot.HandoffRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+store.HandoffColumns+`
		FROM handoffs h JOIN conversations c ON c.id = h.conv_id
		WHERE c.channel = $1 AND c.conversation = $2
		ORDER BY h.id`, addr.Channel, addr.Conversation)
	if err != nil {
		return nil, fmt.Errorf("postgres: handoffs %s: %w", addr, err)
	}
	out, err := scanHandoffs(rows)
	if err != nil {
		return nil, fmt.Errorf("postgres: handoffs %s: %w", addr, err)
	}
	return out, nil
}

// HandedOff returns the latest handoff of every conversation a person
// holds, oldest first.
func (s *Store) HandedOff(ctx context.Context) ([]bot.HandoffRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+store.HandoffColumns+`
		FROM conversations c JOIN handoffs h ON h.id = (SELECT max(id) FROM handoffs WHERE conv_id = c.id)
		WHERE c.status = 'human'
		ORDER BY h.id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: handed off: %w", err)
	}
	out, err := scanHandoffs(rows)
	if err != nil {
		return nil, fmt.Errorf("postgres: handed off: %w", err)
	}
	return out, nil
}

// scanHandoffs reads handoff rows (store.HandoffColumns) and closes them.
func scanHandoffs(rows pgx.Rows) ([]bot.HandoffRecord, error) {
	defer rows.Close()
	return store.Handoffs[[]byte](rows)
}

// Ratings returns the ratings given in a conversation, oldest first.
func (s *Store) Ratings(ctx context.Context, addr bot.Address) ([]bot.Rating, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+store.RatingColumns+`
		FROM ratings r JOIN conversations c ON c.id = r.conv_id
		WHERE c.channel = $1 AND c.conversation = $2
		ORDER BY r.id`, addr.Channel, addr.Conversation)
	if err != nil {
		return nil, fmt.Errorf("postgres: ratings %s: %w", addr, err)
	}
	defer rows.Close()
	out, err := store.Ratings(rows, addr)
	if err != nil {
		return nil, fmt.Errorf("postgres: ratings %s: %w", addr, err)
	}
	return out, nil
}

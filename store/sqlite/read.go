package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/store"
)

// Load returns the conversation's latest snapshot, or an error wrapping
// bot.ErrNotFound when no snapshot was committed for addr. It reads one row
// by key: once begun, it is not interrupted by the end of ctx.
func (s *Store) Load(ctx context.Context, addr bot.Address) (*bot.Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: load %s: %w", addr, err)
	}
	// Without ctx's Done, neither database/sql nor the driver starts a
	// goroutine to watch it, which cost more than the lookup itself.
	var js sql.NullString
	err := s.rd.load.QueryRowContext(context.WithoutCancel(ctx), addr.Channel, addr.Conversation).Scan(&js)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !js.Valid) {
		return nil, fmt.Errorf("sqlite: load %s: %w", addr, bot.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: load %s: %w", addr, err)
	}
	sn := new(bot.Snapshot)
	if err := json.Unmarshal([]byte(js.String), sn); err != nil {
		return nil, fmt.Errorf("sqlite: load %s: snapshot: %w", addr, err)
	}
	return sn, nil
}

// Transcript returns the conversation's messages in seq order, outbound
// ones with their outbox id and whether they were sent. An unknown
// conversation has an empty transcript.
func (s *Store) Transcript(ctx context.Context, addr bot.Address) ([]bot.Entry, error) {
	rows, err := s.rd.transcript.QueryContext(ctx, addr.Channel, addr.Conversation)
	if err != nil {
		return nil, fmt.Errorf("sqlite: transcript %s: %w", addr, err)
	}
	return scanEntries(rows, addr)
}

// Received returns the texts of addr's stored inbound messages whose
// platform id is among ids, by id.
func (s *Store) Received(ctx context.Context, addr bot.Address, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	for _, id := range ids {
		if _, done := out[id]; done || id == "" {
			continue
		}
		var text string
		err := s.rd.received.QueryRowContext(ctx, addr.Channel, addr.Conversation, id).Scan(&text)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return nil, fmt.Errorf("sqlite: received %s: %w", addr, err)
		default:
			out[id] = text
		}
	}
	return out, nil
}

// Pending returns up to limit undelivered replies with an id above after,
// oldest first; limit <= 0 returns them all.
func (s *Store) Pending(ctx context.Context, after int64, limit int) ([]bot.Outgoing, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := s.rd.pending.QueryContext(ctx, limit, after)
	if err != nil {
		return nil, fmt.Errorf("sqlite: pending: %w", err)
	}
	out, err := scanOutgoing(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: pending: %w", err)
	}
	return out, nil
}

// scanOutgoing reads outbox rows (store.OutgoingColumns) and closes them.
func scanOutgoing(rows *sql.Rows) ([]bot.Outgoing, error) {
	defer rows.Close()
	return store.Outgoing[sql.RawBytes](rows)
}

// Unanswered returns the conversations whose last stored inbound message
// comes after the last one the bot processed, in the order they were first
// stored.
func (s *Store) Unanswered(ctx context.Context) ([]bot.Address, error) {
	rows, err := s.rd.unanswered.QueryContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: unanswered: %w", err)
	}
	defer rows.Close()
	var out []bot.Address
	for rows.Next() {
		var a bot.Address
		if err := rows.Scan(&a.Channel, &a.Conversation); err != nil {
			return nil, fmt.Errorf("sqlite: unanswered: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: unanswered: %w", err)
	}
	return out, nil
}

// Flows returns the flow file source stored under hash, or an error
// wrapping bot.ErrNotFound.
func (s *Store) Flows(ctx context.Context, hash string) ([]byte, error) {
	var src []byte
	err := s.rd.flows.QueryRowContext(ctx, hash).Scan(&src)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: flows %s: %w", hash, bot.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: flows %s: %w", hash, err)
	}
	return src, nil
}

// Handoffs returns the handoffs stored for a conversation, oldest first.
// Evidence numbers come back as float64, as encoding/json decodes them.
func (s *Store) Handoffs(ctx context.Context, addr bot.Address) ([]bot.HandoffRecord, error) {
	rows, err := s.rd.handoffs.QueryContext(ctx, addr.Channel, addr.Conversation)
	if err != nil {
		return nil, fmt.Errorf("sqlite: handoffs %s: %w", addr, err)
	}
	defer rows.Close()
	out, err := store.Handoffs[sql.RawBytes](rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: handoffs %s: %w", addr, err)
	}
	return out, nil
}

// Ratings returns the ratings given in a conversation, oldest first.
func (s *Store) Ratings(ctx context.Context, addr bot.Address) ([]bot.Rating, error) {
	rows, err := s.rd.ratings.QueryContext(ctx, addr.Channel, addr.Conversation)
	if err != nil {
		return nil, fmt.Errorf("sqlite: ratings %s: %w", addr, err)
	}
	defer rows.Close()
	out, err := store.Ratings(rows, addr)
	if err != nil {
		return nil, fmt.Errorf("sqlite: ratings %s: %w", addr, err)
	}
	return out, nil
}

// HandedOff returns the latest handoff of every conversation a person
// holds, oldest first: what a handoff queue recovers after a crash.
func (s *Store) HandedOff(ctx context.Context) ([]bot.HandoffRecord, error) {
	rows, err := s.rd.handedOff.QueryContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: handed off: %w", err)
	}
	defer rows.Close()
	out, err := store.Handoffs[sql.RawBytes](rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: handed off: %w", err)
	}
	return out, nil
}

var _ bot.TranscriptFromStore = (*Store)(nil)

// TranscriptFrom returns the conversation's messages after seq after, as
// Transcript does; it reads only those.
func (s *Store) TranscriptFrom(ctx context.Context, addr bot.Address, after int64) ([]bot.Entry, error) {
	rows, err := s.rd.transcriptFrom.QueryContext(ctx, addr.Channel, addr.Conversation, after)
	if err != nil {
		return nil, fmt.Errorf("sqlite: transcript %s after %d: %w", addr, after, err)
	}
	return scanEntries(rows, addr)
}

// scanEntries reads transcript rows (store.EntryColumns) and closes them.
func scanEntries(rows *sql.Rows, addr bot.Address) ([]bot.Entry, error) {
	defer rows.Close()
	out, err := store.Entries[sql.RawBytes](rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: transcript %s: %w", addr, err)
	}
	return out, nil
}

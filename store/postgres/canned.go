package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/store"
)

// CannedReplies returns every canned reply, by team, title and language.
func (s *Store) CannedReplies(ctx context.Context) ([]handoff.Canned, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+store.CannedColumns+` FROM canned_replies ORDER BY team, title, lang`)
	if err != nil {
		return nil, fmt.Errorf("postgres: canned replies: %w", err)
	}
	defer rows.Close()
	out, err := store.Canned(rows)
	if err != nil {
		return nil, fmt.Errorf("postgres: canned replies: %w", err)
	}
	return out, nil
}

// SaveCanned stores a canned reply, replacing the text of the one with the
// same team, title and language.
func (s *Store) SaveCanned(ctx context.Context, c handoff.Canned) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO canned_replies (team, title, lang, text, author, updated) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (team, title, lang) DO UPDATE SET text = excluded.text, author = excluded.author, updated = excluded.updated`,
		c.Team, c.Title, c.Lang, c.Text, c.Author, nanos(c.Updated)); err != nil {
		return fmt.Errorf("postgres: save canned reply %q: %w", c.Title, err)
	}
	return nil
}

// DeleteCanned deletes canned reply id, or fails with handoff.ErrNotFound.
func (s *Store) DeleteCanned(ctx context.Context, id int64) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM canned_replies WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("postgres: delete canned reply %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: delete canned reply %d: %w", id, handoff.ErrNotFound)
	}
	return nil
}

// SetAgentName stores an agent's display name, leaving the rest of their
// account as it is.
func (s *Store) SetAgentName(ctx context.Context, id, name string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE agents SET agent = jsonb_set(agent::jsonb, '{name}', to_jsonb($1::text))::text, updated = $2
		WHERE id = $3`, name, nanos(time.Now()), id); err != nil {
		return fmt.Errorf("postgres: set name of %s: %w", id, err)
	}
	return nil
}

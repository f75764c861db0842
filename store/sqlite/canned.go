package sqlite

import (
	"context"
	"fmt"

	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/store"
)

// The desk's canned replies (migration 0008).
const (
	sqlCanned     = `SELECT ` + store.CannedColumns + ` FROM canned_replies ORDER BY team, title, lang`
	sqlSaveCanned = `INSERT INTO canned_replies (team, title, lang, text, author, updated) VALUES (?, ?, ?, ?, ?, ?)
	ON CONFLICT (team, title, lang) DO UPDATE SET text = excluded.text, author = excluded.author, updated = excluded.updated`
	sqlDeleteCanned = `DELETE FROM canned_replies WHERE id = ?`
)

// CannedReplies returns every canned reply, by team, title and language.
func (s *Store) CannedReplies(ctx context.Context) ([]handoff.Canned, error) {
	rows, err := s.rdb.QueryContext(ctx, sqlCanned)
	if err != nil {
		return nil, fmt.Errorf("sqlite: canned replies: %w", err)
	}
	defer rows.Close()
	out, err := store.Canned(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: canned replies: %w", err)
	}
	return out, nil
}

// SaveCanned stores a canned reply, replacing the text of the one with the
// same team, title and language.
func (s *Store) SaveCanned(ctx context.Context, c handoff.Canned) error {
	if _, err := s.execute(ctx, execStmt{sqlSaveCanned, []any{c.Team, c.Title, c.Lang, c.Text, c.Author, nanos(c.Updated)}}); err != nil {
		return fmt.Errorf("sqlite: save canned reply %q: %w", c.Title, err)
	}
	return nil
}

// DeleteCanned deletes canned reply id, or fails with handoff.ErrNotFound.
func (s *Store) DeleteCanned(ctx context.Context, id int64) error {
	res, err := s.execute(ctx, execStmt{sqlDeleteCanned, []any{id}})
	if err != nil {
		return fmt.Errorf("sqlite: delete canned reply %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("sqlite: delete canned reply %d: %w", id, handoff.ErrNotFound)
	}
	return nil
}

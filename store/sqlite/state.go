package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Get returns the adapter state value of key, "" when it has none.
func (s *Store) Get(ctx context.Context, key string) (string, error) {
	var v string
	err := s.rdb.QueryRowContext(ctx, `SELECT value FROM adapter_state WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read adapter state %s: %w", key, err)
	}
	return v, nil
}

// Set stores an adapter state value durably; "" removes key.
func (s *Store) Set(ctx context.Context, key, value string) error {
	st := execStmt{`DELETE FROM adapter_state WHERE key = ?`, []any{key}}
	if value != "" {
		st = execStmt{`INSERT INTO adapter_state (key, value, updated) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated = excluded.updated`, []any{key, value, time.Now().UnixNano()}}
	}
	if _, err := s.execute(ctx, st); err != nil {
		return fmt.Errorf("write adapter state %s: %w", key, err)
	}
	return nil
}

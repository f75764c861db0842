package postgres

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"
)

// SharedKey returns the key every instance on the database signs web chat
// tokens and desk sessions with, making it (32 random bytes) on first use:
// a token one instance issued is good on all of them.
func (s *Store) SharedKey(ctx context.Context) ([]byte, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO server_key (id, key, created) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING`,
		key, time.Now().UnixNano()); err != nil {
		return nil, fmt.Errorf("postgres: shared key: %w", err)
	}
	if err := s.pool.QueryRow(ctx, `SELECT key FROM server_key WHERE id = 1`).Scan(&key); err != nil {
		return nil, fmt.Errorf("postgres: shared key: %w", err)
	}
	return key, nil
}

package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/calmbot/calmbot/bot"
)

var (
	_ bot.Leases      = (*Store)(nil)
	_ bot.LeasePruner = (*Store)(nil)
)

// sqlLease takes the lease of conversation ($1, $2) for owner $3 for $4
// microseconds when it is free, expired or already the owner's; a live
// lease of another owner is left alone and no row is written.
const sqlLease = `INSERT INTO conversation_leases AS l (channel, conversation, owner, expires)
	VALUES ($1, $2, $3, clock_timestamp() + $4::bigint * interval '1 microsecond')
	ON CONFLICT (channel, conversation) DO UPDATE SET owner = EXCLUDED.owner, expires = EXCLUDED.expires
	WHERE l.owner = EXCLUDED.owner OR l.expires <= clock_timestamp()`

// Lease implements bot.Leases: one conditional INSERT ... ON CONFLICT
// DO UPDATE grants a free or expired lease, renews the owner's own, and
// refuses another owner's live one. Expiry is on the database's clock.
func (s *Store) Lease(ctx context.Context, addr bot.Address, owner string, ttl time.Duration) (bool, error) {
	if owner == "" || ttl <= 0 {
		return false, fmt.Errorf("postgres: lease %s: need an owner and a ttl, got %q and %v", addr, owner, ttl)
	}
	tag, err := s.pool.Exec(ctx, sqlLease, addr.Channel, addr.Conversation, owner, ttl.Microseconds())
	if err != nil {
		return false, fmt.Errorf("postgres: lease %s: %w", addr, err)
	}
	return tag.RowsAffected() == 1, nil
}

// Release implements bot.Leases.
func (s *Store) Release(ctx context.Context, addr bot.Address, owner string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM conversation_leases WHERE channel = $1 AND conversation = $2 AND owner = $3`,
		addr.Channel, addr.Conversation, owner)
	if err != nil {
		return fmt.Errorf("postgres: release lease %s: %w", addr, err)
	}
	return nil
}

// PruneLeases implements bot.LeasePruner: it deletes the leases that
// expired at least expiredFor ago on the database's clock. A lease taken
// again meanwhile has a later expiry and stays.
func (s *Store) PruneLeases(ctx context.Context, expiredFor time.Duration) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM conversation_leases
		WHERE expires <= clock_timestamp() - $1::bigint * interval '1 microsecond'`, max(expiredFor, 0).Microseconds())
	if err != nil {
		return 0, fmt.Errorf("postgres: prune leases: %w", err)
	}
	return tag.RowsAffected(), nil
}

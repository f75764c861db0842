package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/store"
)

// The handoff queue's tickets and agents, the agents' platform identities
// and the desk's logged-out sessions, shared by every instance: a claim is
// an UpdateTicket carrying the next version, which PostgreSQL applies only
// over an older one, so of two instances claiming at once one wins.

var _ handoff.Store = (*Store)(nil)

// CreateTicket stores a new ticket and sets its ID.
func (s *Store) CreateTicket(ctx context.Context, t *handoff.Ticket) error {
	js, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("postgres: create ticket: %w", err)
	}
	err = s.pool.QueryRow(ctx, `INSERT INTO tickets (channel, conversation, status, owner, skill, priority, reason, created, closed, version, ticket)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		t.Address.Channel, t.Address.Conversation, string(t.Status), t.Owner, t.Skill, t.Priority, string(t.Reason),
		nanos(t.Created), nanos(t.Closed), t.Version, string(js)).Scan(&t.ID)
	if err != nil {
		return fmt.Errorf("postgres: create ticket for %s: %w", t.Address, err)
	}
	return nil
}

// UpdateTicket stores t unless the stored ticket's version is at least t's.
func (s *Store) UpdateTicket(ctx context.Context, t *handoff.Ticket) error {
	js, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("postgres: update ticket %d: %w", t.ID, err)
	}
	var updated bool
	err = s.pool.QueryRow(ctx, `WITH u AS (
			UPDATE tickets SET status = $1, owner = $2, skill = $3, priority = $4, reason = $5, closed = $6, version = $7, ticket = $8
			WHERE id = $9 AND version < $7 RETURNING id)
		SELECT EXISTS (SELECT 1 FROM u) FROM tickets WHERE id = $9`,
		string(t.Status), t.Owner, t.Skill, t.Priority, string(t.Reason), nanos(t.Closed), t.Version, string(js), t.ID).Scan(&updated)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: update ticket %d: %w", t.ID, handoff.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("postgres: update ticket %d: %w", t.ID, err)
	}
	return nil
}

var _ handoff.ClaimStore = (*Store)(nil)

// ClaimTicket stores t, just claimed, only over a queued ticket of an
// older version: of two instances claiming one ticket, one wins.
func (s *Store) ClaimTicket(ctx context.Context, t *handoff.Ticket) (bool, error) {
	js, err := json.Marshal(t)
	if err != nil {
		return false, fmt.Errorf("postgres: claim ticket %d: %w", t.ID, err)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE tickets SET status = $1, owner = $2, skill = $3, priority = $4, reason = $5, closed = $6, version = $7, ticket = $8
		WHERE id = $9 AND version < $7 AND status = 'queued'`,
		string(t.Status), t.Owner, t.Skill, t.Priority, string(t.Reason), nanos(t.Closed), t.Version, string(js), t.ID)
	if err != nil {
		return false, fmt.Errorf("postgres: claim ticket %d: %w", t.ID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// Ticket returns one ticket, or an error wrapping handoff.ErrNotFound.
func (s *Store) Ticket(ctx context.Context, id int64) (*handoff.Ticket, error) {
	ts, err := s.tickets(ctx, `SELECT id, ticket FROM tickets WHERE id = $1`, id)
	if err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("postgres: ticket %d: %w", id, handoff.ErrNotFound)
	}
	return ts[0], nil
}

// OpenTickets returns the queued and assigned tickets.
func (s *Store) OpenTickets(ctx context.Context) ([]*handoff.Ticket, error) {
	return s.tickets(ctx, `SELECT id, ticket FROM tickets WHERE status <> 'closed' ORDER BY id`)
}

// RecentTickets returns up to limit closed tickets, the latest closed first.
func (s *Store) RecentTickets(ctx context.Context, limit int) ([]*handoff.Ticket, error) {
	return s.tickets(ctx, `SELECT id, ticket FROM tickets WHERE status = 'closed' ORDER BY closed DESC, id DESC LIMIT $1`, limit)
}

func (s *Store) tickets(ctx context.Context, query string, args ...any) ([]*handoff.Ticket, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: tickets: %w", err)
	}
	defer rows.Close()
	out, err := store.Tickets(rows)
	if err != nil {
		return nil, fmt.Errorf("postgres: tickets: %w", err)
	}
	return out, nil
}

// CreateAgent stores a new agent's account, or fails with
// handoff.ErrAgentExists.
func (s *Store) CreateAgent(ctx context.Context, a handoff.Account) error {
	agent, hash, err := store.NewAgent(a)
	if err != nil {
		return fmt.Errorf("postgres: create agent %s: %w", a.ID, err)
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO agents (id, password_hash, agent, updated, epoch) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO NOTHING`, a.ID, hash, agent, nanos(time.Now()), a.Epoch)
	if err != nil {
		return fmt.Errorf("postgres: create agent %s: %w", a.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: create agent %s: %w", a.ID, handoff.ErrAgentExists)
	}
	return nil
}

// Account returns one agent's account as stored now.
func (s *Store) Account(ctx context.Context, id string) (handoff.Account, error) {
	accs, err := s.accounts(ctx, `SELECT `+store.AccountColumns+` FROM agents WHERE id = $1`, id)
	if err != nil {
		return handoff.Account{}, err
	}
	if len(accs) == 0 {
		return handoff.Account{}, fmt.Errorf("postgres: agent %s: %w", id, handoff.ErrNotFound)
	}
	return accs[0], nil
}

// Accounts returns every agent account, by id.
func (s *Store) Accounts(ctx context.Context) ([]handoff.Account, error) {
	return s.accounts(ctx, `SELECT `+store.AccountColumns+` FROM agents ORDER BY id`)
}

func (s *Store) accounts(ctx context.Context, query string, args ...any) ([]handoff.Account, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: agents: %w", err)
	}
	defer rows.Close()
	out, err := store.Accounts(rows)
	if err != nil {
		return nil, fmt.Errorf("postgres: agents: %w", err)
	}
	return out, nil
}

// SetAgentPassword replaces an agent's password hash and moves their epoch on.
func (s *Store) SetAgentPassword(ctx context.Context, id string, hash []byte) (int64, error) {
	var epoch int64
	err := s.pool.QueryRow(ctx, `UPDATE agents SET password_hash = $1, epoch = epoch + 1, updated = $2 WHERE id = $3 RETURNING epoch`,
		hash, nanos(time.Now()), id).Scan(&epoch)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("postgres: set password of %s: %w", id, handoff.ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: set password of %s: %w", id, err)
	}
	return epoch, nil
}

// SetAgentPresence stores an agent's presence, leaving the rest of their
// account as it is.
func (s *Store) SetAgentPresence(ctx context.Context, id string, p handoff.Presence) error {
	if _, err := s.pool.Exec(ctx, `UPDATE agents SET agent = jsonb_set(agent::jsonb, '{presence}', to_jsonb($1::text))::text, updated = $2
		WHERE id = $3`, string(p), nanos(time.Now()), id); err != nil {
		return fmt.Errorf("postgres: set presence of %s: %w", id, err)
	}
	return nil
}

// RemoveAgent deletes an agent's account and identities.
func (s *Store) RemoveAgent(ctx context.Context, id string) error {
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM agent_identities WHERE agent = $1`, id); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM agents WHERE id = $1`, id)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: remove agent %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("postgres: remove agent %s: %w", id, handoff.ErrNotFound)
	}
	return nil
}

// LinkIdentity links a platform user to agent, or renames the agent's link.
func (s *Store) LinkIdentity(ctx context.Context, agent string, id handoff.Identity) error {
	tag, err := s.pool.Exec(ctx, `INSERT INTO agent_identities AS i (platform, user_id, agent, name, created)
		SELECT $1, $2, id, $3, $4 FROM agents WHERE id = $5
		ON CONFLICT (platform, user_id) DO UPDATE SET name = excluded.name WHERE i.agent = excluded.agent`,
		id.Platform, id.UserID, id.Name, time.Now().UnixNano(), agent)
	if err != nil {
		return fmt.Errorf("postgres: link %s to %s: %w", agent, id, err)
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	if _, err := s.Account(ctx, agent); err != nil {
		return fmt.Errorf("postgres: link %s: %w", id, err)
	}
	return fmt.Errorf("postgres: link %s to %s: %w", agent, id, handoff.ErrLinked)
}

// UnlinkIdentity removes a platform user's link.
func (s *Store) UnlinkIdentity(ctx context.Context, platform, userID string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM agent_identities WHERE platform = $1 AND user_id = $2`, platform, userID)
	if err != nil {
		return fmt.Errorf("postgres: unlink %s:%s: %w", platform, userID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: unlink %s:%s: %w", platform, userID, handoff.ErrNotFound)
	}
	return nil
}

// IdentityAgent returns the agent a platform user is linked to.
func (s *Store) IdentityAgent(ctx context.Context, platform, userID string) (string, error) {
	var agent string
	err := s.pool.QueryRow(ctx, `SELECT agent FROM agent_identities WHERE platform = $1 AND user_id = $2`, platform, userID).Scan(&agent)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("postgres: %s:%s: %w", platform, userID, handoff.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("postgres: agent of %s:%s: %w", platform, userID, err)
	}
	return agent, nil
}

// Identities returns every link, by agent, platform and user id.
func (s *Store) Identities(ctx context.Context) ([]handoff.Link, error) {
	rows, err := s.pool.Query(ctx, `SELECT agent, platform, user_id, name FROM agent_identities ORDER BY agent, platform, user_id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: identities: %w", err)
	}
	defer rows.Close()
	out, err := store.Identities(rows)
	if err != nil {
		return nil, fmt.Errorf("postgres: identities: %w", err)
	}
	return out, nil
}

// RevokeSession records that desk session id logged out, on every
// instance; the record is kept until expires. It implements desk.Revocations.
func (s *Store) RevokeSession(ctx context.Context, id string, expires time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM desk_revoked WHERE expires <= $1`, time.Now().UnixNano()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO desk_revoked (session, expires) VALUES ($1, $2) ON CONFLICT (session) DO NOTHING`,
			id, expires.UnixNano())
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: revoke session: %w", err)
	}
	return nil
}

// SessionRevoked reports whether desk session id logged out.
func (s *Store) SessionRevoked(ctx context.Context, id string) (bool, error) {
	var revoked bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM desk_revoked WHERE session = $1)`, id).Scan(&revoked); err != nil {
		return false, fmt.Errorf("postgres: session revoked: %w", err)
	}
	return revoked, nil
}

// Get returns the adapter state value of key, "" when it has none.
func (s *Store) Get(ctx context.Context, key string) (string, error) {
	var v string
	err := s.pool.QueryRow(ctx, `SELECT value FROM adapter_state WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("postgres: read adapter state %s: %w", key, err)
	}
	return v, nil
}

// Set stores an adapter state value durably; "" removes key.
func (s *Store) Set(ctx context.Context, key, value string) error {
	var err error
	if value == "" {
		_, err = s.pool.Exec(ctx, `DELETE FROM adapter_state WHERE key = $1`, key)
	} else {
		_, err = s.pool.Exec(ctx, `INSERT INTO adapter_state (key, value, updated) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated = excluded.updated`, key, value, time.Now().UnixNano())
	}
	if err != nil {
		return fmt.Errorf("postgres: write adapter state %s: %w", key, err)
	}
	return nil
}

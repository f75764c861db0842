package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/store"
)

// The handoff queue's tickets and agents (migrations 0002 and 0003), the
// agents' platform identities (0005), and
// the desk's logged-out sessions (0003). Their writes are
// rare, so they go through the writer as lists of plain statements
// (kindExec), each list in its own savepoint of the writer's transaction,
// durable when the call returns like a turn.

var _ handoff.Store = (*Store)(nil)

// execStmt is one statement of a kindExec request; args must be
// driver.Value types.
type execStmt struct {
	query string
	args  []any
}

// execAll runs stmts on the writer's connection and returns the last
// statement's result.
func (w *writer) execAll(ctx context.Context, stmts []execStmt) (driver.Result, error) {
	if w.exec == nil {
		return nil, errors.New("driver connection cannot execute statements")
	}
	var res driver.Result
	for _, st := range stmts {
		args := make([]driver.NamedValue, len(st.args))
		for i, a := range st.args {
			args[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
		}
		var err error
		if res, err = w.exec.ExecContext(ctx, st.query, args); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// execute runs stmts in the writer and returns the last one's result once
// they are durable.
func (s *Store) execute(ctx context.Context, stmts ...execStmt) (driver.Result, error) {
	r := s.pool.Get().(*request)
	r.kind, r.execs = kindExec, stmts
	if err := s.enqueue(ctx, r); err != nil {
		s.put(r)
		return nil, err
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		if r.state.CompareAndSwap(statePending, stateCancelled) {
			return nil, ctx.Err()
		}
		<-r.done
	}
	res, err := r.result, r.err
	s.put(r)
	return res, err
}

const (
	sqlInsertTicket = `INSERT INTO tickets (channel, conversation, status, owner, skill, priority, reason, created, closed, version, ticket)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlUpdateTicket = `UPDATE tickets SET status = ?, owner = ?, skill = ?, priority = ?, reason = ?, closed = ?, version = ?, ticket = ?
	WHERE id = ? AND version < ?`
	sqlCreateAgent = `INSERT INTO agents (id, password_hash, agent, updated, epoch) VALUES (?, ?, ?, ?, ?)
	ON CONFLICT (id) DO NOTHING`
	sqlSetPassword   = `UPDATE agents SET password_hash = ?, epoch = epoch + 1, updated = ? WHERE id = ?`
	sqlSetPresence   = `UPDATE agents SET agent = json_set(agent, '$.presence', ?), updated = ? WHERE id = ?`
	sqlSetName       = `UPDATE agents SET agent = json_set(agent, '$.name', ?), updated = ? WHERE id = ?`
	sqlRemoveAgent   = `DELETE FROM agents WHERE id = ?`
	sqlAccount       = `SELECT ` + store.AccountColumns + ` FROM agents WHERE id = ?`
	sqlPruneRevoked  = `DELETE FROM desk_revoked WHERE expires <= ?`
	sqlRevoke        = `INSERT INTO desk_revoked (session, expires) VALUES (?, ?) ON CONFLICT (session) DO NOTHING`
	sqlRevoked       = `SELECT 1 FROM desk_revoked WHERE session = ?`
	sqlTicket        = `SELECT id, ticket FROM tickets WHERE id = ?`
	sqlOpenTickets   = `SELECT id, ticket FROM tickets WHERE status <> 'closed' ORDER BY id`
	sqlRecentTickets = `SELECT id, ticket FROM tickets WHERE status = 'closed' ORDER BY closed DESC, id DESC LIMIT ?`
	sqlAccounts      = `SELECT ` + store.AccountColumns + ` FROM agents ORDER BY id`

	sqlUnlinkAgent = `DELETE FROM agent_identities WHERE agent = ?`
	// sqlLink inserts a link for an existing agent, or renames the agent's
	// own link; a user linked to another agent is left alone (no row changes).
	sqlLink = `INSERT INTO agent_identities (platform, user_id, agent, name, created)
	SELECT ?, ?, id, ?, ? FROM agents WHERE id = ?
	ON CONFLICT (platform, user_id) DO UPDATE SET name = excluded.name WHERE agent = excluded.agent`
	sqlUnlink        = `DELETE FROM agent_identities WHERE platform = ? AND user_id = ?`
	sqlIdentityAgent = `SELECT agent FROM agent_identities WHERE platform = ? AND user_id = ?`
	sqlIdentities    = `SELECT agent, platform, user_id, name FROM agent_identities ORDER BY agent, platform, user_id`
)

// CreateTicket stores a new ticket and sets its ID.
func (s *Store) CreateTicket(ctx context.Context, t *handoff.Ticket) error {
	js, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("sqlite: create ticket: %w", err)
	}
	res, err := s.execute(ctx, execStmt{sqlInsertTicket, []any{t.Address.Channel, t.Address.Conversation, string(t.Status),
		t.Owner, t.Skill, t.Priority, string(t.Reason), nanos(t.Created), nanos(t.Closed), t.Version, string(js)}})
	if err != nil {
		return fmt.Errorf("sqlite: create ticket for %s: %w", t.Address, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("sqlite: create ticket for %s: %w", t.Address, err)
	}
	t.ID = id
	return nil
}

// UpdateTicket stores t unless the stored ticket's version is at least t's.
func (s *Store) UpdateTicket(ctx context.Context, t *handoff.Ticket) error {
	js, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("sqlite: update ticket %d: %w", t.ID, err)
	}
	res, err := s.execute(ctx, execStmt{sqlUpdateTicket, []any{string(t.Status), t.Owner, t.Skill, t.Priority, string(t.Reason),
		nanos(t.Closed), t.Version, string(js), t.ID, t.Version}})
	if err != nil {
		return fmt.Errorf("sqlite: update ticket %d: %w", t.ID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		return nil
	}
	// Nothing changed: an older version, or no such ticket.
	var one int
	err = s.rdb.QueryRowContext(ctx, `SELECT 1 FROM tickets WHERE id = ?`, t.ID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: update ticket %d: %w", t.ID, handoff.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("sqlite: update ticket %d: %w", t.ID, err)
	}
	return nil
}

// Ticket returns one ticket, or an error wrapping handoff.ErrNotFound.
func (s *Store) Ticket(ctx context.Context, id int64) (*handoff.Ticket, error) {
	ts, err := s.tickets(ctx, sqlTicket, id)
	if err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("sqlite: ticket %d: %w", id, handoff.ErrNotFound)
	}
	return ts[0], nil
}

// OpenTickets returns the queued and assigned tickets.
func (s *Store) OpenTickets(ctx context.Context) ([]*handoff.Ticket, error) {
	return s.tickets(ctx, sqlOpenTickets)
}

// RecentTickets returns up to limit closed tickets, the latest closed first.
func (s *Store) RecentTickets(ctx context.Context, limit int) ([]*handoff.Ticket, error) {
	return s.tickets(ctx, sqlRecentTickets, limit)
}

func (s *Store) tickets(ctx context.Context, query string, args ...any) ([]*handoff.Ticket, error) {
	rows, err := s.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: tickets: %w", err)
	}
	defer rows.Close()
	out, err := store.Tickets(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: tickets: %w", err)
	}
	return out, nil
}

// CreateAgent stores a new agent's account, or fails with
// handoff.ErrAgentExists.
func (s *Store) CreateAgent(ctx context.Context, a handoff.Account) error {
	agent, hash, err := store.NewAgent(a)
	if err != nil {
		return fmt.Errorf("sqlite: create agent %s: %w", a.ID, err)
	}
	res, err := s.execute(ctx, execStmt{sqlCreateAgent, []any{a.ID, hash, agent, nanos(time.Now()), a.Epoch}})
	if err != nil {
		return fmt.Errorf("sqlite: create agent %s: %w", a.ID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("sqlite: create agent %s: %w", a.ID, handoff.ErrAgentExists)
	}
	return nil
}

// Account returns one agent's account as stored now.
func (s *Store) Account(ctx context.Context, id string) (handoff.Account, error) {
	accs, err := s.accounts(ctx, sqlAccount, id)
	if err != nil {
		return handoff.Account{}, err
	}
	if len(accs) == 0 {
		return handoff.Account{}, fmt.Errorf("sqlite: agent %s: %w", id, handoff.ErrNotFound)
	}
	return accs[0], nil
}

// Accounts returns every agent account, by id.
func (s *Store) Accounts(ctx context.Context) ([]handoff.Account, error) {
	return s.accounts(ctx, sqlAccounts)
}

// SetAgentPassword replaces an agent's password hash and moves their epoch on.
func (s *Store) SetAgentPassword(ctx context.Context, id string, hash []byte) (int64, error) {
	res, err := s.execute(ctx, execStmt{sqlSetPassword, []any{hash, nanos(time.Now()), id}})
	if err != nil {
		return 0, fmt.Errorf("sqlite: set password of %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return 0, fmt.Errorf("sqlite: set password of %s: %w", id, handoff.ErrNotFound)
	}
	a, err := s.Account(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("sqlite: set password of %s: %w", id, err)
	}
	return a.Epoch, nil
}

// SetAgentName stores an agent's display name, leaving the rest of their
// account as it is.
func (s *Store) SetAgentName(ctx context.Context, id, name string) error {
	if _, err := s.execute(ctx, execStmt{sqlSetName, []any{name, nanos(time.Now()), id}}); err != nil {
		return fmt.Errorf("sqlite: set name of %s: %w", id, err)
	}
	return nil
}

// SetAgentPresence stores an agent's presence, leaving the rest of their
// account as it is.
func (s *Store) SetAgentPresence(ctx context.Context, id string, p handoff.Presence) error {
	if _, err := s.execute(ctx, execStmt{sqlSetPresence, []any{string(p), nanos(time.Now()), id}}); err != nil {
		return fmt.Errorf("sqlite: set presence of %s: %w", id, err)
	}
	return nil
}

// RemoveAgent deletes an agent's account and identities.
func (s *Store) RemoveAgent(ctx context.Context, id string) error {
	res, err := s.execute(ctx, execStmt{sqlUnlinkAgent, []any{id}}, execStmt{sqlRemoveAgent, []any{id}})
	if err != nil {
		return fmt.Errorf("sqlite: remove agent %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("sqlite: remove agent %s: %w", id, handoff.ErrNotFound)
	}
	return nil
}

// LinkIdentity links a platform user to agent, or renames the agent's link.
func (s *Store) LinkIdentity(ctx context.Context, agent string, id handoff.Identity) error {
	res, err := s.execute(ctx, execStmt{sqlLink, []any{id.Platform, id.UserID, id.Name, nanos(time.Now()), agent}})
	if err != nil {
		return fmt.Errorf("sqlite: link %s to %s: %w", agent, id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	if _, err := s.Account(ctx, agent); err != nil {
		return fmt.Errorf("sqlite: link %s: %w", id, err)
	}
	return fmt.Errorf("sqlite: link %s to %s: %w", agent, id, handoff.ErrLinked)
}

// UnlinkIdentity removes a platform user's link.
func (s *Store) UnlinkIdentity(ctx context.Context, platform, userID string) error {
	res, err := s.execute(ctx, execStmt{sqlUnlink, []any{platform, userID}})
	if err != nil {
		return fmt.Errorf("sqlite: unlink %s:%s: %w", platform, userID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("sqlite: unlink %s:%s: %w", platform, userID, handoff.ErrNotFound)
	}
	return nil
}

// IdentityAgent returns the agent a platform user is linked to.
func (s *Store) IdentityAgent(ctx context.Context, platform, userID string) (string, error) {
	var agent string
	err := s.rdb.QueryRowContext(ctx, sqlIdentityAgent, platform, userID).Scan(&agent)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("sqlite: %s:%s: %w", platform, userID, handoff.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("sqlite: agent of %s:%s: %w", platform, userID, err)
	}
	return agent, nil
}

// Identities returns every link, by agent, platform and user id.
func (s *Store) Identities(ctx context.Context) ([]handoff.Link, error) {
	rows, err := s.rdb.QueryContext(ctx, sqlIdentities)
	if err != nil {
		return nil, fmt.Errorf("sqlite: identities: %w", err)
	}
	defer rows.Close()
	out, err := store.Identities(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: identities: %w", err)
	}
	return out, nil
}

func (s *Store) accounts(ctx context.Context, query string, args ...any) ([]handoff.Account, error) {
	rows, err := s.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: agents: %w", err)
	}
	defer rows.Close()
	out, err := store.Accounts(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: agents: %w", err)
	}
	return out, nil
}

// RevokeSession records that desk session id logged out; the record is
// kept until expires and pruned after. It implements desk.Revocations.
func (s *Store) RevokeSession(ctx context.Context, id string, expires time.Time) error {
	_, err := s.execute(ctx,
		execStmt{sqlPruneRevoked, []any{time.Now().UnixNano()}},
		execStmt{sqlRevoke, []any{id, expires.UnixNano()}})
	if err != nil {
		return fmt.Errorf("sqlite: revoke session: %w", err)
	}
	return nil
}

// SessionRevoked reports whether desk session id logged out.
func (s *Store) SessionRevoked(ctx context.Context, id string) (bool, error) {
	var one int
	err := s.rdb.QueryRowContext(ctx, sqlRevoked, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sqlite: session revoked: %w", err)
	}
	return true, nil
}

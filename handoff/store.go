package handoff

import (
	"context"
	"errors"
)

// Errors of the handoff service. Actions wrap them, so test with errors.Is.
var (
	// ErrNotFound is returned for an unknown ticket or agent.
	ErrNotFound = errors.New("not found")
	// ErrForbidden is returned when an agent may not act on a ticket: they
	// neither hold it nor were invited, or its skill is not theirs.
	ErrForbidden = errors.New("not allowed")
	// ErrClosed is returned for an action on a closed ticket.
	ErrClosed = errors.New("ticket is closed")
	// ErrTaken is returned by Claim for a ticket another agent holds.
	ErrTaken = errors.New("ticket is already assigned")
	// ErrNoCapacity is returned when an agent already holds as many
	// conversations as their capacity allows.
	ErrNoCapacity = errors.New("agent has no free capacity")
	// ErrUnavailable is returned for a transfer or invitation to an agent
	// who is offline.
	ErrUnavailable = errors.New("agent is offline")
	// ErrEmptyQueue is returned by Next when no queued ticket fits the agent.
	ErrEmptyQueue = errors.New("no ticket waiting for this agent")
	// ErrUnknownStage is returned by Release for a stage the ticket's flow lacks.
	ErrUnknownStage = errors.New("unknown stage")
	// ErrAgentExists is returned by AddAgent for a name already taken.
	ErrAgentExists = errors.New("agent already exists")
	// ErrBadCredentials is returned by Authenticate for a wrong name or password.
	ErrBadCredentials = errors.New("wrong name or password")
	// ErrSessionEnded is returned by Session for a session begun before
	// the agent's password last changed.
	ErrSessionEnded = errors.New("session ended: the password changed")
	// ErrInvalid is returned for bad input: an empty text, a bad name, a
	// short password, a capacity below 1, an unknown presence.
	ErrInvalid = errors.New("invalid input")
	// ErrLinked is returned by Link for a platform user linked to another agent.
	ErrLinked = errors.New("platform user is linked to another agent")
	// ErrNoEngine is returned by actions before SetEngine.
	ErrNoEngine = errors.New("handoff service has no engine")
	// ErrUnsaved is returned for a claim or a reply the store could not
	// save (it is unreachable): nothing changed, and trying again later may
	// succeed.
	ErrUnsaved = errors.New("not saved, the database is unreachable; try again")
)

// Store keeps tickets and agents durably. Implementations must be safe
// for concurrent use and return only after the write is durable.
type Store interface {
	// CreateTicket stores a new ticket and sets its ID.
	CreateTicket(ctx context.Context, t *Ticket) error
	// UpdateTicket stores t over the ticket with its ID, unless the stored
	// one has a Version at least as high (an older write arriving late
	// changes nothing). It returns an error wrapping ErrNotFound for an
	// unknown ID.
	UpdateTicket(ctx context.Context, t *Ticket) error
	// Ticket returns one ticket, or an error wrapping ErrNotFound.
	Ticket(ctx context.Context, id int64) (*Ticket, error)
	// OpenTickets returns every ticket that is queued or assigned.
	OpenTickets(ctx context.Context) ([]*Ticket, error)
	// RecentTickets returns up to limit closed tickets, the latest closed first.
	RecentTickets(ctx context.Context, limit int) ([]*Ticket, error)
	// CreateAgent stores a new account, or returns an error wrapping
	// ErrAgentExists when a.ID is taken.
	CreateAgent(ctx context.Context, a Account) error
	// Account returns the account with id, or an error wrapping ErrNotFound.
	// Another process (calmbot agents) may have changed it: the store, not
	// a Service's memory, is the truth about credentials.
	Account(ctx context.Context, id string) (Account, error)
	// Accounts returns every agent account.
	Accounts(ctx context.Context) ([]Account, error)
	// SetAgentPassword replaces agent id's password hash and moves their
	// Epoch on, returning the new one; an error wrapping ErrNotFound for
	// an unknown id.
	SetAgentPassword(ctx context.Context, id string, hash []byte) (epoch int64, err error)
	// SetAgentPresence stores agent id's presence and nothing else (a
	// stale copy of the account never overwrites its password). An unknown
	// id changes nothing.
	SetAgentPresence(ctx context.Context, id string, p Presence) error
	// SetAgentName stores agent id's display name and nothing else; an
	// unknown id changes nothing.
	SetAgentName(ctx context.Context, id, name string) error
	// RemoveAgent deletes agent id's account and its identities, or
	// returns an error wrapping ErrNotFound.
	RemoveAgent(ctx context.Context, id string) error

	// LinkIdentity links the platform user id names to agent, or changes
	// the Name of a link the agent has already. It returns an error
	// wrapping ErrNotFound for an unknown agent and ErrLinked when
	// another agent has the platform user.
	LinkIdentity(ctx context.Context, agent string, id Identity) error
	// UnlinkIdentity removes the link of a platform user, or returns an
	// error wrapping ErrNotFound when there is none.
	UnlinkIdentity(ctx context.Context, platform, userID string) error
	// IdentityAgent returns the agent linked to a platform user, or an
	// error wrapping ErrNotFound.
	IdentityAgent(ctx context.Context, platform, userID string) (string, error)
	// Identities returns every link, by agent, platform and user id.
	Identities(ctx context.Context) ([]Link, error)
}

// Account is an agent as stored: the agent and their password's bcrypt hash.
type Account struct {
	Agent
	PasswordHash []byte `json:"-"`
}

// ClaimStore is an optional capability of a Store that several instances
// share (store/postgres): a claim taken on one instance is refused on
// another. Without it a Service's memory decides alone, which is right
// for one instance.
type ClaimStore interface {
	// ClaimTicket stores t, just assigned by a claim, only when the stored
	// ticket is still queued with an older Version, and reports whether it
	// did; false when another instance claimed or closed it first.
	ClaimTicket(ctx context.Context, t *Ticket) (bool, error)
}

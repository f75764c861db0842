// Package handofftest helps test code built on package handoff: an
// in-memory handoff.Store and a contract test every Store passes.
package handofftest

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/calmbot/calmbot/handoff"
)

// Store is an in-memory handoff.Store. Tickets go through JSON as a
// durable store's would, so a test sees what survives a restart.
type Store struct {
	mu      sync.Mutex
	tickets map[int64][]byte
	status  map[int64]handoff.Status
	version map[int64]int64
	agents  map[string]handoff.Account
	links   map[[2]string]handoff.Link // by platform, user id
	canned  []handoff.Canned
	next    int64
	// Fail, when set, is returned by every write (to test write failures).
	Fail error
}

var _ handoff.Store = (*Store)(nil)

// NewStore returns an empty Store.
func NewStore() *Store {
	return &Store{
		tickets: map[int64][]byte{},
		status:  map[int64]handoff.Status{},
		version: map[int64]int64{},
		agents:  map[string]handoff.Account{},
		links:   map[[2]string]handoff.Link{},
	}
}

// SetFail makes every write fail with err (nil: succeed again).
func (s *Store) SetFail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Fail = err
}

// CreateTicket implements handoff.Store.
func (s *Store) CreateTicket(_ context.Context, t *handoff.Ticket) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return s.Fail
	}
	s.next++
	t.ID = s.next
	return s.put(t)
}

// UpdateTicket implements handoff.Store.
func (s *Store) UpdateTicket(_ context.Context, t *handoff.Ticket) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return s.Fail
	}
	v, ok := s.version[t.ID]
	if !ok {
		return fmt.Errorf("ticket %d: %w", t.ID, handoff.ErrNotFound)
	}
	if v >= t.Version {
		return nil
	}
	return s.put(t)
}

var _ handoff.ClaimStore = (*Store)(nil)

// ClaimTicket implements handoff.ClaimStore: t is stored only over a
// queued ticket of an older version. Two Services on one Store act as
// two instances on a shared database.
func (s *Store) ClaimTicket(_ context.Context, t *handoff.Ticket) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return false, s.Fail
	}
	v, ok := s.version[t.ID]
	if !ok {
		return false, fmt.Errorf("ticket %d: %w", t.ID, handoff.ErrNotFound)
	}
	if v >= t.Version || s.status[t.ID] != handoff.StatusQueued {
		return false, nil
	}
	return true, s.put(t)
}

func (s *Store) put(t *handoff.Ticket) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	s.tickets[t.ID], s.status[t.ID], s.version[t.ID] = b, t.Status, t.Version
	return nil
}

func (s *Store) get(id int64) (*handoff.Ticket, error) {
	b, ok := s.tickets[id]
	if !ok {
		return nil, fmt.Errorf("ticket %d: %w", id, handoff.ErrNotFound)
	}
	t := new(handoff.Ticket)
	return t, json.Unmarshal(b, t)
}

// Ticket implements handoff.Store.
func (s *Store) Ticket(_ context.Context, id int64) (*handoff.Ticket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.get(id)
}

// OpenTickets implements handoff.Store.
func (s *Store) OpenTickets(context.Context) ([]*handoff.Ticket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*handoff.Ticket
	for id, st := range s.status {
		if st == handoff.StatusClosed {
			continue
		}
		t, err := s.get(id)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *handoff.Ticket) int { return int(a.ID - b.ID) })
	return out, nil
}

// RecentTickets implements handoff.Store.
func (s *Store) RecentTickets(_ context.Context, limit int) ([]*handoff.Ticket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*handoff.Ticket
	for id, st := range s.status {
		if st != handoff.StatusClosed {
			continue
		}
		t, err := s.get(id)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *handoff.Ticket) int {
		if c := b.Closed.Compare(a.Closed); c != 0 {
			return c
		}
		return int(b.ID - a.ID)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// CreateAgent implements handoff.Store.
func (s *Store) CreateAgent(_ context.Context, a handoff.Account) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return s.Fail
	}
	if _, ok := s.agents[a.ID]; ok {
		return fmt.Errorf("agent %s: %w", a.ID, handoff.ErrAgentExists)
	}
	a.Skills = slices.Clone(a.Skills)
	a.PasswordHash = slices.Clone(a.PasswordHash)
	a.Active = 0
	s.agents[a.ID] = a
	return nil
}

// Account implements handoff.Store.
func (s *Store) Account(_ context.Context, id string) (handoff.Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.agents[id]
	if !ok {
		return handoff.Account{}, fmt.Errorf("agent %s: %w", id, handoff.ErrNotFound)
	}
	a.Skills = slices.Clone(a.Skills)
	a.PasswordHash = slices.Clone(a.PasswordHash)
	return a, nil
}

// SetAgentPassword implements handoff.Store.
func (s *Store) SetAgentPassword(_ context.Context, id string, hash []byte) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return 0, s.Fail
	}
	a, ok := s.agents[id]
	if !ok {
		return 0, fmt.Errorf("agent %s: %w", id, handoff.ErrNotFound)
	}
	a.PasswordHash = slices.Clone(hash)
	a.Epoch++
	s.agents[id] = a
	return a.Epoch, nil
}

// SetAgentPresence implements handoff.Store.
func (s *Store) SetAgentPresence(_ context.Context, id string, p handoff.Presence) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return s.Fail
	}
	if a, ok := s.agents[id]; ok {
		a.Presence = p
		s.agents[id] = a
	}
	return nil
}

// SetAgentName implements handoff.Store.
func (s *Store) SetAgentName(_ context.Context, id, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return s.Fail
	}
	if a, ok := s.agents[id]; ok {
		a.Name = name
		s.agents[id] = a
	}
	return nil
}

// RemoveAgent implements handoff.Store.
func (s *Store) RemoveAgent(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return s.Fail
	}
	if _, ok := s.agents[id]; !ok {
		return fmt.Errorf("agent %s: %w", id, handoff.ErrNotFound)
	}
	delete(s.agents, id)
	for k, l := range s.links {
		if l.Agent == id {
			delete(s.links, k)
		}
	}
	return nil
}

// LinkIdentity implements handoff.Store.
func (s *Store) LinkIdentity(_ context.Context, agent string, id handoff.Identity) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return s.Fail
	}
	if _, ok := s.agents[agent]; !ok {
		return fmt.Errorf("agent %s: %w", agent, handoff.ErrNotFound)
	}
	k := [2]string{id.Platform, id.UserID}
	if l, ok := s.links[k]; ok && l.Agent != agent {
		return fmt.Errorf("%s: %w", id, handoff.ErrLinked)
	}
	s.links[k] = handoff.Link{Agent: agent, Identity: id}
	return nil
}

// UnlinkIdentity implements handoff.Store.
func (s *Store) UnlinkIdentity(_ context.Context, platform, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return s.Fail
	}
	k := [2]string{platform, userID}
	if _, ok := s.links[k]; !ok {
		return fmt.Errorf("%s:%s: %w", platform, userID, handoff.ErrNotFound)
	}
	delete(s.links, k)
	return nil
}

// IdentityAgent implements handoff.Store.
func (s *Store) IdentityAgent(_ context.Context, platform, userID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.links[[2]string{platform, userID}]
	if !ok {
		return "", fmt.Errorf("%s:%s: %w", platform, userID, handoff.ErrNotFound)
	}
	return l.Agent, nil
}

// Identities implements handoff.Store.
func (s *Store) Identities(context.Context) ([]handoff.Link, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]handoff.Link, 0, len(s.links))
	for _, l := range s.links {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b handoff.Link) int {
		return cmp.Or(cmp.Compare(a.Agent, b.Agent), cmp.Compare(a.Platform, b.Platform), cmp.Compare(a.UserID, b.UserID))
	})
	return out, nil
}

// Accounts implements handoff.Store.
func (s *Store) Accounts(context.Context) ([]handoff.Account, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]handoff.Account, 0, len(s.agents))
	for _, a := range s.agents {
		a.Skills = slices.Clone(a.Skills)
		a.PasswordHash = slices.Clone(a.PasswordHash)
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b handoff.Account) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out, nil
}

// CannedReplies returns the canned replies, by team, title and language.
func (s *Store) CannedReplies(context.Context) ([]handoff.Canned, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.canned)
	slices.SortFunc(out, func(a, b handoff.Canned) int {
		return cmp.Or(cmp.Compare(a.Team, b.Team), cmp.Compare(a.Title, b.Title), cmp.Compare(a.Lang, b.Lang))
	})
	return out, nil
}

// SaveCanned stores a canned reply, replacing the one with the same team,
// title and language.
func (s *Store) SaveCanned(_ context.Context, c handoff.Canned) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return s.Fail
	}
	for i, o := range s.canned {
		if o.Team == c.Team && o.Title == c.Title && o.Lang == c.Lang {
			c.ID = o.ID
			s.canned[i] = c
			return nil
		}
	}
	s.next++
	c.ID = s.next
	s.canned = append(s.canned, c)
	return nil
}

// DeleteCanned deletes canned reply id.
func (s *Store) DeleteCanned(_ context.Context, id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return s.Fail
	}
	n := len(s.canned)
	s.canned = slices.DeleteFunc(s.canned, func(c handoff.Canned) bool { return c.ID == id })
	if len(s.canned) == n {
		return fmt.Errorf("canned reply %d: %w", id, handoff.ErrNotFound)
	}
	return nil
}

package handoff

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// Presence is whether an agent is there to take conversations.
type Presence string

// Presences.
const (
	PresenceOnline  Presence = "online"  // taking conversations
	PresenceAway    Presence = "away"    // logged in, not taking new conversations now
	PresenceOffline Presence = "offline" // gone
)

// AnySkill in an agent's skills lets them take tickets of every skill.
const AnySkill = "*"

// MinPassword and MaxPassword bound the passwords AddAgent and
// SetPassword accept, in bytes (bcrypt reads at most 72).
const (
	MinPassword = 8
	MaxPassword = 72
	maxName     = 64
)

// Agent is a person who answers customers.
type Agent struct {
	// ID is the agent's login name; their replies carry Author(ID).
	ID string `json:"id"`
	// Name is what customers and colleagues see ("Ada Lovelace"); the ID
	// when empty.
	Name string `json:"name,omitempty"`
	// Skills route tickets: an agent takes tickets whose skill they have,
	// tickets without a skill, and tickets whose skill no agent has.
	Skills []string `json:"skills"`
	// Capacity is how many conversations the agent holds at once.
	Capacity int       `json:"capacity"`
	Presence Presence  `json:"presence"`
	Created  time.Time `json:"created"`
	// Active is how many open tickets the agent holds now (not stored).
	Active int `json:"active"`
	// Epoch changes whenever the agent's password does, and a session
	// begun in an earlier epoch is over (see Service.Session). It is
	// never shown.
	Epoch int64 `json:"-"`
}

// Display returns the name to show for a: Name, else ID.
func (a Agent) Display() string {
	if a.Name != "" {
		return a.Name
	}
	return a.ID
}

// cleanDisplayName trims a display name and checks it: at most 64
// characters, printable, spaces allowed; "" clears it.
func cleanDisplayName(name string) (string, error) {
	name = strings.Join(strings.Fields(name), " ")
	if utf8.RuneCountInString(name) > maxName {
		return "", fmt.Errorf("display name longer than %d characters: %w", maxName, ErrInvalid)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return "", fmt.Errorf("display name with a control character: %w", ErrInvalid)
		}
	}
	return name, nil
}

// SetName sets the name customers and colleagues see for agent id ("" for
// the id itself). Only the name is written.
func (s *directory) SetName(ctx context.Context, id, name string) (Agent, error) {
	name, err := cleanDisplayName(name)
	if err != nil {
		return Agent{}, fmt.Errorf("name of %s: %w", id, err)
	}
	s.mu.Lock()
	acc, ok := s.agents[id]
	if !ok {
		s.mu.Unlock()
		return Agent{}, fmt.Errorf("agent %s: %w", id, ErrNotFound)
	}
	acc.Name = name
	a := s.agentView(acc)
	s.mu.Unlock()
	if err := s.store.SetAgentName(ctx, id, name); err != nil {
		return a, fmt.Errorf("save name of %s: %w", id, err)
	}
	s.publish(Update{Kind: UpdateAgent, Agent: &a}, nil)
	return a, nil
}

// Author is the transcript author of agent id's messages: "agent:<id>".
func Author(id string) string { return "agent:" + id }

// AgentOf returns the agent id of a transcript author written by Author.
func AgentOf(author string) (id string, ok bool) { return strings.CutPrefix(author, "agent:") }

// has reports whether a has skill.
func (a *Agent) has(skill string) bool {
	return slices.Contains(a.Skills, skill) || slices.Contains(a.Skills, AnySkill)
}

// validName accepts 1 to 64 bytes of letters, digits, '.', '_', '-' and '@'.
func validName(name string) bool {
	if name == "" || len(name) > maxName {
		return false
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("._-@", r) {
			return false
		}
	}
	return true
}

// cleanSkills trims, lower-cases and deduplicates skills.
func cleanSkills(skills []string) ([]string, error) {
	out := make([]string, 0, len(skills))
	for _, s := range skills {
		s = strings.ToLower(strings.TrimSpace(s))
		if s == "" {
			continue
		}
		if s != AnySkill && !validName(s) {
			return nil, fmt.Errorf("skill %q: %w", s, ErrInvalid)
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out, nil
}

// AddAgent creates an agent with a bcrypt hash of password. The name is
// the agent's id, lower-cased; the agent starts offline.
func (s *directory) AddAgent(ctx context.Context, name, password string, skills []string, capacity int) (Agent, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	switch {
	case !validName(name):
		return Agent{}, fmt.Errorf("add agent %q: name needs 1-%d letters, digits or ._-@: %w", name, maxName, ErrInvalid)
	case len(password) < MinPassword || len(password) > MaxPassword:
		return Agent{}, fmt.Errorf("add agent %s: password needs %d-%d bytes: %w", name, MinPassword, MaxPassword, ErrInvalid)
	case capacity < 1:
		return Agent{}, fmt.Errorf("add agent %s: capacity %d: %w", name, capacity, ErrInvalid)
	}
	skills, err := cleanSkills(skills)
	if err != nil {
		return Agent{}, fmt.Errorf("add agent %s: %w", name, err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		return Agent{}, fmt.Errorf("add agent %s: %w", name, err)
	}
	now := s.clock.Now()
	acc := Account{
		Agent: Agent{ID: name, Skills: skills, Capacity: capacity, Presence: PresenceOffline, Created: now,
			Epoch: now.UnixNano()},
		PasswordHash: hash,
	}
	s.agentMu.Lock()
	defer s.agentMu.Unlock()
	if err := s.store.CreateAgent(ctx, acc); err != nil {
		return Agent{}, fmt.Errorf("add agent %s: %w", name, err)
	}
	s.mu.Lock()
	s.agents[name] = &acc
	a := s.agentView(&acc)
	s.mu.Unlock()
	s.publish(Update{Kind: UpdateAgent, Agent: &a}, nil)
	return a, nil
}

// Authenticate checks an agent's name and password and returns the agent,
// or an error wrapping ErrBadCredentials. The password is checked against
// the store, not against memory, so an agent added or a password changed
// by another process (calmbot agents) counts at once. It takes as long for
// an unknown name as for a wrong password.
func (s *directory) Authenticate(ctx context.Context, name, password string) (Agent, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	acc, err := s.store.Account(ctx, name)
	found := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Agent{}, fmt.Errorf("authenticate %s: %w", name, err)
	}
	hash := acc.PasswordHash
	// A provisioned agent has no password until one is set: nothing opens it.
	usable := found && len(hash) > 0
	if !usable {
		if hash, err = s.dummy(); err != nil {
			return Agent{}, fmt.Errorf("authenticate %s: %w", name, err)
		}
	}
	if err := bcrypt.CompareHashAndPassword(hash, []byte(password)); err != nil || !usable {
		if err != nil && !errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			s.log.WarnContext(ctx, "agent password check failed", "agent", name, "err", err)
		}
		if !found && validName(name) {
			_, _ = s.refresh(ctx, name) // removed by another process: forget them here too
		}
		return Agent{}, ErrBadCredentials
	}
	a, err := s.refresh(ctx, name)
	if err != nil {
		return Agent{}, ErrBadCredentials
	}
	if a.Epoch != acc.Epoch { // the password changed while it was checked
		return Agent{}, ErrBadCredentials
	}
	return a, nil
}

// Session returns agent id while a session begun in epoch (Agent.Epoch at
// login) is still theirs: it fails with ErrSessionEnded once their
// password changed, and with ErrNotFound once they were removed, here or
// by another process sharing the store.
func (s *directory) Session(ctx context.Context, id string, epoch int64) (Agent, error) {
	stored, err := s.store.Account(ctx, id)
	var a Agent
	switch {
	case err == nil || errors.Is(err, ErrNotFound):
		s.mu.RLock()
		cur := s.agents[id]
		same := err == nil && cur != nil && cur.Epoch == stored.Epoch
		if same {
			a = s.agentView(cur)
		}
		s.mu.RUnlock()
		if !same {
			if a, err = s.refresh(ctx, id); err != nil {
				return Agent{}, err
			}
		}
	default:
		// The store cannot say: trust what this process knows.
		s.log.WarnContext(ctx, "agent session checked from memory", "agent", id, "err", err)
		if a, err = s.Agent(id); err != nil {
			return Agent{}, err
		}
	}
	if a.Epoch != epoch {
		return Agent{}, fmt.Errorf("agent %s: %w", id, ErrSessionEnded)
	}
	return a, nil
}

// SetPassword replaces an agent's password and ends their sessions (their
// Epoch moves on); it returns the agent with the new Epoch.
func (s *directory) SetPassword(ctx context.Context, id, password string) (Agent, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	if len(password) < MinPassword || len(password) > MaxPassword {
		return Agent{}, fmt.Errorf("set password of %s: password needs %d-%d bytes: %w", id, MinPassword, MaxPassword, ErrInvalid)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		return Agent{}, fmt.Errorf("set password of %s: %w", id, err)
	}
	s.agentMu.Lock()
	defer s.agentMu.Unlock()
	if _, err := s.store.SetAgentPassword(ctx, id, hash); err != nil {
		return Agent{}, fmt.Errorf("set password of %s: %w", id, err)
	}
	a, err := s.refreshLocked(ctx, id)
	if err != nil {
		return Agent{}, fmt.Errorf("set password of %s: %w", id, err)
	}
	s.log.InfoContext(ctx, "agent password changed; their sessions ended", "agent", id)
	return a, nil
}

// ChangePassword is an agent changing their own password: current must be
// right (else an error wrapping ErrBadCredentials). Like SetPassword it
// ends every session of the agent and returns the new Epoch, with which
// the caller starts the one session that goes on.
func (s *directory) ChangePassword(ctx context.Context, id, current, password string) (Agent, error) {
	if len(password) < MinPassword || len(password) > MaxPassword {
		return Agent{}, fmt.Errorf("change password of %s: password needs %d-%d bytes: %w", id, MinPassword, MaxPassword, ErrInvalid)
	}
	if _, err := s.Authenticate(ctx, id, current); err != nil {
		return Agent{}, fmt.Errorf("change password of %s: %w", id, err)
	}
	return s.SetPassword(ctx, id, password)
}

// SetPresence records whether an agent is online, away or offline. Only
// online agents count in the estimates waiting customers are told. Only
// the presence is written: the account's other fields stay as stored.
func (s *directory) SetPresence(ctx context.Context, id string, p Presence) (Agent, error) {
	switch p {
	case PresenceOnline, PresenceAway, PresenceOffline:
	default:
		return Agent{}, fmt.Errorf("set presence of %s to %q: %w", id, p, ErrInvalid)
	}
	s.mu.Lock()
	acc, ok := s.agents[id]
	if !ok {
		s.mu.Unlock()
		return Agent{}, fmt.Errorf("agent %s: %w", id, ErrNotFound)
	}
	acc.Presence = p
	a := s.agentView(acc)
	s.mu.Unlock()
	if err := s.store.SetAgentPresence(ctx, id, p); err != nil {
		return a, fmt.Errorf("save presence of %s: %w", id, err)
	}
	s.publish(Update{Kind: UpdateAgent, Agent: &a}, nil)
	s.poke()
	return a, nil
}

// refresh brings agent id in memory in line with the store and returns
// them, or an error wrapping ErrNotFound when the store has no such agent.
func (s *directory) refresh(ctx context.Context, id string) (Agent, error) {
	s.agentMu.Lock()
	defer s.agentMu.Unlock()
	return s.refreshLocked(ctx, id)
}

// refreshLocked is refresh with s.agentMu held.
func (s *directory) refreshLocked(ctx context.Context, id string) (Agent, error) {
	acc, err := s.store.Account(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Agent{}, s.learn(ctx, id, nil)
	}
	if err != nil {
		return Agent{}, fmt.Errorf("agent %s: %w", id, err)
	}
	if err := s.learn(ctx, id, &acc); err != nil {
		return Agent{}, err
	}
	return s.Agent(id)
}

// syncAgents brings every agent in memory in line with the store: agents
// added by another process appear, changed passwords end sessions, and
// removed agents' tickets go back to the queue.
func (s *directory) syncAgents(ctx context.Context) error {
	s.agentMu.Lock()
	defer s.agentMu.Unlock()
	accs, err := s.store.Accounts(ctx)
	if err != nil {
		return fmt.Errorf("load agents: %w", err)
	}
	stored := make(map[string]bool, len(accs))
	var errs []error
	for i := range accs {
		stored[accs[i].ID] = true
		if err := s.learn(ctx, accs[i].ID, &accs[i]); err != nil {
			errs = append(errs, err)
		}
	}
	s.mu.RLock()
	var gone []string
	for id := range s.agents {
		if !stored[id] {
			gone = append(gone, id)
		}
	}
	s.mu.RUnlock()
	for _, id := range gone {
		if err := s.learn(ctx, id, nil); err != nil && !errors.Is(err, ErrNotFound) {
			errs = append(errs, err)
		}
	}
	// Tickets held by agents removed while no server ran.
	return errors.Join(append(errs, s.orphaned(ctx))...)
}

// learn puts the stored account of agent id (nil: there is none) in
// memory. A changed Epoch ends the agent's subscriptions; a removed agent
// is forgotten, their subscriptions end and their tickets go back to the
// queue. Presence stays as this process knows it. s.agentMu is held. It
// returns an error wrapping ErrNotFound when there is no such agent.
func (s *directory) learn(ctx context.Context, id string, stored *Account) error {
	s.mu.Lock()
	cur := s.agents[id]
	switch {
	case stored == nil && cur == nil:
		s.mu.Unlock()
		return fmt.Errorf("agent %s: %w", id, ErrNotFound)
	case stored == nil:
		delete(s.agents, id)
		s.mu.Unlock()
		s.bus.closeAgent(id)
		s.log.InfoContext(ctx, "agent removed; their sessions ended", "agent", id)
		s.publish(Update{Kind: UpdateAgent, Agent: &Agent{ID: id, Presence: PresenceOffline}}, nil)
		if err := s.orphaned(ctx); err != nil {
			return err
		}
		return fmt.Errorf("agent %s: %w", id, ErrNotFound)
	case cur == nil:
		acc := *stored
		acc.Skills = slices.Clone(stored.Skills)
		s.agents[id] = &acc
		a := s.agentView(&acc)
		s.mu.Unlock()
		s.publish(Update{Kind: UpdateAgent, Agent: &a}, nil)
		return nil
	}
	ended := cur.Epoch != stored.Epoch
	changed := ended || cur.Capacity != stored.Capacity || !slices.Equal(cur.Skills, stored.Skills) || cur.Name != stored.Name
	cur.PasswordHash, cur.Epoch, cur.Name = stored.PasswordHash, stored.Epoch, stored.Name
	cur.Skills, cur.Capacity = slices.Clone(stored.Skills), stored.Capacity
	a := s.agentView(cur)
	s.mu.Unlock()
	if ended {
		s.bus.closeAgent(id)
	}
	if changed {
		s.publish(Update{Kind: UpdateAgent, Agent: &a}, nil)
	}
	return nil
}

// Agent returns one agent.
func (s *directory) Agent(id string) (Agent, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	acc, ok := s.agents[id]
	if !ok {
		return Agent{}, fmt.Errorf("agent %s: %w", id, ErrNotFound)
	}
	return s.agentView(acc), nil
}

// Agents returns every agent, by id.
func (s *directory) Agents() []Agent {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Agent, 0, len(s.agents))
	for _, acc := range s.agents {
		out = append(out, s.agentView(acc))
	}
	slices.SortFunc(out, func(a, b Agent) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// directory keeps the agents: accounts, passwords and sessions, presence,
// and identities on chat platforms. The store, not memory, is the truth
// about credentials and identities: another process (calmbot agents) may
// change them while a server runs.
type directory struct {
	*core
	cost  int
	dummy func() ([]byte, error) // a hash to compare unknown names against, made on first use
	// provSkills and provCapacity are given to the agents Provision makes.
	provSkills   []string
	provCapacity int
	// orphaned gives the tickets of removed agents back to the queue.
	orphaned func(context.Context) error

	// agentMu orders the changes to agents' accounts (here and as read
	// back from the store); it is held across store calls, s.mu never is.
	agentMu sync.Mutex
}

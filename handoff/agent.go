package handoff

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

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

// MinPassword is the shortest password AddAgent accepts, in bytes; bcrypt
// reads at most 72.
const (
	MinPassword = 8
	maxPassword = 72
	maxName     = 64
)

// Agent is a person who answers customers.
type Agent struct {
	// ID is the agent's login name; their replies carry Author(ID).
	ID string `json:"id"`
	// Skills route tickets: an agent takes tickets whose skill they have,
	// tickets without a skill, and tickets whose skill no agent has.
	Skills []string `json:"skills"`
	// Capacity is how many conversations the agent holds at once.
	Capacity int       `json:"capacity"`
	Presence Presence  `json:"presence"`
	Created  time.Time `json:"created"`
	// Active is how many open tickets the agent holds now (not stored).
	Active int `json:"active"`
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
func (s *Service) AddAgent(ctx context.Context, name, password string, skills []string, capacity int) (Agent, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	switch {
	case !validName(name):
		return Agent{}, fmt.Errorf("add agent %q: name needs 1-%d letters, digits or ._-@: %w", name, maxName, ErrInvalid)
	case len(password) < MinPassword || len(password) > maxPassword:
		return Agent{}, fmt.Errorf("add agent %s: password needs %d-%d bytes: %w", name, MinPassword, maxPassword, ErrInvalid)
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
	acc := Account{
		Agent:        Agent{ID: name, Skills: skills, Capacity: capacity, Presence: PresenceOffline, Created: s.clock.Now()},
		PasswordHash: hash,
	}
	// Hold the name while the account is written.
	s.mu.Lock()
	if _, ok := s.agents[name]; ok {
		s.mu.Unlock()
		return Agent{}, fmt.Errorf("add agent %s: %w", name, ErrAgentExists)
	}
	s.agents[name] = &acc
	s.mu.Unlock()
	if err := s.store.SaveAgent(ctx, acc); err != nil {
		s.mu.Lock()
		delete(s.agents, name)
		s.mu.Unlock()
		return Agent{}, fmt.Errorf("add agent %s: %w", name, err)
	}
	a := acc.Agent
	s.publish(Update{Kind: UpdateAgent, Agent: &a}, nil)
	return a, nil
}

// Authenticate checks an agent's name and password and returns the agent,
// or an error wrapping ErrBadCredentials. It takes as long for an unknown
// name as for a wrong password.
func (s *Service) Authenticate(ctx context.Context, name, password string) (Agent, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	s.mu.RLock()
	acc, ok := s.agents[name]
	var hash []byte
	if ok {
		hash = acc.PasswordHash
	}
	s.mu.RUnlock()
	if !ok {
		hash = s.dummy
	}
	if err := bcrypt.CompareHashAndPassword(hash, []byte(password)); err != nil || !ok {
		if err != nil && !errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			s.log.WarnContext(ctx, "agent password check failed", "agent", name, "err", err)
		}
		return Agent{}, ErrBadCredentials
	}
	return s.Agent(name)
}

// SetPassword replaces an agent's password.
func (s *Service) SetPassword(ctx context.Context, id, password string) error {
	if len(password) < MinPassword || len(password) > maxPassword {
		return fmt.Errorf("set password of %s: password needs %d-%d bytes: %w", id, MinPassword, maxPassword, ErrInvalid)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		return fmt.Errorf("set password of %s: %w", id, err)
	}
	_, err = s.changeAgent(ctx, id, func(a *Account) { a.PasswordHash = hash })
	return err
}

// SetPresence records whether an agent is online, away or offline. Only
// online agents count in the estimates waiting customers are told.
func (s *Service) SetPresence(ctx context.Context, id string, p Presence) (Agent, error) {
	switch p {
	case PresenceOnline, PresenceAway, PresenceOffline:
	default:
		return Agent{}, fmt.Errorf("set presence of %s to %q: %w", id, p, ErrInvalid)
	}
	a, err := s.changeAgent(ctx, id, func(a *Account) { a.Presence = p })
	if err == nil {
		s.publish(Update{Kind: UpdateAgent, Agent: &a}, nil)
		s.poke()
	}
	return a, err
}

// changeAgent applies f to agent id's account and stores it.
func (s *Service) changeAgent(ctx context.Context, id string, f func(a *Account)) (Agent, error) {
	s.mu.Lock()
	acc, ok := s.agents[id]
	if !ok {
		s.mu.Unlock()
		return Agent{}, fmt.Errorf("agent %s: %w", id, ErrNotFound)
	}
	f(acc)
	c := *acc
	c.Skills = slices.Clone(acc.Skills)
	c.Active = s.active(id)
	s.mu.Unlock()
	if err := s.store.SaveAgent(ctx, c); err != nil {
		return c.Agent, fmt.Errorf("save agent %s: %w", id, err)
	}
	return c.Agent, nil
}

// Agent returns one agent.
func (s *Service) Agent(id string) (Agent, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	acc, ok := s.agents[id]
	if !ok {
		return Agent{}, fmt.Errorf("agent %s: %w", id, ErrNotFound)
	}
	return s.agentView(acc), nil
}

// Agents returns every agent, by id.
func (s *Service) Agents() []Agent {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Agent, 0, len(s.agents))
	for _, acc := range s.agents {
		out = append(out, s.agentView(acc))
	}
	slices.SortFunc(out, func(a, b Agent) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// agentView copies an account's agent with its current load. s.mu is held.
func (s *Service) agentView(acc *Account) Agent {
	a := acc.Agent
	a.Skills = slices.Clone(acc.Skills)
	a.Active = s.active(a.ID)
	return a
}

// active counts the open tickets agent id holds. s.mu is held.
func (s *Service) active(id string) int {
	n := 0
	for _, t := range s.tickets {
		if t.Owner == id && t.Status == StatusAssigned {
			n++
		}
	}
	return n
}

// canTake reports whether agent a may see and claim ticket t: the ticket
// has no skill, a has it, or no agent at all has it (so that no ticket
// waits for a skill nobody has). s.mu is held.
func (s *Service) canTake(a *Agent, t *Ticket) bool {
	if t.Skill == "" || a.has(t.Skill) {
		return true
	}
	for _, o := range s.agents {
		if o.has(t.Skill) {
			return false
		}
	}
	return true
}

package handoff

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// maxUserID bounds a platform user id, in bytes.
const maxUserID = 128

// Identity is a user of a chat platform (Telegram, Slack, Discord) who
// acts as an agent there. Linked to an agent, it makes the person one
// agent everywhere: their claims, replies and metrics name the same agent
// on the desk and on every platform.
type Identity struct {
	// Platform names the platform: "telegram", "slack", "discord".
	Platform string `json:"platform"`
	// UserID is the platform's id of the user (stable, unlike names).
	UserID string `json:"user_id"`
	// Name is how the platform shows the user, for people to read.
	Name string `json:"name,omitempty"`
}

// String returns "platform:userid".
func (id Identity) String() string { return id.Platform + ":" + id.UserID }

// Link is an agent's identity on a platform.
type Link struct {
	Agent string `json:"agent"`
	Identity
}

// ParseIdentity reads "platform:userid" (as `calmbot agents link` takes it).
func ParseIdentity(s string) (Identity, error) {
	platform, user, _ := strings.Cut(s, ":")
	id, err := Identity{Platform: platform, UserID: user}.clean()
	if err != nil {
		return Identity{}, fmt.Errorf("identity %q: want platform:userid: %w", s, err)
	}
	return id, nil
}

// clean lower-cases the platform and checks both names.
func (id Identity) clean() (Identity, error) {
	id.Platform = strings.ToLower(strings.TrimSpace(id.Platform))
	id.UserID = strings.TrimSpace(id.UserID)
	id.Name = strings.TrimSpace(id.Name)
	switch {
	case !validName(id.Platform):
		return id, fmt.Errorf("platform %q: %w", id.Platform, ErrInvalid)
	case id.UserID == "" || len(id.UserID) > maxUserID || strings.ContainsFunc(id.UserID, unicode.IsSpace):
		return id, fmt.Errorf("user id %q: %w", id.UserID, ErrInvalid)
	case len(id.Name) > maxName*2:
		id.Name = strings.ToValidUTF8(id.Name[:maxName*2], "")
	}
	return id, nil
}

// Link makes the platform user id names agent id: acting there, they act
// as that agent. Linking again changes the shown Name; a platform user
// linked to another agent is refused with ErrLinked (Unlink first).
func (s *directory) Link(ctx context.Context, agent string, id Identity) error {
	agent = strings.ToLower(strings.TrimSpace(agent))
	id, err := id.clean()
	if err != nil {
		return fmt.Errorf("link %s: %w", agent, err)
	}
	if err := s.store.LinkIdentity(ctx, agent, id); err != nil {
		return fmt.Errorf("link %s to %s: %w", agent, id, err)
	}
	s.log.InfoContext(ctx, "agent linked to a platform user", "agent", agent, "identity", id.String())
	return nil
}

// Unlink ends the link of a platform user to their agent.
func (s *directory) Unlink(ctx context.Context, platform, userID string) error {
	id, err := Identity{Platform: platform, UserID: userID}.clean()
	if err != nil {
		return fmt.Errorf("unlink: %w", err)
	}
	if err := s.store.UnlinkIdentity(ctx, id.Platform, id.UserID); err != nil {
		return fmt.Errorf("unlink %s: %w", id, err)
	}
	return nil
}

// AgentFor returns the agent a platform user is linked to, or an error
// wrapping ErrNotFound: the user is no agent (yet).
func (s *directory) AgentFor(ctx context.Context, platform, userID string) (Agent, error) {
	id, err := Identity{Platform: platform, UserID: userID}.clean()
	if err != nil {
		return Agent{}, fmt.Errorf("agent for: %w", err)
	}
	name, err := s.store.IdentityAgent(ctx, id.Platform, id.UserID)
	if err != nil {
		return Agent{}, fmt.Errorf("agent for %s: %w", id, err)
	}
	if a, err := s.Agent(name); err == nil {
		return a, nil
	}
	return s.refresh(ctx, name) // added by another process a moment ago
}

// Identities returns the links of agents to platform users, by agent.
func (s *directory) Identities(ctx context.Context) ([]Link, error) {
	ls, err := s.store.Identities(ctx)
	if err != nil {
		return nil, fmt.Errorf("identities: %w", err)
	}
	return ls, nil
}

// Provision returns the agent of platform user id, making one linked to
// them when there is none: the id derived from the identity
// ("telegram-12345", or with "-2", "-3", ... when taken), the skills and
// capacity of WithProvisioned, offline, and no desk password until one is
// set (calmbot agents passwd), so they cannot log in to the desk.
//
// Only an agent surface calls Provision, and only for a user it verified
// may be an agent: a member of the configured agent group or channel, or
// a configured user id. A customer never becomes an agent by messaging
// the bot; a surface must not provision whoever writes to it.
func (s *directory) Provision(ctx context.Context, id Identity) (Agent, error) {
	id, err := id.clean()
	if err != nil {
		return Agent{}, fmt.Errorf("provision: %w", err)
	}
	if a, err := s.AgentFor(ctx, id.Platform, id.UserID); err == nil || !errors.Is(err, ErrNotFound) {
		return a, err
	}
	skills, err := cleanSkills(s.provSkills)
	if err != nil {
		return Agent{}, fmt.Errorf("provision %s: %w", id, err)
	}
	base := agentSlug(id.Platform + "-" + id.UserID)
	s.agentMu.Lock()
	defer s.agentMu.Unlock()
	for n := 1; n <= 100; n++ {
		name := base
		if n > 1 {
			suffix := "-" + strconv.Itoa(n)
			name = base[:min(len(base), maxName-len(suffix))] + suffix
		}
		now := s.clock.Now()
		acc := Account{Agent: Agent{ID: name, Skills: skills, Capacity: max(s.provCapacity, 1), Presence: PresenceOffline,
			Created: now, Epoch: now.UnixNano()}}
		err := s.store.CreateAgent(ctx, acc)
		if errors.Is(err, ErrAgentExists) {
			continue
		}
		if err != nil {
			return Agent{}, fmt.Errorf("provision %s: %w", id, err)
		}
		if err := s.store.LinkIdentity(ctx, name, id); err != nil {
			// Another process linked the user meanwhile: theirs stands.
			_ = s.store.RemoveAgent(ctx, name)
			if errors.Is(err, ErrLinked) {
				if other, err := s.store.IdentityAgent(ctx, id.Platform, id.UserID); err == nil {
					return s.refreshLocked(ctx, other)
				}
			}
			return Agent{}, fmt.Errorf("provision %s: %w", id, err)
		}
		s.log.InfoContext(ctx, "agent provisioned for a platform user", "agent", name, "identity", id.String())
		return s.refreshLocked(ctx, name)
	}
	return Agent{}, fmt.Errorf("provision %s: no free agent name: %w", id, ErrAgentExists)
}

// agentSlug makes an agent name of s: lower case, the characters
// validName refuses turned into '-', at most maxName bytes.
func agentSlug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-@", r) {
			if b.Len()+len(string(r)) > maxName {
				break
			}
			b.WriteRune(r)
		} else if b.Len() < maxName {
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "agent"
	}
	return b.String()
}

package handoff_test

import (
	"errors"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/calmbot/calmbot/handoff"
)

func TestAddAgent(t *testing.T) {
	b := newBare(t)
	tests := []struct {
		name, agent, password string
		skills                []string
		capacity              int
		want                  error
	}{
		{"ok", "Ada", "correct horse", []string{" Billing", "billing", "delivery"}, 3, nil},
		{"taken, whatever the case", "ADA", "correct horse", nil, 1, handoff.ErrAgentExists},
		{"empty name", "", "correct horse", nil, 1, handoff.ErrInvalid},
		{"name with spaces", "ada lovelace", "correct horse", nil, 1, handoff.ErrInvalid},
		{"short password", "bob", "short", nil, 1, handoff.ErrInvalid},
		{"no capacity", "bob", "correct horse", nil, 0, handoff.ErrInvalid},
		{"bad skill", "bob", "correct horse", []string{"bil ling"}, 1, handoff.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := b.svc.AddAgent(b.ctx, tt.agent, tt.password, tt.skills, tt.capacity)
			wantErr(t, "add agent", err, tt.want)
			if tt.want == nil && (a.ID != "ada" || len(a.Skills) != 2 || a.Skills[0] != "billing" || a.Presence != handoff.PresenceOffline) {
				t.Errorf("agent: %+v", a)
			}
		})
	}
	auth := []struct {
		name, agent, password string
		want                  error
	}{
		{"right", "ada", "correct horse", nil},
		{"name in another case", " ADA ", "correct horse", nil},
		{"wrong password", "ada", "wrong horse", handoff.ErrBadCredentials},
		{"unknown agent", "zed", "correct horse", handoff.ErrBadCredentials},
	}
	for _, tt := range auth {
		t.Run("authenticate "+tt.name, func(t *testing.T) {
			a, err := b.svc.Authenticate(b.ctx, tt.agent, tt.password)
			wantErr(t, "authenticate", err, tt.want)
			if tt.want == nil && a.ID != "ada" {
				t.Errorf("authenticated as %q", a.ID)
			}
		})
	}
	if _, err := b.svc.SetPassword(b.ctx, "ada", "new password"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Authenticate(b.ctx, "ada", "correct horse"); err == nil {
		t.Error("old password still works")
	}
	if _, err := b.svc.Authenticate(b.ctx, "ada", "new password"); err != nil {
		t.Errorf("new password: %v", err)
	}
	if _, err := b.svc.SetPresence(b.ctx, "ada", "busy"); err == nil {
		t.Error("unknown presence accepted")
	}
	if _, err := b.svc.SetPresence(b.ctx, "zed", handoff.PresenceOnline); err == nil {
		t.Error("presence of unknown agent set")
	}
	if got := b.svc.Agents(); len(got) != 1 || got[0].ID != "ada" {
		t.Errorf("agents: %+v", got)
	}
}

// TestAccountsChangedElsewhere is `calmbot agents` changing accounts while
// a server runs: another Service on the same store adds an agent, changes
// a password, removes an agent. The running Service sees each at once,
// never writes an old password back, and ends the sessions concerned.
func TestAccountsChangedElsewhere(t *testing.T) {
	r := newRig(t, defaultFlows(t))
	ada := r.agent("ada", handoff.PresenceOnline, 2)
	cli, err := handoff.New(r.ctx, r.store, nil, handoff.WithBcryptCost(bcrypt.MinCost), handoff.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}

	// A new agent logs in without a restart.
	if _, err := cli.AddAgent(r.ctx, "bob", "password-bob", nil, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Authenticate(r.ctx, "bob", "password-bob"); err != nil {
		t.Errorf("new agent: %v, want a login", err)
	}

	// A password change counts at once and ends the agent's sessions.
	updates, cancel := r.svc.Subscribe("ada")
	defer cancel()
	if _, err := cli.SetPassword(r.ctx, "ada", "a new password"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Authenticate(r.ctx, "ada", "password-ada"); !errors.Is(err, handoff.ErrBadCredentials) {
		t.Errorf("old password: %v, want ErrBadCredentials", err)
	}
	if _, err := r.svc.Session(r.ctx, "ada", ada.Epoch); !errors.Is(err, handoff.ErrSessionEnded) {
		t.Errorf("session of the old password: %v, want ErrSessionEnded", err)
	}
	now, err := r.svc.Authenticate(r.ctx, "ada", "a new password")
	if err != nil {
		t.Fatalf("new password: %v", err)
	}
	if _, err := r.svc.Session(r.ctx, "ada", now.Epoch); err != nil {
		t.Errorf("session of the new password: %v", err)
	}
	if !closed(t, updates) {
		t.Error("ada's subscription stayed open after her password changed")
	}
	// A presence change writes the presence only: the new password stays.
	if _, err := r.svc.SetPresence(r.ctx, "ada", handoff.PresenceAway); err != nil {
		t.Fatal(err)
	}
	if acc, err := r.store.Account(r.ctx, "ada"); err != nil || bcrypt.CompareHashAndPassword(acc.PasswordHash, []byte("a new password")) != nil {
		t.Errorf("stored password after a presence change is not the new one (%v)", err)
	}

	// A removed agent's tickets go back to the queue, their sessions end.
	_, tk := r.handoff("I want to talk to a human")
	if _, err := r.svc.SetPresence(r.ctx, "ada", handoff.PresenceOnline); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Claim(r.ctx, "ada", tk.ID); err != nil {
		t.Fatal(err)
	}
	updates, cancel = r.svc.Subscribe("ada")
	defer cancel()
	if err := r.store.RemoveAgent(r.ctx, "ada"); err != nil { // as calmbot agents remove does
		t.Fatal(err)
	}
	if _, err := r.svc.Session(r.ctx, "ada", now.Epoch); !errors.Is(err, handoff.ErrNotFound) {
		t.Errorf("session of a removed agent: %v, want ErrNotFound", err)
	}
	r.check()
	if got := r.ticket(tk.ID); got.Status != handoff.StatusQueued || got.Owner != "" {
		t.Errorf("removed agent's ticket: status %s, owner %q; want queued, no owner", got.Status, got.Owner)
	}
	if !closed(t, updates) {
		t.Error("removed agent's subscription stayed open")
	}
	if _, err := r.svc.Agent("ada"); !errors.Is(err, handoff.ErrNotFound) {
		t.Errorf("removed agent still known: %v", err)
	}
}

// TestRemovedWhileStopped: an agent removed while no server ran gives
// their tickets back to the queue at the next start.
func TestRemovedWhileStopped(t *testing.T) {
	r := newRig(t, defaultFlows(t))
	r.agent("ada", handoff.PresenceOnline, 2)
	_, tk := r.handoff("I want to talk to a human")
	if _, err := r.svc.Claim(r.ctx, "ada", tk.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.store.RemoveAgent(r.ctx, "ada"); err != nil {
		t.Fatal(err)
	}
	again, err := handoff.New(r.ctx, r.store, r.h.Engine, handoff.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Check(r.ctx); err != nil {
		t.Fatal(err)
	}
	got, err := again.Ticket(r.ctx, tk.ID)
	if err != nil || got.Status != handoff.StatusQueued || got.Owner != "" {
		t.Errorf("ticket of an agent removed meanwhile: %+v, %v; want queued", got, err)
	}
}

// closed reports whether ch closes, draining what is in it, within a deadline.
func closed(t *testing.T, ch <-chan handoff.Update) bool {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

// TestSetName checks an agent's display name: spaces allowed, trimmed,
// bounded, without control characters, stored, and read by another
// process from the store.
func TestSetName(t *testing.T) {
	b := newBare(t)
	b.agent("ada", handoff.PresenceOnline, 1)
	tests := []struct {
		in, want string
		err      error
	}{
		{"  Ada   Lovelace ", "Ada Lovelace", nil},
		{"Åsa Öberg-Nyström", "Åsa Öberg-Nyström", nil},
		{string(make([]rune, 65)), "", handoff.ErrInvalid},
		{"Ada\u0007", "", handoff.ErrInvalid},
		{"", "", nil},
		{"Ada", "Ada", nil},
	}
	for _, tt := range tests {
		a, err := b.svc.SetName(b.ctx, "ada", tt.in)
		wantErr(t, "set name "+tt.in, err, tt.err)
		if tt.err == nil && a.Name != tt.want {
			t.Errorf("set name %q: %q, want %q", tt.in, a.Name, tt.want)
		}
	}
	if a, _ := b.svc.Agent("ada"); a.Name != "Ada" || a.Display() != "Ada" || a.ID != "ada" {
		t.Errorf("agent: %+v", a)
	}
	if _, err := b.svc.SetName(b.ctx, "nobody", "X"); !errors.Is(err, handoff.ErrNotFound) {
		t.Errorf("name of an unknown agent: %v", err)
	}
	// Another Service on the same store learns the name.
	other, err := handoff.New(b.ctx, b.store, nil, handoff.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	if a, err := other.Agent("ada"); err != nil || a.Name != "Ada" {
		t.Errorf("another process: %+v, %v", a, err)
	}
}

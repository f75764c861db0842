package handoff_test

import (
	"testing"

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
	if err := b.svc.SetPassword(b.ctx, "ada", "new password"); err != nil {
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

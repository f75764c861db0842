package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/calmbot/calmbot/handoff/handofftest"
)

func TestHandoffStore(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "calmbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	handofftest.TestStore(t, s)
}

func TestCannedStore(t *testing.T) {
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "calmbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	handofftest.TestCanned(t, s)
}

// TestHandoffStoreReopen checks that tickets and agents survive closing
// and opening the database again.
func TestHandoffStoreReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "calmbot.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	handofftest.TestStore(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	open, err := s.OpenTickets(ctx)
	if err != nil || len(open) != 1 || open[0].Owner != "ada" || len(open[0].Notes) != 1 {
		t.Errorf("open tickets after reopen: %+v, %v; want ada's ticket with its note", open, err)
	}
	accs, err := s.Accounts(ctx)
	if err != nil || len(accs) != 1 || string(accs[0].PasswordHash) != "$2a$04$new" {
		t.Errorf("accounts after reopen: %+v, %v", accs, err)
	}
}

// TestSessionRevocations checks that logged-out desk sessions are kept
// across a reopen and pruned once they would have expired.
func TestSessionRevocations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "calmbot.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := s.RevokeSession(ctx, "past", now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSession(ctx, "live", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSession(ctx, "live", now.Add(time.Hour)); err != nil {
		t.Fatalf("revoke twice: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tt := range []struct {
		id   string
		want bool
	}{{"live", true}, {"past", false}, {"never", false}} {
		if got, err := s.SessionRevoked(ctx, tt.id); err != nil || got != tt.want {
			t.Errorf("SessionRevoked(%q) = %v, %v; want %v", tt.id, got, err, tt.want)
		}
	}
}

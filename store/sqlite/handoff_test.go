package sqlite

import (
	"context"
	"path/filepath"
	"testing"

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
	if err != nil || len(accs) != 1 || string(accs[0].PasswordHash) != "$2a$04$hash" {
		t.Errorf("accounts after reopen: %+v, %v", accs, err)
	}
}

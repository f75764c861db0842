package bot_test

import (
	"context"
	"testing"

	"github.com/calmbot/calmbot/bot"
)

func TestMemoryState(t *testing.T) {
	ctx := context.Background()
	s := bot.NewMemoryState()
	if v, err := s.Get(ctx, "offset"); err != nil || v != "" {
		t.Fatalf("unset key: %q %v", v, err)
	}
	if err := s.Set(ctx, "offset", "42"); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Get(ctx, "offset"); v != "42" {
		t.Errorf("got %q, want 42", v)
	}
	if err := s.Set(ctx, "offset", ""); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Get(ctx, "offset"); v != "" {
		t.Errorf("after an empty Set: %q, want none", v)
	}
}

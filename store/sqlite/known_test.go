package sqlite

import (
	"context"
	"strconv"
	"testing"

	"github.com/calmbot/calmbot/bot"
)

// TestEndedConversationsForgotten checks that the writer keeps the ids of
// open conversations only: one that ends leaves its map at once (whether
// it ends on the turn that creates it or on a later one), so a server
// that has seen many finished conversations holds none of their ids; a
// conversation that starts again after its end is still written.
func TestEndedConversationsForgotten(t *testing.T) {
	known := make(chan int, 64)
	s, _ := openStore(t, withHooks(hooks{afterBatch: func(n int) { known <- n }}))
	ctx := context.Background()
	commit := func(tr *bot.Turn) int {
		t.Helper()
		if _, err := s.Commit(ctx, tr); err != nil {
			t.Fatal(err)
		}
		return <-known
	}
	ending := func(tr *bot.Turn) *bot.Turn { tr.State.Status = bot.StatusEnded; return tr }
	for i := range 3 {
		a := addr("open" + strconv.Itoa(i))
		if n := commit(turn(a, 1, "o1", "reply")); n != i+1 {
			t.Fatalf("after %d open conversations the writer knows %d", i+1, n)
		}
	}
	// Ends on its second turn, by id.
	b := addr("ends-later")
	if n := commit(turn(b, 1, "b1", "reply")); n != 4 {
		t.Fatalf("writer knows %d, want 4", n)
	}
	if n := commit(ending(turn(b, 3, "b3", "bye"))); n != 3 {
		t.Errorf("after a conversation ended the writer knows %d, want 3", n)
	}
	// Ends on the turn that creates it.
	if n := commit(ending(turn(addr("ends-at-once"), 1, "c1", "bye"))); n != 3 {
		t.Errorf("after a one-turn conversation the writer knows %d, want 3", n)
	}
	// Starts again after its end: found by address, stored, known again.
	if n := commit(turn(b, 5, "b5", "welcome back")); n != 4 {
		t.Errorf("after the ended conversation started again the writer knows %d, want 4", n)
	}
	if sn, err := s.Load(ctx, b); err != nil || sn.Seq != 6 || sn.Status != bot.StatusBot {
		t.Errorf("Load(ends-later) = %+v, %v, want seq 6, status bot", sn, err)
	}
}

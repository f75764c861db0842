package sqltest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/store"
)

// Pruner is what TestRetention uses of a store.
type Pruner interface {
	Committer
	Transcriber
	Load(ctx context.Context, addr bot.Address) (*bot.Snapshot, error)
	MarkSent(ctx context.Context, ids []int64) error
	CreateTicket(ctx context.Context, t *handoff.Ticket) error
	Ticket(ctx context.Context, id int64) (*handoff.Ticket, error)
	Prune(ctx context.Context, before time.Time, mode store.PruneMode) (int, error)
}

// Count runs query, which returns one number, on a store's database. The
// queries use $1, $2, ... parameters, which SQLite takes as PostgreSQL
// does.
type Count func(t testing.TB, query string, args ...any) int

// Retention is how TestRetention reaches a store.
type Retention struct {
	// Open opens an empty store, closed when t ends, with a Count on its
	// database.
	Open func(t *testing.T) (Pruner, Count)
	// Batch is how many conversations the store's Prune takes in one
	// transaction.
	Batch int
}

// TestRetention checks a store's Prune: what each mode removes and keeps,
// the conversations it must not touch, and pruning in pages.
func TestRetention(t *testing.T, r Retention) {
	if r.Open == nil || r.Batch <= 0 {
		t.Fatalf("sqltest.TestRetention needs Open and a Batch above 0, got %+v", r)
	}
	t.Run("Delete", func(t *testing.T) { testPruneDelete(t, r) })
	t.Run("Anonymise", func(t *testing.T) { testPruneAnonymise(t, r) })
	t.Run("InPages", func(t *testing.T) { testPruneInPages(t, r) })
}

// personal is the customer's first message in every retained conversation.
const personal = "my name is Gone Person, order 4711"

// retained builds conversations around a cutoff: "gone" may be pruned,
// each of the others must stay. It returns the id of gone's ticket.
func retained(t *testing.T, s Pruner, cutoff time.Time) int64 {
	t.Helper()
	ctx := context.Background()
	commit := func(name string, updated time.Time, status bot.Status, sent bool, more func(*bot.Turn)) bot.Address {
		a := Addr(name)
		tr := Turn(a, 1, name+"-1", "Hello, how can I help?")
		tr.Inbound[0].Text = personal
		tr.State.Status, tr.State.Updated = status, updated
		if more != nil {
			more(tr)
		}
		res := Commit(t, s, tr)
		if sent {
			if err := s.MarkSent(ctx, res.OutboxIDs); err != nil {
				t.Fatal(err)
			}
		}
		return a
	}
	old := cutoff.Add(-time.Hour)
	gone := commit("gone", old, bot.StatusEnded, true, func(tr *bot.Turn) {
		tr.Handoff = &bot.HandoffRecord{Reason: "customer_request", Lang: "en", At: old}
		tr.Rating = &bot.Rating{Score: 4, Comment: "Ada was kind to Gone Person", At: old}
	})
	commit("person", old, bot.StatusHuman, true, nil)
	commit("unsent", old, bot.StatusEnded, false, nil)
	un := commit("unanswered", old, bot.StatusBot, true, nil)
	Commit(t, s, &bot.Turn{Address: un, Inbound: []bot.Entry{{Seq: 3, Direction: bot.Inbound, PlatformID: "u3", Text: "hello?"}}})
	held := commit("ticket", old, bot.StatusBot, true, nil)
	commit("recent", cutoff.Add(time.Hour), bot.StatusEnded, true, nil)
	tickets := []*handoff.Ticket{
		{Address: gone, Status: handoff.StatusClosed, Reason: "customer_request", Priority: "normal", Created: old, Closed: old, Version: 3,
			Notes:     []handoff.Note{{Author: "ada", Text: "Gone Person called twice", At: old}},
			Transfers: []handoff.Transfer{{From: "ada", ToAgent: "bob", Note: "Gone Person prefers Bob", At: old}}},
		{Address: held, Status: handoff.StatusQueued, Reason: "customer_request", Priority: "normal", Created: old, Version: 1},
	}
	for _, tk := range tickets {
		if err := s.CreateTicket(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	return tickets[0].ID
}

// kept checks that every conversation but gone is whole.
func kept(t *testing.T, s Pruner) {
	t.Helper()
	for _, name := range []string{"person", "unsent", "unanswered", "ticket", "recent"} {
		if _, err := s.Load(context.Background(), Addr(name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if tr := Transcript(t, s, Addr(name)); len(tr) < 2 || tr[0].Text != personal {
			t.Errorf("%s: transcript %+v", name, tr)
		}
	}
}

func testPruneDelete(t *testing.T, r Retention) {
	s, count := r.Open(t)
	ctx := context.Background()
	cutoff := T0.Add(30 * 24 * time.Hour)
	ticket := retained(t, s, cutoff)
	n, err := s.Prune(ctx, cutoff, store.PruneDelete)
	if err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1 conversation", n, err)
	}
	gone := Addr("gone")
	if _, err := s.Load(ctx, gone); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("Load(gone) = %v, want ErrNotFound", err)
	}
	if tr := Transcript(t, s, gone); len(tr) != 0 {
		t.Errorf("gone's transcript: %+v", tr)
	}
	if _, err := s.Ticket(ctx, ticket); !errors.Is(err, handoff.ErrNotFound) {
		t.Errorf("gone's ticket: %v, want not found", err)
	}
	for _, table := range []string{"handoffs", "ratings"} {
		if n := count(t, "SELECT count(*) FROM "+table); n != 0 {
			t.Errorf("%d rows left in %s", n, table)
		}
	}
	kept(t, s)
	if n, err := s.Prune(ctx, cutoff, store.PruneDelete); err != nil || n != 0 {
		t.Errorf("second Prune = %d, %v; want nothing left to prune", n, err)
	}
	// The conversation can start again on the same address.
	Commit(t, s, Turn(gone, 1, "gone-1", "welcome back"))
	if tr := Transcript(t, s, gone); len(tr) != 2 {
		t.Errorf("gone after it came back: %+v", tr)
	}
}

func testPruneAnonymise(t *testing.T, r Retention) {
	s, count := r.Open(t)
	ctx := context.Background()
	cutoff := T0.Add(90 * 24 * time.Hour)
	ticket := retained(t, s, cutoff)
	n, err := s.Prune(ctx, cutoff, store.PruneAnonymise)
	if err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1 conversation", n, err)
	}
	if _, err := s.Load(ctx, Addr("gone")); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("Load(gone) = %v, want ErrNotFound", err)
	}
	// Nothing of the customer is left in the anonymised conversation...
	if n := count(t, `SELECT count(*) FROM conversations WHERE conversation = 'gone'`); n != 0 {
		t.Errorf("the address is still there")
	}
	anon := `(SELECT id FROM conversations WHERE conversation LIKE 'anonymised-%')`
	if n := count(t, `SELECT count(*) FROM messages WHERE conv_id = `+anon+` AND (text <> $1 OR platform_id <> '')`, store.Removed); n != 0 {
		t.Errorf("%d messages keep their text or platform id", n)
	}
	if n := count(t, `SELECT count(*) FROM ratings WHERE comment LIKE '%Gone%'`); n != 0 {
		t.Errorf("the rating comment is still there")
	}
	tk, err := s.Ticket(ctx, ticket)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Address.Conversation == "gone" || len(tk.Notes) != 1 || tk.Notes[0].Text != store.Removed || len(tk.Transfers) != 1 || tk.Transfers[0].Note != "" {
		t.Errorf("ticket not anonymised: %+v", tk)
	}
	// ...and its counts stay: the conversation, both messages, the handoff, the score.
	if n := count(t, `SELECT count(*) FROM messages WHERE conv_id = `+anon); n != 2 {
		t.Errorf("%d messages kept, want 2", n)
	}
	if n := count(t, `SELECT count(*) FROM conversations WHERE conversation LIKE 'anonymised-%' AND status = 'ended' AND seq = 2 AND snapshot IS NULL`); n != 1 {
		t.Errorf("anonymised conversation row not kept as expected")
	}
	if n := count(t, `SELECT count(*) FROM ratings WHERE score = 4 AND comment = $1`, store.Removed); n != 1 {
		t.Errorf("the score is not kept")
	}
	if n := count(t, `SELECT count(*) FROM handoffs WHERE reason = 'customer_request'`); n != 1 {
		t.Errorf("the handoff is not kept")
	}
	kept(t, s)
	if n, err := s.Prune(ctx, cutoff, store.PruneAnonymise); err != nil || n != 0 {
		t.Errorf("second Prune = %d, %v; want nothing left to anonymise", n, err)
	}
	// A new turn of the old address does not touch the anonymised row.
	Commit(t, s, Turn(Addr("gone"), 1, "gone-1", "welcome back"))
	if n := count(t, `SELECT count(*) FROM messages WHERE conv_id = `+anon); n != 2 {
		t.Errorf("the anonymised conversation got %d messages", n)
	}
	// Deleting later removes anonymised conversations too.
	if n, err := s.Prune(ctx, cutoff, store.PruneDelete); err != nil || n != 1 {
		t.Errorf("Prune(delete) after anonymising = %d, %v; want 1", n, err)
	}
	if _, err := s.Prune(ctx, cutoff, "shred"); err == nil {
		t.Error("unknown mode accepted")
	}
}

// testPruneInPages prunes more conversations than one transaction takes,
// while keeping the recent ones between them.
func testPruneInPages(t *testing.T, r Retention) {
	s, count := r.Open(t)
	ctx := context.Background()
	cutoff := T0.Add(time.Hour)
	n := 2*r.Batch + 10
	for i := range n {
		tr := Turn(Addr(fmt.Sprint("c", i)), 1, "", "reply")
		tr.State.Status = bot.StatusEnded
		if i%3 == 0 {
			tr.State.Updated = cutoff.Add(time.Minute)
		}
		res := Commit(t, s, tr)
		if err := s.MarkSent(ctx, res.OutboxIDs); err != nil {
			t.Fatal(err)
		}
	}
	want := n - (n+2)/3
	if got, err := s.Prune(ctx, cutoff, store.PruneDelete); err != nil || got != want {
		t.Errorf("Prune = %d, %v; want %d", got, err, want)
	}
	if got := count(t, `SELECT count(*) FROM conversations`); got != n-want {
		t.Errorf("%d conversations left, want %d", got, n-want)
	}
}

package bot_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
)

// TestStaleTurnRunsAgain: when another instance commits to the
// conversation between the engine's load and its commit, the store
// refuses the turn (ErrStale) and the engine runs it again on the
// conversation as stored, so the transcript stays one sequence.
func TestStaleTurnRunsAgain(t *testing.T) {
	h := newHarness(t)
	addr := bot.Address{Channel: bottest.Channel, Conversation: "s1"}
	var raced atomic.Bool
	h.Store.SetCommitHook(func(turn *bot.Turn) {
		if !raced.CompareAndSwap(false, true) {
			return
		}
		// Another instance takes a message of the conversation first.
		snap := &bot.Snapshot{Address: addr, Status: bot.StatusBot, Seq: 1, Processed: 1, RecentIDs: []string{"elsewhere"}}
		other := &bot.Turn{Address: addr, Base: 0, State: snap,
			Inbound: []bot.Entry{{Seq: 1, Direction: bot.Inbound, PlatformID: "elsewhere", Text: "hello"}}}
		if _, err := h.Store.Commit(context.Background(), other); err != nil {
			t.Errorf("other instance's commit: %v", err)
		}
	})
	if err := h.Engine.Handle(context.Background(), bot.Message{Address: addr, ID: "1", Text: "intent:late"}); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if err := h.Engine.Flush(context.Background(), addr); err != nil {
		t.Fatal(err)
	}
	tr, err := h.Store.Transcript(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i, en := range tr {
		if en.Seq != int64(i+1) {
			t.Errorf("entry %d has seq %d, want %d", i, en.Seq, i+1)
		}
		if en.Direction == bot.Inbound {
			ids = append(ids, en.PlatformID)
		}
	}
	if len(ids) != 2 || ids[0] != "elsewhere" || ids[1] != "1" {
		t.Errorf("inbound messages %q, want the other instance's then ours", ids)
	}
	if got := len(h.Sender.Replies(addr)); got != 2 {
		t.Errorf("%d replies delivered, want 2", got)
	}
}

// blocked is a Sender that never returns until the test ends, whatever
// its context says.
type blocked struct {
	called  chan struct{}
	release chan struct{}
	once    atomic.Bool
}

func (b *blocked) Send(context.Context, bot.Reply) error {
	if b.once.CompareAndSwap(false, true) {
		close(b.called)
	}
	<-b.release
	return errors.New("released")
}

// TestShutdownHonoursItsDeadline: a Sender that blocks for ever does not
// hold Shutdown past its deadline, and the reply stays in the outbox for
// the next start.
func TestShutdownHonoursItsDeadline(t *testing.T) {
	store := bottest.NewStore()
	ctx := context.Background()
	e, err := bot.New(ctx, store, loadTestFlows(t), keywordAnalyzer, bot.WithQuietWindow(0))
	if err != nil {
		t.Fatal(err)
	}
	s := &blocked{called: make(chan struct{}), release: make(chan struct{})}
	t.Cleanup(func() { close(s.release) })
	e.Register(bottest.Channel, s)
	addr := bot.Address{Channel: bottest.Channel, Conversation: "b1"}
	if err := e.Handle(ctx, bot.Message{Address: addr, ID: "1", Text: "intent:late"}); err != nil {
		t.Fatal(err)
	}
	<-s.called
	sctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := e.Shutdown(sctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want the deadline's error", err)
	}
	if err := e.Handle(ctx, bot.Message{Address: addr, ID: "2", Text: "yes"}); !errors.Is(err, bot.ErrClosed) {
		t.Errorf("Handle after Shutdown = %v, want ErrClosed", err)
	}
	if pending, _ := store.Pending(ctx, 0, 0); len(pending) != 2 {
		t.Fatalf("%d replies in the outbox, want 2", len(pending))
	}

	// The next start delivers them.
	e2, err := bot.New(ctx, store, loadTestFlows(t), keywordAnalyzer, bot.WithQuietWindow(0))
	if err != nil {
		t.Fatal(err)
	}
	up := bottest.NewSender()
	e2.Register(bottest.Channel, up)
	run(t, e2)
	pollUntil(t, func() bool { return len(up.Replies(addr)) == 2 })
}

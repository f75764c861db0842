package bot_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/store/sqlite"
)

// round is one conversation from its first message to its end.
var round = []string{"intent:late", "yes", "pick:track", "yes", "no"}

// answered waits until messages ids are stored in addr and the bot has
// answered everything stored, moving clk on by the quiet window.
func answered(t *testing.T, e *bot.Engine, clk *bottest.Clock, addr bot.Address, quiet time.Duration, ids ...string) *bot.Snapshot {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s, err := e.Conversation(ctx, addr)
		tr, _ := e.Transcript(ctx, addr)
		stored := 0
		for _, id := range ids {
			if slices.ContainsFunc(tr, func(e bot.Entry) bool { return e.Direction == bot.Inbound && e.PlatformID == id }) {
				stored++
			}
		}
		if err == nil && stored == len(ids) && s.Processed == s.Seq && clk.Pending() == 0 {
			if err := e.Flush(ctx, addr); err != nil {
				t.Fatal(err)
			}
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("conversation not answered within 5s: %+v, %v", s, err)
		}
		clk.Advance(quiet)
		pause()
	}
}

// gapless fails t when tr's seqs are not 1, 2, 3, ... and returns how
// many times each platform id was stored.
func gapless(t *testing.T, tr []bot.Entry) map[string]int {
	t.Helper()
	count := map[string]int{}
	for i, e := range tr {
		if e.Seq != int64(i+1) {
			t.Fatalf("transcript has a gap: entry %d has seq %d", i, e.Seq)
		}
		if e.Direction == bot.Inbound {
			count[e.PlatformID]++
		}
	}
	return count
}

// TestOldRedeliveryInABurst re-posts a message older than the ids the
// engine remembers in the same batch as new messages: the old one is
// ignored, every new one is answered once, and the transcript has no gap.
func TestOldRedeliveryInABurst(t *testing.T) {
	tests := []struct {
		name  string
		quiet time.Duration
		burst []string // platform ids; x3 is the old one
	}{
		{"answered at once, old id in the middle", 0, []string{"n1", "x3", "n2"}},
		{"quiet window, old id last", 2 * time.Second, []string{"n1", "n2", "x3"}},
		{"quiet window, old id first", 2 * time.Second, []string{"x3", "n1", "n2"}},
		{"with a person", 0, []string{"n1", "x3", "n2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, bot.WithQuietWindow(tt.quiet))
			ctx := context.Background()
			c := h.Chat("en")
			textOf := map[string]string{}
			for i := range 4 * len(round) {
				id, text := fmt.Sprintf("x%d", i), round[i%len(round)]
				textOf[id] = text
				c.SayID(id, text)
				answered(t, h.Engine, h.Clock, c.Addr, tt.quiet, id)
			}
			if tt.name == "with a person" {
				c.SayID("h", "human")
				answered(t, h.Engine, h.Clock, c.Addr, tt.quiet, "h")
			}

			// Hold the worker in the commit of b0, queue the burst behind
			// it (a cancelled Handle queues and returns), then let go.
			entered, release := make(chan struct{}), make(chan struct{})
			var once sync.Once
			h.Store.SetCommitHook(func(tr *bot.Turn) {
				if len(tr.Inbound) > 0 && tr.Inbound[0].PlatformID == "b0" {
					once.Do(func() { close(entered); <-release })
				}
			})
			done := make(chan error, 1)
			go func() { done <- h.Engine.Handle(ctx, bot.Message{Address: c.Addr, ID: "b0", Text: "intent:late"}) }()
			<-entered
			cancelled, cancel := context.WithCancel(ctx)
			cancel()
			for _, id := range tt.burst {
				text := textOf[id]
				if text == "" {
					text = "yes " + id
				}
				_ = h.Engine.Handle(cancelled, bot.Message{Address: c.Addr, ID: id, Text: text})
			}
			close(release)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			snap := answered(t, h.Engine, h.Clock, c.Addr, tt.quiet, "b0", "n1", "n2")

			tr, err := h.Store.Transcript(ctx, c.Addr)
			if err != nil {
				t.Fatal(err)
			}
			count := gapless(t, tr)
			for _, id := range []string{"b0", "n1", "n2", "x3"} {
				if count[id] != 1 {
					t.Errorf("message %s stored %d times, want once", id, count[id])
				}
			}
			if snap.Seq != int64(len(tr)) || snap.Processed != snap.Seq {
				t.Errorf("snapshot at seq %d, processed %d; transcript has %d entries", snap.Seq, snap.Processed, len(tr))
			}
			if tt.name == "with a person" {
				return // a person answers
			}
			// Each new message is answered by exactly one turn; the old one by none.
			turns := map[string][]string{} // id -> the answer lists of the replies that answer it
			for _, r := range h.Sender.Replies(c.Addr) {
				key := strings.Join(r.Answers, ",")
				for _, id := range r.Answers {
					if !slices.Contains(turns[id], key) {
						turns[id] = append(turns[id], key)
					}
				}
			}
			for _, id := range []string{"b0", "n1", "n2"} {
				if len(turns[id]) != 1 {
					t.Errorf("message %s answered by %d turns (%q), want 1", id, len(turns[id]), turns[id])
				}
			}
			if got := turns["x3"]; len(got) != 1 || strings.Contains(got[0], "n") {
				t.Errorf("old message x3 answered again: %q", got)
			}
		})
	}
}

// hookedStore is the SQLite store with a hook before each commit.
type hookedStore struct {
	*sqlite.Store
	hook func(*bot.Turn)
}

func (s *hookedStore) Commit(ctx context.Context, t *bot.Turn) (bot.CommitResult, error) {
	if s.hook != nil {
		s.hook(t)
	}
	return s.Store.Commit(ctx, t)
}

// TestOldRedeliveryInABurstSQLite is the burst with an old id on the
// SQLite store, which checks that the answer's analysis lands on a stored
// message: a gap there failed the answer for ever.
func TestOldRedeliveryInABurstSQLite(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "burst.db"), sqlite.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	store, clk, quiet := &hookedStore{Store: st}, bottest.NewClock(), 2*time.Second
	e, err := bot.New(ctx, store, loadTestFlows(t), keywordAnalyzer, bot.WithClock(clk), bot.WithQuietWindow(quiet),
		bot.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	e.Register(bottest.Channel, bottest.NewSender())
	addr := bot.Address{Channel: bottest.Channel, Conversation: "burst"}
	for i := range 4 * len(round) {
		id := fmt.Sprintf("x%d", i)
		if err := e.Handle(ctx, bot.Message{Address: addr, ID: id, Text: round[i%len(round)]}); err != nil {
			t.Fatal(err)
		}
		answered(t, e, clk, addr, quiet, id)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	store.hook = func(tr *bot.Turn) {
		if len(tr.Inbound) > 0 && tr.Inbound[0].PlatformID == "b0" {
			once.Do(func() { close(entered); <-release })
		}
	}
	done := make(chan error, 1)
	go func() { done <- e.Handle(ctx, bot.Message{Address: addr, ID: "b0", Text: "intent:late"}) }()
	<-entered
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, m := range []bot.Message{{ID: "n1", Text: "yes"}, {ID: "n2", Text: "fine"}, {ID: "x3", Text: round[3]}} {
		m.Address = addr
		_ = e.Handle(cancelled, m)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	snap := answered(t, e, clk, addr, quiet, "b0", "n1", "n2")
	tr, err := e.Transcript(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	count := gapless(t, tr)
	for _, id := range []string{"b0", "n1", "n2", "x3"} {
		if count[id] != 1 {
			t.Errorf("message %s stored %d times, want once", id, count[id])
		}
	}
	if snap.Seq != int64(len(tr)) || tr[len(tr)-1].Direction != bot.Outbound {
		t.Errorf("snapshot at seq %d; transcript has %d entries, the last %+v", snap.Seq, len(tr), tr[len(tr)-1])
	}
}

// TestRedeliveryWithAnotherText: the same id with the same text is a
// harmless redelivery, with another text a conflict, at any age.
func TestRedeliveryWithAnotherText(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	c := h.Chat("en")
	c.SayID("m1", "intent:late")
	for i := range 20 {
		c.SayID(fmt.Sprintf("x%d", i), "yes")
	}
	for _, id := range []string{"m1", "x19"} { // beyond the recent ids, and among them
		text := "yes"
		if id == "m1" {
			text = "intent:late"
		}
		if err := h.Engine.Handle(ctx, bot.Message{Address: c.Addr, ID: id, Text: text}); err != nil {
			t.Errorf("%s again with the same text: %v, want nil", id, err)
		}
		if err := h.Engine.Handle(ctx, bot.Message{Address: c.Addr, ID: id, Text: "something else"}); !errors.Is(err, bot.ErrConflict) {
			t.Errorf("%s again with another text: %v, want ErrConflict", id, err)
		}
	}
	tr, _ := h.Store.Transcript(ctx, c.Addr)
	if in := countInbound(tr); in != 21 {
		t.Errorf("%d inbound stored, want 21", in)
	}
	if tr[0].Text != "intent:late" {
		t.Errorf("first text became %q", tr[0].Text)
	}
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestStalledTurnRaisesAlarmAndRecovers: a burst whose answer cannot be
// committed is retried with a growing delay, raises the alarm after a
// few failures, and is answered once the store works again.
func TestStalledTurnRaisesAlarmAndRecovers(t *testing.T) {
	rec := &recorder{}
	var logs syncBuffer
	h := newHarness(t, bot.WithQuietWindow(time.Second), bot.WithListener(rec),
		bot.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	c := h.Chat("en")
	var attempts atomic.Int64
	h.Store.SetCommitHook(func(tr *bot.Turn) {
		if tr.Address == c.Addr {
			attempts.Add(1)
		}
	})
	c.Say("intent:late") // stored; the answer waits for the quiet window
	h.Store.SetFailCommits(bottest.ErrInjected)
	h.Clock.Advance(time.Second)
	pollUntil(t, func() bool { return attempts.Load() == 2 && h.Clock.Pending() == 1 })
	for n, d := 1, time.Second; n <= 5; n, d = n+1, 2*d {
		h.Clock.Advance(d - time.Millisecond)
		if got := attempts.Load(); got != int64(n+1) || h.Clock.Pending() != 1 {
			t.Fatalf("after failure %d: tried again before %v", n, d)
		}
		h.Clock.Advance(time.Millisecond)
		pollUntil(t, func() bool { return attempts.Load() == int64(n+2) && h.Clock.Pending() == 1 })
		stalled := slices.Contains(rec.kinds(c.Addr), bot.EventStalled)
		if want := n+1 >= 5; stalled != want {
			t.Errorf("after %d failures: stalled event %v, want %v", n+1, stalled, want)
		}
	}
	if got := logs.String(); !strings.Contains(got, "level=ERROR") || !strings.Contains(got, "turn keeps failing") {
		t.Errorf("no alarm in the log:\n%s", got)
	}
	rec.mu.Lock()
	for _, ev := range rec.events[c.Addr] {
		if ev.Kind == bot.EventStalled && (!errors.Is(ev.Err, bottest.ErrInjected) || ev.Failures != 5) {
			t.Errorf("stalled event: %v after %d failures", ev.Err, ev.Failures)
		}
	}
	rec.mu.Unlock()

	h.Store.SetFailCommits(nil)
	h.Clock.Advance(32 * time.Second)
	if rs := waitReplies(t, c, 2); rs[1].Text != "Is it your latest order?" {
		t.Errorf("replies %q", texts(rs))
	}
}

package bot_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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

// run starts e.Run until the test ends and waits until it resumed.
func run(t *testing.T, e *bot.Engine) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	<-e.Resumed()
}

// TestFailedReplyPausesItsConversation: a reply that is not delivered
// after its last attempt must not be overtaken by the conversation's later
// replies; the queue pauses (with an alarm) and the periodic resend
// delivers both, in order.
func TestFailedReplyPausesItsConversation(t *testing.T) {
	rec := &recorder{}
	h := newHarness(t, bot.WithListener(rec))
	const first = "Thank you for telling us about the delay."
	var down atomic.Bool
	down.Store(true)
	h.Sender.FailWith(func(r bot.Reply, _ int) error {
		if down.Load() && r.Text == first {
			return errors.New("platform down")
		}
		return nil
	})
	run(t, h.Engine)
	c := h.Chat("en")
	if err := h.Engine.Handle(context.Background(), bot.Message{Address: c.Addr, ID: "1", Text: "intent:late"}); err != nil {
		t.Fatal(err)
	}
	// Five failed attempts, each followed by a backoff (beside Run's tick).
	for call := 1; call < 6; call++ {
		pollUntil(t, func() bool { return h.Sender.Calls() == call && h.Clock.Pending() == 2 })
		d, _ := h.Clock.Next()
		h.Clock.Advance(d)
	}
	paused := func() bool { return slices.Contains(rec.kinds(c.Addr), bot.EventDeliveryPaused) }
	pollUntil(t, func() bool { return paused() || len(h.Sender.Replies(c.Addr)) > 0 })
	if got := texts(h.Sender.Replies(c.Addr)); len(got) > 0 {
		t.Fatalf("delivered %q while the first reply was still undelivered", got)
	}

	down.Store(false)
	h.Clock.Advance(time.Minute) // the periodic resend
	pollUntil(t, func() bool { return len(h.Sender.Replies(c.Addr)) == 2 })
	if got, want := texts(h.Sender.Replies(c.Addr)), []string{first, "Is it your latest order?"}; !slices.Equal(got, want) {
		t.Errorf("delivered %q, want %q", got, want)
	}
	if err := h.Engine.Flush(context.Background(), c.Addr); err != nil {
		t.Fatal(err)
	}
	// A new turn is delivered at once again.
	if err := h.Engine.Handle(context.Background(), bot.Message{Address: c.Addr, ID: "2", Text: "yes"}); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, func() bool { return len(h.Sender.Replies(c.Addr)) == 3 })
}

// commitReplies stores n replies for conversations on channel, one
// conversation each, straight into the store's outbox.
func commitReplies(t *testing.T, s bot.Store, channel string, n int) {
	t.Helper()
	for i := range n {
		addr := bot.Address{Channel: channel, Conversation: fmt.Sprintf("%s-%d", channel, i)}
		snap := &bot.Snapshot{Address: addr, Status: bot.StatusBot, Seq: 1, Processed: 1}
		turn := &bot.Turn{Address: addr, State: snap, Outbound: []bot.Entry{{Seq: 1, Direction: bot.Outbound, Text: "hello"}}}
		if _, err := s.Commit(context.Background(), turn); err != nil {
			t.Fatal(err)
		}
	}
}

// TestResendReachesPastTheFirstPage: more than a page of replies for a
// channel without a sender must not starve the others, and more than a
// page of replies for a channel with one are all resent.
func TestResendReachesPastTheFirstPage(t *testing.T) {
	for _, tc := range []struct {
		name       string
		gone, live int
	}{
		{"unknown channel first", 1001, 1},
		{"more than a page", 0, 1500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := bottest.NewStore()
			commitReplies(t, store, "gone", tc.gone)
			commitReplies(t, store, bottest.Channel, tc.live)
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			e, err := bot.New(context.Background(), store, loadTestFlows(t), keywordAnalyzer, bot.WithClock(bottest.NewClock()), bot.WithLogger(log))
			if err != nil {
				t.Fatal(err)
			}
			sender := bottest.NewSender()
			e.Register(bottest.Channel, sender)
			run(t, e)
			pollUntil(t, func() bool { return sender.Calls() >= tc.live })
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			if got := sender.Calls(); got != tc.live {
				t.Errorf("%d replies sent, want %d", got, tc.live)
			}
			pending, _ := store.Pending(context.Background(), 0, 0)
			if len(pending) != tc.gone {
				t.Errorf("%d replies pending, want the %d of the channel without a sender", len(pending), tc.gone)
			}
			warned := 0
			if tc.gone > 0 {
				warned = 1
			}
			if got := strings.Count(logs.String(), "no sender registered for channel"); got != warned {
				t.Errorf("warned %d times of the channel without a sender, want %d:\n%s", got, warned, logs.String())
			}
		})
	}
}

// resendStore counts the outbox reads of the engine's resend.
type resendStore struct {
	*bottest.Store
	reads chan struct{}
}

func (s *resendStore) ClaimOutbox(ctx context.Context, c bot.OutboxClaim) ([]bot.Outgoing, error) {
	defer func() { s.reads <- struct{}{} }()
	return s.Store.ClaimOutbox(ctx, c)
}

// TestResendSkipsDeliveredButUnmarked: a reply delivered but not yet
// marked sent in the store is not sent again by a resend.
func TestResendSkipsDeliveredButUnmarked(t *testing.T) {
	store := &resendStore{Store: bottest.NewStore(), reads: make(chan struct{}, 16)}
	release := make(chan struct{})
	var marking sync.Once
	marked := make(chan struct{})
	store.SetMarkHook(func([]int64) {
		marking.Do(func() { close(marked) })
		<-release
	})
	clock := bottest.NewClock()
	e, err := bot.New(context.Background(), store, loadTestFlows(t), keywordAnalyzer, bot.WithClock(clock), bot.WithQuietWindow(0))
	if err != nil {
		t.Fatal(err)
	}
	sender := bottest.NewSender()
	e.Register(bottest.Channel, sender)
	run(t, e)
	t.Cleanup(func() { close(release) }) // before Run stops
	<-store.reads                        // resume's resend
	<-store.reads                        // and the registration's
	addr := bot.Address{Channel: bottest.Channel, Conversation: "u1"}
	if err := e.Handle(context.Background(), bot.Message{Address: addr, ID: "1", Text: "intent:late"}); err != nil {
		t.Fatal(err)
	}
	<-marked // both replies delivered; their mark waits
	pollUntil(t, func() bool { return sender.Calls() == 2 })
	clock.Advance(time.Minute)
	<-store.reads
	if err := e.Flush(context.Background(), addr); err != nil {
		t.Fatal(err)
	}
	if got := texts(sender.Replies(addr)); len(got) != 2 {
		t.Errorf("delivered %q, want each of the two replies once", got)
	}
}

// firstTry records the first attempt of each reply and fails every send.
type firstTry struct {
	mu      sync.Mutex
	replies []bot.Reply
}

func (s *firstTry) Send(_ context.Context, r bot.Reply) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.ContainsFunc(s.replies, func(x bot.Reply) bool { return x.OutboxID == r.OutboxID }) {
		s.replies = append(s.replies, r)
	}
	return errors.New("platform down")
}

// TestResentReplyKeepsItsMetadata: a reply resent by a restarted engine
// carries the Lang, Seq, Answers and Status the first attempt had.
func TestResentReplyKeepsItsMetadata(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T) func() bot.Store
	}{
		{"memory", func(*testing.T) func() bot.Store {
			s := bottest.NewStore()
			return func() bot.Store { return s }
		}},
		{"sqlite", func(t *testing.T) func() bot.Store {
			path := filepath.Join(t.TempDir(), "meta.db")
			return func() bot.Store {
				st, err := sqlite.Open(context.Background(), path)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = st.Close() })
				return st
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			open := tc.open(t)
			store := open()
			ctx := context.Background()
			addr := bot.Address{Channel: bottest.Channel, Conversation: "m1"}
			e1, err := bot.New(ctx, store, loadTestFlows(t), keywordAnalyzer, bot.WithQuietWindow(0))
			if err != nil {
				t.Fatal(err)
			}
			down := &firstTry{}
			e1.Register(bottest.Channel, down)
			if err := e1.Handle(ctx, bot.Message{Address: addr, ID: "p1", Text: "intent:late"}); err != nil {
				t.Fatal(err)
			}
			pollUntil(t, func() bool { down.mu.Lock(); defer down.mu.Unlock(); return len(down.replies) > 0 })
			sctx, cancel := context.WithCancel(ctx)
			cancel() // stop at once: the replies stay in the outbox
			_ = e1.Shutdown(sctx)
			down.mu.Lock()
			want := slices.Clone(down.replies)
			down.mu.Unlock()
			if len(want) == 0 {
				t.Fatal("no send was tried")
			}
			if c, ok := store.(closer); ok {
				_ = c.Close()
				store = open()
			}

			e2, err := bot.New(ctx, store, loadTestFlows(t), keywordAnalyzer, bot.WithQuietWindow(0))
			if err != nil {
				t.Fatal(err)
			}
			up := bottest.NewSender()
			e2.Register(bottest.Channel, up)
			run(t, e2)
			pollUntil(t, func() bool { return len(up.Replies(addr)) == 2 })
			got := up.Replies(addr)
			for i, w := range want[:1] {
				g := got[i]
				if g.Lang != w.Lang || g.Seq != w.Seq || !slices.Equal(g.Answers, w.Answers) || g.Status != w.Status ||
					g.Flow != w.Flow || g.State != w.State || g.Text != w.Text || w.Lang == "" || w.Seq == 0 || len(w.Answers) == 0 {
					t.Errorf("resent reply %d = %+v, want %+v", i, g, w)
				}
			}
			if strings.Join(texts(got), "|") != "Thank you for telling us about the delay.|Is it your latest order?" {
				t.Errorf("resent %q", texts(got))
			}
		})
	}
}

// TestRepliesWaitForTheirSender: replies for a channel registered after
// the engine started are delivered once it registers.
func TestRepliesWaitForTheirSender(t *testing.T) {
	store := bottest.NewStore()
	commitReplies(t, store, "late", 2)
	e, err := bot.New(context.Background(), store, loadTestFlows(t), keywordAnalyzer, bot.WithClock(bottest.NewClock()))
	if err != nil {
		t.Fatal(err)
	}
	run(t, e)
	sender := bottest.NewSender()
	e.Register("late", sender)
	pollUntil(t, func() bool { return sender.Calls() == 2 })
}

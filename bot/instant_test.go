package bot_test

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
)

// stackSender records each reply and whether Send ran inside Engine.Handle
// (on the goroutine that committed the turn).
type stackSender struct {
	mu       sync.Mutex
	texts    []string
	inHandle []bool
}

func (s *stackSender) Send(_ context.Context, r bot.Reply) error {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(1, pcs)])
	in := false
	for {
		f, more := frames.Next()
		if strings.HasSuffix(f.Function, "bot.(*Engine).Handle") {
			in = true
		}
		if !more {
			break
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.texts = append(s.texts, r.Text)
	s.inHandle = append(s.inHandle, in)
	return nil
}

func (s *stackSender) calls() ([]string, []bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.texts...), append([]bool(nil), s.inHandle...)
}

// instantSender is a stackSender that says it sends instantly.
type instantSender struct{ stackSender }

func (*instantSender) SendsInstantly() {}

// TestInstantSender: an InstantSender's replies are sent on the goroutine
// that committed the turn, in order, before Handle returns (the web chat's
// wait mode then finds them without waiting on a delivery goroutine); any
// other Sender's on a delivery goroutine of the engine's.
func TestInstantSender(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sender interface {
			bot.Sender
			calls() ([]string, []bool)
		}
		inHandle bool
	}{
		{"instant", &instantSender{}, true},
		{"queued", &stackSender{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.Engine.Register(bottest.Channel, tc.sender)
			c := h.Chat("en")
			if err := h.Engine.Handle(context.Background(), bot.Message{Address: c.Addr, ID: "1", Text: "intent:late"}); err != nil {
				t.Fatal(err)
			}
			if err := h.Engine.Flush(context.Background(), c.Addr); err != nil {
				t.Fatal(err)
			}
			texts, in := tc.sender.calls()
			want := []string{"Thank you for telling us about the delay.", "Is it your latest order?"}
			if strings.Join(texts, "|") != strings.Join(want, "|") {
				t.Fatalf("sent %q, want %q", texts, want)
			}
			for i, got := range in {
				if got != tc.inHandle {
					t.Errorf("reply %d sent inside Handle: %v, want %v", i, got, tc.inHandle)
				}
			}
		})
	}
}

package bot_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/flows"
)

// logBuffer collects an engine's log lines, safe for its goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// logger returns a logger writing to a logBuffer.
func logger() (*slog.Logger, *logBuffer) {
	lb := &logBuffer{}
	return slog.New(slog.NewTextHandler(lb, nil)), lb
}

// checkPanicLogged checks that a recovered panic was logged at Error with
// its value and stack.
func checkPanicLogged(t *testing.T, lb *logBuffer, value string) {
	t.Helper()
	for line := range strings.SplitSeq(lb.String(), "\n") {
		if strings.Contains(line, "level=ERROR") && strings.Contains(line, "recovered from a panic") &&
			strings.Contains(line, value) && strings.Contains(line, "stack=") && strings.Contains(line, "goroutine") {
			return
		}
	}
	t.Errorf("no Error log of the panic %q with its stack; log:\n%s", value, lb)
}

// boomAnalyzer is the keywords analyzer, except that it panics on "boom".
type boomAnalyzer struct{ keywords }

func (a boomAnalyzer) Analyze(ctx context.Context, in bot.AnalyzeInput) bot.Analysis {
	if strings.Contains(in.Text, "boom") {
		panic("analyzer bug on boom")
	}
	return a.keywords.Analyze(ctx, in)
}

func TestPanickingAnalyzerFailsOnlyItsTurn(t *testing.T) {
	log, lb := logger()
	h := bottest.NewWithAnalyzer(t, loadTestFlows(t), func(*flows.File) (bot.Analyzer, error) { return boomAnalyzer{}, nil }, bot.WithLogger(log))
	other := h.Chat("en")
	other.Say("intent:late")
	c := h.Chat("en")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := h.Engine.Handle(ctx, bot.Message{Address: c.Addr, ID: "b", Text: "boom"})
	if err == nil || !strings.Contains(err.Error(), "panic") {
		t.Fatalf("Handle of a turn that panics = %v, want an error about the panic", err)
	}
	checkPanicLogged(t, lb, "analyzer bug on boom")
	// The conversation and the engine go on.
	if got := texts(c.Say("intent:late")); len(got) != 2 || got[1] != "Is it your latest order?" {
		t.Errorf("the conversation after a panic: %q", got)
	}
	if got := texts(other.Say("yes")); len(got) != 1 || got[0] != "Here is what I can do:" {
		t.Errorf("another conversation after a panic: %q", got)
	}
}

// panicListener panics on every event it hears.
type panicListener struct{}

func (panicListener) Notify(context.Context, bot.Event) { panic("listener bug") }

func TestPanickingListenerMissesOnlyTheEvent(t *testing.T) {
	log, lb := logger()
	h := newHarness(t, bot.WithListener(panicListener{}), bot.WithLogger(log))
	c := h.Chat("en")
	if got := texts(c.Say("intent:late")); len(got) != 2 || got[1] != "Is it your latest order?" {
		t.Errorf("replies with a panicking listener: %q", got)
	}
	if got := texts(c.Say("yes")); len(got) != 1 || got[0] != "Here is what I can do:" {
		t.Errorf("next turn with a panicking listener: %q", got)
	}
	checkPanicLogged(t, lb, "listener bug")
}

func TestPanickingSenderIsAFailedSend(t *testing.T) {
	log, lb := logger()
	h := newHarness(t, bot.WithLogger(log))
	h.Sender.FailWith(func(_ bot.Reply, call int) error {
		if call == 1 {
			panic("sender bug")
		}
		return nil
	})
	c := h.Chat("en")
	if err := h.Engine.Handle(context.Background(), bot.Message{Address: c.Addr, ID: "x", Text: "intent:late"}); err != nil {
		t.Fatal(err)
	}
	// The first attempt panicked: the reply waits for its retry.
	pollUntil(t, func() bool { return h.Sender.Calls() == 1 && h.Clock.Pending() > 0 })
	h.Clock.Advance(time.Second)
	if rs := waitReplies(t, c, 2); len(rs) != 2 || rs[1].Text != "Is it your latest order?" {
		t.Errorf("replies after a Sender panicked: %q", texts(rs))
	}
	if got := texts(c.Say("yes")); len(got) != 1 || got[0] != "Here is what I can do:" {
		t.Errorf("next turn after a Sender panicked: %q", got)
	}
	checkPanicLogged(t, lb, "sender bug")
}

// claimPanicStore panics in its first ClaimOutbox call, as a store bug
// would.
type claimPanicStore struct {
	*bottest.Store
	calls atomic.Int32
}

func (s *claimPanicStore) ClaimOutbox(ctx context.Context, c bot.OutboxClaim) ([]bot.Outgoing, error) {
	if s.calls.Add(1) == 1 {
		panic("outbox bug")
	}
	return s.Store.ClaimOutbox(ctx, c)
}

// TestPanickingResendKeepsRunning: a panic in the resend loop (here, at
// the resume on start) is logged and counted, Run goes on, and
// conversations are answered.
func TestPanickingResendKeepsRunning(t *testing.T) {
	log, lb := logger()
	st := &claimPanicStore{Store: bottest.NewStore()}
	e, err := bot.New(context.Background(), st, loadTestFlows(t), keywordAnalyzer, bot.WithQuietWindow(0), bot.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	sender := bottest.NewSender()
	e.Register(bottest.Channel, sender)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	defer func() { cancel(); <-done }()
	select {
	case <-e.Resumed():
	case err := <-done:
		t.Fatalf("Run ended after a panic in the resend: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("not resumed within 10s")
	}
	checkPanicLogged(t, lb, "outbox bug")
	if n := e.Panics(); n != 1 {
		t.Errorf("Panics() = %d, want 1", n)
	}
	addr := bot.Address{Channel: bottest.Channel, Conversation: "after"}
	hctx, hcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer hcancel()
	if err := e.Handle(hctx, bot.Message{Address: addr, ID: "1", Text: "intent:late"}); err != nil {
		t.Fatalf("Handle after the panic: %v", err)
	}
	pollUntil(t, func() bool { return len(sender.Replies(addr)) == 2 })
}

package bot_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/flows"
	"github.com/calmbot/calmbot/store/sqlite"
)

// keywords is a deterministic Analyzer for engine tests: it reads marker
// words, so the tests exercise the engine and not language understanding.
//
//	yes / no            Answer
//	pick:<id>           Choice
//	intent:<name>       Intent, in scope
//	human               HumanRequest
//	angry / furious     sentiment -0.5 / -0.9
//	lang:<xx>           Lang
type keywords struct{}

func (keywords) Analyze(_ context.Context, in bot.AnalyzeInput) bot.Analysis {
	a := bot.Analysis{Lang: in.Lang, Label: "neutral"}
	for _, w := range strings.Fields(in.Text) {
		switch {
		case w == "yes":
			a.Answer = bot.AnswerYes
		case w == "no":
			a.Answer = bot.AnswerNo
		case w == "human":
			a.HumanRequest = true
		case w == "angry":
			a.Sentiment, a.Label = -0.5, "negative"
		case w == "furious":
			a.Sentiment, a.Label = -0.9, "negative"
		case strings.HasPrefix(w, "mood:"):
			fmt.Sscan(strings.TrimPrefix(w, "mood:"), &a.Sentiment)
		case w == "thanks":
			a.Sentiment, a.Label = 0.6, "positive"
		case strings.HasPrefix(w, "pick:"):
			a.Choice = strings.TrimPrefix(w, "pick:")
		case strings.HasPrefix(w, "intent:"):
			a.Intent, a.IntentScore, a.InScope = strings.TrimPrefix(w, "intent:"), 1, true
		case strings.HasPrefix(w, "lang:"):
			a.Lang = strings.TrimPrefix(w, "lang:")
		}
	}
	return a
}

func keywordAnalyzer(*flows.File) (bot.Analyzer, error) { return keywords{}, nil }

func loadTestFlows(t testing.TB) *flows.File {
	t.Helper()
	return bottest.LoadFlows(t, "testdata/engine.yaml")
}

func newHarness(t testing.TB, opts ...bot.Option) *bottest.Harness {
	t.Helper()
	return bottest.NewWithAnalyzer(t, loadTestFlows(t), keywordAnalyzer, opts...)
}

func texts(rs []bot.Reply) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Text
	}
	return out
}

func TestFiveStages(t *testing.T) {
	h := newHarness(t)
	c := h.Chat("en")
	steps := []struct {
		say, state string
		replies    []string
		choices    int
	}{
		{"intent:late where is it", "confirm", []string{"Thank you for telling us about the delay.", "Is it your latest order?"}, 0},
		{"yes", "options", []string{"Here is what I can do:"}, 3},
		{"pick:resend", "agree", []string{"Then we send a new one, in 3 to 5 working days, and you get a tracking e-mail today. Does that work?"}, 0},
		{"yes", "close", []string{"Is there anything else I can help with?"}, 0},
		{"no", "$end", []string{"It was a pleasure to help. You can reach us here or at help@example.com."}, 0},
	}
	for i, s := range steps {
		rs := c.Say(s.say)
		if got := texts(rs); strings.Join(got, "|") != strings.Join(s.replies, "|") {
			t.Errorf("step %d %q: replies %q, want %q", i, s.say, got, s.replies)
		}
		if n := len(rs); n > 0 && len(rs[n-1].Choices) != s.choices {
			t.Errorf("step %d: %d choices, want %d", i, len(rs[n-1].Choices), s.choices)
		}
		if got := c.Snapshot().State; got != s.state {
			t.Errorf("step %d: state %q, want %q", i, got, s.state)
		}
	}
	if st := c.Snapshot().Status; st != bot.StatusEnded {
		t.Errorf("status %q, want ended", st)
	}
	// The next message starts over.
	c.Say("intent:late again")
	if s := c.Snapshot(); s.Status != bot.StatusBot || s.State != "confirm" {
		t.Errorf("after end: status %q state %q, want bot/confirm", s.Status, s.State)
	}
}

func TestHandoffs(t *testing.T) {
	tests := []struct {
		name   string
		turns  []string
		reason flows.Reason
		skill  string
	}{
		{"asks for a human", []string{"intent:late", "human please"}, bot.ReasonCustomerRequest, "delivery"},
		{"human at once", []string{"human"}, bot.ReasonCustomerRequest, ""},
		{"furious after acknowledgement", []string{"intent:late", "furious"}, bot.ReasonNegativeSentiment, "delivery"},
		{"rejects options twice", []string{"intent:late", "yes", "no", "no"}, bot.ReasonNotCalmed, "delivery"},
		{"still upset twice", []string{"intent:late", "yes", "angry", "angry"}, bot.ReasonNotCalmed, "delivery"},
		{"rejects agreement then options", []string{"intent:late", "yes", "pick:track", "no", "no"}, bot.ReasonNotCalmed, "delivery"},
		{"not understood twice", []string{"intent:late", "hmm", "what"}, bot.ReasonNotUnderstood, "delivery"},
		{"sentiment worsening", []string{"intent:late", "yes mood:-0.1", "pick:track mood:-0.2", "hmm mood:-0.35"}, bot.ReasonWorsening, "delivery"},
		{"one bad turn is no trend", []string{"intent:late", "yes mood:0.4", "pick:track", "no mood:-0.5", "no mood:-0.6"}, bot.ReasonNotCalmed, "delivery"},
		{"out of scope", []string{"tell me about the weather today please", "and the football results of yesterday"}, bot.ReasonOutOfScope, ""},
		{"human-only intent", []string{"intent:legal"}, bot.ReasonHumanOnly, "legal"},
		{"option needs a person", []string{"intent:late", "yes", "pick:refund"}, bot.ReasonOptionNeedsHuman, "billing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			c := h.Chat("en")
			var last []bot.Reply
			for _, s := range tt.turns {
				last = c.Say(s)
			}
			snap := c.Snapshot()
			if snap.Status != bot.StatusHuman || snap.Handoff == nil {
				t.Fatalf("status %q, want human", snap.Status)
			}
			if snap.Handoff.Reason != tt.reason || snap.Handoff.Skill != tt.skill {
				t.Errorf("handoff %s/%s, want %s/%s", snap.Handoff.Reason, snap.Handoff.Skill, tt.reason, tt.skill)
			}
			if got := texts(last); len(got) == 0 || got[len(got)-1] != "A colleague takes over now." {
				t.Errorf("last replies %q, want the handoff text", got)
			}
			hs := h.Escalator.Handoffs()
			if len(hs) != 1 || hs[0].Reason != tt.reason {
				t.Errorf("escalated %+v, want one %s", hs, tt.reason)
			}
			if stored := h.Store.Handoffs(c.Addr); len(stored) != 1 {
				t.Errorf("stored %d handoffs, want 1", len(stored))
			}
			// While a human holds the conversation the bot says nothing.
			if rs := c.Say("intent:late hello?"); len(rs) != 0 {
				t.Errorf("bot spoke while a human holds the conversation: %q", texts(rs))
			}
		})
	}
}

// TestSlightSlideIsNoTrend checks the worsening policy's least drop:
// three falling negative turns that lose less than 0.15 in all are noise,
// not a reason to hand off.
func TestSlightSlideIsNoTrend(t *testing.T) {
	h := newHarness(t)
	c := h.Chat("en")
	for _, s := range []string{"intent:late", "yes mood:-0.1", "pick:track mood:-0.15", "hmm mood:-0.2"} {
		c.Say(s)
	}
	if s := c.Snapshot(); s.Status != bot.StatusBot {
		t.Errorf("status %q (handoff %+v), want bot: a drop of 0.1 is no trend", s.Status, s.Handoff)
	}
}

func TestAttemptUsesAgainText(t *testing.T) {
	h := newHarness(t)
	c := h.Chat("en")
	c.Say("intent:late")
	c.Say("yes")
	rs := c.Say("angry this is not ok")
	if got := texts(rs); len(got) != 1 || got[0] != "Let me put it another way:" || len(rs[0].Choices) != 3 {
		t.Errorf("still upset: %q, want the again text with the options", got)
	}
	if s := c.Snapshot(); s.Attempts != 1 || s.Status != bot.StatusBot {
		t.Errorf("attempts %d status %s, want 1 bot", s.Attempts, s.Status)
	}
}

func TestUnclearRepeatsQuestion(t *testing.T) {
	h := newHarness(t)
	c := h.Chat("en")
	c.Say("intent:late")
	rs := c.Say("hmm")
	if got := texts(rs); len(got) != 1 || got[0] != "I did not quite follow. Is it your latest order?" {
		t.Errorf("unclear: %q", got)
	}
	c.Say("yes")
	if s := c.Snapshot(); s.Unclear != 0 || s.State != "options" {
		t.Errorf("after a clear answer: unclear %d state %s", s.Unclear, s.State)
	}
}

func TestLanguageAndChannelVariant(t *testing.T) {
	h := newHarness(t)
	c := h.Chat("it-IT")
	rs := c.Say("intent:late")
	if got := texts(rs); len(got) != 2 || got[0] != "Grazie di averci segnalato il ritardo." {
		t.Errorf("italian: %q", got)
	}
	if rs[0].Lang != "it" {
		t.Errorf("reply lang %q", rs[0].Lang)
	}
	rs = c.Say("lang:en yes")
	if got := texts(rs); len(got) != 1 || got[0] != "Here is what I can do:" || rs[0].Choices[0].Label != "Track it now" {
		t.Errorf("switched to english: %q %+v", got, rs)
	}
}

func TestNewConcernMidFlow(t *testing.T) {
	h := newHarness(t)
	c := h.Chat("en")
	c.Say("intent:late")
	c.Say("intent:legal actually I will sue")
	if s := c.Snapshot(); s.Status != bot.StatusHuman || s.Handoff.Reason != bot.ReasonHumanOnly {
		t.Errorf("status %s handoff %+v", s.Status, s.Handoff)
	}
}

func TestRestartAfterAnythingElse(t *testing.T) {
	h := newHarness(t)
	c := h.Chat("en")
	for _, s := range []string{"intent:late", "yes", "pick:track", "yes"} {
		c.Say(s)
	}
	if got := texts(c.Say("yes")); len(got) != 1 || got[0] != "Of course. What else can I do?" {
		t.Errorf("anything else yes: %q", got)
	}
	if s := c.Snapshot(); s.Flow != "" || s.Status != bot.StatusBot {
		t.Errorf("after restart: flow %q status %s", s.Flow, s.Status)
	}
	c.Say("intent:late")
	if s := c.Snapshot(); s.State != "confirm" {
		t.Errorf("new concern: state %q", s.State)
	}
}

func TestBadInput(t *testing.T) {
	h := newHarness(t)
	// Nothing to read: refused, nothing stored.
	for _, text := range []string{"", " \n\t ", "\x00\x01\x1b\x7f", "\u200b\x00 \r\n"} {
		c := h.Chat("en")
		if err := h.Engine.Handle(context.Background(), bot.Message{Address: c.Addr, ID: "1", Text: text}); !errors.Is(err, bot.ErrEmptyText) {
			t.Errorf("Handle(%q) = %v, want ErrEmptyText", text, err)
		}
		if tr, _ := h.Store.Transcript(context.Background(), c.Addr); len(tr) != 0 {
			t.Errorf("Handle(%q) stored %+v", text, tr)
		}
	}
	tests := []struct {
		name, text string
		replies    int
		first      string
	}{
		{"binary", "\x00\xff\xfe\x01", 1, "Hello! What can I do for you?"},
		{"oversized", strings.Repeat("a ", 5000), 1, "That is a long message: could you send the key points?"},
		{"huge", strings.Repeat("é", 200000), 1, "That is a long message: could you send the key points?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := h.Chat("en")
			rs := c.Say(tt.text)
			if len(rs) != tt.replies || tt.replies > 0 && rs[0].Text != tt.first {
				t.Errorf("replies %q", texts(rs))
			}
			tr, err := h.Store.Transcript(context.Background(), c.Addr)
			if err != nil || len(tr) == 0 || tr[0].Direction != bot.Inbound {
				t.Fatalf("message not stored: %v %+v", err, tr)
			}
			if n := len(tr[0].Text); n > bot.MaxStoredBytes {
				t.Errorf("stored %d bytes", n)
			}
			// The conversation is not stuck.
			c.Say("intent:late")
			if s := c.Snapshot(); s.State != "confirm" {
				t.Errorf("after bad input: state %q", s.State)
			}
		})
	}
}

func TestRedeliveryIsIgnored(t *testing.T) {
	h := newHarness(t)
	c := h.Chat("en")
	c.SayID("m1", "intent:late")
	if rs := c.SayID("m1", "intent:late"); len(rs) != 0 {
		t.Errorf("redelivery answered: %q", texts(rs))
	}
	tr, _ := h.Store.Transcript(context.Background(), c.Addr)
	if in := countInbound(tr); in != 1 {
		t.Errorf("%d inbound stored, want 1", in)
	}
	// Beyond the in-memory window of recent ids, the store still catches it.
	for i := range 20 {
		c.SayID(fmt.Sprintf("x%d", i), "hmm")
	}
	c.SayID("m1", "intent:late")
	tr, _ = h.Store.Transcript(context.Background(), c.Addr)
	if in := countInbound(tr); in != 21 {
		t.Errorf("%d inbound stored, want 21", in)
	}
}

func countInbound(tr []bot.Entry) int {
	n := 0
	for _, e := range tr {
		if e.Direction == bot.Inbound {
			n++
		}
	}
	return n
}

func TestQuietWindowAnswersBurstOnce(t *testing.T) {
	h := newHarness(t, bot.WithQuietWindow(2*time.Second))
	c := h.Chat("en")
	for _, s := range []string{"so", "intent:late", "it is still not here"} {
		if rs := c.Say(s); len(rs) != 0 {
			t.Fatalf("answered %q during the burst", texts(rs))
		}
		h.Clock.Advance(time.Second)
	}
	if rs := c.Replies(); len(rs) != 0 {
		t.Fatalf("answered before the window passed: %q", texts(rs))
	}
	h.Clock.Advance(time.Second)
	rs := waitReplies(t, c, 2)
	if texts(rs)[0] != "Thank you for telling us about the delay." {
		t.Errorf("replies %q", texts(rs))
	}
	tr, _ := h.Store.Transcript(context.Background(), c.Addr)
	if in := countInbound(tr); in != 3 {
		t.Errorf("%d inbound stored, want 3", in)
	}
	if a := tr[2].Analysis; a == nil || a.Intent != "late" {
		t.Errorf("the burst's analysis is not stored on its last message: %+v", tr[2])
	}
	// The replies say which messages they answer and where they stand.
	if got := rs[0].Answers; !slices.Equal(got, []string{"1", "2", "3"}) || rs[0].Seq != 4 || rs[1].Seq != 5 {
		t.Errorf("replies answer %v at seq %d, %d; want messages 1-3 at seq 4, 5", got, rs[0].Seq, rs[1].Seq)
	}
}

func TestBurstIsReportedWhenAnswered(t *testing.T) {
	rec := &recorder{}
	h := newHarness(t, bot.WithQuietWindow(time.Second), bot.WithListener(rec))
	c := h.Chat("en")
	c.Say("hello")
	c.Say("intent:late angry")
	if k := rec.kinds(c.Addr); len(k) != 0 {
		t.Errorf("events before the burst is answered: %v", k)
	}
	h.Clock.Advance(time.Second)
	waitReplies(t, c, 2)
	pollUntil(t, func() bool { return len(rec.kinds(c.Addr)) >= 5 })
	want := []bot.EventKind{bot.EventStarted, bot.EventMessage, bot.EventMessage, bot.EventReply, bot.EventReply}
	if got := rec.kinds(c.Addr); !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	rec.mu.Lock()
	last := rec.events[c.Addr][2].Entry
	rec.mu.Unlock()
	if last.Analysis == nil || last.Analysis.Sentiment != -0.5 {
		t.Errorf("the burst's last message carries no analysis: %+v", last)
	}
}

func TestBurstIsCapped(t *testing.T) {
	h := newHarness(t, bot.WithQuietWindow(time.Second))
	c := h.Chat("en")
	c.Say("intent:late")
	for range 8 {
		h.Clock.Advance(900 * time.Millisecond)
		c.Say("more")
	}
	h.Clock.Advance(900 * time.Millisecond)
	if rs := c.Say("and more"); len(rs) == 0 {
		t.Errorf("a customer who keeps typing never gets an answer")
	}
}

// waitReplies polls for n replies with a deadline (delivery is asynchronous).
func waitReplies(t *testing.T, c *bottest.Chat, n int) []bot.Reply {
	t.Helper()
	var got []bot.Reply
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < n && time.Now().Before(deadline) {
		got = append(got, c.Replies()...)
		if len(got) < n {
			pause()
		}
	}
	if len(got) < n {
		t.Fatalf("got %d replies, want %d", len(got), n)
	}
	return got
}

func TestRestartResumesBurstAndOutbox(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		store := bottest.NewStore()
		testRestart(t, func() bot.Store { return store })
	})
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "restart.db")
		testRestart(t, func() bot.Store {
			st, err := sqlite.Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Close() })
			return st
		})
	})
}

// closer is a store that can be closed like a stopped process's.
type closer interface{ Close() error }

// testRestart stops an engine (and its store) in the middle of things and
// checks that a new one, on a store opened again, loses nothing.
func testRestart(t *testing.T, open func() bot.Store) {
	f := loadTestFlows(t)
	store := open()
	ctx := context.Background()
	addr := bot.Address{Channel: bottest.Channel, Conversation: "r1"}

	// First run: one message answered but its delivery fails; a second
	// message arrives in a quiet window and the process stops.
	clock := bottest.NewClock()
	e1, err := bot.New(ctx, store, f, keywordAnalyzer, bot.WithClock(clock), bot.WithQuietWindow(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	down := bottest.NewSender()
	down.FailWith(func(bot.Reply, int) error { return &bot.PermanentError{Err: errors.New("never")} })
	down.FailWith(func(bot.Reply, int) error { return errors.New("platform down") })
	e1.Register(bottest.Channel, down)
	if err := e1.Handle(ctx, bot.Message{Address: addr, ID: "1", Text: "intent:late"}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	pollUntil(t, func() bool { s, _ := store.Load(ctx, addr); return s != nil && s.State == "confirm" })
	if err := e1.Close(); err != nil {
		t.Fatal(err)
	}
	pending, _ := store.Pending(ctx, 0, 10)
	if len(pending) != 2 {
		t.Fatalf("outbox holds %d replies, want 2", len(pending))
	}
	// A message stored but not yet answered when the process stops.
	e1b, _ := bot.New(ctx, store, f, keywordAnalyzer, bot.WithClock(clock), bot.WithQuietWindow(time.Second))
	if err := e1b.Handle(ctx, bot.Message{Address: addr, ID: "2", Text: "yes"}); err != nil {
		t.Fatal(err)
	}
	_ = e1b.Close()
	if s, _ := store.Load(ctx, addr); s.State != "confirm" || s.Processed == s.Seq {
		t.Fatalf("second message should be stored, unanswered: %+v", s)
	}
	if c, ok := store.(closer); ok {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	store = open()

	// Second run: everything comes back.
	e2, err := bot.New(ctx, store, f, keywordAnalyzer, bot.WithQuietWindow(0))
	if err != nil {
		t.Fatal(err)
	}
	up := bottest.NewSender()
	e2.Register(bottest.Channel, up)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- e2.Run(runCtx) }()
	pollUntil(t, func() bool { return len(up.Replies(addr)) == 3 })
	got := texts(up.Replies(addr))
	want := []string{"Thank you for telling us about the delay.", "Is it your latest order?", "Here is what I can do:"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("after restart delivered %q, want %q", got, want)
	}
	pollUntil(t, func() bool { p, _ := store.Pending(ctx, 0, 10); return len(p) == 0 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	h := newHarness(t)
	h.Sender.FailWith(func(_ bot.Reply, call int) error {
		if call <= 2 {
			return retryAfter(3 * time.Second)
		}
		return nil
	})
	c := h.Chat("en")
	if err := h.Engine.Handle(context.Background(), bot.Message{Address: c.Addr, ID: "1", Text: "intent:late"}); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, func() bool { return h.Clock.Pending() > 0 })
	h.Clock.Advance(2 * time.Second)
	if n := h.Sender.Calls(); n != 1 {
		t.Errorf("%d calls before Retry-After passed, want 1", n)
	}
	h.Clock.Advance(time.Second)
	pollUntil(t, func() bool { return h.Sender.Calls() >= 2 && h.Clock.Pending() > 0 })
	h.Clock.Advance(3 * time.Second)
	rs := waitReplies(t, c, 2)
	if len(rs) != 2 {
		t.Errorf("replies %q", texts(rs))
	}
}

// TestRetryBacksOffExponentially checks that each failed send waits twice
// as long as the one before before it is tried again.
func TestRetryBacksOffExponentially(t *testing.T) {
	h := newHarness(t)
	h.Sender.FailWith(func(_ bot.Reply, call int) error {
		if call <= 4 {
			return errors.New("connection reset")
		}
		return nil
	})
	c := h.Chat("en")
	if err := h.Engine.Handle(context.Background(), bot.Message{Address: c.Addr, ID: "1", Text: "intent:late"}); err != nil {
		t.Fatal(err)
	}
	for call, want := range []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second} {
		pollUntil(t, func() bool { return h.Sender.Calls() == call+1 && h.Clock.Pending() > 0 })
		if got, _ := h.Clock.Next(); got != want {
			t.Errorf("after failed call %d: retry in %s, want %s", call+1, got, want)
		}
		h.Clock.Advance(want)
	}
	if rs := waitReplies(t, c, 2); len(rs) != 2 {
		t.Errorf("replies %q", texts(rs))
	}
}

type retryAfter time.Duration

func (r retryAfter) Error() string             { return "429 too many requests" }
func (r retryAfter) RetryAfter() time.Duration { return time.Duration(r) }

func TestStoreFailureLosesNothing(t *testing.T) {
	h := newHarness(t)
	c := h.Chat("en")
	c.Say("intent:late")
	h.Store.SetFailCommits(bottest.ErrInjected)
	err := h.Engine.Handle(context.Background(), bot.Message{Address: c.Addr, ID: "x", Text: "yes"})
	if !errors.Is(err, bottest.ErrInjected) {
		t.Fatalf("Handle = %v, want the store's error (so the adapter does not acknowledge)", err)
	}
	h.Store.SetFailCommits(nil)
	// The platform redelivers: the turn runs from the state it was in.
	rs := c.SayID("x", "yes")
	if got := texts(rs); len(got) != 1 || got[0] != "Here is what I can do:" {
		t.Errorf("after recovery: %q", got)
	}
}

func TestReload(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	c := h.Chat("en")
	c.Say("intent:late")

	// A broken file is refused and the running flows stay.
	broken := *h.Engine.Flows()
	broken.Flows = map[string]*flows.Flow{"late": {Name: "late", Start: "nowhere"}}
	if err := h.Engine.Reload(ctx, &broken); err == nil {
		t.Fatal("broken flows were loaded")
	}

	// A new version that renames the waiting state: the conversation
	// finishes on its old version; new conversations use the new one.
	src := strings.NewReplacer("confirm:", "check:", "next: confirm", "next: check", "Is it your latest order?", "Was it your latest order?").Replace(string(h.Engine.Flows().Source))
	f2, err := flows.Parse("v2.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Engine.Reload(ctx, f2); err != nil {
		t.Fatal(err)
	}
	if got := texts(c.Say("yes")); len(got) != 1 || got[0] != "Here is what I can do:" {
		t.Errorf("old conversation after reload: %q", got)
	}
	c2 := h.Chat("en")
	if got := texts(c2.Say("intent:late")); len(got) != 2 || got[1] != "Was it your latest order?" {
		t.Errorf("new conversation after reload: %q", got)
	}
	// The old conversation's state exists in v2: it moves on to v2.
	c.Say("pick:track")
	if s := c.Snapshot(); s.FlowsVersion != f2.Hash() {
		t.Errorf("conversation stays on %s, want the new version", s.FlowsVersion)
	}
}

// TestReloadsDoNotPileUp reloads 20 different versions while one
// conversation runs on the first: memory keeps the current version and
// the one in use, and the conversation finishes on its version, also after
// it was evicted and loaded again from the store.
func TestReloadsDoNotPileUp(t *testing.T) {
	h := newHarness(t, bot.WithIdleTTL(time.Minute))
	ctx := context.Background()
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- h.Engine.Run(runCtx) }()
	defer func() { cancel(); <-done }()

	c := h.Chat("en")
	c.Say("intent:late") // waits in confirm, a state the new versions rename
	src := string(h.Engine.Flows().Source)
	for i := range 20 {
		v := strings.NewReplacer("confirm:", "check:", "next: confirm", "next: check",
			"Is it your latest order?", fmt.Sprintf("Is it your latest order (v%d)?", i+2)).Replace(src)
		f, err := flows.Parse(fmt.Sprintf("v%d.yaml", i+2), []byte(v))
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Engine.Reload(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	if n := h.Engine.CompiledVersions(); n > 2 {
		t.Errorf("%d compiled versions after 20 reloads, want at most 2 (the current one and the one in use)", n)
	}
	advanceUntil(t, h.Clock, func() bool { return h.Engine.Live() == 0 })
	if n := h.Engine.CompiledVersions(); n > 1 {
		t.Errorf("%d compiled versions with no conversation in memory, want 1", n)
	}
	// (The periodic resend may deliver the first replies again: only the
	// last one is this turn's.)
	if got := texts(c.Say("yes")); len(got) == 0 || got[len(got)-1] != "Here is what I can do:" {
		t.Errorf("old conversation after the reloads and an eviction: %q", got)
	}
	if s := c.Snapshot(); s.State != "options" {
		t.Errorf("state %q, want options (finished on its version)", s.State)
	}
	c2 := h.Chat("en")
	if got := texts(c2.Say("intent:late")); len(got) != 2 || got[1] != "Is it your latest order (v21)?" {
		t.Errorf("new conversation: %q", got)
	}
}

func TestOldVersionSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	f1 := loadTestFlows(t)
	store := bottest.NewStore()
	e1, err := bot.New(ctx, store, f1, keywordAnalyzer, bot.WithQuietWindow(0))
	if err != nil {
		t.Fatal(err)
	}
	addr := bot.Address{Channel: bottest.Channel, Conversation: "v"}
	if err := e1.Handle(ctx, bot.Message{Address: addr, ID: "1", Text: "intent:late"}); err != nil {
		t.Fatal(err)
	}
	_ = e1.Close()
	src := strings.NewReplacer("confirm:", "check:", "next: confirm", "next: check").Replace(string(f1.Source))
	f2, err := flows.Parse("v2.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	e2, err := bot.New(ctx, store, f2, keywordAnalyzer, bot.WithQuietWindow(0))
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	s := bottest.NewSender()
	e2.Register(bottest.Channel, s)
	if err := e2.Handle(ctx, bot.Message{Address: addr, ID: "2", Text: "yes"}); err != nil {
		t.Fatal(err)
	}
	if snap, _ := store.Load(ctx, addr); snap.State != "options" {
		t.Errorf("state %q after restart on a new version, want options (finished on the stored version)", snap.State)
	}
}

func TestIdleConversationsAreEvicted(t *testing.T) {
	h := newHarness(t, bot.WithIdleTTL(time.Minute))
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- h.Engine.Run(runCtx) }()
	for range 50 {
		h.Chat("en").Say("intent:late")
	}
	if n := h.Engine.Live(); n != 50 {
		t.Errorf("%d live conversations, want 50", n)
	}
	advanceUntil(t, h.Clock, func() bool { return h.Engine.Live() == 0 })
	cancel()
	<-done
}

func TestEndedConversationsLeaveMemoryAtOnce(t *testing.T) {
	h := newHarness(t, bot.WithIdleTTL(time.Hour))
	open := h.Chat("en")
	open.Say("intent:late")
	var ended []*bottest.Chat
	for range 20 {
		c := h.Chat("en")
		for _, s := range []string{"intent:late", "yes", "pick:track", "yes", "no"} {
			c.Say(s)
		}
		ended = append(ended, c)
	}
	// No clock moves: the ended ones go as soon as their workers are done.
	pollUntil(t, func() bool { return h.Engine.Live() == 1 })
	if s := ended[0].Snapshot(); s.Status != bot.StatusEnded {
		t.Fatalf("status %s, want ended", s.Status)
	}
	// The customer who comes back starts again from the store.
	if got := texts(ended[0].Say("intent:late")); len(got) != 2 {
		t.Errorf("after eviction: %q", got)
	}
	if got := texts(open.Say("yes")); len(got) != 1 || got[0] != "Here is what I can do:" {
		t.Errorf("the open conversation: %q", got)
	}
}

// advanceUntil moves the fake clock on in steps until cond holds: the
// engine's periodic work runs on its own goroutine between the steps.
func advanceUntil(t *testing.T, c *bottest.Clock, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		c.Advance(10 * time.Second)
		pause()
	}
}

func TestEvictedConversationContinues(t *testing.T) {
	h := newHarness(t, bot.WithIdleTTL(time.Minute))
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- h.Engine.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	c := h.Chat("en")
	c.Say("intent:late")
	advanceUntil(t, h.Clock, func() bool { return h.Engine.Live() == 0 })
	if got := texts(c.Say("yes")); len(got) != 1 || got[0] != "Here is what I can do:" {
		t.Errorf("after eviction: %q", got)
	}
}

func TestConversationsInParallelKeepOrder(t *testing.T) {
	h := newHarness(t)
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			addr := bot.Address{Channel: bottest.Channel, Conversation: fmt.Sprintf("p%d", i)}
			for j, s := range []string{"intent:late", "yes", "pick:track", "yes", "no"} {
				if err := h.Engine.Handle(context.Background(), bot.Message{Address: addr, ID: fmt.Sprint(j), Text: s}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for i := range n {
		addr := bot.Address{Channel: bottest.Channel, Conversation: fmt.Sprintf("p%d", i)}
		if err := h.Engine.Flush(context.Background(), addr); err != nil {
			t.Fatal(err)
		}
		s, err := h.Store.Load(context.Background(), addr)
		if err != nil || s.Status != bot.StatusEnded {
			t.Errorf("%s: %v %+v", addr, err, s)
		}
		if rs := h.Sender.Replies(addr); len(rs) != 6 || rs[5].Text != "It was a pleasure to help. You can reach us here or at help@example.com." {
			t.Errorf("%s: replies out of order: %q", addr, texts(rs))
		}
	}
}

func TestHandleRejectsBadAddress(t *testing.T) {
	h := newHarness(t)
	if err := h.Engine.Handle(context.Background(), bot.Message{Text: "hi"}); !errors.Is(err, bot.ErrBadAddress) {
		t.Errorf("Handle = %v, want ErrBadAddress", err)
	}
	_ = h.Engine.Close()
	if err := h.Engine.Handle(context.Background(), bot.Message{Address: bot.Address{Channel: "x", Conversation: "y"}, Text: "hi"}); !errors.Is(err, bot.ErrClosed) {
		t.Errorf("Handle after Close = %v, want ErrClosed", err)
	}
}

// pollUntil waits for cond with a deadline.
func pollUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		pause()
	}
}

// pause is the polling interval of pollUntil and waitReplies.
func pause() { time.Sleep(time.Millisecond) }

func TestFailedCommitOfBurstIsRetried(t *testing.T) {
	h := newHarness(t, bot.WithQuietWindow(time.Second))
	c := h.Chat("en")
	c.Say("intent:late")
	h.Store.SetFailCommits(bottest.ErrInjected)
	h.Clock.Advance(time.Second) // the answer's commit fails
	pollUntil(t, func() bool { return h.Clock.Pending() > 0 })
	h.Store.SetFailCommits(nil)
	h.Clock.Advance(time.Second)
	if rs := waitReplies(t, c, 2); rs[1].Text != "Is it your latest order?" {
		t.Errorf("replies %q", texts(rs))
	}
}

// TestClosedConversationsLeaveMemoryAtOnce is TestEndedConversationsLeaveMemoryAtOnce
// for the conversations a person closed: at once, or once the customer
// answered the rating.
func TestClosedConversationsLeaveMemoryAtOnce(t *testing.T) {
	h := newHarness(t, bot.WithIdleTTL(time.Hour))
	ctx := context.Background()
	open := h.Chat("en")
	open.Say("human")
	for _, rate := range []bool{false, true} {
		for range 10 {
			c := h.Chat("en")
			c.Say("intent:late")
			c.Say("human")
			if err := h.Engine.Finish(ctx, c.Addr, rate); err != nil {
				t.Fatal(err)
			}
			if rate {
				c.Say("4")
				c.Say("all good")
			}
			if s := c.Snapshot(); s.Status != bot.StatusEnded {
				t.Fatalf("rate %v: status %s, want ended", rate, s.Status)
			}
		}
	}
	// No clock moves: the closed ones go as soon as their workers are done.
	pollUntil(t, func() bool { return h.Engine.Live() == 1 })
	if err := h.Engine.Finish(ctx, open.Addr, false); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, func() bool { return h.Engine.Live() == 0 })
}

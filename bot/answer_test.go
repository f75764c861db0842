package bot_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
)

// answerLog records the answer outcomes the engine reports.
type answerLog struct {
	mu  sync.Mutex
	got []string
}

func (l *answerLog) Notify(_ context.Context, ev bot.Event) {
	if ev.Kind != bot.EventAnswer {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, ev.Answer.Answer+":"+ev.Answer.Outcome)
}

func (l *answerLog) outcomes() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.got)
}

func TestAnswers(t *testing.T) {
	type step struct {
		say   string
		flow  string // after the turn
		state string
		// replies are substrings of the turn's replies, one per reply.
		replies []string
	}
	tests := []struct {
		name     string
		steps    []step
		outcomes []string
		handoff  string // skill/priority of the expected handoff
		status   bot.Status
	}{
		{name: "answered at once, it helped, anything else? no: farewell with the channels",
			steps: []step{
				{"intent:answer:invoice where is it", "answer:invoice", "answer",
					[]string{"Your invoice is under My orders.\nhttps://example.com/en/invoices\nTry it without closing this chat.\nDid that help?"}},
				{"yes", "answer:invoice", "close", []string{"Glad it helped! Anything else?"}},
				{"no", "answer:invoice", "$end", []string{"help@example.com"}},
			},
			outcomes: []string{"invoice:answered", "invoice:helped"}, status: bot.StatusEnded},
		{name: "it did not help: a handoff with the answer's skill and priority",
			steps: []step{
				{"intent:answer:invoice", "answer:invoice", "answer", []string{"Did that help?"}},
				{"no", "answer:invoice", "handoff", []string{"A colleague takes over now."}},
			},
			outcomes: []string{"invoice:answered", "invoice:not_helped"}, handoff: "billing/high", status: bot.StatusHuman},
		{name: "it did not help: the named flow starts",
			steps: []step{
				{"intent:answer:tracking", "answer:tracking", "answer", []string{"Follow it here: https://example.com/en/track\nTry it"}},
				{"no", "late", "confirm", []string{"Thank you for telling us about the delay.", "Is it your latest order?"}},
			},
			outcomes: []string{"tracking:answered", "tracking:not_helped"}, status: bot.StatusBot},
		{name: "it did not help: another answer",
			steps: []step{
				{"intent:answer:payment", "answer:payment", "answer", []string{"We take cards and PayPal.\nDid that help?"}},
				{"no", "answer:instalments", "answer", []string{"Yes, in 3 instalments from 100 €."}},
				{"yes", "answer:instalments", "close", []string{"Anything else?"}},
				{"yes intent:answer:invoice", "answer:invoice", "answer", []string{"Your invoice"}},
			},
			outcomes: []string{"payment:answered", "payment:not_helped", "instalments:answered", "instalments:helped", "invoice:answered"}, status: bot.StatusBot},
		{name: "an upset customer is acknowledged first, the answer inside the same flow",
			steps: []step{
				{"intent:answer:invoice angry asked three times", "answer:invoice", "answer",
					[]string{"Thank you for telling us, that is frustrating.", "Your invoice is under My orders."}},
			},
			outcomes: []string{"invoice:answered"}, status: bot.StatusBot},
		{name: "a furious customer still reaches a person",
			steps: []step{
				{"intent:answer:invoice angry", "answer:invoice", "answer", []string{"Thank you", "Your invoice"}},
				{"furious", "answer:invoice", "answer", []string{"A colleague takes over now."}},
			},
			// policy.raise_priority_below: a furious turn raises the
			// answer's handoff priority one step, normal to high.
			outcomes: []string{"invoice:answered"}, handoff: "billing/high", status: bot.StatusHuman},
		{name: "an answer that does not check asks what else",
			steps: []step{
				{"intent:answer:hours", "", "", []string{"Every day from 8 to 20.", "What else can I do?"}},
			},
			outcomes: []string{"hours:answered"}, status: bot.StatusBot},
		{name: "a question in the middle of a flow switches to the answer",
			steps: []step{
				{"intent:late", "late", "confirm", []string{"Thank you", "latest order"}},
				{"intent:answer:invoice", "answer:invoice", "answer", []string{"Your invoice"}},
			},
			outcomes: []string{"invoice:answered"}, status: bot.StatusBot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := &answerLog{}
			h := bottest.NewWithAnalyzer(t, bottest.LoadFlows(t, "testdata/answers.yaml"), keywordAnalyzer, bot.WithListener(log))
			c := h.Chat("en")
			for i, s := range tt.steps {
				rs := texts(c.Say(s.say))
				if len(rs) != len(s.replies) {
					t.Fatalf("step %d %q: replies %q, want %d like %q", i, s.say, rs, len(s.replies), s.replies)
				}
				for j, want := range s.replies {
					if !strings.Contains(rs[j], want) {
						t.Errorf("step %d %q: reply %d %q, want it to contain %q", i, s.say, j, rs[j], want)
					}
				}
				if snap := c.Snapshot(); snap.Flow != s.flow || snap.State != s.state {
					t.Errorf("step %d %q: at %s/%s, want %s/%s", i, s.say, snap.Flow, snap.State, s.flow, s.state)
				}
			}
			if got := log.outcomes(); !slices.Equal(got, tt.outcomes) {
				t.Errorf("outcomes %q, want %q", got, tt.outcomes)
			}
			snap := c.Snapshot()
			if snap.Status != tt.status {
				t.Errorf("status %q, want %q", snap.Status, tt.status)
			}
			if tt.handoff != "" {
				hs := h.Escalator.Handoffs()
				if len(hs) != 1 {
					t.Fatalf("%d handoffs, want 1", len(hs))
				}
				if got := hs[0].Skill + "/" + hs[0].Priority; got != tt.handoff {
					t.Errorf("handoff %s, want %s", got, tt.handoff)
				}
				if hs[0].Evidence["answer"] != "invoice" {
					t.Errorf("evidence %v, want the answer", hs[0].Evidence)
				}
			}
		})
	}
}

package handoff_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/flows"
	"github.com/calmbot/calmbot/handoff"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run with -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// scripted is the standard analyzer with the sentiment (and, where given,
// the intent) of known texts fixed, so that the golden files follow the
// summary, not the tuning of the sentiment lexicons.
type scripted struct {
	bot.Analyzer
	fixed map[string]bot.Analysis
}

func (s scripted) Analyze(ctx context.Context, in bot.AnalyzeInput) bot.Analysis {
	a := s.Analyzer.Analyze(ctx, in)
	if f, ok := s.fixed[in.Text]; ok {
		a.Sentiment, a.Label = f.Sentiment, f.Label
		if f.Intent != "" {
			a.Intent, a.IntentScore, a.InScope = f.Intent, f.IntentScore, f.InScope
		}
	}
	return a
}

func scriptedAnalyzer(fixed map[string]bot.Analysis) bot.AnalyzerFactory {
	return func(f *flows.File) (bot.Analyzer, error) {
		a, err := bottest.Analyzer(f)
		return scripted{a, fixed}, err
	}
}

func TestSummaryGolden(t *testing.T) {
	fixed := map[string]bot.Analysis{
		"This is unacceptable! My parcel STILL hasn't arrived after two weeks and nobody answers my emails!": {Sentiment: -0.72, Label: "negative"},
		"yes":          {Sentiment: 0.1, Label: "neutral"},
		"yes, exactly": {Sentiment: 0.1, Label: "neutral"},
		"trace it":     {Sentiment: 0, Label: "neutral"},
		"No. I want to talk to a real person now.":   {Sentiment: -0.45, Label: "negative", Intent: "late_delivery", IntentScore: 0.2},
		"my parcel hasn't arrived":                   {Sentiment: -0.3, Label: "negative"},
		"refund":                                     {Sentiment: 0, Label: "neutral", Intent: "late_delivery", IntentScore: 0.3},
		"Let me speak to a human please":             {Sentiment: 0.1, Label: "neutral", Intent: "none", IntentScore: 0.1},
		"I want to talk to a human":                  {Sentiment: 0, Label: "neutral", Intent: "legal_threat", IntentScore: 0.29},
		"You are all USELESS. Get me a person, now.": {Sentiment: -0.9, Label: "negative", Intent: "none", IntentScore: 0.1},
	}
	tests := []struct {
		name   string
		script []string
		after  []string // written after the handoff
	}{
		{
			name: "angry_option_human",
			script: []string{
				"This is unacceptable! My parcel STILL hasn't arrived after two weeks and nobody answers my emails!",
				"yes",
				"trace it",
				"No. I want to talk to a real person now.",
			},
			after: []string{"My order number is 55-1234.", "Please hurry."},
		},
		{
			name:   "refund_needs_billing",
			script: []string{"my parcel hasn't arrived", "yes, exactly", "refund"},
		},
		{
			name:   "straight_to_human",
			script: []string{"Let me speak to a human please"},
		},
		{
			// A request for a person is no answer to the confirm question,
			// and an intent below the threshold is no evidence.
			name:   "human_instead_of_answer",
			script: []string{"my parcel hasn't arrived", "I want to talk to a human"},
		},
		{
			// A very negative customer's ticket goes one priority up.
			name:   "furious_raises_priority",
			script: []string{"You are all USELESS. Get me a person, now."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRigWith(t, defaultFlows(t), scriptedAnalyzer(fixed))
			r.agent("ada", handoff.PresenceOnline, 1)
			c, tk := r.handoff(tt.script...)
			for _, s := range tt.after {
				c.Say(s)
			}
			r.clock.Advance(75 * time.Second)
			sum, err := r.svc.Summary(r.ctx, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name+".golden", sum.Text())
		})
	}
}

// TestEveryReasonHasText checks that the summary says every handoff reason
// in words: an agent never reads a bare code.
func TestEveryReasonHasText(t *testing.T) {
	r := newRig(t, defaultFlows(t))
	for i, reason := range flows.HandoffReasons {
		addr := bot.Address{Channel: bottest.Channel, Conversation: "reason-" + string(reason)}
		if err := r.svc.Escalate(r.ctx, bot.HandoffRecord{Address: addr, Reason: reason, Lang: "en", At: r.clock.Now()}); err != nil {
			t.Fatal(err)
		}
		ts := r.svc.Tickets()
		if len(ts) != i+1 {
			t.Fatalf("%d tickets after %d handoffs", len(ts), i+1)
		}
		for _, tk := range ts {
			if tk.Address != addr {
				continue
			}
			sum, err := r.svc.Summary(r.ctx, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			if sum.ReasonText == "" || sum.ReasonText == string(reason) {
				t.Errorf("reason %s: summary says %q, want it in words", reason, sum.ReasonText)
			}
		}
	}
}

// TestSummaryOfReturningCustomer checks that the summary of a customer who
// comes back after an ended conversation holds the new conversation only:
// the bot's texts.ended marks where it starts. The bot never sent that
// text, so the summary began with the earlier conversation's message.
func TestSummaryOfReturningCustomer(t *testing.T) {
	r := newRig(t, defaultFlows(t))
	r.agent("ada", handoff.PresenceOnline, 1)
	first := []string{"I was charged twice for the same order", "yes", "1", "yes", "no, thank you"}
	_, tk := r.handoff(append(first, "Let me speak to a human please")...)
	sum, err := r.svc.Summary(r.ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sum.FirstMessage != "Let me speak to a human please" {
		t.Errorf("FirstMessage = %q, want the message that began the new conversation", sum.FirstMessage)
	}
	for _, m := range sum.Moods {
		if slices.Contains(first, m.Text) {
			t.Errorf("the summary reads a turn of the ended conversation: %+v", m)
		}
	}
	if sum.Confirmation != nil {
		t.Errorf("Confirmation = %+v, from the ended conversation", sum.Confirmation)
	}
}

package handoff_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/calmbot/calmbot/bot/bottest"
	"github.com/calmbot/calmbot/bot/sentiment"
	"github.com/calmbot/calmbot/flows"
	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/assist"
)

// TestHintsAndNextSteps hands off a late delivery at its options and asks
// for hints on drafts and for the next steps, as the desk does.
func TestHintsAndNextSteps(t *testing.T) {
	r := newRig(t, defaultFlows(t))
	r.agent("ada", "online", 2)
	c, tk := r.handoff("my parcel still hasn't arrived", "yes", "I want to talk to a human")

	rules := func(draft string) []assist.Rule {
		t.Helper()
		hints, err := r.svc.Hints(r.ctx, tk.ID, draft)
		if err != nil {
			t.Fatal(err)
		}
		var out []assist.Rule
		for _, h := range hints {
			out = append(out, h.Rule)
		}
		return out
	}
	// The bot's acknowledgement apologised; the options were offered and
	// none chosen.
	if got := rules("Sorry, I can send a replacement."); !slices.Equal(got, []assist.Rule{assist.RuleApology, assist.RuleOneOption}) {
		t.Errorf("hints %v, want a second apology and one option", got)
	}
	if got := rules("I can send a replacement today, or refund the order: which do you prefer?"); len(got) != 0 {
		t.Errorf("a good draft gets %v", got)
	}

	steps, err := r.svc.NextSteps(r.ctx, tk.ID, "de")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, s := range steps {
		kinds = append(kinds, string(s.Kind))
	}
	if strings.Join(kinds, " ") != "choices agree agree close" {
		t.Errorf("steps %v, want the options, an agreement per option and the close", kinds)
	}
	if s := steps[0]; s.Lang != "en" || s.AgentLang != "de" || !strings.Contains(s.Agent, "Das kann ich für Sie tun") {
		t.Errorf("options step %+v", s)
	}
	// A platform surface: "/check" answers the hints and sends nothing; a
	// reply gets its hints back after it was sent.
	res, err := r.svc.Act(r.ctx, "ada", handoff.ParseCommand(tk.ID, "/check As I said, please call us."))
	if err != nil || len(res.Hints) != 2 || res.Hints[0].Rule != assist.RuleBlame || res.Hints[1].Rule != assist.RuleChannel {
		t.Errorf("check: %+v, %v", res.Hints, err)
	}
	if _, err := r.svc.Act(r.ctx, "ada", handoff.Action{Kind: handoff.ActClaim, Ticket: tk.ID}); err != nil {
		t.Fatal(err)
	}
	c.Replies()
	res, err = r.svc.Act(r.ctx, "ada", handoff.ParseCommand(tk.ID, "Hello, Ada here. Sorry for the wait!"))
	if err != nil || len(res.Hints) != 1 || res.Hints[0].Rule != assist.RuleApology {
		t.Errorf("reply: %+v, %v", res.Hints, err)
	}
	if got := said(c); len(got) != 1 || got[0] != "Hello, Ada here. Sorry for the wait!" {
		t.Errorf("the customer got %q, want the reply alone", got)
	}
	if _, err := r.svc.Hints(r.ctx, 999, "hello"); err == nil {
		t.Error("hints on an unknown ticket: no error")
	}
}

// TestReview: the review of a ticket counts the stages the agent's replies
// covered, the hints they were sent with, the first response and the
// sentiment from the handoff on.
func TestReview(t *testing.T) {
	r := newRigWith(t, defaultFlows(t), bottest.Analyzer, handoff.WithScorer(sentiment.New()))
	r.agent("ada", "online", 2)
	c, tk := r.handoff("my parcel still hasn't arrived, this is ridiculous", "yes", "I want to talk to a human")
	if _, err := r.svc.Act(r.ctx, "ada", handoff.Action{Kind: handoff.ActClaim, Ticket: tk.ID}); err != nil {
		t.Fatal(err)
	}
	reply := func(text string) {
		t.Helper()
		if _, err := r.svc.Act(r.ctx, "ada", handoff.Action{Kind: handoff.ActReply, Ticket: tk.ID, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	reply("Thank you for waiting. I can send a replacement today, or refund the order: which do you prefer?")
	c.Say("a replacement please, that would be great")
	reply("Good: we send the replacement by express today, and it arrives in 2 to 3 working days. Sorry again!")
	reply("Is there anything else I can help you with?")

	rv, err := r.svc.Review(r.ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rv.Replies != 3 || !slices.Equal(rv.Stages, []flows.Kind{flows.KindAcknowledge, flows.KindChoices, flows.KindAgree, flows.KindClose}) ||
		!slices.Equal(rv.Missing, []flows.Kind{flows.KindConfirm}) {
		t.Errorf("review %d replies, stages %v, missing %v", rv.Replies, rv.Stages, rv.Missing)
	}
	if len(rv.Ignored) != 1 || rv.Ignored[assist.RuleApology] != 1 {
		t.Errorf("ignored %v, want the second apology", rv.Ignored)
	}
	if !rv.Responded || rv.FirstResponse < 0 || rv.Target <= 0 {
		t.Errorf("first response %+v", rv)
	}
	if rv.AtHandoff == nil || rv.AtEnd == nil || *rv.AtEnd <= *rv.AtHandoff {
		t.Errorf("sentiment at handoff %v, at the end %v: want it read, and better", rv.AtHandoff, rv.AtEnd)
	}
	if rv.Followed() {
		t.Error("Followed with a second apology sent as it was")
	}
}

// TestReviewFollowed: a review follows the assist when people replied and
// no reply was sent with a hint left on it.
func TestReviewFollowed(t *testing.T) {
	for _, tt := range []struct {
		name string
		r    handoff.Review
		want bool
	}{
		{"no reply", handoff.Review{}, false},
		{"clean replies", handoff.Review{Replies: 2, Ignored: map[assist.Rule]int{}}, true},
		{"a rule counted zero", handoff.Review{Replies: 1, Ignored: map[assist.Rule]int{assist.RuleBlame: 0}}, true},
		{"a hint ignored", handoff.Review{Replies: 3, Ignored: map[assist.Rule]int{assist.RuleNegative: 1}}, false},
	} {
		if got := tt.r.Followed(); got != tt.want {
			t.Errorf("%s: Followed() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

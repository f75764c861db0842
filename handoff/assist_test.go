package handoff_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/calmbot/calmbot/handoff/assist"
)

// TestHintsAndNextSteps hands off a late delivery at its options and asks
// for hints on drafts and for the next steps, as the desk does.
func TestHintsAndNextSteps(t *testing.T) {
	r := newRig(t, defaultFlows(t))
	r.agent("ada", "online", 2)
	_, tk := r.handoff("my parcel still hasn't arrived", "yes", "I want to talk to a human")

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
	if _, err := r.svc.Hints(r.ctx, 999, "hello"); err == nil {
		t.Error("hints on an unknown ticket: no error")
	}
}

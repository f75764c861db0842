package desk_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/calmbot/calmbot/handoff"
	"github.com/calmbot/calmbot/handoff/assist"
	"github.com/calmbot/calmbot/handoff/desk"
)

// counter is a desk.HintCounter that remembers what it counted.
type counter struct {
	mu  sync.Mutex
	got map[string]int
}

func (c *counter) CountHint(rule assist.Rule, outcome assist.Outcome) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got[string(rule)+"/"+string(outcome)]++
}

// TestAssistAPI asks for hints on drafts and for the next steps as the
// page does, and reports hint outcomes.
func TestAssistAPI(t *testing.T) {
	cnt := &counter{got: map[string]int{}}
	r := newRig(t, desk.WithHintCounter(cnt))
	r.agent("ada", 2, "delivery")
	_, tk := r.handoff("My parcel still hasn't arrived, this is ridiculous!", "yes", "I want to talk to a human")
	ada := r.login("ada")
	path := "/desk/api/tickets/" + itoa(tk.ID)

	var hints struct{ Hints []assist.Hint }
	ada.call("POST", path+"/hints", map[string]string{"text": "Unfortunately we'll fix it. Please call us."}, http.StatusOK, &hints)
	var rules []assist.Rule
	for _, h := range hints.Hints {
		rules = append(rules, h.Rule)
	}
	want := []assist.Rule{assist.RuleNegative, assist.RulePromise, assist.RuleChannel}
	if len(rules) != len(want) || rules[0] != want[0] || rules[1] != want[1] || rules[2] != want[2] {
		t.Errorf("hints %v, want %v", rules, want)
	}
	ada.call("POST", path+"/hints", map[string]string{"text": "No problem, I can trace the parcel or send a new one today."}, http.StatusOK, &hints)
	if len(hints.Hints) != 0 {
		t.Errorf("a good draft gets %+v", hints.Hints)
	}

	var steps struct{ Steps []assist.Step }
	ada.call("GET", path+"/steps?lang=fi", nil, http.StatusOK, &steps)
	if len(steps.Steps) == 0 || steps.Steps[0].Kind != "choices" || steps.Steps[0].AgentLang != "fi" || steps.Steps[0].Lang != "en" {
		t.Errorf("steps %+v", steps.Steps)
	}

	ada.call("POST", path+"/hints/outcome", map[string]string{"rule": "blame", "outcome": "dismissed"}, http.StatusNoContent, nil)
	ada.call("POST", path+"/hints/outcome", map[string]string{"rule": "blame", "outcome": "liked"}, http.StatusBadRequest, nil)
	ada.call("POST", path+"/hints/outcome", map[string]string{"rule": "rude", "outcome": "shown"}, http.StatusBadRequest, nil)
	if cnt.got["blame/dismissed"] != 1 || len(cnt.got) != 1 {
		t.Errorf("counted %v, want one dismissed blame hint", cnt.got)
	}
	var review struct{ Review handoff.Review }
	ada.call("GET", path+"/review", nil, http.StatusOK, &review)
	if review.Review.Ticket != tk.ID || len(review.Review.Missing) != 5 || review.Review.Replies != 0 {
		t.Errorf("review before any reply %+v", review.Review)
	}
	ada.call("POST", "/desk/api/tickets/999/hints", map[string]string{"text": "hi"}, http.StatusNotFound, nil)
}

package flows_test

import (
	"os"
	"strings"
	"testing"

	"github.com/calmbot/calmbot/flows"
)

// TestEveryReasonHasText checks the closed set of handoff reasons: each has
// its words for the agents (the desk and the summary speak English), and
// only they are known.
func TestEveryReasonHasText(t *testing.T) {
	seen := map[flows.Reason]bool{}
	for _, r := range flows.HandoffReasons {
		if seen[r] {
			t.Errorf("%s is listed twice", r)
		}
		seen[r] = true
		if !r.Known() {
			t.Errorf("%s is not known", r)
		}
		if got := r.Text(); got == "" || got == string(r) {
			t.Errorf("%s has no text: %q", r, got)
		}
	}
	if flows.Reason("angry").Known() {
		t.Error("an unlisted code is known")
	}
	if got := flows.Reason("angry").Text(); got != "angry" {
		t.Errorf("unknown code in words: %q, want the code", got)
	}
}

// TestDocsListEveryReason keeps docs/flows.md's list of reasons true.
func TestDocsListEveryReason(t *testing.T) {
	doc, err := os.ReadFile("../docs/flows.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range flows.HandoffReasons {
		if !strings.Contains(string(doc), "`"+string(r)+"`") {
			t.Errorf("docs/flows.md does not name the reason %s", r)
		}
	}
}

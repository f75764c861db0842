package evaluate

import (
	"context"
	"os"
	"testing"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/bot/intent"
	"github.com/calmbot/calmbot/flows"
)

// realDataDir is the shared evaluation data, when this machine has it.
const realDataDir = "../../shared/data/eval"

// TestRealIntentSets measures the intent analyzer on the real intent sets
// and logs the figures at a few thresholds; it checks only that every row
// was measured (the targets are reported by calmbot eval, not enforced
// here).
//
//	go test -run TestRealIntentSets -v ./evaluate
func TestRealIntentSets(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on thousands of examples")
	}
	if _, err := os.Stat(realDataDir); err != nil {
		t.Skip("no eval data:", err)
	}
	cfg := Config{
		Dir:        realDataDir,
		New:        func(f *flows.File) (bot.Analyzer, error) { return intent.New(f) },
		Thresholds: []float64{0.3, 0.4, 0.45, 0.5, 0.55, 0.6},
	}
	rows, err := Run(context.Background(), cfg, []string{"clinc150", "banking77"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Status != StatusOK {
			t.Errorf("%s: %s %s", r.Set, r.Status, r.Error)
			continue
		}
		t.Logf("%s: n %d, at %.2f in-scope accuracy %.1f%%, out-of-scope recall %.1f%%; %s", r.Set, r.N, *r.Threshold,
			100**r.InScopeAccuracy, 100**r.OOSRecall, r.Note)
		for _, c := range r.Curve {
			t.Logf("  threshold %.2f: in-scope accuracy %.1f%%, out-of-scope recall %.1f%%", c.Threshold, 100*c.InScopeAccuracy, 100*c.OOSRecall)
		}
	}
}

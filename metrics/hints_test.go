package metrics_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/calmbot/calmbot/handoff/assist"
	"github.com/calmbot/calmbot/metrics"
)

func TestHints(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	if n := testutil.CollectAndCount(reg, "calmbot_agent_hints_total"); n != len(assist.Rules)*len(assist.Outcomes) {
		t.Errorf("%d series before any hint, want every rule and outcome (%d)", n, len(assist.Rules)*len(assist.Outcomes))
	}
	m.CountHint(assist.RuleBlame, assist.OutcomeShown)
	m.CountHint(assist.RuleBlame, assist.OutcomeShown)
	m.CountHint(assist.RuleBlame, assist.OutcomeActed)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "calmbot_agent_hints_total" {
			continue
		}
		for _, mt := range mf.GetMetric() {
			var rule, outcome string
			for _, l := range mt.GetLabel() {
				switch l.GetName() {
				case "rule":
					rule = l.GetValue()
				case "outcome":
					outcome = l.GetValue()
				}
			}
			got[rule+"/"+outcome] = mt.GetCounter().GetValue()
		}
	}
	if got["blame/shown"] != 2 || got["blame/acted"] != 1 || got["blame/dismissed"] != 0 || got["one_option/ignored"] != 0 {
		t.Errorf("counts %v", got)
	}
}

package metrics_test

import (
	"maps"
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

// TestAssisted: the sentiment change of closed tickets is kept apart by
// whether the people followed the assist, both series there from the start.
func TestAssisted(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	if n := testutil.CollectAndCount(reg, "calmbot_agent_assist_sentiment_change"); n != 2 {
		t.Errorf("%d series before any ticket, want followed true and false", n)
	}
	m.ObserveAssisted(true, 0.75)
	m.ObserveAssisted(true, 0.25)
	m.ObserveAssisted(false, -0.5)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "calmbot_agent_assist_sentiment_change" {
			continue
		}
		for _, mt := range mf.GetMetric() {
			h := mt.GetHistogram()
			got[mt.GetLabel()[0].GetValue()] = [2]float64{float64(h.GetSampleCount()), h.GetSampleSum()}
		}
	}
	if want := map[string][2]float64{"true": {2, 1}, "false": {1, -0.5}}; !maps.Equal(got, want) {
		t.Errorf("count and sum by followed %v, want %v", got, want)
	}
}

package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/calmbot/calmbot/handoff/assist"
)

// newHints makes calmbot_agent_hints_total with every rule and outcome at
// zero, so a rate over it exists before the first hint.
func newHints() *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "calmbot_agent_hints_total",
		Help: "Agent assist hints on draft replies, by rule and outcome (shown, acted: the wording changed, dismissed, ignored: sent as it was).",
	}, []string{"rule", "outcome"})
	for _, r := range assist.Rules {
		for _, o := range assist.Outcomes {
			c.WithLabelValues(string(r), string(o))
		}
	}
	return c
}

// CountHint counts what an agent did with a hint of rule.
func (m *Metrics) CountHint(rule assist.Rule, outcome assist.Outcome) {
	m.hints.WithLabelValues(string(rule), string(outcome)).Inc()
}

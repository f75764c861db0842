package metrics

import (
	"strconv"

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

// newAssisted makes calmbot_agent_assist_sentiment_change, with both
// values of followed present from the start.
func newAssisted() *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "calmbot_agent_assist_sentiment_change",
		Help:    "Change of customer sentiment (-2..2) from the handoff to the customer's last message, for conversations people took over, observed when the ticket closes; followed=true when every reply was sent with no assist hint left on it.",
		Buckets: []float64{-1.5, -1, -0.5, -0.25, 0, 0.25, 0.5, 1, 1.5},
	}, []string{"followed"})
	h.WithLabelValues("true")
	h.WithLabelValues("false")
	return h
}

// ObserveAssisted records a closed ticket's sentiment change from the
// handoff to the end, by whether the people's replies followed the assist.
func (m *Metrics) ObserveAssisted(followed bool, change float64) {
	m.assisted.WithLabelValues(strconv.FormatBool(followed)).Observe(change)
}

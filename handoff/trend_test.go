package handoff_test

import (
	"testing"

	"github.com/calmbot/calmbot/bot"
	"github.com/calmbot/calmbot/handoff"
)

// TestTrendWorst checks that a queued customer's mood keeps the first and
// the worst turn beside the last: one who opened furious and then said a
// neutral "yes" is not calm.
func TestTrendWorst(t *testing.T) {
	turn := func(seq int64, s float64) bot.Entry {
		return bot.Entry{Seq: seq, Direction: bot.Inbound, Analysis: &bot.Analysis{Sentiment: s}}
	}
	tests := []struct {
		moods                []float64
		first, worst, latest float64
	}{
		{[]float64{-0.9, -0.2, 0}, -0.9, -0.9, 0},
		{[]float64{0.1, -0.6, 0.2}, 0.1, -0.6, 0.2},
		{[]float64{0.3}, 0.3, 0.3, 0.3},
	}
	for _, tt := range tests {
		var tr []bot.Entry
		for i, m := range tt.moods {
			tr = append(tr, turn(int64(i+1), m), bot.Entry{Seq: int64(100 + i), Direction: bot.Outbound, Text: "reply"})
		}
		got := handoff.TrendOf(tr)
		if got == nil || got.First != tt.first || got.Worst != tt.worst || got.Sentiment != tt.latest || got.Turns != len(tt.moods) {
			t.Errorf("moods %v: trend %+v, want first %v worst %v last %v", tt.moods, got, tt.first, tt.worst, tt.latest)
		}
	}
}

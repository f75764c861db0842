package desk

import (
	"testing"
	"time"
)

func TestQuantiles(t *testing.T) {
	tests := []struct {
		in            []float64
		p50, p90, top float64
	}{
		{nil, 0, 0, 0},
		{[]float64{7}, 7, 7, 7},
		{[]float64{4, 1, 3, 2}, 2, 4, 4},
		{[]float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 5, 9, 10},
	}
	for _, tt := range tests {
		p50, p90, top := quantiles(tt.in)
		if p50 != tt.p50 || p90 != tt.p90 || top != tt.top {
			t.Errorf("quantiles(%v) = %v, %v, %v; want %v, %v, %v", tt.in, p50, p90, top, tt.p50, tt.p90, tt.top)
		}
	}
}

func TestLimiter(t *testing.T) {
	l := newLimiter(2, 10*time.Second)
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	steps := []struct {
		after    time.Duration
		fail     bool
		wantWait time.Duration
	}{
		{0, false, 0},
		{0, true, 0},
		{0, true, 10 * time.Second}, // empty now
		{5 * time.Second, false, 5 * time.Second},
		{5 * time.Second, false, 0}, // one token back
		{0, true, 10 * time.Second},
		{time.Hour, false, 0},
	}
	for i, s := range steps {
		at = at.Add(s.after)
		if s.fail {
			l.fail(at, "k")
		}
		if got := l.wait(at, "k"); got != s.wantWait {
			t.Errorf("step %d: wait %v, want %v", i, got, s.wantWait)
		}
	}
	if got := l.wait(at, "other"); got != 0 {
		t.Errorf("another key waits %v", got)
	}
}

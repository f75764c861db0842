package desk

import (
	"testing"
	"time"

	"github.com/calmbot/calmbot/webserve"
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

// TestLoginLimits walks the login limits through an attack: refusals hit
// the guessing addresses, never the agent's own.
func TestLoginLimits(t *testing.T) {
	l := newLoginLimits(2, 10*time.Second, webserve.Rate{N: 100, Per: time.Minute})
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	steps := []struct {
		after    time.Duration
		name, ip string
		fail     bool // the attempt fails (when allowed)
		wantWait time.Duration
	}{
		{0, "ada", "a", true, 0},
		{0, "ada", "a", true, 0},
		{0, "ada", "a", false, 10 * time.Second}, // a used up its tries on ada
		{0, "bob", "a", false, 0},                // but not on bob
		{0, "ada", "ada's", false, 0},            // and ada is not locked out
		{5 * time.Second, "ada", "a", false, 5 * time.Second},
		{5 * time.Second, "ada", "a", true, 0}, // one try back
		// Many addresses use up ada's tries over all addresses (8, one of
		// them grown back).
		{0, "ada", "b", true, 0}, {0, "ada", "c", true, 0}, {0, "ada", "d", true, 0},
		{0, "ada", "e", true, 0}, {0, "ada", "f", true, 0}, {0, "ada", "h", true, 0},
		{0, "ada", "b", false, 10 * time.Second}, // b has failed on ada
		{0, "ada", "g", true, 0},                 // g has not: one try
		{0, "ada", "g", false, 10 * time.Second},
		{0, "ada", "ada's", false, 0}, // the agent still gets in
		{time.Hour, "ada", "b", false, 0},
	}
	for i, s := range steps {
		at = at.Add(s.after)
		got := l.check(at, s.name, s.ip)
		if got != s.wantWait {
			t.Errorf("step %d (%s from %s): wait %v, want %v", i, s.name, s.ip, got, s.wantWait)
		}
		if got == 0 && s.fail {
			l.fail(at, s.name, s.ip)
		}
	}
}

func TestLoginAttemptsPerAddress(t *testing.T) {
	l := newLoginLimits(5, time.Second, webserve.Rate{N: 3, Per: time.Minute})
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	for i, name := range []string{"a", "b", "c"} {
		if w := l.check(at, name, "x"); w != 0 {
			t.Fatalf("attempt %d refused", i)
		}
	}
	if w := l.check(at, "d", "x"); w != 20*time.Second {
		t.Errorf("fourth attempt from one address: wait %v, want 20s", w)
	}
	if w := l.check(at, "d", "y"); w != 0 {
		t.Errorf("another address waits %v", w)
	}
}

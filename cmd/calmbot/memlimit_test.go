package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestMemoryLimitSet(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		str  string
	}{
		{"64MiB", 64 << 20, "64MiB"},
		{"1GiB", 1 << 30, "1GiB"},
		{"1536KiB", 1536 << 10, "1536KiB"},
		{"1000", 1000, "1000B"},
		{"off", 0, ""},
		{"0", 0, ""},
	} {
		var m memoryLimit
		if err := m.Set(tc.in); err != nil {
			t.Errorf("Set(%q): %v", tc.in, err)
			continue
		}
		if int64(m) != tc.want || m.String() != tc.str {
			t.Errorf("Set(%q) = %d %q, want %d %q", tc.in, int64(m), m.String(), tc.want, tc.str)
		}
	}
	for _, bad := range []string{"64MB", "-1MiB", "lots", "9999999TiB", "1.5GiB"} {
		var m memoryLimit
		if err := m.Set(bad); err == nil {
			t.Errorf("Set(%q) = %d, want an error", bad, int64(m))
		}
	}
}

// TestServeMemoryLimit checks that --memory-limit sets the Go runtime's
// soft limit while serve runs, and that serve puts the old one back.
func TestServeMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	_, stderr, stop := startServer(t, "--memory-limit", "48MiB")
	if got := debug.SetMemoryLimit(-1); got != 48<<20 {
		t.Errorf("memory limit while serving: %d, want %d", got, 48<<20)
	}
	if !strings.Contains(stderr.String(), "limit=48MiB") {
		t.Errorf("the log does not say the limit:\n%s", stderr.String())
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("memory limit after serve: %d, want %d as before", got, before)
	}
}

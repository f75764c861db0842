package main

import (
	"fmt"
	"math"
	"runtime/debug"
	"strconv"
	"strings"
)

// memoryLimit is serve's --memory-limit: a soft limit, in bytes, on the
// memory the Go runtime uses (debug.SetMemoryLimit); 0 sets none.
type memoryLimit int64

// memoryUnits are the suffixes --memory-limit takes, as GOMEMLIMIT does.
var memoryUnits = []struct {
	suffix string
	scale  int64
}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}

// String returns the limit as Set reads it.
func (m *memoryLimit) String() string {
	if m == nil || *m == 0 {
		return ""
	}
	n := int64(*m)
	for _, u := range memoryUnits {
		if n%u.scale == 0 {
			return strconv.FormatInt(n/u.scale, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// Set reads a size such as 64MiB, 1GiB or 500000000 (bytes); "off" or 0
// sets no limit.
func (m *memoryLimit) Set(s string) error {
	s = strings.TrimSpace(s)
	if s == "off" || s == "" {
		*m = 0
		return nil
	}
	n, err := parseSize(s)
	if err != nil {
		return fmt.Errorf("memory limit %w, or off", err)
	}
	*m = memoryLimit(n)
	return nil
}

// parseSize reads a size in bytes written as GOMEMLIMIT takes one: a
// whole number with an optional unit of memoryUnits (64MiB, 1GiB, 1000).
func parseSize(s string) (int64, error) {
	num, scale := s, int64(1)
	for _, u := range memoryUnits {
		if strings.HasSuffix(s, u.suffix) {
			num, scale = strings.TrimSuffix(s, u.suffix), u.scale
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q: want a size such as 64MiB, 1GiB or bytes", s)
	}
	if n > math.MaxInt64/scale {
		return 0, fmt.Errorf("%q: too large", s)
	}
	return n * scale, nil
}

// apply sets the limit on the Go runtime when there is one, and returns
// the function that puts back the limit it replaced.
func (m memoryLimit) apply() (restore func()) {
	if m <= 0 {
		return func() {}
	}
	old := debug.SetMemoryLimit(int64(m))
	return func() { debug.SetMemoryLimit(old) }
}

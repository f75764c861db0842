//go:build unix

package sqlite

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time, user and system, the process has used so far;
// benchmarks report it per operation, a figure the other processes of a
// shared machine disturb much less than the wall-clock time.
func cpuTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

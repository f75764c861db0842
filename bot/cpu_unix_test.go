//go:build unix

package bot_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user and system) this process used so far:
// the engine and the store's client, not a database server's.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

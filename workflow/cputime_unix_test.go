//go:build unix

package workflow_test

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user + system) the process has used so far, all
// threads included (so the garbage collector's background work counts), or false
// where it is not available. Benchmarks report it next to wall time because on a
// shared machine wall time mostly measures the other processes.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

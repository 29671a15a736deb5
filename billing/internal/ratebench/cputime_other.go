//go:build !linux

package ratebench

import "time"

// threadCPU falls back to wall time where no thread CPU clock is wired.
func threadCPU() time.Duration { return time.Duration(time.Now().UnixNano()) }

// CPUClock names the clock Measure uses.
const CPUClock = "wall time"

// ProcessCPU falls back to wall time.
func ProcessCPU() time.Duration { return time.Duration(time.Now().UnixNano()) }

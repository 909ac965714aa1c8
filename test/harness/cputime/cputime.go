// Package cputime measures the CPU time a process uses, for benchmarks on
// shared machines: other processes competing for the cores inflate
// wall-clock ns/op far more than the CPU time an operation takes.
package cputime

import (
	"syscall"
	"testing"
	"time"
)

// Now is the user and system CPU time this process has used so far.
func Now() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Report adds the CPU time per operation since start to b's results as
// cpu-ns/op.
func Report(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(Now()-start)/float64(b.N), "cpu-ns/op")
}

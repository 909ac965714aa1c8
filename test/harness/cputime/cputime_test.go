package cputime

import (
	"testing"
	"time"
)

// Busy work raises the process's CPU time; sleeping does not.
func TestNowCountsWork(t *testing.T) {
	start := Now()
	if start <= 0 {
		t.Fatalf("CPU time %v, want > 0", start)
	}
	// Spin until 20 ms of CPU time are counted; a clock that did not count
	// work would never get there (a machine too busy to give this process
	// 20 ms in 10 s would be broken).
	x := 0
	for deadline := time.Now().Add(10 * time.Second); Now()-start < 20*time.Millisecond; x++ {
		if time.Now().After(deadline) {
			t.Fatalf("10 s of busy work counted as %v of CPU time (%d loops)", Now()-start, x)
		}
	}
	before := Now()
	time.Sleep(50 * time.Millisecond)
	if idle := Now() - before; idle > 40*time.Millisecond {
		t.Fatalf("50 ms of sleep counted as %v of CPU time", idle)
	}
}

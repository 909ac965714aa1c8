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
	x := 0
	for deadline := time.Now().Add(50 * time.Millisecond); time.Now().Before(deadline); {
		x++
	}
	busy := Now() - start
	if busy < 10*time.Millisecond {
		t.Fatalf("50 ms of busy work counted as %v of CPU time (%d loops)", busy, x)
	}
	before := Now()
	time.Sleep(50 * time.Millisecond)
	if idle := Now() - before; idle > 25*time.Millisecond {
		t.Fatalf("50 ms of sleep counted as %v of CPU time", idle)
	}
}

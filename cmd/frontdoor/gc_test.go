package main

import (
	"runtime/debug"
	"testing"
)

func TestSetGCPercent(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)

	if got := setGCPercent(func(string) string { return "" }); got != defaultGOGC {
		t.Errorf("GOGC unset: setGCPercent = %d, want %d", got, defaultGOGC)
	}
	if got := debug.SetGCPercent(100); got != defaultGOGC {
		t.Errorf("GOGC unset: the runtime's target is %d, want %d", got, defaultGOGC)
	}

	// GOGC set: what the runtime read from it stays.
	debug.SetGCPercent(50)
	if got := setGCPercent(func(k string) string { return map[string]string{"GOGC": "50"}[k] }); got != 50 {
		t.Errorf("GOGC=50: setGCPercent = %d, want 50", got)
	}
	if got := debug.SetGCPercent(100); got != 50 {
		t.Errorf("GOGC=50: the runtime's target is %d, want 50", got)
	}
}

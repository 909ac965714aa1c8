package main

import "runtime/debug"

// defaultGOGC is the garbage collector's target percentage when the GOGC
// environment variable is unset: the heap may grow to three times what is
// live before a collection, where Go's default, 100, allows twice. A
// proxied request allocates about 200 objects in Go's HTTP stack and
// Caddy, so collections are a large share of a busy gateway's CPU time;
// this halves their number for some more memory. Caddy already caps the
// heap with a memory limit taken from the machine or the container
// (GOMEMLIMIT, through automemlimit), so a higher target cannot run the
// process out of memory: near the limit the collector runs more often.
//
// GOGC=100 (or any value, or off) overrides it, as for any Go program.
const defaultGOGC = 200

// setGCPercent applies defaultGOGC unless GOGC is set, and returns the
// target in effect.
func setGCPercent(getenv func(string) string) int {
	if getenv("GOGC") != "" {
		// The runtime read it at start; leave it.
		current := debug.SetGCPercent(100)
		debug.SetGCPercent(current)
		return current
	}
	debug.SetGCPercent(defaultGOGC)
	return defaultGOGC
}

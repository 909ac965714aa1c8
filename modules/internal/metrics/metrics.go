// Package metrics registers Prometheus collectors on Caddy's per-config
// registry without panicking when the same collector already exists there
// (a second site, or a config reload that reuses the registry).
package metrics

import (
	"errors"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Register registers c on reg and returns the collector to use: c itself, or
// the equal collector that was registered before. A nil reg returns c
// unregistered, so callers never need a nil check. Any other registration
// error (a name clash with different labels) is returned.
func Register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if reg == nil {
		return c, nil
	}
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}

// shared holds the process-wide counters, by metric name.
var shared sync.Map

// Shared registers on reg the process-wide collector of the metric name,
// made by newC the first time. Caddy gives every config its own registry,
// so a counter made per config would start again from zero at each reload;
// a shared one keeps counting, as a counter should until the process ends.
// Use it for counters; a gauge that describes the current config belongs to
// that config.
func Shared[C prometheus.Collector](reg prometheus.Registerer, name string, newC func() C) (C, error) {
	v, ok := shared.Load(name)
	if !ok {
		v, _ = shared.LoadOrStore(name, newC())
	}
	c, ok := v.(C)
	if !ok {
		var zero C
		return zero, errors.New("metric " + name + " is shared with another collector type")
	}
	return Register(reg, c)
}

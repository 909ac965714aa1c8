// Package metrics registers Prometheus collectors on Caddy's per-config
// registry without panicking when the same collector already exists there
// (a second site, or a config reload that reuses the registry).
package metrics

import (
	"errors"

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

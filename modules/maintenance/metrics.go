package maintenance

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	maint "github.com/frontdoor-gateway/frontdoor/modules/internal/maintenance"
	fdmetrics "github.com/frontdoor-gateway/frontdoor/modules/internal/metrics"
)

// Results of frontdoor_maintenance_responses_total.
const (
	resultBlocked  = "blocked"
	resultAllowed  = "allowed"
	resultBypassed = "bypassed"
	// resultBypassLimited counts bypass guesses refused unchecked because
	// the client got too many wrong, whatever the response (the site while
	// maintenance is off); one that gets the page is not also "blocked".
	resultBypassLimited = "bypass_limited"
)

type metrics struct {
	responses *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, registry *maint.Registry) (*metrics, error) {
	if _, err := fdmetrics.Register(reg, newSwitchCollector(registry)); err != nil {
		return nil, err
	}
	responses, err := fdmetrics.Shared(reg, "frontdoor_maintenance_responses_total", func() *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "frontdoor_maintenance_responses_total",
			Help: "Requests that met an active maintenance, by maintenance name and result (blocked, allowed by address, bypassed by cookie), and bypass guesses refused unchecked after too many wrong ones (bypass_limited).",
		}, []string{"name", "result"})
	})
	if err != nil {
		return nil, err
	}
	return &metrics{responses: responses}, nil
}

// counters are the response counters of one maintenance name, resolved once
// so the request path does no label lookups.
type counters struct {
	blocked, allowed, bypassed, limited prometheus.Counter
}

func (m *metrics) counters(name string) counters {
	if m == nil {
		return counters{}
	}
	return counters{
		blocked:  m.responses.WithLabelValues(name, resultBlocked),
		allowed:  m.responses.WithLabelValues(name, resultAllowed),
		bypassed: m.responses.WithLabelValues(name, resultBypassed),
		limited:  m.responses.WithLabelValues(name, resultBypassLimited),
	}
}

func inc(c prometheus.Counter) {
	if c != nil {
		c.Inc()
	}
}

// switchCollector reports, at scrape time, frontdoor_maintenance_enabled
// (so scheduled windows show the moment they open or close) and
// frontdoor_maintenance_state_error.
type switchCollector struct {
	registry   *maint.Registry
	enabled    *prometheus.Desc
	stateError *prometheus.Desc
}

func newSwitchCollector(registry *maint.Registry) *switchCollector {
	return &switchCollector{
		registry: registry,
		enabled: prometheus.NewDesc("frontdoor_maintenance_enabled",
			"Whether the named maintenance is on right now (1) or off (0).",
			[]string{"name"}, nil),
		stateError: prometheus.NewDesc("frontdoor_maintenance_state_error",
			"Whether the stored state of the named maintenance cannot be read (1: a damaged value or a failing storage; the switch is then what on_state_error says) or can (0).",
			[]string{"name"}, nil),
	}
}

func (c *switchCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.enabled
	ch <- c.stateError
}

func (c *switchCollector) Collect(ch chan<- prometheus.Metric) {
	now := time.Now()
	for _, sw := range c.registry.Switches() {
		on, bad := 0.0, 0.0
		if sw.State().Active(now) {
			on = 1
		}
		if sw.Err() != nil {
			bad = 1
		}
		ch <- prometheus.MustNewConstMetric(c.enabled, prometheus.GaugeValue, on, sw.Name())
		ch <- prometheus.MustNewConstMetric(c.stateError, prometheus.GaugeValue, bad, sw.Name())
	}
}

package visitorinfo

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/device"
	fdmetrics "github.com/frontdoor-gateway/frontdoor/modules/internal/metrics"
	"github.com/frontdoor-gateway/frontdoor/modules/internal/visitor"
)

// metrics counts requests by country and device class. Both labels come
// from bounded sets: two-letter codes (or visitor.UnknownCountry) and the
// six device classes. One metrics value serves every visitor_info handler
// of the process: its child-counter cache is 32 KiB, which a catalog of
// 10,000 sites must not hold 10,000 times.
type metrics struct {
	requests *prometheus.CounterVec
	// counters caches the child counter of each (country, device) pair, so
	// the request path does no label hashing and no allocation.
	counters []atomic.Pointer[counterRef]
}

type counterRef struct{ prometheus.Counter }

const (
	numCountries = 26*26 + 1 // index 0 is the unknown country
	numDevices   = int(device.Bot) + 1
)

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	return fdmetrics.Shared(reg, "frontdoor_visitor_requests_total", func() *metrics {
		return &metrics{
			requests: prometheus.NewCounterVec(prometheus.CounterOpts{
				Name: "frontdoor_visitor_requests_total",
				Help: "Requests seen by visitor_info, by client country (XX when unknown) and device class.",
			}, []string{"country", "device"}),
			counters: make([]atomic.Pointer[counterRef], numCountries*numDevices),
		}
	})
}

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) { m.requests.Describe(ch) }

// Collect implements prometheus.Collector.
func (m *metrics) Collect(ch chan<- prometheus.Metric) { m.requests.Collect(ch) }

// countryIndex maps an upper-case two-letter code to 1..676 and anything
// else to 0.
func countryIndex(c string) int {
	if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
		return 0
	}
	return 1 + int(c[0]-'A')*26 + int(c[1]-'A')
}

func (m *metrics) observe(country string, dev device.Type) {
	if m == nil {
		return
	}
	ci := countryIndex(country)
	slot := &m.counters[ci*numDevices+int(dev)%numDevices]
	ref := slot.Load()
	if ref == nil {
		label := visitor.UnknownCountry
		if ci != 0 {
			label = country
		}
		ref = &counterRef{m.requests.WithLabelValues(label, dev.String())}
		slot.Store(ref)
	}
	ref.Inc()
}

// Interface guards
var (
	_ prometheus.Collector = (*metrics)(nil)
)

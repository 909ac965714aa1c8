package visitorredirect

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	fdmetrics "github.com/frontdoor-gateway/frontdoor/modules/internal/metrics"
)

// metrics counts redirects by rule name (from the config, so bounded) and
// status code.
type metrics struct {
	redirects *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	redirects, err := fdmetrics.Shared(reg, "frontdoor_redirects_total", func() *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "frontdoor_redirects_total",
			Help: "Redirects sent by visitor_redirect, by rule and status code.",
		}, []string{"rule", "status"})
	})
	if err != nil {
		return nil, err
	}
	return &metrics{redirects: redirects}, nil
}

// counter is one rule's redirect counter; the zero value counts nothing.
type counter struct{ c prometheus.Counter }

func (m *metrics) counter(rule string, status int) counter {
	if m == nil {
		return counter{}
	}
	return counter{m.redirects.WithLabelValues(rule, strconv.Itoa(status))}
}

func (c counter) inc() {
	if c.c != nil {
		c.c.Inc()
	}
}

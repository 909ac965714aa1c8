package geoipapp

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/frontdoor-gateway/frontdoor/geoip"
	fdmetrics "github.com/frontdoor-gateway/frontdoor/modules/internal/metrics"
)

type metrics struct {
	buildTime *prometheus.GaugeVec
	reloads   *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	buildTime, err := fdmetrics.Register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "frontdoor_geoip_database_build_timestamp_seconds",
		Help: "Build time of each loaded GeoIP database, from its metadata, in Unix seconds.",
	}, []string{"database"}))
	if err != nil {
		return nil, err
	}
	reloads, err := fdmetrics.Shared(reg, "frontdoor_geoip_reloads_total", func() *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "frontdoor_geoip_reloads_total",
			Help: "GeoIP database file reloads by result (success, error).",
		}, []string{"result"})
	})
	if err != nil {
		return nil, err
	}
	// Expose both results from the start so rate() and alerts see zeros.
	reloads.WithLabelValues("success")
	reloads.WithLabelValues("error")
	return &metrics{buildTime: buildTime, reloads: reloads}, nil
}

func (m *metrics) setBuildTime(db *geoip.Database) {
	if m == nil || db == nil {
		return
	}
	m.buildTime.WithLabelValues(db.Name()).Set(float64(db.BuildTime().Unix()))
}

func (m *metrics) reloaded(result string) {
	if m == nil {
		return
	}
	m.reloads.WithLabelValues(result).Inc()
}

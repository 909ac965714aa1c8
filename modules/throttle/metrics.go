package throttle

import (
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/caddyserver/caddy/v2"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/limiter"
	"github.com/frontdoor-gateway/frontdoor/modules/internal/metrics"
	"github.com/frontdoor-gateway/frontdoor/modules/internal/redisurl"
)

var (
	requestsDesc = prometheus.NewDesc("frontdoor_throttle_requests_total",
		"Requests seen by throttle handlers, by zone and result (allowed, limited, dry_run).",
		[]string{"zone", "result"}, nil)
	keysDesc = prometheus.NewDesc("frontdoor_throttle_keys",
		"Buckets held in memory by the zone.",
		[]string{"zone"}, nil)
	evictionsDesc = prometheus.NewDesc("frontdoor_throttle_evictions_total",
		"Buckets evicted because the zone reached max_keys.",
		[]string{"zone"}, nil)
	storeErrorsDesc = prometheus.NewDesc("frontdoor_throttle_store_errors_total",
		"Requests for which the zone's store (Redis) failed, timed out or was skipped after a failure.",
		[]string{"zone"}, nil)
)

// zoneSet is the set of zones used by one config. Registered in the config's
// metrics registry, it exports the zones' counters (which live in the zones,
// so they do not restart at a reload) and checks that the handlers sharing a
// zone agree on its settings.
type zoneSet struct {
	mu    sync.Mutex
	zones map[string]zoneUse
}

type zoneUse struct {
	zone     *zone
	settings string
	shown    string // settings with the store's password masked
}

func newZoneSet() *zoneSet { return &zoneSet{zones: make(map[string]zoneUse)} }

// joinZoneSet adds h's zone to the config's zone set.
func joinZoneSet(ctx caddy.Context, h *Throttle) error {
	set, err := metrics.Register(ctx.GetMetricsRegistry(), newZoneSet())
	if err != nil {
		return err
	}
	return set.add(h)
}

func (s *zoneSet) add(h *Throttle) error {
	maxKeys := h.MaxKeys
	if maxKeys == 0 {
		maxKeys = limiter.DefaultMaxKeys
	}
	settings := fmt.Sprintf("rate %gr/s, burst %d, max_keys %d, store %q",
		h.limit.Rate.PerSecond(), h.limit.Burst, maxKeys, h.Store)
	// What the error shows: the same, with no store password.
	shown := fmt.Sprintf("rate %gr/s, burst %d, max_keys %d, store %q",
		h.limit.Rate.PerSecond(), h.limit.Burst, maxKeys, redisurl.Redact(h.Store))
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.zones[h.Zone]; ok {
		if u.settings != settings || u.zone != h.zone {
			return fmt.Errorf("zone %s is configured twice with different settings (%s; %s): "+
				"every throttle handler of a zone must use the same rate, burst, max_keys and store",
				h.Zone, u.shown, shown)
		}
		return nil
	}
	s.zones[h.Zone] = zoneUse{zone: h.zone, settings: settings, shown: shown}
	return nil
}

// Describe implements prometheus.Collector.
func (s *zoneSet) Describe(ch chan<- *prometheus.Desc) {
	ch <- requestsDesc
	ch <- keysDesc
	ch <- evictionsDesc
	ch <- storeErrorsDesc
}

// Collect implements prometheus.Collector.
func (s *zoneSet) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, u := range s.zones {
		z := u.zone
		ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.CounterValue, float64(z.allowed.Load()), name, "allowed")
		ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.CounterValue, float64(z.limited.Load()), name, "limited")
		ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.CounterValue, float64(z.dryRun.Load()), name, "dry_run")
		ch <- prometheus.MustNewConstMetric(storeErrorsDesc, prometheus.CounterValue, float64(z.storeErrors.Load()), name)
		if z.mem != nil {
			ch <- prometheus.MustNewConstMetric(keysDesc, prometheus.GaugeValue, float64(z.mem.Len()), name)
			ch <- prometheus.MustNewConstMetric(evictionsDesc, prometheus.CounterValue, float64(z.mem.Evictions()), name)
		}
	}
}

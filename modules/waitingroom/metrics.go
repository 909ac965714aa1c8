package waitingroom

import (
	"github.com/prometheus/client_golang/prometheus"

	fdmetrics "github.com/frontdoor-gateway/frontdoor/modules/internal/metrics"
)

// Results of frontdoor_waiting_room_decisions_total.
const (
	resultAdmitted   = "admitted"
	resultQueued     = "queued"
	resultPassed     = "passed"
	resultBadCookie  = "bad_cookie"
	resultStoreError = "store_error"
)

// waitBuckets are the bounds of frontdoor_waiting_room_wait_seconds: from
// seconds (demos) to hours (a big sale).
var waitBuckets = []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400}

var (
	activeDesc = prometheus.NewDesc("frontdoor_waiting_room_active_users",
		"Visitors on the site (admitted sessions) of the waiting room, read from its store every second: with a shared store, every gateway reports the room's total.",
		[]string{"room"}, nil)
	queuedDesc = prometheus.NewDesc("frontdoor_waiting_room_queued_users",
		"Visitors waiting in line in the waiting room, read from its store every second: with a shared store, every gateway reports the room's total.",
		[]string{"room"}, nil)
)

// metrics are the waiting room's collectors in one config's registry: the
// decision counters and the wait histogram are process-wide (they keep
// counting across reloads); the gauges are the config's rooms.
type metrics struct {
	decisions *prometheus.CounterVec
	wait      *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer, app *App) (*metrics, error) {
	decisions, err := fdmetrics.Shared(reg, "frontdoor_waiting_room_decisions_total", func() *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "frontdoor_waiting_room_decisions_total",
			Help: "Requests the waiting room decided on, by room and result (admitted, queued, passed, bad_cookie, store_error).",
		}, []string{"room", "result"})
	})
	if err != nil {
		return nil, err
	}
	wait, err := fdmetrics.Shared(reg, "frontdoor_waiting_room_wait_seconds", func() *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "frontdoor_waiting_room_wait_seconds",
			Help:    "Time admitted visitors spent in line, from their ticket to their place on the site (0 for those let in on arrival): its count is the admissions.",
			Buckets: waitBuckets,
		}, []string{"room"})
	})
	if err != nil {
		return nil, err
	}
	if _, err := fdmetrics.Register(reg, &gauges{app: app}); err != nil {
		return nil, err
	}
	return &metrics{decisions: decisions, wait: wait}, nil
}

type counter = prometheus.Counter

// counters are one room's series, resolved once so the request path does
// no label lookups.
type counters struct {
	admitted, queued, passed, badCookie, storeError counter
	wait                                            prometheus.Observer
}

func (m *metrics) counters(room string) counters {
	return counters{
		admitted:   m.decisions.WithLabelValues(room, resultAdmitted),
		queued:     m.decisions.WithLabelValues(room, resultQueued),
		passed:     m.decisions.WithLabelValues(room, resultPassed),
		badCookie:  m.decisions.WithLabelValues(room, resultBadCookie),
		storeError: m.decisions.WithLabelValues(room, resultStoreError),
		wait:       m.wait.WithLabelValues(room),
	}
}

// gauges reports the active and queued visitors of the config's rooms, as
// last read from their stores.
type gauges struct{ app *App }

func (g *gauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- activeDesc
	ch <- queuedDesc
}

func (g *gauges) Collect(ch chan<- prometheus.Metric) {
	for _, name := range g.app.names() {
		u, ok := g.app.lookup(name)
		if !ok {
			continue
		}
		st := u.status.Load()
		if st == nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(activeDesc, prometheus.GaugeValue, float64(st.Active), name)
		ch <- prometheus.MustNewConstMetric(queuedDesc, prometheus.GaugeValue, float64(st.Queued), name)
	}
}

package lokiwriter

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/loki"
)

// stats counts the entries of every Loki writer of the process. Writers
// outlive configs (Caddy shares them across reloads by WriterKey) and each
// config has a registry of its own, so the counts live here, like Caddy's
// own process-wide admin and config metrics, and every config's registry
// exports them through a collector.
var stats loki.Stats

var (
	entriesDesc = prometheus.NewDesc("frontdoor_loki_entries_total",
		"Log entries given to Loki writers, by result: sent (accepted by Loki), dropped (queue full or writer closed), failed (rejected with a 4xx, retries exhausted, or shutdown deadline).",
		[]string{"result"}, nil)
	queueDesc = prometheus.NewDesc("frontdoor_loki_queue_entries",
		"Log entries waiting in Loki writer queues.", nil, nil)
)

// collector exports stats. Equal collectors have equal descriptors, so
// registering a second one on the same registry reuses the first.
type collector struct {
	stats *loki.Stats
}

// Describe implements prometheus.Collector.
func (c collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- entriesDesc
	ch <- queueDesc
}

// Collect implements prometheus.Collector.
func (c collector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(entriesDesc, prometheus.CounterValue, float64(c.stats.Sent()), "sent")
	ch <- prometheus.MustNewConstMetric(entriesDesc, prometheus.CounterValue, float64(c.stats.Dropped()), "dropped")
	ch <- prometheus.MustNewConstMetric(entriesDesc, prometheus.CounterValue, float64(c.stats.Failed()), "failed")
	ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(max(c.stats.Queued(), 0)))
}

// Interface guards
var (
	_ prometheus.Collector = collector{}
)

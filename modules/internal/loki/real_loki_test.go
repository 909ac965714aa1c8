package loki

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// lokiCount asks Loki how many lines of the selector it holds.
func lokiCount(t testing.TB, addr, selector string) int {
	t.Helper()
	q := url.Values{
		"query": {fmt.Sprintf(`sum(count_over_time(%s [1h]))`, selector)},
		"time":  {fmt.Sprint(time.Now().Add(time.Minute).UnixNano())},
	}
	resp, err := http.Get("http://" + addr + "/loki/api/v1/query?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if len(out.Data.Result) == 0 {
		return 0
	}
	var n int
	fmt.Sscan(out.Data.Result[0].Value[1].(string), &n)
	return n
}

// TestRealLokiDelivery ships lines to a real Loki at a steady rate with the
// default buffer, and then as one burst into a buffer that holds it, and
// checks that nothing is dropped and Loki stores every line. Throughput is
// logged here and measured by BenchmarkRealLokiShipping, never asserted.
func TestRealLokiDelivery(t *testing.T) {
	harness.Long(t, "starts a real Loki")
	lk := harness.Loki(t)
	pushURL := "http://" + lk.Addr + "/loki/api/v1/push"

	t.Run("steady 10k lines/s, default buffer", func(t *testing.T) {
		stats := new(Stats)
		s, err := New(Config{URL: pushURL, Labels: `{job="steady"}`, Stats: stats})
		if err != nil {
			t.Fatal(err)
		}
		const rate, seconds = 10000, 3
		start := time.Now()
		tick := time.NewTicker(time.Millisecond)
		written := 0
		for written < rate*seconds {
			<-tick.C
			due := min(int(time.Since(start).Seconds()*rate), rate*seconds)
			for ; written < due; written++ {
				s.Write(sampleLine)
			}
		}
		tick.Stop()
		elapsed := time.Since(start)
		s.Close()
		t.Logf("wrote %d lines in %v (%.0f lines/s): sent %d, dropped %d, failed %d",
			written, elapsed, float64(written)/elapsed.Seconds(), stats.Sent(), stats.Dropped(), stats.Failed())
		if stats.Dropped() != 0 || stats.Failed() != 0 || stats.Sent() != uint64(written) {
			t.Fatalf("sent %d of %d, dropped %d, failed %d", stats.Sent(), written, stats.Dropped(), stats.Failed())
		}
		if got := lokiCount(t, lk.Addr, `{job="steady"}`); got != written {
			t.Fatalf("Loki holds %d lines, want %d", got, written)
		}
	})

	t.Run("burst", func(t *testing.T) {
		const n = 100000
		stats := new(Stats)
		s, err := New(Config{URL: pushURL, Labels: `{job="burst"}`, Buffer: n, Stats: stats, ShutdownTimeout: 2 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for range n {
			s.Write(sampleLine)
		}
		s.Close()
		elapsed := time.Since(start)
		t.Logf("shipped %d lines in %v: %.0f lines/s (dropped %d, failed %d)",
			stats.Sent(), elapsed, float64(stats.Sent())/elapsed.Seconds(), stats.Dropped(), stats.Failed())
		if stats.Sent() != n || stats.Dropped() != 0 || stats.Failed() != 0 {
			t.Fatalf("sent %d of %d, dropped %d, failed %d", stats.Sent(), n, stats.Dropped(), stats.Failed())
		}
		if got := lokiCount(t, lk.Addr, `{job="burst"}`); got != n {
			t.Fatalf("Loki holds %d lines, want %d", got, n)
		}
	})
}

var sampleLine = []byte(`{"level":"info","ts":1763900000.123456,"logger":"http.log.access.log0","msg":"handled request","request":{"remote_ip":"127.0.0.1","client_ip":"127.0.0.1","proto":"HTTP/1.1","method":"GET","host":"127.0.0.1:8080","uri":"/products/42?color=red","headers":{"User-Agent":["hey/0.0.1"]}},"duration":0.000912,"size":57,"status":200,"trace_id":"` + tid + `"}` + "\n")

// BenchmarkRealLokiShipping measures how many lines per second the writer
// ships to a real Loki on this machine (reported as lines/s; the target is
// 50,000 without drops on 2 cores).
func BenchmarkRealLokiShipping(b *testing.B) {
	lk := harness.Loki(b)
	stats := new(Stats)
	s, err := New(Config{URL: "http://" + lk.Addr + "/loki/api/v1/push", Labels: `{job="bench"}`,
		Buffer: max(b.N, 1000), Stats: stats, ShutdownTimeout: 5 * time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		s.Write(sampleLine)
	}
	s.Close()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(stats.Sent())/elapsed.Seconds(), "lines/s")
	b.ReportMetric(float64(stats.Dropped()), "dropped")
}

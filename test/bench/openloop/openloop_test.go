package openloop

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestQuantile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		q      float64
		want   time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"single", ms(7), 0.99, 7 * time.Millisecond},
		{"median of four", ms(1, 2, 3, 4), 0.5, 2 * time.Millisecond},
		{"p99 of hundred", ms(seq(100)...), 0.99, 99 * time.Millisecond},
		{"max", ms(1, 2, 3), 1, 3 * time.Millisecond},
		{"min", ms(1, 2, 3), 0, 1 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Quantile(tt.sorted, tt.q); got != tt.want {
				t.Errorf("Quantile(%v, %v) = %v, want %v", tt.sorted, tt.q, got, tt.want)
			}
		})
	}
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

func TestRunSendsAtTheRate(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Bench") != "1" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		hits.Add(1)
	}))
	defer srv.Close()

	res, err := Run(context.Background(), Config{
		URL:      srv.URL,
		Rate:     200,
		Duration: 500 * time.Millisecond,
		Header:   http.Header{"X-Bench": {"1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 100 || len(res.Latencies) != 100 || hits.Load() != 100 {
		t.Fatalf("sent %d, completed %d, server saw %d; want 100 each", res.Sent, len(res.Latencies), hits.Load())
	}
	if res.Errors != 0 || res.Non2xx != 0 {
		t.Fatalf("errors %d, non-2xx %d", res.Errors, res.Non2xx)
	}
	// 100 requests due over 495 ms: the run cannot end much sooner.
	if res.Elapsed < 450*time.Millisecond {
		t.Fatalf("run took %v: requests were not paced", res.Elapsed)
	}
}

// A server that stalls must show up in the latency of every request that
// was due during the stall, not only in the one that was in flight.
func TestRunCountsQueueingAsLatency(t *testing.T) {
	stallUntil := time.Now().Add(300 * time.Millisecond)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Until(stallUntil))
	}))
	defer srv.Close()

	res, err := Run(context.Background(), Config{
		URL:         srv.URL,
		Rate:        100,
		Duration:    time.Second,
		MaxInFlight: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Latencies) != 100 {
		t.Fatalf("completed %d of 100", len(res.Latencies))
	}
	slow := 0
	for _, l := range res.Latencies {
		if l >= 100*time.Millisecond {
			slow++
		}
	}
	// About 30 requests were due during the stall; a closed-loop measurement
	// would report one slow request.
	if slow < 15 {
		t.Fatalf("%d requests at >= 100 ms, want >= 15 (latencies %v)", slow, res.Latencies)
	}
	if p99 := res.Quantile(0.99); p99 < 200*time.Millisecond {
		t.Fatalf("p99 %v, want >= 200 ms", p99)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"zero rate", Config{URL: "http://127.0.0.1:1/", Duration: time.Second}},
		{"zero duration", Config{URL: "http://127.0.0.1:1/", Rate: 1}},
		{"bad url", Config{URL: "://", Rate: 1, Duration: time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Run(context.Background(), tt.cfg); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}

// Package openloop sends HTTP requests at a fixed rate, whatever the server
// does, and measures each latency from the moment the request was due, not
// from when it was sent. A closed-loop generator (wrk, hey -q) waits for a
// response before sending the next request, so a stalled server also stalls
// the measurement and its slow responses are under-counted ("coordinated
// omission"); here a late send counts as latency.
package openloop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Config describes one run.
type Config struct {
	// URL is requested with GET.
	URL string
	// Rate is the number of requests per second.
	Rate float64
	// Duration is how long requests are scheduled for.
	Duration time.Duration
	// Header is sent with every request.
	Header http.Header
	// MaxInFlight bounds the requests outstanding at once; a request due
	// while the bound is reached is sent when a slot frees, and its wait
	// counts as latency. Default 1024.
	MaxInFlight int
	// Timeout bounds each request. Default 5 s.
	Timeout time.Duration
}

// Result is what a run measured.
type Result struct {
	Sent      int
	Errors    int
	Non2xx    int
	Elapsed   time.Duration
	Latencies []time.Duration // sorted, one per completed request
}

// Quantile returns the q-quantile (0..1) of the latencies, 0 when none.
func (r *Result) Quantile(q float64) time.Duration {
	return Quantile(r.Latencies, q)
}

// Quantile returns the q-quantile (0..1) of sorted durations by the
// nearest-rank method, 0 when empty.
func Quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

// Throughput is completed requests per second of elapsed time.
func (r *Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(len(r.Latencies)) / r.Elapsed.Seconds()
}

// Run sends cfg.Rate requests per second for cfg.Duration, then waits for
// the outstanding ones.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Rate <= 0 || cfg.Duration <= 0 {
		return nil, errors.New("openloop: rate and duration must be positive")
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 1024
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("openloop: %w", err)
	}
	for k, v := range cfg.Header {
		req.Header[k] = v
	}
	transport := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: cfg.Timeout}).DialContext,
		MaxIdleConns:        cfg.MaxInFlight,
		MaxIdleConnsPerHost: cfg.MaxInFlight,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{
		Transport: transport,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}

	total := int(cfg.Rate * cfg.Duration.Seconds())
	interval := time.Duration(float64(time.Second) / cfg.Rate)
	latencies := make([]time.Duration, total)
	done := make([]bool, total)
	var (
		mu     sync.Mutex
		errs   int
		non2xx int
		wg     sync.WaitGroup
	)
	slots := make(chan struct{}, cfg.MaxInFlight)

	start := time.Now()
	sent := 0
	for sent < total {
		if ctx.Err() != nil {
			break
		}
		due := start.Add(time.Duration(sent) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		// Send everything that is due by now; a late wake-up sends a burst,
		// and the lateness is part of each request's latency.
		now := time.Now()
		for sent < total && !start.Add(time.Duration(sent)*interval).After(now) {
			i := sent
			due := start.Add(time.Duration(i) * interval)
			sent++
			slots <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-slots }()
				resp, err := client.Do(req.Clone(ctx))
				if err != nil {
					mu.Lock()
					errs++
					mu.Unlock()
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat := time.Since(due)
				mu.Lock()
				latencies[i], done[i] = lat, true
				if resp.StatusCode < 200 || resp.StatusCode > 299 {
					non2xx++
				}
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	elapsed := time.Since(start)

	res := &Result{Sent: sent, Errors: errs, Non2xx: non2xx, Elapsed: elapsed}
	res.Latencies = make([]time.Duration, 0, sent)
	for i := range sent {
		if done[i] {
			res.Latencies = append(res.Latencies, latencies[i])
		}
	}
	slices.Sort(res.Latencies)
	return res, ctx.Err()
}

package loki

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// These tests ship to VictoriaLogs, a real receiver of the Loki push
// protocol written independently of Loki (Loki itself is AGPL and is not
// used here). What it does with the cases a writer meets, read from its
// code (app/vlinsert/loki, lib/protoparser/protoparserutil) and checked
// below:
//
//   - entries out of order, within a stream or across pushes: stored, all of
//     them (it has no ordering window, where Loki accepts a bounded one);
//   - a body that is not snappy or not a PushRequest: 400 with the reason;
//   - a push over -loki.maxRequestSize (64 MiB by default): 400 "too big
//     data size" (Loki answers 413 there, which the writer splits);
//   - storage in read-only mode (out of disk): 429 without Retry-After;
//   - entries older than -retentionPeriod or beyond -futureRetention: 204,
//     and the rows are dropped and logged by VictoriaLogs (the writer stamps
//     lines when they are written, so only a clock far off reaches that).

// TestReceiverDelivery ships lines at a steady rate with the default
// buffer, and then as one burst into a buffer that holds it, and checks
// that nothing is dropped and the receiver stores every line. Throughput
// is logged here and measured by BenchmarkReceiverShipping, never asserted.
func TestReceiverDelivery(t *testing.T) {
	harness.Long(t, "starts VictoriaLogs")
	vl := harness.VictoriaLogs(t)

	t.Run("steady 10k lines/s, default buffer", func(t *testing.T) {
		stats := new(Stats)
		s, err := New(Config{URL: vl.PushURL(), Labels: `{job="steady"}`, Stats: stats})
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
		if got := vl.WaitCount(t, `_stream:{job="steady"}`, written, 20*time.Second); got != written {
			t.Fatalf("VictoriaLogs holds %d lines, want %d", got, written)
		}
	})

	t.Run("burst", func(t *testing.T) {
		const n = 100000
		stats := new(Stats)
		// A buffer for the whole burst, lines and bytes: this checks that
		// a burst held in memory is delivered whole, however slowly the
		// receiver takes it on a busy machine (the bounds have their own
		// tests in loki_test.go).
		s, err := New(Config{URL: vl.PushURL(), Labels: `{job="burst"}`, Buffer: n, MaxQueueBytes: n * 1024, Stats: stats, ShutdownTimeout: 2 * time.Minute})
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
		if got := vl.WaitCount(t, `_stream:{job="burst"}`, n, 30*time.Second); got != n {
			t.Fatalf("VictoriaLogs holds %d lines, want %d", got, n)
		}
	})

	t.Run("trace id is a field, labels are stream fields", func(t *testing.T) {
		s, err := New(Config{URL: vl.PushURL(), Labels: `{job="fields", site="shop"}`})
		if err != nil {
			t.Fatal(err)
		}
		const own = "0af7651916cd43dd8448eb211c80319c"
		s.Write(bytes.Replace(sampleLine, []byte(tid), []byte(own), 1))
		s.Close()
		if got := vl.WaitCount(t, "trace_id:="+own, 1, 20*time.Second); got != 1 {
			t.Fatalf("rows with trace_id %s: %d, want 1", own, got)
		}
		var streams []string
		// The field-name index answers a moment after the rows do.
		waitFor(t, "stream field names", 10*time.Second, func() bool {
			streams = vl.StreamFieldNames(t, `_stream:{job="fields"}`)
			return len(streams) > 0
		})
		if strings.Join(streams, ",") != "job,site" {
			t.Fatalf("stream fields %v, want job and site (trace_id must not be one)", streams)
		}
		rows := vl.Query(t, `_stream:{job="fields"} trace_id:=`+own)
		if len(rows) != 1 || rows[0]["request.uri"] != "/products/42?color=red" || rows[0]["status"] != "200" {
			t.Fatalf("row %v: want the JSON line's fields (request.uri, status)", rows)
		}
	})
}

// TestReceiverOutOfOrder interleaves two writers on one stream (two
// gateways, or a reload) so that the receiver gets a push of older lines
// after a push of newer ones: every line is stored.
func TestReceiverOutOfOrder(t *testing.T) {
	harness.Long(t, "starts VictoriaLogs")
	vl := harness.VictoriaLogs(t)
	slowStats, fastStats := new(Stats), new(Stats)
	slow, err := New(Config{URL: vl.PushURL(), Labels: `{job="order"}`, BatchWait: 3 * time.Second, Stats: slowStats})
	if err != nil {
		t.Fatal(err)
	}
	fast, err := New(Config{URL: vl.PushURL(), Labels: `{job="order"}`, BatchWait: 50 * time.Millisecond, Stats: fastStats})
	if err != nil {
		t.Fatal(err)
	}
	const n = 500
	for i := range n {
		slow.Write(fmt.Appendf(nil, `{"writer":"slow","n":%d}`, i))
	}
	time.Sleep(100 * time.Millisecond)
	for i := range n {
		fast.Write(fmt.Appendf(nil, `{"writer":"fast","n":%d}`, i))
	}
	// The fast writer's newer lines arrive first; the slow one's older
	// lines follow when its batch wait ends.
	waitFor(t, "the newer lines to be sent", 5*time.Second, func() bool { return fastStats.Sent() == n })
	if slowStats.Sent() != 0 {
		t.Fatalf("the older lines were sent first (%d): the test did not reorder anything", slowStats.Sent())
	}
	slow.Close()
	fast.Close()
	if slowStats.Sent() != n || slowStats.Failed() != 0 {
		t.Fatalf("older lines: sent %d, failed %d, want %d sent", slowStats.Sent(), slowStats.Failed(), n)
	}
	if got := vl.WaitCount(t, `_stream:{job="order"}`, 2*n, 20*time.Second); got != 2*n {
		t.Fatalf("VictoriaLogs holds %d lines, want %d", got, 2*n)
	}
}

// TestReceiverRefusals sends the writer's pushes to VictoriaLogs when it
// refuses them: a corrupted body and an oversized push get a 400, which
// fails the batch (counted, with the receiver's answer in the error, never
// retried); read-only storage answers 429, which is retried until the
// receiver takes the lines again.
func TestReceiverRefusals(t *testing.T) {
	harness.Long(t, "starts VictoriaLogs")

	t.Run("corrupted body: 400, failed and counted, answer reported", func(t *testing.T) {
		vl := harness.VictoriaLogs(t)
		target, _ := url.Parse("http://" + vl.Addr)
		// A proxy that cuts the snappy body short on its way to the real
		// receiver, as a broken middlebox would.
		proxy := httputil.NewSingleHostReverseProxy(target)
		front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body[:len(body)/2]))
			r.ContentLength = int64(len(body) / 2)
			proxy.ServeHTTP(w, r)
		}))
		defer front.Close()
		errs := collectErrors()
		stats := new(Stats)
		s, err := New(Config{URL: front.URL + "/insert/loki/api/v1/push", Labels: `{job="corrupt"}`, Stats: stats, OnError: errs.record})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 10 {
			s.Write([]byte(jsonLine(i)))
		}
		s.Close()
		if stats.Failed() != 10 || stats.Sent() != 0 {
			t.Fatalf("sent %d, failed %d, want all 10 failed", stats.Sent(), stats.Failed())
		}
		se := errs.status(t, http.StatusBadRequest)
		if !strings.Contains(se.Answer, "snappy") {
			t.Fatalf("answer %q: want VictoriaLogs' reason (snappy)", se.Answer)
		}
		if errs.retries() != 0 {
			t.Fatalf("%d retries of a 400: want none", errs.retries())
		}
	})

	t.Run("oversized push: 400, failed and counted; batches under the limit all arrive", func(t *testing.T) {
		vl := harness.VictoriaLogs(t, "-loki.maxRequestSize=64KiB")
		line := []byte(`{"msg":"handled request","pad":"` + strings.Repeat("x", 900) + `"}`)

		errs := collectErrors()
		big := new(Stats)
		s, err := New(Config{URL: vl.PushURL(), Labels: `{job="big"}`, BatchSize: 1 << 20, BatchWait: 200 * time.Millisecond, Stats: big, OnError: errs.record})
		if err != nil {
			t.Fatal(err)
		}
		for range 200 {
			s.Write(line)
		}
		s.Close()
		if big.Failed() != 200 {
			t.Fatalf("a 200 KB push to a 64 KiB limit: sent %d, failed %d, want 200 failed", big.Sent(), big.Failed())
		}
		if se := errs.status(t, http.StatusBadRequest); !strings.Contains(se.Answer, "too big") {
			t.Fatalf("answer %q: want VictoriaLogs' reason (too big)", se.Answer)
		}

		small := new(Stats)
		s, err = New(Config{URL: vl.PushURL(), Labels: `{job="small"}`, BatchSize: 32 << 10, BatchWait: 200 * time.Millisecond, Stats: small})
		if err != nil {
			t.Fatal(err)
		}
		for range 200 {
			s.Write(line)
		}
		s.Close()
		if small.Sent() != 200 || small.Failed() != 0 {
			t.Fatalf("32 KiB batches: sent %d, failed %d, want 200 sent", small.Sent(), small.Failed())
		}
		if got := vl.WaitCount(t, `_stream:{job="small"}`, 200, 20*time.Second); got != 200 {
			t.Fatalf("VictoriaLogs holds %d lines, want 200", got)
		}
	})

	t.Run("read-only storage: 429, retried, delivered once writable", func(t *testing.T) {
		vl := harness.VictoriaLogs(t, "-storage.minFreeDiskSpaceBytes=1000000000000000000")
		errs := collectErrors()
		stats := new(Stats)
		s, err := New(Config{URL: vl.PushURL(), Labels: `{job="readonly"}`, BatchWait: 100 * time.Millisecond,
			MinBackoff: 100 * time.Millisecond, MaxBackoff: 500 * time.Millisecond, MaxRetries: 100, Stats: stats, OnError: errs.record})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for i := range 50 {
			s.Write([]byte(jsonLine(i)))
		}
		waitFor(t, "two retries of the 429", 10*time.Second, func() bool { return errs.retries() >= 2 })
		if se := errs.status(t, http.StatusTooManyRequests); !strings.Contains(se.Answer, "read-only") {
			t.Fatalf("answer %q: want VictoriaLogs' reason (read-only)", se.Answer)
		}
		if stats.Sent() != 0 || stats.Failed() != 0 {
			t.Fatalf("while refused: sent %d, failed %d, want the batch held for retry", stats.Sent(), stats.Failed())
		}
		vl.Restart(t)
		waitFor(t, "delivery after the receiver is writable", 20*time.Second, func() bool { return stats.Sent() == 50 })
		if got := vl.WaitCount(t, `_stream:{job="readonly"}`, 50, 20*time.Second); got != 50 {
			t.Fatalf("VictoriaLogs holds %d lines, want 50", got)
		}
	})
}

// errorLog records what a Shipper reports through OnError.
type errorLog struct {
	mu      sync.Mutex
	final   []error
	retried int
}

func collectErrors() *errorLog { return new(errorLog) }

func (l *errorLog) record(err error, _ int, willRetry bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if willRetry {
		l.retried++
		if len(l.final) == 0 {
			l.final = append(l.final, err)
		}
		return
	}
	l.final = append(l.final, err)
}

func (l *errorLog) retries() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.retried
}

// status returns the first StatusError reported, which must have status.
func (l *errorLog) status(t *testing.T, status int) *StatusError {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, err := range l.final {
		var se *StatusError
		if errors.As(err, &se) {
			if se.Status != status {
				t.Fatalf("receiver answered %v, want status %d", se, status)
			}
			return se
		}
	}
	t.Fatalf("no status error reported (errors: %v)", l.final)
	return nil
}

var sampleLine = []byte(`{"level":"info","ts":1763900000.123456,"logger":"http.log.access.log0","msg":"handled request","request":{"remote_ip":"127.0.0.1","client_ip":"127.0.0.1","proto":"HTTP/1.1","method":"GET","host":"127.0.0.1:8080","uri":"/products/42?color=red","headers":{"User-Agent":["hey/0.0.1"]}},"duration":0.000912,"size":57,"status":200,"trace_id":"` + tid + `"}` + "\n")

// BenchmarkReceiverShipping measures how many lines per second the writer
// ships to a real receiver on this machine (reported as lines/s).
func BenchmarkReceiverShipping(b *testing.B) {
	vl := harness.VictoriaLogs(b)
	stats := new(Stats)
	s, err := New(Config{URL: vl.PushURL(), Labels: `{job="bench"}`,
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

package loki

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/golang/snappy"
	"github.com/grafana/loki/pkg/push"
)

// fakeLoki decodes pushes and answers with the status its answer func picks.
type fakeLoki struct {
	*httptest.Server
	mu       sync.Mutex
	requests int
	streams  []push.Stream
	headers  []http.Header
	answer   func(n int) int // status for the n-th request (1-based)
	// maxEntries, if set, answers 413 to a push of more entries.
	maxEntries int
	body       string // body of every non-2xx answer
}

func newFakeLoki(t testing.TB, answer func(n int) int) *fakeLoki {
	t.Helper()
	f := &fakeLoki{answer: answer}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading push: %v", err)
			return
		}
		raw, err := snappy.Decode(nil, body)
		if err != nil {
			t.Errorf("push body is not snappy: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var req push.PushRequest
		if err := req.Unmarshal(raw); err != nil {
			t.Errorf("push body is not a PushRequest: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.requests++
		n := f.requests
		status := http.StatusNoContent
		if f.answer != nil {
			status = f.answer(n)
		}
		entries := 0
		for _, st := range req.Streams {
			entries += len(st.Entries)
		}
		if f.maxEntries > 0 && entries > f.maxEntries {
			status = http.StatusRequestEntityTooLarge
		}
		if status/100 == 2 {
			f.streams = append(f.streams, req.Streams...)
		}
		f.headers = append(f.headers, r.Header.Clone())
		answerBody := f.body
		f.mu.Unlock()
		w.WriteHeader(status)
		if status/100 != 2 {
			io.WriteString(w, answerBody)
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeLoki) entries() []push.Entry {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []push.Entry
	for _, s := range f.streams {
		out = append(out, s.Entries...)
	}
	return out
}

func (f *fakeLoki) requestCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func newShipper(t *testing.T, cfg Config) *Shipper {
	t.Helper()
	if cfg.Labels == "" {
		cfg.Labels = `{job="frontdoor"}`
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

const tid = "4bf92f3577b34da6a3ce929d0e0e4736"

func jsonLine(i int) string {
	return fmt.Sprintf(`{"level":"info","msg":"handled request","n":%d,"trace_id":"%s"}`+"\n", i, tid)
}

func TestShipsLinesWithMetadataAndHeaders(t *testing.T) {
	loki := newFakeLoki(t, nil)
	stats := new(Stats)
	s := newShipper(t, Config{
		URL:       loki.URL,
		Labels:    `{job="frontdoor", site="shop"}`,
		Header:    http.Header{"X-Scope-Orgid": {"tenant1"}, "Authorization": {"Bearer tok"}},
		BatchWait: 20 * time.Millisecond,
		Stats:     stats,
	})
	for i := range 100 {
		s.Write([]byte(jsonLine(i)))
	}
	s.Write([]byte(`{"msg":"no trace id here"}` + "\n"))
	waitFor(t, "101 entries", 5*time.Second, func() bool { return stats.Sent() == 101 })

	got := loki.entries()
	if len(got) != 101 {
		t.Fatalf("Loki got %d entries, want 101", len(got))
	}
	for i, e := range got[:100] {
		if want := strings.TrimSuffix(jsonLine(i), "\n"); e.Line != want {
			t.Fatalf("entry %d line = %q, want %q", i, e.Line, want)
		}
		if len(e.StructuredMetadata) != 1 || e.StructuredMetadata[0] != (push.LabelAdapter{Name: "trace_id", Value: tid}) {
			t.Fatalf("entry %d structured metadata = %v, want trace_id=%s", i, e.StructuredMetadata, tid)
		}
		if time.Since(e.Timestamp) > time.Minute {
			t.Fatalf("entry %d timestamp %v is not recent", i, e.Timestamp)
		}
	}
	if md := got[100].StructuredMetadata; len(md) != 0 {
		t.Fatalf("line without trace id got metadata %v", md)
	}
	loki.mu.Lock()
	defer loki.mu.Unlock()
	if l := loki.streams[0].Labels; l != `{job="frontdoor", site="shop"}` {
		t.Fatalf("labels = %s", l)
	}
	h := loki.headers[0]
	if h.Get("X-Scope-OrgID") != "tenant1" || h.Get("Authorization") != "Bearer tok" || h.Get("Content-Type") != "application/x-protobuf" {
		t.Fatalf("push headers = %v", h)
	}
	if stats.Dropped() != 0 || stats.Failed() != 0 {
		t.Fatalf("dropped %d, failed %d, want 0", stats.Dropped(), stats.Failed())
	}
	waitFor(t, "queue gauge back to 0", time.Second, func() bool { return stats.Queued() == 0 })
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name         string
		answer       func(n int) int
		wantSent     uint64
		wantFailed   uint64
		wantRequests int
	}{
		{"429 then 200", func(n int) int {
			if n <= 2 {
				return http.StatusTooManyRequests
			}
			return http.StatusNoContent
		}, 10, 0, 3},
		{"503 then 200", func(n int) int {
			if n == 1 {
				return http.StatusServiceUnavailable
			}
			return http.StatusNoContent
		}, 10, 0, 2},
		{"400 drops the batch", func(int) int { return http.StatusBadRequest }, 0, 10, 1},
		{"500 until retries run out", func(int) int { return http.StatusInternalServerError }, 0, 10, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loki := newFakeLoki(t, tt.answer)
			stats := new(Stats)
			var retries atomic.Int32
			s := newShipper(t, Config{
				URL: loki.URL, BatchWait: 10 * time.Millisecond, Stats: stats,
				MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, MaxRetries: 3,
				OnError: func(err error, n int, willRetry bool) {
					if willRetry {
						retries.Add(1)
					}
				},
			})
			for i := range 10 {
				s.Write([]byte(jsonLine(i)))
			}
			waitFor(t, "the batch to settle", 5*time.Second, func() bool {
				return stats.Sent()+stats.Failed() == 10
			})
			if stats.Sent() != tt.wantSent || stats.Failed() != tt.wantFailed {
				t.Fatalf("sent %d failed %d, want %d and %d", stats.Sent(), stats.Failed(), tt.wantSent, tt.wantFailed)
			}
			if got := loki.requestCount(); got != tt.wantRequests {
				t.Fatalf("Loki saw %d requests, want %d", got, tt.wantRequests)
			}
			if got := int(retries.Load()); got != tt.wantRequests-1 {
				t.Fatalf("%d retries reported, want %d", got, tt.wantRequests-1)
			}
			if len(loki.entries()) != int(tt.wantSent) {
				t.Fatalf("Loki stored %d entries, want %d", len(loki.entries()), tt.wantSent)
			}
		})
	}
}

// TestSplitsOn413 sends batches to a receiver whose request size limit is
// 3 entries: each 413 splits the batch in two until the parts fit, and
// every line arrives once.
func TestSplitsOn413(t *testing.T) {
	loki := newFakeLoki(t, nil)
	loki.maxEntries = 3
	stats := new(Stats)
	var retries atomic.Int32
	s := newShipper(t, Config{URL: loki.URL, BatchWait: time.Hour, Stats: stats,
		OnError: func(err error, n int, willRetry bool) {
			if willRetry {
				retries.Add(1)
			}
		}})
	for i := range 10 {
		s.Write([]byte(jsonLine(i)))
	}
	s.Close()
	if stats.Sent() != 10 || stats.Failed() != 0 {
		t.Fatalf("sent %d failed %d, want all 10 sent", stats.Sent(), stats.Failed())
	}
	seen := map[string]int{}
	for _, e := range loki.entries() {
		seen[e.Line]++
	}
	for i := range 10 {
		if line := strings.TrimSuffix(jsonLine(i), "\n"); seen[line] != 1 {
			t.Fatalf("line %d stored %d times, want once", i, seen[line])
		}
	}
	// 10 -> 5+5 -> (2+3)+(2+3): 1 + 2 refused, 4 accepted.
	if got := loki.requestCount(); got != 7 {
		t.Fatalf("%d pushes, want 7 (the 10-line batch, two 5-line halves, four parts that fit)", got)
	}
	if retries.Load() != 0 {
		t.Fatalf("%d retries: a 413 is split, not retried", retries.Load())
	}

	// A single line over the limit cannot be split: it fails.
	one := newFakeLoki(t, func(int) int { return http.StatusRequestEntityTooLarge })
	stats = new(Stats)
	s = newShipper(t, Config{URL: one.URL, BatchWait: time.Hour, Stats: stats})
	for i := range 4 {
		s.Write([]byte(jsonLine(i)))
	}
	s.Close()
	if stats.Failed() != 4 || one.requestCount() != 7 {
		t.Fatalf("failed %d after %d pushes, want 4 failed after 7 (every part refused)", stats.Failed(), one.requestCount())
	}
}

// TestRefusalCarriesTheAnswer checks that a refused push reports the
// receiver's reason, cleaned for a log line and bounded.
func TestRefusalCarriesTheAnswer(t *testing.T) {
	loki := newFakeLoki(t, func(int) int { return http.StatusBadRequest })
	loki.body = "entry for stream '{job=\"frontdoor\"}' has timestamp too old\n\x1b[31m" + strings.Repeat("y", 2*MaxAnswer)
	var got error
	var mu sync.Mutex
	s := newShipper(t, Config{URL: loki.URL, BatchWait: time.Hour, OnError: func(err error, n int, willRetry bool) {
		mu.Lock()
		got = err
		mu.Unlock()
	}})
	s.Write([]byte(jsonLine(0)))
	s.Close()
	mu.Lock()
	defer mu.Unlock()
	var se *StatusError
	if !errors.As(got, &se) || se.Status != http.StatusBadRequest {
		t.Fatalf("error %v, want a 400 StatusError", got)
	}
	if !strings.HasPrefix(se.Answer, "entry for stream '{job=\"frontdoor\"}' has timestamp too old") {
		t.Fatalf("answer %q: want Loki's reason", se.Answer)
	}
	if len(se.Answer) > MaxAnswer || strings.ContainsAny(se.Answer, "\n\x1b") {
		t.Fatalf("answer of %d bytes %q: want at most %d bytes and no control characters", len(se.Answer), se.Answer, MaxAnswer)
	}
	if !strings.Contains(got.Error(), "400") || !strings.Contains(got.Error(), "timestamp too old") {
		t.Fatalf("error text %q: want the status and the reason", got.Error())
	}
}

func TestBackoffIsCappedAndJittered(t *testing.T) {
	s := &Shipper{cfg: Config{MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}}
	seen := make(map[time.Duration]bool)
	for attempt := range 40 {
		d := s.backoff(attempt, 0)
		want := min(100*time.Millisecond<<min(attempt, 20), time.Second)
		if d < want/2 || d > want {
			t.Fatalf("attempt %d: backoff %v outside [%v, %v]", attempt, d, want/2, want)
		}
		seen[d] = true
	}
	if len(seen) < 10 {
		t.Fatalf("backoff has no jitter: %d distinct values", len(seen))
	}
	if d := s.backoff(0, 30*time.Second); d != time.Second {
		t.Fatalf("Retry-After 30s gave %v, want the 1s cap", d)
	}
	if d := s.backoff(0, 700*time.Millisecond); d != 700*time.Millisecond {
		t.Fatalf("Retry-After 700ms gave %v, want 700ms", d)
	}
}

func TestBatchSizeTriggersPush(t *testing.T) {
	loki := newFakeLoki(t, nil)
	stats := new(Stats)
	line := jsonLine(0)
	s := newShipper(t, Config{URL: loki.URL, BatchWait: time.Hour, BatchSize: 10 * len(line), Stats: stats})
	for i := range 35 {
		s.Write([]byte(jsonLine(i)))
	}
	waitFor(t, "three full batches", 5*time.Second, func() bool { return stats.Sent() >= 30 })
	if got := loki.requestCount(); got < 3 {
		t.Fatalf("%d pushes, want at least 3", got)
	}
}

func TestTruncatesLongLines(t *testing.T) {
	loki := newFakeLoki(t, nil)
	stats := new(Stats)
	s := newShipper(t, Config{URL: loki.URL, BatchWait: 10 * time.Millisecond, MaxLineSize: 100, Stats: stats})
	long := `{"trace_id":"` + tid + `","msg":"` + strings.Repeat("é", 200) + `"}`
	s.Write([]byte(long + "\n"))
	waitFor(t, "the line", 5*time.Second, func() bool { return stats.Sent() == 1 })
	e := loki.entries()[0]
	if len(e.Line) > 100 || len(e.Line) < 97 || !strings.HasPrefix(long, e.Line) {
		t.Fatalf("truncated line has %d bytes: %q", len(e.Line), e.Line)
	}
	if !utf8.ValidString(e.Line) {
		t.Fatalf("truncation split a UTF-8 sequence: %q", e.Line[len(e.Line)-3:])
	}
	if len(e.StructuredMetadata) != 1 || e.StructuredMetadata[0].Value != tid {
		t.Fatalf("truncated line lost its trace id: %v", e.StructuredMetadata)
	}
}

// hangingLoki accepts connections and never answers.
func hangingLoki(t testing.TB) string {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv.URL
}

func TestDeadLokiNeverBlocksWrite(t *testing.T) {
	for _, tt := range []struct {
		name string
		url  string
	}{
		{"never answers", ""},
		{"connection refused", "http://127.0.0.1:1/loki/api/v1/push"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			url := tt.url
			if url == "" {
				url = hangingLoki(t)
			}
			stats := new(Stats)
			s, err := New(Config{
				URL: url, Labels: `{job="frontdoor"}`, BatchWait: 10 * time.Millisecond,
				BatchSize: 1 << 10, Buffer: 100, Timeout: time.Minute, Stats: stats,
				ShutdownTimeout: 300 * time.Millisecond,
			})
			if err != nil {
				t.Fatal(err)
			}
			const n = 20000
			line := []byte(jsonLine(1))
			var slowest time.Duration
			for range n {
				start := time.Now()
				s.Write(line)
				slowest = max(slowest, time.Since(start))
			}
			// A Write that waited on Loki would take the 1 minute timeout.
			if slowest > 500*time.Millisecond {
				t.Fatalf("slowest Write took %v with Loki down", slowest)
			}
			if q := stats.Queued(); q > 100+int64(1<<10/len(line))+1 {
				t.Fatalf("queue holds %d lines, want at most the buffer (100) plus one batch", q)
			}
			if stats.Dropped() < n-200 {
				t.Fatalf("dropped %d of %d, want nearly all", stats.Dropped(), n)
			}

			start := time.Now()
			s.Close()
			if took := time.Since(start); took > 2*time.Second {
				t.Fatalf("Close took %v, want about the 300ms shutdown timeout", took)
			}
			if total := stats.Sent() + stats.Dropped() + stats.Failed(); total != n {
				t.Fatalf("sent+dropped+failed = %d, want %d (every line accounted for)", total, n)
			}
			if stats.Queued() != 0 {
				t.Fatalf("queue gauge %d after Close, want 0", stats.Queued())
			}
			s.Write(line)
			if stats.Dropped()+stats.Failed() != n+1-stats.Sent() {
				t.Fatal("a Write after Close was not counted as dropped")
			}
		})
	}
}

// Lines of the largest size while Loki does not answer: the queue stops at
// MaxQueueBytes, long before buffer lines.
func TestQueueBoundedInBytes(t *testing.T) {
	stats := new(Stats)
	s, err := New(Config{
		URL: hangingLoki(t), Labels: `{job="frontdoor"}`, BatchWait: time.Hour,
		BatchSize: 1 << 20, Buffer: 10000, Timeout: time.Minute, Stats: stats,
		ShutdownTimeout: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	line := bytes.Repeat([]byte("x"), DefaultMaxLineSize)
	for range 1000 { // 256 MiB offered
		s.Write(line)
	}
	if p := s.HeldBytes(); p > MaxQueueBytes {
		t.Fatalf("%d bytes held, want at most %d", p, MaxQueueBytes)
	}
	if q := stats.Queued(); q < MaxQueueBytes/DefaultMaxLineSize-8 || q > MaxQueueBytes/DefaultMaxLineSize+8 {
		t.Fatalf("%d lines queued, want about %d (the byte bound, not the buffer of 10000)", q, MaxQueueBytes/DefaultMaxLineSize)
	}
	if stats.Dropped() == 0 {
		t.Fatal("nothing dropped: the byte bound did not apply")
	}
}

// TestBufferBoundsLinesInFlight holds a batch in a push that never ends
// while lines keep coming: buffer bounds the lines held, those queued and
// those in the batch together, and the queue gauge never passes it.
func TestBufferBoundsLinesInFlight(t *testing.T) {
	stats := new(Stats)
	const buffer = 100
	s, err := New(Config{
		URL: hangingLoki(t), Labels: `{job="frontdoor"}`, BatchWait: 10 * time.Millisecond,
		BatchSize: 20 * len(jsonLine(0)), Buffer: buffer, Timeout: time.Minute, Stats: stats,
		ShutdownTimeout: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range buffer {
		s.Write([]byte(jsonLine(i)))
	}
	// The first batch leaves the queue for a push that hangs.
	waitFor(t, "a batch in flight", 5*time.Second, func() bool { return s.Len() < buffer })
	for i := range 1000 {
		s.Write([]byte(jsonLine(i)))
	}
	if h := s.Held(); h != buffer {
		t.Fatalf("%d lines held with a batch in flight, want the buffer's %d", h, buffer)
	}
	if q := stats.Queued(); q > buffer {
		t.Fatalf("queue gauge %d, want at most the buffer's %d", q, buffer)
	}
	if d := stats.Dropped(); d != 1000 {
		t.Fatalf("%d dropped, want the 1000 lines beyond the buffer", d)
	}
}

// TestHeldBytesCountBuffers checks that the byte bound counts the memory
// really held: each line sits in a buffer sized to it (a short line never
// keeps a large pooled buffer), and the buffers' capacity stays under the
// bound whatever the mix of line lengths.
func TestHeldBytesCountBuffers(t *testing.T) {
	s := &Shipper{}
	for i, size := range bufClasses {
		s.pools[i].New = func() any { b := make([]byte, 0, size); return &b }
	}
	for _, n := range []int{0, 1, 100, 256, 257, 1000, 5000, 70000, 300 << 10} {
		buf := s.getBuf(n)
		if c := cap(*buf); c < n || c > max(4*n, 256) {
			t.Fatalf("a %d-byte line got a buffer of %d bytes", n, c)
		}
		s.putBuf(buf)
	}
	long := s.getBuf(200 << 10)
	*long = append(*long, make([]byte, 200<<10)...)
	s.putBuf(long)
	if short := s.getBuf(100); cap(*short) > 256 {
		t.Fatalf("a short line after a long one got a %d-byte buffer", cap(*short))
	}

	const bound = 1 << 20
	stats := new(Stats)
	sh, err := New(Config{
		URL: hangingLoki(t), Labels: `{job="frontdoor"}`, BatchWait: time.Hour, BatchSize: 1 << 18,
		Buffer: 100000, Timeout: time.Minute, Stats: stats, MaxQueueBytes: bound, ShutdownTimeout: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	for i := range 3000 {
		size := 300 // mostly short lines, some near a class boundary, some long
		switch i % 10 {
		case 0:
			size = 70 << 10
		case 1:
			size = 4<<10 + 1
		}
		sh.Write(bytes.Repeat([]byte("y"), size))
		if h := sh.HeldBytes(); h > bound {
			t.Fatalf("after %d lines, %d bytes held, over the %d bound", i+1, h, bound)
		}
	}
	if stats.Dropped() == 0 {
		t.Fatal("nothing dropped: the byte bound did not apply")
	}
}

func TestCloseFlushesQueue(t *testing.T) {
	loki := newFakeLoki(t, nil)
	stats := new(Stats)
	s, err := New(Config{URL: loki.URL, Labels: `{job="frontdoor"}`, BatchWait: time.Hour, Stats: stats})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 500 {
		s.Write([]byte(jsonLine(i)))
	}
	s.Close()
	if stats.Sent() != 500 || len(loki.entries()) != 500 {
		t.Fatalf("after Close: sent %d, Loki has %d, want 500", stats.Sent(), len(loki.entries()))
	}
	s.Close() // a second Close is harmless
}

func TestTraceID(t *testing.T) {
	tests := []struct {
		name string
		line string
		want string
	}{
		{"json", `{"a":1,"trace_id":"` + tid + `"}`, tid},
		{"first bad, second good", `{"trace_id":"xyz","x":{"trace_id":"` + tid + `"}}`, tid},
		{"upper case", `{"trace_id":"` + strings.ToUpper(tid) + `"}`, ""},
		{"too short", `{"trace_id":"` + tid[:31] + `"}`, ""},
		{"too long", `{"trace_id":"` + tid + `0"}`, ""},
		{"escaped inside a value", `{"uri":"/?\"trace_id\":\"` + tid + `\""}`, ""},
		{"query string", `{"uri":"/?trace_id=` + tid + `"}`, ""},
		{"none", `{"msg":"x"}`, ""},
		{"truncated", `{"trace_id":"` + tid[:10], ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got [32]byte
			ok := TraceID([]byte(tt.line), &got)
			if ok != (tt.want != "") || (ok && string(got[:]) != tt.want) {
				t.Fatalf("TraceID = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}

func TestNewRejectsIncompleteConfig(t *testing.T) {
	if _, err := New(Config{Labels: `{job="x"}`}); err == nil {
		t.Fatal("New accepted a config without URL")
	}
	if _, err := New(Config{URL: "http://127.0.0.1:3100"}); err == nil {
		t.Fatal("New accepted a config without labels")
	}
}

// accessLine is a typical Caddy JSON access log entry.
var accessLine = []byte(`{"level":"info","ts":1763900000.123456,"logger":"http.log.access.log0","msg":"handled request","request":{"remote_ip":"127.0.0.1","remote_port":"53422","client_ip":"127.0.0.1","proto":"HTTP/1.1","method":"GET","host":"127.0.0.1:8080","uri":"/products/42?color=red","headers":{"User-Agent":["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"],"Accept":["*/*"]}},"bytes_read":0,"user_id":"","duration":0.000912,"size":57,"status":200,"resp_headers":{"Content-Type":["text/plain; charset=utf-8"],"X-Request-Id":["` + tid + `"]},"trace_id":"` + tid + `"}` + "\n")

func BenchmarkWrite(b *testing.B) {
	loki := newFakeLoki(b, nil)
	stats := new(Stats)
	s, err := New(Config{URL: loki.URL, Labels: `{job="frontdoor"}`, Buffer: 1 << 20, Stats: stats})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.SetBytes(int64(len(accessLine)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s.Write(accessLine)
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(stats.Dropped()), "dropped")
}

// BenchmarkWriteSteady is Write while the queue keeps up: lines are written
// in rounds of 1000 and the queue is drained (untimed) between rounds, so
// the line buffers come back from the pool.
func BenchmarkWriteSteady(b *testing.B) {
	// A Loki that does not decode, so that the benchmark's CPU goes to
	// the writer and the shipper.
	loki := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer loki.Close()
	stats := new(Stats)
	s, err := New(Config{URL: loki.URL, Labels: `{job="frontdoor"}`, BatchWait: time.Millisecond, BatchSize: 64 << 10, Stats: stats})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Write(accessLine)
		if i%1000 == 999 {
			b.StopTimer()
			for stats.Queued() != 0 {
				time.Sleep(100 * time.Microsecond)
			}
			b.StartTimer()
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(stats.Dropped()), "dropped")
}

// BenchmarkWriteFullQueue is Write when Loki is down and the queue is full:
// the line is dropped and counted.
func BenchmarkWriteFullQueue(b *testing.B) {
	stats := new(Stats)
	s, err := New(Config{URL: hangingLoki(b), Labels: `{job="frontdoor"}`, Buffer: 10, BatchSize: 1, Stats: stats, ShutdownTimeout: 10 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for range 100 {
		s.Write(accessLine)
	}
	b.ReportAllocs()
	for b.Loop() {
		s.Write(accessLine)
	}
}

func BenchmarkTraceID(b *testing.B) {
	var dst [32]byte
	b.ReportAllocs()
	for b.Loop() {
		if !TraceID(accessLine, &dst) {
			b.Fatal("no trace id")
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	var bt batch
	for range 2000 {
		buf := append(make([]byte, 0, len(accessLine)), accessLine...)
		e := entry{ts: time.Now().UnixNano(), line: &buf}
		e.hasTID = TraceID(accessLine, &e.tid)
		bt.entries = append(bt.entries, e)
	}
	b.SetBytes(int64(2000 * len(accessLine)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bt.encode(`{job="frontdoor"}`); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/2000, "ns/line")
}

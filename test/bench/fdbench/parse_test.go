package main

import (
	"math"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

const wrkOutput = `Running 10s test @ http://127.0.0.1:19710/
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.51ms    1.02ms  41.37ms   91.20%
    Req/Sec    25.71k     1.10k   27.38k    72.00%
  Latency Distribution
     50%    2.37ms
     75%    2.71ms
     90%    3.12ms
     99%  812.00us
  255832 requests in 10.00s, 36.35MB read
  Non-2xx or 3xx responses: 17
  Socket errors: connect 0, read 2, write 0, timeout 3
Requests/sec:  25580.21
Transfer/sec:      3.63MB
`

func TestParseWrk(t *testing.T) {
	r, err := parseWrk(wrkOutput)
	if err != nil {
		t.Fatal(err)
	}
	want := wrkResult{
		Requests: 255832, Elapsed: 10 * time.Second, RPS: 25580.21,
		P50: 2370 * time.Microsecond, P99: 812 * time.Microsecond,
		Non2xx3xx: 17, SocketErrors: 5,
	}
	if r != want {
		t.Fatalf("parseWrk = %+v, want %+v", r, want)
	}
}

func TestParseWrkIncomplete(t *testing.T) {
	tests := []struct {
		name string
		drop string
	}{
		{"no requests/sec", "Requests/sec:  25580.21\n"},
		{"no p99", "     99%  812.00us\n"},
		{"no p50", "     50%    2.37ms\n"},
		{"no request count", "  255832 requests in 10.00s, 36.35MB read\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parseWrk(strings.Replace(wrkOutput, tt.drop, "", 1)); err == nil {
				t.Fatal("want an error for an incomplete report")
			}
		})
	}
}

func TestParseWrkDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"812.00us", 812 * time.Microsecond, false},
		{"2.37ms", 2370 * time.Microsecond, false},
		{"1.50s", 1500 * time.Millisecond, false},
		{"1.00m", time.Minute, false},
		{"10.00s,", 0, true},
		{"fast", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseWrkDuration(tt.in)
			if (err != nil) != tt.err || got != tt.want {
				t.Fatalf("parseWrkDuration(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestParseStatTicks(t *testing.T) {
	tests := []struct {
		name string
		stat string
		want int64
		err  bool
	}{
		{"plain", "1234 (frontdoor) S 1 1234 1234 0 -1 4194560 5000 0 0 0 250 75 0 0 20 0 8 0 100 0 0", 325, false},
		{"spaces and parens in the name", "99 (nginx: worker (x)) S 98 98 98 0 -1 4194624 10 0 0 0 7 3 0 0 20 0 1 0 1 0 0", 10, false},
		{"short", "1 (x) S 1 2 3", 0, true},
		{"no name", "garbage", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatTicks([]byte(tt.stat))
			if (err != nil) != tt.err || got != tt.want {
				t.Fatalf("parseStatTicks = %d, %v; want %d, error %v", got, err, tt.want, tt.err)
			}
		})
	}
}

func TestParseHWM(t *testing.T) {
	status := "Name:\tfrontdoor\nVmPeak:\t 1000 kB\nVmHWM:\t   75432 kB\nVmRSS:\t 70000 kB\n"
	if got := parseHWM([]byte(status)); got != 75432 {
		t.Fatalf("parseHWM = %d, want 75432", got)
	}
	if got := parseHWM([]byte("Name:\tx\n")); got != 0 {
		t.Fatalf("parseHWM without VmHWM = %d, want 0", got)
	}
}

func TestUsageOfSelf(t *testing.T) {
	// Burn a little CPU so that the figure is not zero.
	x := 0
	for i := range 50_000_000 {
		x += i % 7
	}
	_ = x
	u, err := usageOf(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if u.CPUSeconds <= 0 || u.PeakRSSKiB <= 0 {
		t.Fatalf("usageOf(self) = %+v, want CPU and RSS above zero", u)
	}
}

func TestMedian(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"odd", []float64{3, 1, 2}, 2},
		{"even", []float64{4, 1, 3, 2}, 2.5},
		{"NaN ignored", []float64{nan, 5, 1, nan, 3}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := median(tt.in); got != tt.want {
				t.Fatalf("median(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
	if got := median([]float64{nan}); !math.IsNaN(got) {
		t.Fatalf("median of NaN only = %v, want NaN", got)
	}
}

func TestRatio(t *testing.T) {
	r := &loadReport{Runs: []run{
		{Target: "a", Round: 0, Wrk: wrkResult{RPS: 1000}},
		{Target: "b", Round: 0, Wrk: wrkResult{RPS: 900}},
		{Target: "b", Round: 1, Wrk: wrkResult{RPS: 1000}},
		{Target: "a", Round: 1, Wrk: wrkResult{RPS: 1000}},
		{Target: "a", Round: 2, Wrk: wrkResult{RPS: 2000}},
		{Target: "b", Round: 2, Wrk: wrkResult{RPS: 1900}},
	}}
	med, per := r.ratio("b", "a")
	if len(per) != 3 || per[0] != 0.9 || per[1] != 1 || per[2] != 0.95 {
		t.Fatalf("per-round ratios %v, want [0.9 1 0.95]", per)
	}
	if med != 0.95 {
		t.Fatalf("median ratio %v, want 0.95", med)
	}

	cpu := &loadReport{Runs: []run{
		{Target: "a", Round: 0, CPUPer10k: 1.0},
		{Target: "b", Round: 0, CPUPer10k: 1.25},
		{Target: "a", Round: 1, CPUPer10k: 1.2},
		{Target: "b", Round: 1, CPUPer10k: 1.2},
	}}
	cmed, cper := cpu.cpuRatio("b", "a")
	if len(cper) != 2 || cper[0] != 0.8 || cper[1] != 1 || cmed != 0.9 {
		t.Fatalf("CPU ratios %v (median %v), want [0.8 1] (0.9)", cper, cmed)
	}
}

func TestParseTraces(t *testing.T) {
	in := `File: frontdoor
Type: cpu
Duration: 10s, Total samples = 30ms ( 0.3%)
-----------+-------------------------------------------------------
      10ms   runtime.futex
             runtime.futexwakeup
             runtime.notewakeup
-----------+-------------------------------------------------------
     bytes:  512kB
      20ms   github.com/frontdoor-gateway/frontdoor/modules/throttle.(*Handler).ServeHTTP
             github.com/caddyserver/caddy/v2/modules/caddyhttp.wrapMiddleware.func1.1
-----------+-------------------------------------------------------
      1.5s   main.slow (inline)
             main.main
-----------+-------------------------------------------------------
`
	got, err := parseTraces(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d traces, want 3: %+v", len(got), got)
	}
	if got[0].Value != 0.01 || len(got[0].Stack) != 3 || got[0].Stack[0] != "runtime.futex" {
		t.Errorf("trace 0 = %+v", got[0])
	}
	if got[1].Value != 0.02 || got[1].Stack[0] != "github.com/frontdoor-gateway/frontdoor/modules/throttle.(*Handler).ServeHTTP" {
		t.Errorf("trace 1 = %+v", got[1])
	}
	if got[2].Value != 1.5 || got[2].Stack[0] != "main.slow" || got[2].Stack[1] != "main.main" {
		t.Errorf("trace 2 = %+v", got[2])
	}

	counts, err := parseTraces(strings.NewReader("-----------+---\n     4096   runtime.malg\n             runtime.newproc1\n"))
	if err != nil || len(counts) != 1 || counts[0].Value != 4096 {
		t.Fatalf("object-count trace = %+v, %v", counts, err)
	}
}

func TestFrontdoorPackage(t *testing.T) {
	tests := []struct{ fn, want string }{
		{"github.com/frontdoor-gateway/frontdoor/modules/throttle.(*Handler).ServeHTTP", "modules/throttle"},
		{"github.com/frontdoor-gateway/frontdoor/modules/internal/limiter.(*Memory).Allow.func1", "modules/internal/limiter"},
		{"github.com/frontdoor-gateway/frontdoor/geoip.(*Reader).Lookup", "geoip"},
		{"github.com/caddyserver/caddy/v2/modules/caddyhttp.(*Server).ServeHTTP", ""},
		{"runtime.mallocgc", ""},
	}
	for _, tt := range tests {
		t.Run(tt.fn, func(t *testing.T) {
			if got := frontdoorPackage(tt.fn); got != tt.want {
				t.Fatalf("frontdoorPackage(%q) = %q, want %q", tt.fn, got, tt.want)
			}
		})
	}
}

func TestOwnerOf(t *testing.T) {
	const (
		fdThrottle = "github.com/frontdoor-gateway/frontdoor/modules/throttle.(*Handler).ServeHTTP"
		fdTrace    = "github.com/frontdoor-gateway/frontdoor/modules/traceid.(*Handler).ServeHTTP"
		next       = "github.com/caddyserver/caddy/v2/modules/caddyhttp.wrapMiddleware.func1.1"
		proxy      = "github.com/caddyserver/caddy/v2/modules/caddyhttp/reverseproxy.(*Handler).ServeHTTP"
		server     = "github.com/caddyserver/caddy/v2/modules/caddyhttp.(*Server).ServeHTTP"
		conn       = "net/http.(*conn).serve"
	)
	tests := []struct {
		name  string
		stack []string
		want  string
	}{
		{"frontdoor handler's own work", []string{"runtime.mallocgc", fdThrottle, next, server, conn}, "frontdoor modules/throttle"},
		{"nearest frontdoor package wins", []string{"runtime.mallocgc", fdThrottle, next, fdTrace, next, server}, "frontdoor modules/throttle"},
		{"a later handler is not the frontdoor one's cost", []string{"runtime.mallocgc", proxy, next, fdTrace, next, server, conn}, "Caddy reverse_proxy and upstream connections"},
		{"access log", []string{"runtime.mallocgc", "go.uber.org/zap/zapcore.(*jsonEncoder).AppendString", server, conn}, "Caddy access log (zap encoder, log writers)"},
		{"GC", []string{"runtime.scanobject", "runtime.gcDrain", "runtime.gcBgMarkWorker"}, "Go runtime: GC background"},
		{"client connection", []string{"syscall.Syscall", "net/http.(*connReader).Read", conn}, "net/http server: client connections"},
		{"unknown", []string{"main.main"}, "other"},
		{"the wrapped writer's work under a frontdoor wrapper", []string{"syscall.write", "net/http.(*response).Write", "github.com/frontdoor-gateway/frontdoor/modules/traceid.(*requestIDWriter).Write", proxy, next, fdTrace, next, server, conn}, "Caddy reverse_proxy and upstream connections"},
		{"a frontdoor wrapper's own allocation", []string{"runtime.mallocgc", "github.com/frontdoor-gateway/frontdoor/modules/traceid.(*requestIDWriter).WriteHeader", proxy, next, fdTrace}, "frontdoor modules/traceid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := ownerOf(tt.stack); got != tt.want {
				t.Fatalf("ownerOf = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseBench(t *testing.T) {
	out := `goos: linux
goarch: amd64
pkg: github.com/frontdoor-gateway/frontdoor/geoip
cpu: AMD EPYC
BenchmarkLookup/v4-2         	29036524	        41.25 ns/op	       0 B/op	       0 allocs/op
BenchmarkReload-2   	     100	  10000000 ns/op	  24.50 MB/s	 5000 B/op	      12 allocs/op
PASS
ok  	github.com/frontdoor-gateway/frontdoor/geoip	3.1s
pkg: github.com/frontdoor-gateway/frontdoor/modules/throttle
BenchmarkServeHTTP-2   	 1000000	      1234 ns/op	     96 B/op	       2 allocs/op
BenchmarkBroken-2   	--- FAIL: BenchmarkBroken
ok  	github.com/frontdoor-gateway/frontdoor/modules/throttle	2.0s
`
	got, err := parseBench(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d results, want 3: %+v", len(got), got)
	}
	if g := got[0]; g.Package != modulePath+"geoip" || g.Name != "BenchmarkLookup/v4-2" || g.NsPerOp != 41.25 || g.AllocsPerOp != 0 {
		t.Errorf("result 0 = %+v", g)
	}
	if g := got[1]; g.BytesPerOp != 5000 || g.AllocsPerOp != 12 || len(g.Extra) != 1 || g.Extra[0] != "24.50 MB/s" {
		t.Errorf("result 1 = %+v", g)
	}
	if g := got[2]; g.Package != modulePath+"modules/throttle" || g.NsPerOp != 1234 || g.BytesPerOp != 96 || g.AllocsPerOp != 2 {
		t.Errorf("result 2 = %+v", g)
	}
}

func TestParseReceiverCount(t *testing.T) {
	tests := []struct {
		name, body string
		want       int64
	}{
		{"value", `{"n":"12345"}` + "\n", 12345},
		{"empty", ``, -1},
		{"no count", `{"n":""}`, -1},
		{"garbage", `not json`, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseReceiverCount(strings.NewReader(tt.body)); got != tt.want {
				t.Fatalf("parseReceiverCount = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestFindBench(t *testing.T) {
	results := []benchResult{
		{Name: "BenchmarkChain/bare-2", AllocsPerOp: 69, Extra: []string{"7000 cpu-ns/op"}},
		{Name: "BenchmarkChain/bare+log-2", AllocsPerOp: 82},
		{Name: "BenchmarkChain/all", AllocsPerOp: 87, Extra: []string{"9500 cpu-ns/op"}},
	}
	tests := []struct {
		name string
		want float64
		ok   bool
	}{
		{"BenchmarkChain/bare", 69, true},
		{"BenchmarkChain/bare+log", 82, true},
		{"BenchmarkChain/all", 87, true},
		{"BenchmarkChain/none", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := findBench(results, tt.name)
			if ok != tt.ok || r.AllocsPerOp != tt.want {
				t.Fatalf("findBench(%q) = %v, %v; want %v, %v", tt.name, r.AllocsPerOp, ok, tt.want, tt.ok)
			}
		})
	}
	out := microMarkdown(results, microOptions{Bench: ".", Benchtime: "1s"})
	if !strings.Contains(out, "(in-process chain, all - bare): 18 allocations") || !strings.Contains(out, "(2500 ns of CPU time)") {
		t.Fatalf("no added-allocations line in:\n%s", out)
	}
}

func TestLokiSink(t *testing.T) {
	stop, err := startLokiSink(19795)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	tests := []struct {
		method, path string
		want         int
	}{
		{http.MethodPost, "/loki/api/v1/push", http.StatusNoContent},
		{http.MethodGet, "/loki/api/v1/push", http.StatusNotFound},
		{http.MethodPost, "/other", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, "http://127.0.0.1:19795"+tt.path, strings.NewReader("x"))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

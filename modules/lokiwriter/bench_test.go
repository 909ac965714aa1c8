package lokiwriter

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/caddyserver/caddy/v2/caddytest"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/loki"
	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// okLoki accepts every push without decoding it.
func okLoki(b *testing.B) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(srv.Close)
	return srv.URL
}

// BenchmarkAccessLogEntry is the cost of one access log entry shaped like
// Caddy's (same fields, same JSON encoder settings) for each output:
// discard (Caddy replaces the core by a no-op), encode-only (JSON encoding
// written to io.Discard, what stdout costs minus the syscall) and loki
// (encoding plus the queue).
func BenchmarkAccessLogEntry(b *testing.B) {
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080/products/42?color=red", nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36")
	req.Header.Set("Accept", "*/*")
	respHeader := http.Header{"Content-Type": {"text/plain; charset=utf-8"}, "X-Request-Id": {"4bf92f3577b34da6a3ce929d0e0e4736"}}
	encCfg := zap.NewProductionEncoderConfig()
	encCfg.TimeKey = "ts"

	stats := new(loki.Stats)
	shipper, err := loki.New(loki.Config{URL: okLoki(b), Labels: `{job="bench"}`, BatchWait: time.Millisecond, BatchSize: 64 << 10, Stats: stats})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { shipper.Close() })

	for _, bc := range []struct {
		name string
		core zapcore.Core
	}{
		{"discard", zapcore.NewNopCore()},
		{"encode-only", zapcore.NewCore(zapcore.NewJSONEncoder(encCfg), zapcore.AddSync(io.Discard), zap.InfoLevel)},
		{"loki", zapcore.NewCore(zapcore.NewJSONEncoder(encCfg), zapcore.AddSync(shipper), zap.InfoLevel)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			logger := zap.New(bc.core).Named("http.log.access.log0")
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if ce := logger.Check(zap.InfoLevel, "handled request"); ce != nil {
					ce.Write(
						zap.Object("request", caddyhttp.LoggableHTTPRequest{Request: req}),
						zap.Int("bytes_read", 0),
						zap.String("user_id", ""),
						zap.Duration("duration", 912*time.Microsecond),
						zap.Int("size", 57),
						zap.Int("status", 200),
						zap.Object("resp_headers", caddyhttp.LoggableHTTPHeader{Header: respHeader}),
						zap.String("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"),
					)
				}
				// Let the queue drain (untimed) so that what is measured
				// is a request's cost, not a full queue's.
				if bc.name == "loki" && i%1000 == 999 {
					b.StopTimer()
					for stats.Queued() != 0 {
						time.Sleep(100 * time.Microsecond)
					}
					b.StartTimer()
				}
			}
			b.StopTimer()
			if bc.name == "loki" {
				b.ReportMetric(float64(stats.Dropped()), "dropped")
			}
		})
	}
}

// BenchmarkGatewayRequest is a whole request through the in-process
// gateway (trace_id + respond) with its access log sent to discard or to
// Loki (a local listener that accepts every push). The difference is the
// per-request cost of the Loki writer.
func BenchmarkGatewayRequest(b *testing.B) {
	harness.Long(b, "starts a Caddy server in the test process")
	tc := caddytest.NewTester(b).WithDefaultOverrides(caddytest.Config{AdminPort: adminPort})
	tc.InitServer(fmt.Sprintf(`{
	admin localhost:2314
	auto_https off
}

http://127.0.0.1:19420 {
	bind 127.0.0.1
	trace_id
	log {
		output discard
	}
	respond "ok"
}

http://127.0.0.1:19421 {
	bind 127.0.0.1
	trace_id
	log {
		output loki %s {
			label site bench
			buffer 100000
		}
		format json
	}
	respond "ok"
}

http://127.0.0.1:19402 {
	bind 127.0.0.1
	metrics /metrics
}
`, okLoki(b)), "caddyfile")
	b.Cleanup(func() { loadConfig(b, plainConfig) })

	for _, bc := range []struct{ name, url string }{
		{"discard", "http://127.0.0.1:19420/products/42?color=red"},
		{"loki", "http://127.0.0.1:19421/products/42?color=red"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			transport := &http.Transport{MaxIdleConnsPerHost: 64}
			defer transport.CloseIdleConnections()
			c := &http.Client{Transport: transport}
			_, dropped0, _, _ := lokiMetrics(b)
			b.ReportAllocs()
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := c.Get(bc.url)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
			b.StopTimer()
			_, dropped, _, _ := lokiMetrics(b)
			b.ReportMetric(dropped-dropped0, "dropped")
		})
	}
}

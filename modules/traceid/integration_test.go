package traceid

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// Ports of this package's in-process Caddy: admin 2319, sites 19860-19869.
const tracingConfig = `{
	admin localhost:2319
	auto_https off
	servers {
		trusted_proxies static 10.0.0.0/8
	}
}

# tracing first, in a route that keeps the written order.
http://127.0.0.1:19860 {
	bind 127.0.0.1
	route {
		tracing
		trace_id
		respond "id={header.X-Request-Id} tp={header.Traceparent}"
	}
}

http://127.0.0.1:19861 {
	bind 127.0.0.1
	route {
		tracing
		trace_id {
			trust_incoming never
		}
		respond "id={header.X-Request-Id}"
	}
}

# The default order: trace_id runs before tracing, whatever the written order.
http://127.0.0.1:19862 {
	bind 127.0.0.1
	tracing
	trace_id
	respond "id={header.X-Request-Id} tp={header.Traceparent}"
}
`

// TestTrustWithCaddyTracing runs Caddy's tracing directive next to
// trace_id and sends an untrusted client's traceparent: the trace id that
// reaches the upstream, the response and the log is never the client's,
// whether tracing runs first (in a route) or not, and trust_incoming
// never holds too.
func TestTrustWithCaddyTracing(t *testing.T) {
	harness.Long(t, "starts a Caddy server in the test process")
	// No OpenTelemetry collector: the exporter's failures stay in the
	// background.
	t.Setenv("OTEL_TRACES_EXPORTER", "none")
	tc := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{AdminPort: 2319, LoadRequestTimeout: 30 * time.Second})
	tc.InitServer(tracingConfig, "caddyfile")

	const clientID = "0af7651916cd43dd8448eb211c80319c"
	clientParent := "00-" + clientID + "-b7ad6b7169203331-01"
	for _, url := range []string{"http://127.0.0.1:19860/", "http://127.0.0.1:19861/", "http://127.0.0.1:19862/"} {
		t.Run(url, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("Traceparent", clientParent)
			resp, err := tc.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			id := resp.Header.Get("X-Request-Id")
			if !hexID.MatchString(id) || id == clientID {
				t.Fatalf("X-Request-Id %q: want a new trace id, not the client's %s", id, clientID)
			}
			if string(body[:35]) != "id="+id {
				t.Fatalf("upstream saw %q, want X-Request-Id %s", body, id)
			}
		})
	}
}

package chain

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/frontdoor-gateway/frontdoor/modules"
	"github.com/frontdoor-gateway/frontdoor/test/harness/cputime"
)

// sitePort is the (never dialed) port of the benchmark site; the package's
// ports are 19780-19789.
const sitePort = "19781"

// features are the route lines of each frontdoor feature, as in
// test/bench/configs/frontdoor.Caddyfile, with the module each needs.
var features = []struct {
	name, module, directive string
}{
	{"trace_id", "http.handlers.trace_id", "trace_id"},
	{"visitor_info", "http.handlers.visitor_info", "visitor_info"},
	{"maintenance", "http.handlers.maintenance", "maintenance bench"},
	{"throttle", "http.handlers.throttle", "throttle bench {\n\t\t\trate 1000000r/s\n\t\t\tburst 1000\n\t\t}"},
	{"visitor_redirect", "http.handlers.visitor_redirect", "visitor_redirect {\n\t\t\tcountry KR https://www.example.com/ko{uri}\n\t\t}"},
}

// Access logs of a variant, each written to /dev/null (not to the discard
// writer: Caddy skips encoding for it).
const (
	noLog        = ""
	caddyLog     = "log"        // Caddy's log, format json
	accessLogFmt = "access_log" // frontdoor's access_log (fast_json)
)

// caddyfile is a site whose route holds the given directives, then
// `respond`, with the access log given.
func caddyfile(storage string, accessLog string, directives ...string) string {
	var b strings.Builder
	b.WriteString("{\n\tadmin off\n\tauto_https off\n\tpersist_config off\n")
	b.WriteString("\tstorage file_system " + storage + "\n\tlog {\n\t\tlevel ERROR\n\t}\n\tgeoip\n")
	b.WriteString("\tservers {\n\t\ttrusted_proxies static 127.0.0.1/32\n\t\tclient_ip_headers X-Forwarded-For\n\t}\n}\n\n")
	b.WriteString("http://127.0.0.1:" + sitePort + " {\n\tbind 127.0.0.1\n")
	switch accessLog {
	case caddyLog:
		b.WriteString("\tlog {\n\t\toutput file /dev/null {\n\t\t\troll_disabled\n\t\t}\n\t\tformat json\n\t}\n")
	case accessLogFmt:
		b.WriteString("\taccess_log {\n\t\toutput file /dev/null {\n\t\t\troll_disabled\n\t\t}\n\t}\n")
	}
	b.WriteString("\troute {\n")
	for _, d := range directives {
		b.WriteString("\t\t" + d + "\n")
	}
	b.WriteString("\t\trespond \"ok\" 200\n\t}\n}\n")
	return b.String()
}

// load runs the Caddyfile in this process and returns its HTTP server.
func load(tb testing.TB, cf string) http.Handler {
	tb.Helper()
	cfgJSON, warnings, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cf), nil)
	if err != nil {
		tb.Fatalf("adapting:\n%s\n%v", cf, err)
	}
	for _, w := range warnings {
		tb.Logf("adapt warning: %s", w)
	}
	if err := caddy.Load(cfgJSON, true); err != nil {
		tb.Fatalf("loading:\n%s\n%v", cf, err)
	}
	tb.Cleanup(func() { _ = caddy.Stop() })
	app, err := caddy.ActiveContext().App("http")
	if err != nil {
		tb.Fatal(err)
	}
	for _, srv := range app.(*caddyhttp.App).Servers {
		return srv
	}
	tb.Fatal("no HTTP server in the config")
	return nil
}

// discardWriter is a ResponseWriter that keeps only the status and reuses
// its header map, so that the benchmark counts the handlers' allocations.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }

// request is a desktop browser's GET forwarded by a trusted load balancer,
// as fdbench sends it.
type request struct {
	r       *http.Request
	headers map[string][]string
}

func newRequest() *request {
	r, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+sitePort+"/", nil)
	r.RemoteAddr = "127.0.0.1:40000"
	r.RequestURI = "/"
	return &request{r: r, headers: map[string][]string{
		"X-Forwarded-For": {"81.2.69.160"},
		"User-Agent":      {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"},
		"Accept":          {"text/html,application/xhtml+xml"},
	}}
}

// reset restores the request headers the handlers changed, reusing the map.
func (q *request) reset() *http.Request {
	clear(q.r.Header)
	for k, v := range q.headers {
		q.r.Header[k] = v
	}
	return q.r
}

func missing(directives []string) string {
	for _, f := range features {
		for _, d := range directives {
			if d == f.directive {
				if _, err := caddy.GetModule(f.module); err != nil {
					return f.module
				}
			}
		}
	}
	return ""
}

func allDirectives() []string {
	var out []string
	for _, f := range features {
		out = append(out, f.directive)
	}
	return out
}

type variant struct {
	name       string
	accessLog  string
	directives []string
}

func variants() []variant {
	vs := []variant{{name: "bare"}}
	for _, f := range features {
		vs = append(vs, variant{name: f.name, directives: []string{f.directive}})
	}
	vs = append(vs,
		variant{name: "all", directives: allDirectives()},
		variant{name: "bare+log", accessLog: caddyLog},
		variant{name: "all+log", accessLog: caddyLog, directives: allDirectives()},
		variant{name: "bare+access_log", accessLog: accessLogFmt},
		variant{name: "all+access_log", accessLog: accessLogFmt, directives: allDirectives()},
	)
	return vs
}

func storageDir(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "storage")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// TestChain checks that every variant the benchmarks run answers 200 and
// that the all-features chain did its work.
func TestChain(t *testing.T) {
	for _, v := range variants() {
		t.Run(v.name, func(t *testing.T) {
			if m := missing(v.directives); m != "" {
				t.Fatalf("module %s is not registered in this build", m)
			}
			srv := load(t, caddyfile(storageDir(t), v.accessLog, v.directives...))
			q := newRequest()
			w := &discardWriter{h: http.Header{}}
			srv.ServeHTTP(w, q.reset())
			if w.status != 0 && w.status != http.StatusOK {
				t.Fatalf("status %d, want 200", w.status)
			}
			if v.name == "all" && w.h.Get("X-Request-Id") == "" {
				t.Fatalf("no X-Request-Id in the response of the all-features chain: %v", w.h)
			}
			if v.name == "all" && q.r.Header.Get("X-Geo-Country") != "GB" {
				t.Fatalf("request X-Geo-Country %q, want GB", q.r.Header.Get("X-Geo-Country"))
			}
		})
	}
}

// BenchmarkChain serves one request per iteration through each variant.
// allocs/op of a variant minus that of "bare" is what its features add.
func BenchmarkChain(b *testing.B) {
	for _, v := range variants() {
		b.Run(v.name, func(b *testing.B) {
			if m := missing(v.directives); m != "" {
				b.Fatalf("module %s is not registered in this build", m)
			}
			srv := load(b, caddyfile(storageDir(b), v.accessLog, v.directives...))
			q := newRequest()
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			cpu0 := cputime.Now()
			for b.Loop() {
				clear(w.h)
				srv.ServeHTTP(w, q.reset())
			}
			// Process CPU time per request: on a busy machine, wall-clock
			// ns/op also counts the time other processes ran.
			cputime.Report(b, cpu0)
		})
	}
}

package dashboards_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang/snappy"
	"github.com/grafana/loki/pkg/push"
	"gopkg.in/yaml.v3"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// Ports of the frontdoor process under test (this package's range).
const (
	adminPort    = 19500
	shopPort     = 19510
	brandPort    = 19511
	metricsPort  = 19519
	upstreamPort = 19520
	deadPort     = 19529 // nothing listens: requests proxied there fail with 502
)

// The frontdoor modules the proof config uses, by Caddy module ID.
const (
	modLoki        = "caddy.logging.writers.loki"
	modTraceID     = "http.handlers.trace_id"
	modVisitorInfo = "http.handlers.visitor_info"
	modRedirect    = "http.handlers.visitor_redirect"
	modThrottle    = "http.handlers.throttle"
	modMaintenance = "http.handlers.maintenance"
	modWaitingRoom = "http.handlers.waiting_room"
)

var allModules = []string{modLoki, modTraceID, modVisitorInfo, modRedirect, modThrottle, modMaintenance, modWaitingRoom}

// Visitors by country (embedded GeoIP database) and device type.
var (
	visitorIPs = []string{"8.8.8.8", "1.1.1.1", "133.242.0.1", "211.234.0.1", "81.2.69.142", "85.214.132.117", "200.160.2.3", "41.0.0.1"}
	userAgents = map[string]string{
		"mobile":  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
		"tablet":  "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
		"desktop": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
		"bot":     "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"tv":      "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36",
	}
	maintenanceAllowedIP = "85.214.132.117"
	burstIP              = "41.0.0.1"
)

// TestDashboardsHaveData is the proof: a real Prometheus and a real
// receiver of the Loki push protocol (VictoriaLogs) on loopback, frontdoor
// with every feature, mixed traffic, and then
//   - every PromQL panel query of the dashboards, with Grafana's variables
//     and macros substituted, run against Prometheus: a query that errors
//     or returns no data fails the test; every stat panel has a value on a
//     healthy gateway, before any error, limit or maintenance;
//   - every LogQL query checked against what the writer really sent (the
//     pushes are captured on their way to VictoriaLogs): each stream
//     label, structured-metadata key and JSON field it names exists, and
//     no metric is grouped by a per-request value;
//   - the trace explorer's question (every line of one request, from both
//     sites it went through) answered by VictoriaLogs;
//   - the alert rules loaded and evaluated by Prometheus.
func TestDashboardsHaveData(t *testing.T) {
	harness.Long(t, "starts VictoriaLogs, Prometheus and frontdoor (about a minute)")
	root := harness.RepoRoot(t)
	dashboards := loadDashboards(t)
	bin := buildFrontdoor(t, root)
	modules := listModules(t, bin)
	for _, m := range allModules {
		if !modules[m] {
			t.Fatalf("%s is not in this build: the dashboards need every frontdoor module", m)
		}
	}

	vl := harness.VictoriaLogs(t)
	capture := newPushCapture(t, vl.PushURL())
	prom := harness.Prometheus(t, prometheusConfig(t, root))

	dir := t.TempDir()
	caddyfile := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(caddyfile, []byte(proofCaddyfile(dir, capture.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--config", caddyfile, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "XDG_DATA_HOME="+filepath.Join(dir, "data"))
	fd := harness.Start(t, "frontdoor", fmt.Sprintf("127.0.0.1:%d", metricsPort), cmd)
	harness.WaitHTTP(t, fd, fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort), 30*time.Second)

	start := time.Now()
	q := &querier{prom: "http://" + prom.Addr, start: start.Add(-time.Minute)}
	vars := map[string]string{
		"site": ".+", "country": ".*", "instance": ".+",
		"__auto": "1m", "__interval": "15s", "__rate_interval": "1m",
	}
	tr := newTraffic(t)

	// A healthy gateway: visitors only. Every stat panel shows a value
	// (a counter never incremented shows 0, not "No data").
	for range 3 {
		tr.visitors()
		time.Sleep(time.Second)
	}
	t.Run("stat panels have a value on a healthy gateway", func(t *testing.T) {
		// Prometheus scrapes every second: 10 s is many scrapes.
		deadline := time.Now().Add(10 * time.Second)
		checked := 0
		for _, d := range dashboards {
			for _, p := range d.queryPanels() {
				if p.Type != "stat" || p.Datasource.Type != "prometheus" {
					continue
				}
				for _, tg := range p.Targets {
					vars["__range"] = fmt.Sprintf("%ds", int(time.Since(q.start).Seconds())+60)
					expr, err := substitute(tg.Expr, vars)
					if err != nil {
						t.Fatal(err)
					}
					res, err := q.poll(expr, tg.instant(), deadline)
					switch {
					case err == nil:
					case res.queried && p.FieldConfig.Defaults.NoValue != nil:
						// No event yet: the panel shows its noValue.
						t.Logf("%s / %s: no data yet, shows %q", d.Title, p.Title, *p.FieldConfig.Defaults.NoValue)
					default:
						t.Errorf("%s / %s [%s] on a healthy gateway: %v\n  query: %s", d.Title, p.Title, tg.RefID, err, expr)
					}
					checked++
				}
			}
		}
		if checked == 0 {
			t.Fatal("no Prometheus stat panel")
		}
	})

	traceID := tr.rest(modules)

	// Data arrives asynchronously (Prometheus scrapes every second): each
	// query is retried until it has data or the deadline.
	deadline := time.Now().Add(60 * time.Second)
	var report []string
	failed := 0
	for _, d := range dashboards {
		for _, p := range d.queryPanels() {
			if p.Datasource.Type != "prometheus" {
				continue
			}
			for _, tg := range p.Targets {
				name := fmt.Sprintf("%s / %s [%s]", d.Title, p.Title, tg.RefID)
				vars["__range"] = fmt.Sprintf("%ds", int(time.Since(q.start).Seconds())+60)
				expr, err := substitute(tg.Expr, vars)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					failed++
					continue
				}
				res, err := q.poll(expr, tg.instant(), deadline)
				if err != nil {
					failed++
					t.Errorf("%s: %v\n  query: %s", name, err, expr)
					continue
				}
				report = append(report, fmt.Sprintf("ok  %s: %s", name, res.summary))
			}
		}
	}
	for _, line := range report {
		t.Log(line)
	}
	t.Logf("%d PromQL panel queries: %d failed", len(report)+failed, failed)

	// Every line frontdoor logged reaches the receiver.
	capture.waitSettled(t, 10*time.Second)
	pushed := capture.lines()
	if got := vl.WaitCount(t, `_stream:{job="frontdoor"}`, pushed, 20*time.Second); got != pushed {
		t.Errorf("VictoriaLogs holds %d lines, the writer pushed %d", got, pushed)
	}

	t.Run("LogQL names what the writer sends", func(t *testing.T) {
		checkLogQLNames(t, dashboards, capture.vocabulary(t))
	})
	t.Run("variables", func(t *testing.T) {
		sites := capture.labelValues("site")
		for _, want := range []string{"shop", "brand"} {
			if !contains(sites, want) {
				t.Errorf("the site variable's values %v lack %q", sites, want)
			}
		}
		var streams []string
		waitFor(t, "stream field names", 10*time.Second, func() bool {
			streams = vl.StreamFieldNames(t, `_stream:{job="frontdoor"}`)
			return len(streams) > 0
		})
		if !contains(streams, "site") || contains(streams, "trace_id") {
			t.Errorf("stream fields %v: want site, and trace_id only as structured metadata", streams)
		}
		if n := q.promSeries(t, `up{job="frontdoor"}`); n == 0 {
			t.Error(`the instance variable's query up{job="frontdoor"} finds no series`)
		}
	})
	t.Run("trace explorer shows every line of a request", func(t *testing.T) {
		rows := vl.Query(t, "trace_id:="+traceID)
		var sites []string
		for _, r := range rows {
			site := strings.TrimSuffix(strings.TrimPrefix(r["_stream"], `{job="frontdoor",site="`), `"}`)
			if !contains(sites, site) {
				sites = append(sites, site)
			}
		}
		sort.Strings(sites)
		if len(rows) != 2 || strings.Join(sites, ",") != "brand,shop" {
			t.Errorf("trace %s went through shop and then brand; VictoriaLogs holds %d lines from sites %v", traceID, len(rows), sites)
		}
	})
	t.Run("alert rules load in Prometheus", func(t *testing.T) {
		q.checkRules(t, countAlertRules(t, root), time.Now().Add(30*time.Second))
	})
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// countAlertRules counts the alert rules of configs/prometheus/alerts.yml.
func countAlertRules(t *testing.T, root string) int {
	t.Helper()
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	readYAML(t, filepath.Join(root, "configs", "prometheus", "alerts.yml"), &rules)
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				n++
			}
		}
	}
	return n
}

// pushCapture sits between frontdoor's Loki writer and VictoriaLogs: it
// decodes every push (snappy, protobuf) to learn what the writer really
// sends, and forwards the body unchanged.
type pushCapture struct {
	*httptest.Server
	mu       sync.Mutex
	streams  map[string]map[string]string // stream labels text -> parsed labels
	metadata map[string]bool
	raw      []string // lines
	inFlight int
}

func newPushCapture(t *testing.T, upstream string) *pushCapture {
	t.Helper()
	c := &pushCapture{streams: map[string]map[string]string{}, metadata: map[string]bool{}}
	client := &http.Client{Timeout: 30 * time.Second}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.inFlight++
		c.mu.Unlock()
		defer func() {
			c.mu.Lock()
			c.inFlight--
			c.mu.Unlock()
		}()
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		raw, err := snappy.Decode(nil, body)
		if err != nil {
			t.Errorf("push body is not snappy: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var req push.PushRequest
		if err := req.Unmarshal(raw); err != nil {
			t.Errorf("push body is not a PushRequest: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fwd, _ := http.NewRequest(http.MethodPost, upstream, bytes.NewReader(body))
		fwd.Header = r.Header.Clone()
		resp, err := client.Do(fwd)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 == 2 {
			c.mu.Lock()
			for _, st := range req.Streams {
				labels, err := parseStreamLabels(st.Labels)
				if err != nil {
					t.Errorf("stream labels %q: %v", st.Labels, err)
				}
				c.streams[st.Labels] = labels
				for _, e := range st.Entries {
					c.raw = append(c.raw, e.Line)
					for _, md := range e.StructuredMetadata {
						c.metadata[md.Name] = true
					}
				}
			}
			c.mu.Unlock()
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(answer)
	}))
	t.Cleanup(c.Close)
	return c
}

// waitSettled waits until no line has arrived for two seconds (the
// writers' batch_wait is 200 ms) and no push is in flight.
func (c *pushCapture) waitSettled(t *testing.T, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last, since := -1, time.Now()
	for time.Now().Before(deadline) {
		c.mu.Lock()
		n, busy := len(c.raw), c.inFlight
		c.mu.Unlock()
		if n != last || busy > 0 {
			last, since = n, time.Now()
		} else if time.Since(since) > 2*time.Second {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the writer kept pushing for %s", timeout)
}

func (c *pushCapture) lines() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.raw)
}

func (c *pushCapture) labelValues(name string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, labels := range c.streams {
		if v, ok := labels[name]; ok && !contains(out, v) {
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

func (c *pushCapture) vocabulary(t *testing.T) *vocabulary {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	v := newVocabulary()
	for _, labels := range c.streams {
		for k := range labels {
			v.streamLabels[k] = true
		}
	}
	for k := range c.metadata {
		v.metadata[k] = true
	}
	for _, line := range c.raw {
		if err := v.addLine(line); err != nil {
			t.Error(err)
		}
	}
	return v
}

// parseStreamLabels parses a Loki stream selector as the writer sends it:
// {name="value", ...}.
func parseStreamLabels(s string) (map[string]string, error) {
	out := map[string]string{}
	rest := strings.TrimSpace(s)
	if !strings.HasPrefix(rest, "{") || !strings.HasSuffix(rest, "}") {
		return nil, fmt.Errorf("not a {...} selector")
	}
	rest = strings.TrimSpace(rest[1 : len(rest)-1])
	for rest != "" {
		name, after, ok := strings.Cut(rest, "=")
		if !ok {
			return nil, fmt.Errorf("no = in %q", rest)
		}
		name = strings.TrimSpace(name)
		after = strings.TrimSpace(after)
		value, err := strconv.QuotedPrefix(after)
		if err != nil {
			return nil, fmt.Errorf("value of %s: %v", name, err)
		}
		out[name], _ = strconv.Unquote(value)
		rest = strings.TrimPrefix(strings.TrimSpace(after[len(value):]), ",")
		rest = strings.TrimSpace(rest)
	}
	return out, nil
}

var macroRe = regexp.MustCompile(`\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))`)

// substitute replaces Grafana variables and macros ($name, ${name}) with
// values, as Grafana does before it sends a query.
func substitute(expr string, vars map[string]string) (string, error) {
	var missing []string
	out := macroRe.ReplaceAllStringFunc(expr, func(m string) string {
		sub := macroRe.FindStringSubmatch(m)
		name := sub[1] + sub[2]
		v, ok := vars[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("no value for $%s", strings.Join(missing, ", $"))
	}
	return out, nil
}

func TestMain(m *testing.M) { harness.Main(m) }

// buildFrontdoor returns the frontdoor binary the proof runs.
func buildFrontdoor(t *testing.T, _ string) string { return harness.FrontdoorBinary(t) }

func listModules(t *testing.T, bin string) map[string]bool {
	t.Helper()
	out, err := exec.Command(bin, "list-modules").Output()
	if err != nil {
		t.Fatalf("frontdoor list-modules: %v", err)
	}
	m := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		m[strings.TrimSpace(line)] = true
	}
	return m
}

// prometheusConfig is configs/prometheus/prometheus.yml pointed at the
// frontdoor under test, scraping every second, with the real alert rules.
func prometheusConfig(t *testing.T, root string) string {
	t.Helper()
	var cfg map[string]any
	readYAML(t, filepath.Join(root, "configs", "prometheus", "prometheus.yml"), &cfg)
	global := cfg["global"].(map[string]any)
	global["scrape_interval"], global["evaluation_interval"] = "1s", "1s"
	cfg["rule_files"] = []string{filepath.Join(root, "configs", "prometheus", "alerts.yml")}
	scrapes := cfg["scrape_configs"].([]any)
	if len(scrapes) != 1 {
		t.Fatalf("prometheus.yml: want one scrape config, got %d", len(scrapes))
	}
	job := scrapes[0].(map[string]any)
	if job["job_name"] != "frontdoor" {
		t.Fatalf("prometheus.yml: job_name %v, want frontdoor (the dashboards and alerts select on it)", job["job_name"])
	}
	job["static_configs"] = []map[string]any{{"targets": []string{fmt.Sprintf("127.0.0.1:%d", metricsPort)}}}
	b, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// proofCaddyfile is a two-site frontdoor config with every frontdoor
// module: logs shipped to pushURL, trace ids, visitor info and redirects,
// throttling, maintenance.
func proofCaddyfile(dir, pushURL string) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("{")
	w("\tadmin 127.0.0.1:%d", adminPort)
	w("\tauto_https off")
	w("\tstorage file_system %s", filepath.Join(dir, "storage"))
	w("\tmetrics")
	w("\tgeoip")
	w("\tservers {")
	w("\t\ttrusted_proxies static 127.0.0.1/32")
	w("\t}")
	w("}")
	site := func(name string, port int, body func()) {
		w("")
		w("http://:%d {", port)
		w("\tbind 127.0.0.1")
		w("\tlog {")
		w("\t\toutput loki %s {", pushURL)
		w("\t\t\tlabel job frontdoor")
		w("\t\t\tlabel site %s", name)
		w("\t\t\tbatch_wait 200ms")
		w("\t\t}")
		w("\t\tformat json")
		w("\t}")
		w("\troute {")
		w("\t\ttrace_id")
		w("\t\tvisitor_info")
		body()
		w("\t}")
		w("}")
	}
	site("shop", shopPort, func() {
		w("\t\tvisitor_redirect {")
		w("\t\t\tcountry JP https://jp.shop.example{uri}")
		w("\t\t}")
		w("\t\tthrottle shop {")
		w("\t\t\trate 1r/s")
		w("\t\t\tburst 10")
		w("\t\t\tmax_keys 4")
		w("\t\t}")
		w("\t\tmaintenance shop")
		w("\t\twaiting_room /queue* proof {")
		w("\t\t\tactive_users 1")
		w("\t\t\tnew_users_per_minute 600")
		w("\t\t\tsession_duration 1s")
		w("\t\t\trefresh 1s")
		w("\t\t}")
		w("\t\thandle /broken* {")
		w("\t\t\treverse_proxy 127.0.0.1:%d", deadPort)
		w("\t\t}")
		w("\t\thandle /via-brand* {")
		w("\t\t\treverse_proxy 127.0.0.1:%d", brandPort)
		w("\t\t}")
		w("\t\thandle {")
		w("\t\t\treverse_proxy 127.0.0.1:%d", upstreamPort)
		w("\t\t}")
	})
	site("brand", brandPort, func() {
		w("\t\tthrottle brand {")
		w("\t\t\trate 100r/s")
		w("\t\t\tburst 100")
		w("\t\t}")
		w("\t\tmaintenance brand {")
		w("\t\t\tallow %s/32", maintenanceAllowedIP)
		w("\t\t}")
		w("\t\treverse_proxy 127.0.0.1:%d", upstreamPort)
	})
	w("")
	w("http://:%d {", metricsPort)
	w("\tbind 127.0.0.1")
	w("\tmetrics /metrics")
	w("}")
	w("")
	w("http://:%d {", upstreamPort)
	w("\tbind 127.0.0.1")
	w("\trespond \"upstream {uri}\" 200")
	w("}")
	return b.String()
}

// traffic sends requests through frontdoor, as visitors and as trouble.
type traffic struct {
	t        *testing.T
	client   *http.Client
	statuses map[int]int
}

func newTraffic(t *testing.T) *traffic {
	return &traffic{t: t, statuses: map[int]int{}, client: &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (tr *traffic) get(port int, path, ip, ua string) *http.Response {
	t := tr.t
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d%s", port, path), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Forwarded-For", ip)
	req.Header.Set("User-Agent", ua)
	resp, err := tr.client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", req.URL, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	tr.statuses[resp.StatusCode]++
	return resp
}

// visitors sends one request from every visitor IP and device to each
// site: no error, no limit.
func (tr *traffic) visitors() {
	devices := make([]string, 0, len(userAgents))
	for d := range userAgents {
		devices = append(devices, d)
	}
	sort.Strings(devices)
	for i, ip := range visitorIPs {
		for _, d := range devices {
			tr.get(shopPort, fmt.Sprintf("/products/%d", i), ip, userAgents[d])
			tr.get(brandPort, "/", ip, userAgents[d])
		}
	}
}

// rest sends the trouble (a burst that is rate-limited, an unreachable
// upstream, the brand site in maintenance) and more visitors, and returns
// the trace ID of a request that went through the shop site and then the
// brand site.
func (tr *traffic) rest(modules map[string]bool) string {
	t := tr.t
	t.Helper()
	// A burst from one client: throttle answers 429 once the bucket is empty.
	for i := 0; i < 40; i++ {
		tr.get(shopPort, "/login", burstIP, userAgents["desktop"])
	}
	// An unreachable upstream: 502.
	for i := 0; i < 3; i++ {
		tr.get(shopPort, "/broken", "8.8.8.8", userAgents["desktop"])
	}
	// One request through two sites: both log the same trace ID.
	resp := tr.get(shopPort, "/via-brand/checkout", "1.1.1.1", userAgents["mobile"])
	traceID := resp.Header.Get("X-Request-ID")
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(traceID) {
		t.Errorf("X-Request-ID %q is not a 32-hex-digit trace id", traceID)
	}

	// Maintenance on for the brand site, switched through the admin API.
	req, err := http.NewRequest(http.MethodPut, fmt.Sprintf("http://127.0.0.1:%d/maintenance/brand", adminPort),
		strings.NewReader(`{"enabled":true,"message":"dashboard proof"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err = tr.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("PUT /maintenance/brand: %s %s", resp.Status, body)
	}
	if modules[modWaitingRoom] {
		waitingRoomTraffic(t)
	}
	for i := 0; i < 10; i++ {
		tr.get(brandPort, "/", "8.8.8.8", userAgents["desktop"])
		tr.get(brandPort, "/", maintenanceAllowedIP, userAgents["desktop"])
	}
	for round := 0; round < 2; round++ {
		time.Sleep(time.Second)
		tr.visitors()
	}

	t.Logf("traffic sent: responses by status %v", tr.statuses)
	want := map[string]int{modThrottle: http.StatusTooManyRequests, modMaintenance: http.StatusServiceUnavailable, modRedirect: http.StatusFound}
	for m, code := range want {
		if modules[m] && tr.statuses[code] == 0 {
			t.Errorf("%s is in the build but the traffic got no %d response", m, code)
		}
	}
	if tr.statuses[http.StatusBadGateway] == 0 {
		t.Error("the unreachable upstream answered no 502")
	}
	return traceID
}

// waitingRoomTraffic fills the shop's one-place waiting room: one visitor
// gets in at once, two wait, and take the place in turn as sessions end.
func waitingRoomTraffic(t *testing.T) {
	t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d/queue", shopPort)
	visitors := make([]*http.Client, 3)
	for i := range visitors {
		jar, _ := cookiejar.New(nil)
		visitors[i] = &http.Client{Timeout: 5 * time.Second, Jar: jar}
	}
	ips := []string{"8.8.8.8", "1.1.1.1", "81.2.69.142"} // one throttle bucket each
	admitted := map[int]bool{}
	deadline := time.Now().Add(15 * time.Second)
	for len(admitted) < len(visitors) && time.Now().Before(deadline) {
		for i, c := range visitors {
			if admitted[i] {
				continue // it leaves: its session ends a second later
			}
			req, err := http.NewRequest(http.MethodGet, url, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Forwarded-For", ips[i])
			resp, err := c.Do(req)
			if err != nil {
				t.Fatalf("GET %s: %v", url, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.HasPrefix(string(body), "upstream ") {
				admitted[i] = true
			}
		}
		time.Sleep(600 * time.Millisecond)
	}
	if len(admitted) != len(visitors) {
		t.Errorf("waiting room: %d of %d visitors got in within 15 s", len(admitted), len(visitors))
	}
}

type querier struct {
	prom  string
	start time.Time
}

type queryResult struct {
	queried bool // the query ran without error
	summary string
	series  []map[string]string
	total   float64 // sum of every finite value
}

// poll runs a PromQL panel query until it returns data or the deadline
// passes.
func (q *querier) poll(expr string, instant bool, deadline time.Time) (queryResult, error) {
	for {
		res, err := q.run(expr, instant)
		if err == nil || !res.queried || time.Now().After(deadline) {
			return res, err
		}
		time.Sleep(time.Second)
	}
}

func (q *querier) run(expr string, instant bool) (queryResult, error) {
	now := time.Now()
	v := url.Values{"query": {expr}}
	var endpoint string
	if instant {
		endpoint = q.prom + "/api/v1/query"
		v.Set("time", strconv.FormatInt(now.Unix(), 10))
	} else {
		endpoint = q.prom + "/api/v1/query_range"
		v.Set("start", strconv.FormatInt(q.start.Unix(), 10))
		v.Set("end", strconv.FormatInt(now.Unix(), 10))
		v.Set("step", "2")
	}
	resp, err := http.PostForm(endpoint, v)
	if err != nil {
		return queryResult{}, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return queryResult{}, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	var r struct {
		Status string `json:"status"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  []any             `json:"value"`
				Values [][]any           `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Status != "success" {
		return queryResult{}, fmt.Errorf("bad answer (%v): %.300s", err, body)
	}
	res := queryResult{queried: true}
	points, finite := 0, 0
	for _, s := range r.Data.Result {
		res.series = append(res.series, s.Metric)
		vals := s.Values
		if s.Value != nil {
			vals = append(vals, s.Value)
		}
		for _, p := range vals {
			points++
			if len(p) == 2 {
				if f, err := strconv.ParseFloat(fmt.Sprint(p[1]), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
					finite++
					res.total += f
				}
			}
		}
	}
	res.summary = fmt.Sprintf("%s, %d series, %d points", r.Data.ResultType, len(r.Data.Result), points)
	if finite == 0 {
		return res, fmt.Errorf("no data (%s)", res.summary)
	}
	return res, nil
}

func (q *querier) promSeries(t *testing.T, match string) int {
	t.Helper()
	var r struct {
		Data []map[string]string `json:"data"`
	}
	getJSON(t, q.prom+"/api/v1/series?"+url.Values{"match[]": {match}}.Encode(), &r)
	return len(r.Data)
}

// checkRules waits until Prometheus has evaluated every alert rule without
// error.
func (q *querier) checkRules(t *testing.T, want int, deadline time.Time) {
	t.Helper()
	for {
		var r struct {
			Data struct {
				Groups []struct {
					Rules []struct {
						Name      string `json:"name"`
						Health    string `json:"health"`
						LastError string `json:"lastError"`
					} `json:"rules"`
				} `json:"groups"`
			} `json:"data"`
		}
		getJSON(t, q.prom+"/api/v1/rules?type=alert", &r)
		n, ok := 0, 0
		var bad []string
		for _, g := range r.Data.Groups {
			for _, rule := range g.Rules {
				n++
				if rule.Health == "ok" {
					ok++
				} else {
					bad = append(bad, fmt.Sprintf("%s: %s %s", rule.Name, rule.Health, rule.LastError))
				}
			}
		}
		if n == want && ok == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus loaded %d alert rules (%d healthy), want %d: %v", n, ok, want, bad)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", u, resp.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

func panelByTitle(t *testing.T, d *dashboard, title string) panel {
	t.Helper()
	for _, p := range d.queryPanels() {
		if p.Title == title {
			return p
		}
	}
	t.Fatalf("%s has no panel %q", d.file, title)
	return panel{}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestComposeConfig adapts the frontdoor config that configs/compose.yaml
// runs, with this build, so `docker compose up` starts a valid gateway.
func TestComposeConfig(t *testing.T) {
	root := harness.RepoRoot(t)
	var compose struct {
		Configs map[string]struct {
			Content string `yaml:"content"`
		} `yaml:"configs"`
	}
	readYAML(t, filepath.Join(root, "configs", "compose.yaml"), &compose)
	content := compose.Configs["frontdoor-caddyfile"].Content
	if content == "" {
		t.Fatal("compose.yaml has no frontdoor-caddyfile config")
	}
	bin := buildFrontdoor(t, root)
	modules := listModules(t, bin)
	for _, m := range allModules {
		if !modules[m] {
			t.Fatalf("the compose config uses %s, which is not in this build", m)
		}
	}
	path := filepath.Join(t.TempDir(), "Caddyfile")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "adapt", "--config", path, "--adapter", "caddyfile").CombinedOutput()
	if err != nil {
		t.Fatalf("frontdoor adapt of the compose config: %v\n%s", err, out)
	}
	for _, want := range []string{`"loki"`, `"trace_id"`, `"visitor_info"`, `"throttle"`, `"maintenance"`, `"visitor_redirect"`, `"geoip"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the adapted compose config lacks %s", want)
		}
	}
}

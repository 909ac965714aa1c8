package dashboards_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

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

// A panel query with no data is a failure, unless it needs a module that is
// not in this build: then it is reported as not checked.
var queryNeeds = []struct {
	re     *regexp.Regexp
	module string
}{
	{regexp.MustCompile(`frontdoor_throttle_|status = 429`), modThrottle},
	{regexp.MustCompile(`frontdoor_maintenance_|status = 503`), modMaintenance},
	{regexp.MustCompile(`frontdoor_waiting_room_`), modWaitingRoom},
	{regexp.MustCompile(`frontdoor_visitor_|\bcountry\b|\bdevice\b`), modVisitorInfo},
	{regexp.MustCompile(`frontdoor_redirects_`), modRedirect},
	{regexp.MustCompile(`frontdoor_loki_`), modLoki},
	{regexp.MustCompile(`trace_id`), modTraceID},
}

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

// TestDashboardsHaveData is the proof: real Loki and Prometheus on
// loopback, frontdoor with every feature this build has, mixed traffic, and
// then every panel query of every dashboard, with Grafana's variables and
// macros substituted, run against Loki's or Prometheus's query API. A query
// that errors, or returns no data, fails the test.
func TestDashboardsHaveData(t *testing.T) {
	harness.Long(t, "starts Loki, Prometheus and frontdoor (about a minute)")
	root := harness.RepoRoot(t)
	dashboards := loadDashboards(t)
	bin := buildFrontdoor(t, root)
	modules := listModules(t, bin)
	var absent []string
	for _, m := range allModules {
		if !modules[m] {
			absent = append(absent, m)
		}
	}
	if len(absent) > 0 {
		t.Logf("NOT IN THIS BUILD: %s; panels that need them are reported, not failed, when they have no data", strings.Join(absent, ", "))
	}

	loki := harness.Loki(t)
	prom := harness.Prometheus(t, prometheusConfig(t, root))

	dir := t.TempDir()
	caddyfile := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(caddyfile, []byte(proofCaddyfile(dir, loki.Addr, modules)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--config", caddyfile, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, "config"), "XDG_DATA_HOME="+filepath.Join(dir, "data"))
	fd := harness.Start(t, "frontdoor", fmt.Sprintf("127.0.0.1:%d", metricsPort), cmd)
	harness.WaitHTTP(t, fd, fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort), 30*time.Second)

	start := time.Now()
	traceID := sendTraffic(t, modules)
	if !modules[modLoki] {
		// The dashboards' log queries are still checked against frontdoor's
		// real access-log lines: the test ships them to Loki itself.
		t.Logf("no Loki writer in this build: the test pushes frontdoor's access-log files to Loki")
		pushLogFiles(t, loki.Addr, dir)
	}

	vars := map[string]string{
		"site": ".+", "country": ".*", "instance": ".+", "trace_id": traceID,
		"__auto": "1m", "__interval": "15s", "__rate_interval": "1m",
	}
	q := &querier{loki: "http://" + loki.Addr, prom: "http://" + prom.Addr, start: start.Add(-time.Minute)}

	// Data arrives asynchronously (Loki batches, Prometheus scrapes every
	// second): each query is retried until it has data or the deadline.
	deadline := time.Now().Add(60 * time.Second)
	var report []string
	failed, unchecked := 0, 0
	for _, d := range dashboards {
		for _, p := range d.queryPanels() {
			for _, tg := range p.Targets {
				name := fmt.Sprintf("%s / %s [%s]", d.Title, p.Title, tg.RefID)
				vars["__range"] = fmt.Sprintf("%ds", int(time.Since(q.start).Seconds())+60)
				expr, err := substitute(tg.Expr, vars)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					failed++
					continue
				}
				res, err := q.poll(p.Datasource.Type, expr, tg.instant(), deadline)
				switch {
				case err != nil:
					if missing := neededAbsent(tg.Expr, modules); len(missing) > 0 && res.queried {
						// A panel no build can fill is a failure, not a pass.
						t.Errorf("%s: no data, needs %s (not in this build)", name, strings.Join(missing, ", "))
						unchecked++
						report = append(report, fmt.Sprintf("NOT CHECKED %s: no data, needs %s (not in this build)", name, strings.Join(missing, ", ")))
						continue
					}
					failed++
					t.Errorf("%s: %v\n  query: %s", name, err, expr)
				default:
					report = append(report, fmt.Sprintf("ok  %s: %s", name, res.summary))
					if p.Type == "table" {
						for _, col := range emptyColumns(tg.Expr, res.series, modules) {
							failed++
							t.Errorf("%s: column %q is empty in every row (wrong log field?)\n  query: %s", name, col, expr)
						}
					}
				}
			}
		}
	}
	for _, line := range report {
		t.Log(line)
	}
	t.Logf("%d panel queries: %d failed, %d not checked (module absent)", len(report)+failed, failed, unchecked)

	t.Run("variables", func(t *testing.T) {
		values := q.lokiLabelValues(t, "site", `{job="frontdoor"}`)
		for _, want := range []string{"shop", "brand"} {
			if !contains(values, want) {
				t.Errorf("the site variable's values %v lack %q", values, want)
			}
		}
		// trace_id must stay out of the stream labels (unbounded): the trace
		// dashboard filters it as structured metadata.
		labels := q.lokiLabelValues(t, "", `{job="frontdoor"}`)
		if !contains(labels, "site") || contains(labels, "trace_id") {
			t.Errorf("Loki stream labels %v: want site, and trace_id only as structured metadata", labels)
		}
		if n := q.promSeries(t, `up{job="frontdoor"}`); n == 0 {
			t.Error(`the instance variable's query up{job="frontdoor"} finds no series`)
		}
	})
	t.Run("variables filter", func(t *testing.T) {
		traffic := dashboards[0]
		cases := []struct {
			panel, label, value string
			vars                map[string]string
		}{
			// Grafana sends a multi-value selection as a regex group.
			{"Requests/s by site and status class", "site", "brand", map[string]string{"site": "(brand)"}},
			{"Top 10 countries", "country", "KR", map[string]string{"country": "KR"}},
			{"Requests by device", "device", "", map[string]string{"country": "JP|KR"}},
		}
		for _, c := range cases {
			t.Run(c.panel, func(t *testing.T) {
				if c.label != "site" && !modules[modVisitorInfo] {
					t.Fatalf("%s is not in this build", modVisitorInfo)
				}
				p := panelByTitle(t, traffic, c.panel)
				filtered := map[string]string{}
				for k, v := range vars {
					filtered[k] = v
				}
				for k, v := range c.vars {
					filtered[k] = v
				}
				expr, err := substitute(p.Targets[0].Expr, filtered)
				if err != nil {
					t.Fatal(err)
				}
				unfiltered, err := substitute(p.Targets[0].Expr, vars)
				if err != nil {
					t.Fatal(err)
				}
				all, err := q.run("loki", unfiltered, p.Targets[0].instant())
				if err != nil {
					t.Fatalf("%v\n  query: %s", err, unfiltered)
				}
				res, err := q.run("loki", expr, p.Targets[0].instant())
				if err != nil {
					t.Fatalf("%v\n  query: %s", err, expr)
				}
				for _, s := range res.series {
					if c.value != "" && s[c.label] != c.value {
						t.Errorf("with %v, a series has %s=%q: %v", c.vars, c.label, s[c.label], s)
					}
				}
				if res.total >= all.total {
					t.Errorf("with %v the panel adds up to %v, not less than %v without the filter", c.vars, res.total, all.total)
				}
			})
		}
	})
	t.Run("trace explorer shows every line of a request", func(t *testing.T) {
		if !modules[modTraceID] {
			t.Fatalf("%s is not in this build", modTraceID)
		}
		expr, err := substitute(`{job="frontdoor"} | trace_id="$trace_id"`, vars)
		if err != nil {
			t.Fatal(err)
		}
		sites := q.lokiStreamLabels(t, expr, "site")
		if !contains(sites, "shop") || !contains(sites, "brand") {
			t.Errorf("trace %s went through shop and then brand; its lines are from sites %v", traceID, sites)
		}
	})
	t.Run("alert rules load in Prometheus", func(t *testing.T) {
		q.checkRules(t, 8, time.Now().Add(30*time.Second))
	})
}

var byRe = regexp.MustCompile(`\bby \(([^)]*)\)`)

// emptyColumns lists the grouping labels of a table query (its columns) that
// no row fills, leaving out fields of modules absent from the build.
func emptyColumns(expr string, series []map[string]string, modules map[string]bool) []string {
	m := byRe.FindStringSubmatch(expr)
	if m == nil {
		return nil
	}
	fieldModule := map[string]string{"country": modVisitorInfo, "device": modVisitorInfo, "trace_id": modTraceID}
	var empty []string
	for _, col := range strings.Split(m[1], ",") {
		col = strings.TrimSpace(col)
		if mod, ok := fieldModule[col]; ok && !modules[mod] {
			continue
		}
		filled := false
		for _, s := range series {
			if s[col] != "" {
				filled = true
				break
			}
		}
		if !filled {
			empty = append(empty, col)
		}
	}
	return empty
}

// neededAbsent lists the absent modules a query needs.
func neededAbsent(expr string, modules map[string]bool) []string {
	var out []string
	for _, n := range queryNeeds {
		if n.re.MatchString(expr) && !modules[n.module] {
			out = append(out, n.module)
		}
	}
	return out
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

// proofCaddyfile is a two-site frontdoor config with every frontdoor module
// present in the build: logs to Loki (or to files without the Loki writer),
// trace ids, visitor info and redirects, throttling, maintenance.
func proofCaddyfile(dir, lokiAddr string, modules map[string]bool) string {
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
		if modules[modLoki] {
			w("\t\toutput loki http://%s {", lokiAddr)
			w("\t\t\tlabel job frontdoor")
			w("\t\t\tlabel site %s", name)
			w("\t\t\tbatch_wait 200ms")
			w("\t\t}")
		} else {
			w("\t\toutput file %s", filepath.Join(dir, name+".log"))
		}
		w("\t\tformat json")
		w("\t}")
		w("\troute {")
		if modules[modTraceID] {
			w("\t\ttrace_id")
		}
		if modules[modVisitorInfo] {
			w("\t\tvisitor_info")
		}
		body()
		w("\t}")
		w("}")
	}
	site("shop", shopPort, func() {
		if modules[modRedirect] {
			w("\t\tvisitor_redirect {")
			w("\t\t\tcountry JP https://jp.shop.example{uri}")
			w("\t\t}")
		}
		if modules[modThrottle] {
			w("\t\tthrottle shop {")
			w("\t\t\trate 1r/s")
			w("\t\t\tburst 10")
			w("\t\t\tmax_keys 4")
			w("\t\t}")
		}
		if modules[modMaintenance] {
			w("\t\tmaintenance shop")
		}
		if modules[modWaitingRoom] {
			w("\t\twaiting_room /queue* proof {")
			w("\t\t\tactive_users 1")
			w("\t\t\tnew_users_per_minute 600")
			w("\t\t\tsession_duration 1s")
			w("\t\t\trefresh 1s")
			w("\t\t}")
		}
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
		if modules[modThrottle] {
			w("\t\tthrottle brand {")
			w("\t\t\trate 100r/s")
			w("\t\t\tburst 100")
			w("\t\t}")
		}
		if modules[modMaintenance] {
			w("\t\tmaintenance brand {")
			w("\t\t\tallow %s/32", maintenanceAllowedIP)
			w("\t\t}")
		}
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

// sendTraffic sends mixed traffic through frontdoor and returns the trace ID
// of a request that went through the shop site and then the brand site.
func sendTraffic(t *testing.T, modules map[string]bool) string {
	t.Helper()
	client := &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	statuses := map[int]int{}
	get := func(port int, path, ip, ua string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d%s", port, path), nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Forwarded-For", ip)
		req.Header.Set("User-Agent", ua)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", req.URL, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		statuses[resp.StatusCode]++
		return resp
	}
	devices := make([]string, 0, len(userAgents))
	for d := range userAgents {
		devices = append(devices, d)
	}
	sort.Strings(devices)
	visitors := func() {
		for i, ip := range visitorIPs {
			for _, d := range devices {
				get(shopPort, fmt.Sprintf("/products/%d", i), ip, userAgents[d])
				get(brandPort, "/", ip, userAgents[d])
			}
		}
	}

	for round := 0; round < 3; round++ {
		visitors()
		time.Sleep(time.Second)
	}
	// A burst from one client: throttle answers 429 once the bucket is empty.
	for i := 0; i < 40; i++ {
		get(shopPort, "/login", burstIP, userAgents["desktop"])
	}
	// An unreachable upstream: 502.
	for i := 0; i < 3; i++ {
		get(shopPort, "/broken", "8.8.8.8", userAgents["desktop"])
	}
	// One request through two sites: both log the same trace ID.
	resp := get(shopPort, "/via-brand/checkout", "1.1.1.1", userAgents["mobile"])
	traceID := resp.Header.Get("X-Request-ID")
	if modules[modTraceID] && !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(traceID) {
		t.Errorf("X-Request-ID %q is not a 32-hex-digit trace id", traceID)
	}

	// Maintenance on for the brand site, switched through the admin API.
	if modules[modMaintenance] {
		req, err := http.NewRequest(http.MethodPut, fmt.Sprintf("http://127.0.0.1:%d/maintenance/brand", adminPort),
			strings.NewReader(`{"enabled":true,"message":"dashboard proof"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("PUT /maintenance/brand: %s %s", resp.Status, body)
		}
	}
	if modules[modWaitingRoom] {
		waitingRoomTraffic(t)
	}
	for i := 0; i < 10; i++ {
		get(brandPort, "/", "8.8.8.8", userAgents["desktop"])
		get(brandPort, "/", maintenanceAllowedIP, userAgents["desktop"])
	}
	for round := 0; round < 2; round++ {
		time.Sleep(time.Second)
		visitors()
	}

	t.Logf("traffic sent: responses by status %v", statuses)
	want := map[string]int{modThrottle: http.StatusTooManyRequests, modMaintenance: http.StatusServiceUnavailable, modRedirect: http.StatusFound}
	for m, code := range want {
		if modules[m] && statuses[code] == 0 {
			t.Errorf("%s is in the build but the traffic got no %d response", m, code)
		}
	}
	if statuses[http.StatusBadGateway] == 0 {
		t.Error("the unreachable upstream answered no 502")
	}
	if !modules[modTraceID] {
		return ""
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

// pushLogFiles ships frontdoor's JSON access-log files to Loki as the Loki
// writer would: labels job and site, trace_id as structured metadata.
func pushLogFiles(t *testing.T, lokiAddr, dir string) {
	t.Helper()
	type stream struct {
		Stream map[string]string `json:"stream"`
		Values [][]any           `json:"values"`
	}
	var streams []stream
	for _, site := range []string{"shop", "brand"} {
		f, err := os.Open(filepath.Join(dir, site+".log"))
		if err != nil {
			t.Fatal(err)
		}
		s := stream{Stream: map[string]string{"job": "frontdoor", "site": site}}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var entry struct {
				TS      float64 `json:"ts"`
				TraceID string  `json:"trace_id"`
			}
			if err := json.Unmarshal(sc.Bytes(), &entry); err != nil {
				t.Fatalf("%s.log: %v", site, err)
			}
			v := []any{strconv.FormatInt(int64(entry.TS*1e9), 10), sc.Text()}
			if entry.TraceID != "" {
				v = append(v, map[string]string{"trace_id": entry.TraceID})
			}
			s.Values = append(s.Values, v)
		}
		f.Close()
		if len(s.Values) == 0 {
			t.Fatalf("%s.log is empty", site)
		}
		streams = append(streams, s)
	}
	body, err := json.Marshal(map[string]any{"streams": streams})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post("http://"+lokiAddr+"/loki/api/v1/push", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("pushing to Loki: %s %s", resp.Status, b)
	}
}

type querier struct {
	loki, prom string
	start      time.Time
}

type queryResult struct {
	queried bool // the query ran without error
	summary string
	series  []map[string]string
	total   float64 // sum of every finite value
}

// poll runs a panel query until it returns data or the deadline passes.
func (q *querier) poll(dsType, expr string, instant bool, deadline time.Time) (queryResult, error) {
	for {
		res, err := q.run(dsType, expr, instant)
		if err == nil || !res.queried || time.Now().After(deadline) {
			return res, err
		}
		time.Sleep(time.Second)
	}
}

func (q *querier) run(dsType, expr string, instant bool) (queryResult, error) {
	now := time.Now()
	v := url.Values{"query": {expr}}
	var endpoint string
	switch dsType {
	case "loki":
		if instant {
			endpoint = q.loki + "/loki/api/v1/query"
			v.Set("time", strconv.FormatInt(now.UnixNano(), 10))
		} else {
			endpoint = q.loki + "/loki/api/v1/query_range"
			v.Set("start", strconv.FormatInt(q.start.UnixNano(), 10))
			v.Set("end", strconv.FormatInt(now.Add(time.Second).UnixNano(), 10))
			v.Set("step", "5s")
			v.Set("limit", "1000")
		}
	case "prometheus":
		if instant {
			endpoint = q.prom + "/api/v1/query"
			v.Set("time", strconv.FormatInt(now.Unix(), 10))
		} else {
			endpoint = q.prom + "/api/v1/query_range"
			v.Set("start", strconv.FormatInt(q.start.Unix(), 10))
			v.Set("end", strconv.FormatInt(now.Unix(), 10))
			v.Set("step", "2")
		}
	default:
		return queryResult{}, fmt.Errorf("unknown data source type %q", dsType)
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
				Stream map[string]string `json:"stream"`
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
		if s.Metric != nil {
			res.series = append(res.series, s.Metric)
		} else {
			res.series = append(res.series, s.Stream)
		}
		vals := s.Values
		if s.Value != nil {
			vals = append(vals, s.Value)
		}
		for _, p := range vals {
			points++
			if r.Data.ResultType == "streams" {
				finite++
				continue
			}
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

// lokiLabelValues lists a label's values, or with label "" the label names,
// of the streams the selector matches.
func (q *querier) lokiLabelValues(t *testing.T, label, selector string) []string {
	t.Helper()
	v := url.Values{"query": {selector}, "start": {strconv.FormatInt(q.start.UnixNano(), 10)}}
	var r struct {
		Data []string `json:"data"`
	}
	path := "/loki/api/v1/labels?"
	if label != "" {
		path = "/loki/api/v1/label/" + label + "/values?"
	}
	getJSON(t, q.loki+path+v.Encode(), &r)
	return r.Data
}

func (q *querier) lokiStreamLabels(t *testing.T, expr, label string) []string {
	t.Helper()
	v := url.Values{"query": {expr}, "start": {strconv.FormatInt(q.start.UnixNano(), 10)}, "limit": {"100"}}
	var r struct {
		Data struct {
			Result []struct {
				Stream map[string]string `json:"stream"`
			} `json:"result"`
		} `json:"data"`
	}
	getJSON(t, q.loki+"/loki/api/v1/query_range?"+v.Encode(), &r)
	var out []string
	for _, s := range r.Data.Result {
		if !contains(out, s.Stream[label]) {
			out = append(out, s.Stream[label])
		}
	}
	return out
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

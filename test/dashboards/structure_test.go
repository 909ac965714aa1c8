package dashboards_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// TestDashboardStructure validates every dashboard: uid, title,
// schemaVersion, unique panel ids, a data source variable and targets on
// every panel, variables that exist, and the links between dashboards.
func TestDashboardStructure(t *testing.T) {
	ds := loadDashboards(t)
	uids, titles := map[string]string{}, map[string]string{}
	for _, d := range ds {
		t.Run(d.file, func(t *testing.T) {
			for _, e := range checkDashboard(d) {
				t.Error(e)
			}
			if len(d.queryPanels()) == 0 {
				t.Error("no panels")
			}
		})
		if other, dup := uids[d.UID]; dup {
			t.Errorf("%s and %s share uid %q", other, d.file, d.UID)
		}
		if other, dup := titles[d.Title]; dup {
			t.Errorf("%s and %s share title %q", other, d.file, d.Title)
		}
		uids[d.UID], titles[d.Title] = d.file, d.Title
	}

	traffic, trace, health := ds[0], ds[1], ds[2]
	t.Run("traffic variables and trace links", func(t *testing.T) {
		for _, name := range []string{"site", "country"} {
			if traffic.variable(name) == nil {
				t.Errorf("traffic dashboard lacks the %q variable", name)
			}
		}
		link := "/d/" + trace.UID + "/"
		if n := strings.Count(string(traffic.raw), link); n < 2 {
			t.Errorf("traffic dashboard links to the trace explorer (%s) %d times, want its tables and log lines to link", link, n)
		}
		if !strings.Contains(string(traffic.raw), "var-trace_id=") {
			t.Error("traffic dashboard's trace links do not set var-trace_id")
		}
	})
	t.Run("trace variable", func(t *testing.T) {
		v := trace.variable("trace_id")
		if v == nil || v.Type != "textbox" {
			t.Fatalf("trace dashboard needs a textbox variable trace_id, has %+v", v)
		}
		for _, p := range trace.queryPanels() {
			for _, tg := range p.Targets {
				if !strings.Contains(tg.Expr, `trace_id="$trace_id"`) {
					t.Errorf("panel %q target %s does not select the trace: %s", p.Title, tg.RefID, tg.Expr)
				}
			}
		}
	})
	t.Run("health covers every metric", func(t *testing.T) {
		var exprs strings.Builder
		for _, p := range health.queryPanels() {
			for _, tg := range p.Targets {
				exprs.WriteString(tg.Expr + "\n")
			}
		}
		// DESIGN.md's metrics, Caddy's own, and the Go runtime.
		for _, m := range []string{
			"frontdoor_visitor_requests_total", "frontdoor_redirects_total",
			"frontdoor_throttle_requests_total", "frontdoor_throttle_keys", "frontdoor_throttle_evictions_total",
			"frontdoor_maintenance_enabled", "frontdoor_maintenance_responses_total",
			"frontdoor_geoip_database_build_timestamp_seconds", "frontdoor_geoip_reloads_total",
			"frontdoor_loki_entries_total", "frontdoor_loki_queue_entries",
			"frontdoor_waiting_room_active_users", "frontdoor_waiting_room_queued_users",
			"frontdoor_waiting_room_decisions_total", "frontdoor_waiting_room_wait_seconds_bucket",
			"caddy_http_requests_total", "caddy_http_request_duration_seconds_bucket",
			"go_memstats_heap_inuse_bytes",
		} {
			if !regexp.MustCompile(`\b` + m + `\b`).MatchString(exprs.String()) {
				t.Errorf("no health panel queries %s", m)
			}
		}
	})
	t.Run("traffic covers the log fields", func(t *testing.T) {
		var exprs strings.Builder
		for _, p := range traffic.queryPanels() {
			for _, tg := range p.Targets {
				exprs.WriteString(tg.Expr + "\n")
			}
		}
		for _, want := range []string{"by (site", "class", "by (country)", "by (device)", "status = 429", "status = 503",
			`request.client_ip`, "unwrap duration", "quantile_over_time(0.5,", "quantile_over_time(0.95,", "quantile_over_time(0.99,", "status >= 500"} {
			if !strings.Contains(exprs.String(), want) {
				t.Errorf("no traffic panel query contains %q", want)
			}
		}
	})
}

// TestCheckDashboardRejects proves the structure check finds each kind of
// mistake, on copies of a real dashboard.
func TestCheckDashboardRejects(t *testing.T) {
	path := filepath.Join(harness.RepoRoot(t), "dashboards", "frontdoor-traffic.json")
	cases := []struct {
		name   string
		mutate func(d *dashboard)
		want   string
	}{
		{"duplicate panel id", func(d *dashboard) { d.Panels[2].ID = d.Panels[1].ID }, "share id"},
		{"fixed datasource uid", func(d *dashboard) { d.Panels[1].Datasource = &dsRef{Type: "loki", UID: "P8E80F9AEF21F6940"} }, "not a data source variable"},
		{"datasource variable of another type", func(d *dashboard) { d.Panels[1].Datasource = &dsRef{Type: "prometheus", UID: "${loki}"} }, "not a data source variable"},
		{"no targets", func(d *dashboard) { d.Panels[1].Targets = nil }, "has no targets"},
		{"repeated refId", func(d *dashboard) { d.Panels[1].Targets = append(d.Panels[1].Targets, d.Panels[1].Targets[0]) }, "empty or repeated"},
		{"undeclared variable", func(d *dashboard) { d.Panels[1].Targets[0].Expr += ` | host="$hostname"` }, "undeclared variable $hostname"},
		{"old schema", func(d *dashboard) { d.SchemaVersion = 16 }, "schemaVersion 16"},
		{"no uid", func(d *dashboard) { d.UID = "" }, "uid"},
		{"overlap", func(d *dashboard) { d.Panels[2].GridPos = d.Panels[1].GridPos }, "overlap"},
		{"no unit", func(d *dashboard) { d.Panels[1].FieldConfig.Defaults.Unit = "" }, "has no unit"},
		{"constant fallback", func(d *dashboard) { d.Panels[1].Targets[0].Expr += " or vector(0)" }, "uses vector()"},
		{"no data instead of zero", func(d *dashboard) { d.Panels[1].FieldConfig.Defaults.NoValue = nil }, "set fieldConfig.defaults.noValue"},
	}
	if errs := checkDashboard(loadDashboard(t, path)); len(errs) != 0 {
		t.Fatalf("the unmodified dashboard has problems: %v", errs)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := loadDashboard(t, path)
			c.mutate(d)
			errs := checkDashboard(d)
			if !strings.Contains(strings.Join(errs, "\n"), c.want) {
				t.Fatalf("got %v, want a problem mentioning %q", errs, c.want)
			}
		})
	}
}

// TestProvisioning checks the Grafana provisioning files against the
// dashboards and the compose file that mounts them.
func TestProvisioning(t *testing.T) {
	root := harness.RepoRoot(t)
	var dsFile struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name     string         `yaml:"name"`
			UID      string         `yaml:"uid"`
			Type     string         `yaml:"type"`
			URL      string         `yaml:"url"`
			JSONData map[string]any `yaml:"jsonData"`
		} `yaml:"datasources"`
	}
	readYAML(t, filepath.Join(root, "configs/grafana/provisioning/datasources/frontdoor.yaml"), &dsFile)
	types := map[string]bool{}
	for _, ds := range dsFile.Datasources {
		types[ds.Type] = true
		if ds.URL == "" || ds.UID == "" {
			t.Errorf("data source %q needs a url and a uid", ds.Name)
		}
	}
	if dsFile.APIVersion != 1 || !types["loki"] || !types["prometheus"] {
		t.Errorf("datasources provisioning: apiVersion %d, types %v; want 1, loki and prometheus", dsFile.APIVersion, types)
	}
	trace := loadDashboard(t, filepath.Join(root, "dashboards", "frontdoor-trace.json"))
	raw, err := os.ReadFile(filepath.Join(root, "configs/grafana/provisioning/datasources/frontdoor.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "/d/"+trace.UID+"/") || !strings.Contains(string(raw), "var-trace_id=$${__value.raw}") {
		t.Error("the Loki data source's trace_id derived field does not link to the trace explorer (with $$ escaping)")
	}

	var provider struct {
		Providers []struct {
			Type    string `yaml:"type"`
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAML(t, filepath.Join(root, "configs/grafana/provisioning/dashboards/frontdoor.yaml"), &provider)
	if len(provider.Providers) != 1 || provider.Providers[0].Type != "file" {
		t.Fatalf("dashboard provisioning: want one file provider, got %+v", provider.Providers)
	}

	var compose struct {
		Services map[string]struct {
			Image   string   `yaml:"image"`
			Volumes []string `yaml:"volumes"`
			Build   struct {
				Context    string `yaml:"context"`
				Dockerfile string `yaml:"dockerfile"`
			} `yaml:"build"`
		} `yaml:"services"`
		Configs map[string]struct {
			Content string `yaml:"content"`
		} `yaml:"configs"`
	}
	readYAML(t, filepath.Join(root, "configs/compose.yaml"), &compose)
	for _, s := range []string{"frontdoor", "loki", "prometheus", "grafana"} {
		if _, ok := compose.Services[s]; !ok {
			t.Errorf("compose.yaml has no %q service", s)
		}
	}
	if b := compose.Services["frontdoor"].Build; b.Context == "" || b.Dockerfile == "" {
		t.Error("compose service frontdoor is not built from this checkout")
	} else if _, err := os.Stat(filepath.Join(root, "configs", b.Context, b.Dockerfile)); err != nil {
		t.Errorf("compose builds frontdoor with %s: %v", b.Dockerfile, err)
	}
	mounts := map[string]string{}
	for name, s := range compose.Services {
		for _, v := range s.Volumes {
			parts := strings.Split(v, ":")
			if len(parts) < 2 || !strings.HasPrefix(parts[0], ".") {
				continue // a named volume
			}
			host := filepath.Join(root, "configs", parts[0])
			if _, err := os.Stat(host); err != nil {
				t.Errorf("compose service %s mounts %s, which does not exist: %v", name, parts[0], err)
			}
			mounts[parts[1]] = host
		}
	}
	if got := mounts[provider.Providers[0].Options.Path]; got != filepath.Join(root, "dashboards") {
		t.Errorf("Grafana's dashboard provider reads %s, which compose mounts from %q, want the dashboards directory",
			provider.Providers[0].Options.Path, got)
	}
	if !strings.Contains(compose.Configs["frontdoor-caddyfile"].Content, "output loki http://loki:3100") {
		t.Error("the compose frontdoor config does not ship logs to the loki service")
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(false)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestDashboardTypes type-checks the dashboards against Grafana's published
// dashboard and panel types (npm @grafana/schema) with Node.js, and proves
// the check rejects fields and values Grafana would not understand.
func TestDashboardTypes(t *testing.T) {
	node := harness.LookPath(t, "node")
	dir := filepath.Join(harness.RepoRoot(t), "test", "dashboards")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@grafana", "schema", "package.json")); err != nil {
		harness.Missing(t, "@grafana/schema is not installed in test/dashboards (npm ci)")
	}
	run := func(files ...string) (string, error) {
		cmd := exec.Command(node, append([]string{"typecheck.mjs"}, files...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run(); err != nil {
		t.Fatalf("dashboards do not match @grafana/schema: %v\n%s", err, out)
	}

	src, err := os.ReadFile(filepath.Join(harness.RepoRoot(t), "dashboards", "frontdoor-health.json"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		mutate func(d map[string]any)
		want   string
	}{
		{"unknown panel field", func(d map[string]any) { panelAt(d, 1)["colour"] = "red" }, `'"colour"' does not exist`},
		{"unknown option", func(d map[string]any) { opts(d, 1)["sparkline"] = true }, `'"sparkline"' does not exist`},
		{"bad enum value", func(d map[string]any) { opts(d, 1)["colorMode"] = "rainbow" }, `"rainbow"`},
		{"unknown panel type", func(d map[string]any) { panelAt(d, 1)["type"] = "graph-legacy" }, `"graph-legacy"`},
		{"fixed datasource uid", func(d map[string]any) {
			panelAt(d, 1)["datasource"] = map[string]any{"type": "prometheus", "uid": "abc"}
		}, `"abc"`},
		{"unknown query field", func(d map[string]any) {
			panelAt(d, 1)["targets"].([]any)[0].(map[string]any)["query"] = "up"
		}, `'"query"' does not exist`},
		{"missing required option", func(d map[string]any) { delete(opts(d, 1), "reduceOptions") }, "reduceOptions"},
		{"schemaVersion as text", func(d map[string]any) { d["schemaVersion"] = "42" }, "not assignable to type 'number'"},
	}
	// One compiler run for every mutated copy: each copy's errors are
	// reported under its own file name.
	dir2 := t.TempDir()
	files := make([]string, len(cases))
	for i, c := range cases {
		var d map[string]any
		if err := json.Unmarshal(src, &d); err != nil {
			t.Fatal(err)
		}
		c.mutate(d)
		b, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		files[i] = filepath.Join(dir2, fmt.Sprintf("case%d.json", i))
		if err := os.WriteFile(files[i], b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := run(files...)
	if err == nil {
		t.Fatalf("the type check accepted every mutated dashboard:\n%s", out)
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var mine []string
			for _, line := range strings.Split(out, "\n") {
				if strings.Contains(line, fmt.Sprintf("case%d.json:", i)) {
					mine = append(mine, line)
				}
			}
			if !strings.Contains(strings.Join(mine, "\n"), c.want) {
				t.Fatalf("type check errors for this case lack %q:\n%s", c.want, strings.Join(mine, "\n"))
			}
		})
	}
}

// panelAt is the i-th top-level panel (0 is the first row of the health
// dashboard; 1 its first stat).
func panelAt(d map[string]any, i int) map[string]any {
	return d["panels"].([]any)[i].(map[string]any)
}

func opts(d map[string]any, i int) map[string]any {
	return panelAt(d, i)["options"].(map[string]any)
}

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/frontdoor-gateway/frontdoor/modules"
	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// registered lists the frontdoor modules compiled into this test binary,
// as frontdoorModules does for the frontdoor binary.
func registered() map[string]bool {
	mods := map[string]bool{}
	for _, f := range features {
		if _, err := caddy.GetModule(f.Module); err == nil {
			mods[f.Module] = true
		}
	}
	return mods
}

// The frontdoor templates must adapt and provision, for (a) and for (b)
// with every feature this build has.
func TestFrontdoorConfigs(t *testing.T) {
	has, missing := featureSet(registered())
	if len(missing) > 0 {
		t.Errorf("not in this build, so left out of (b): %s", strings.Join(missing, ", "))
	}
	configDir := filepath.Join(harness.RepoRoot(t), "test", "bench", "configs")
	tests := []struct {
		name     string
		full     bool
		tuned    bool
		log      string
		handlers []string // handler names the adapted JSON must hold
		writer   string   // log writer the adapted JSON must hold
	}{
		{"bare", false, true, "", []string{"reverse_proxy"}, ""},
		{"bare untuned", false, false, "", []string{"reverse_proxy"}, ""},
		{"all features", true, true, lokiOr(has), append(presentHandlers(has), "reverse_proxy", "subroute"), writerOf(lokiOr(has))},
		{"all features, log to /dev/null", true, true, "devnull", append(presentHandlers(has), "reverse_proxy", "subroute"), "file"},
		{"all features untuned", true, false, lokiOr(has), append(presentHandlers(has), "reverse_proxy", "subroute"), writerOf(lokiOr(has))},
		{"all features, Caddy's log", true, true, "caddy_json", append(presentHandlers(has), "reverse_proxy", "subroute"), "loki"},
		{"all features, Caddy's log with fast_json", true, true, "caddy_fast", append(presentHandlers(has), "reverse_proxy", "subroute"), "loki"},
		{"all features, no access log", true, true, "none", append(presentHandlers(has), "reverse_proxy", "subroute"), ""},
		{"all features, receiver storing lines unparsed", true, true, "loki_raw", append(presentHandlers(has), "reverse_proxy", "subroute"), "loki"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path, err := renderTemplate(configDir, "frontdoor.Caddyfile", dir, "test.Caddyfile", map[string]any{
				"Admin": 19799, "Port": 19798, "Upstream": 19797, "Dir": dir,
				"Full": tt.full, "Has": has, "LokiPort": 19796, "Tuned": tt.tuned, "Log": tt.log,
				"FastGlobal": tt.full && tt.log != "caddy_json",
			})
			if err != nil {
				t.Fatal(err)
			}
			body, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			adapted, warnings, err := caddyconfig.GetAdapter("caddyfile").Adapt(body, map[string]any{"filename": path})
			if err != nil {
				t.Fatalf("adapting:\n%s\n%v", body, err)
			}
			for _, w := range warnings {
				t.Errorf("adapt warning: %s", w)
			}
			for _, h := range tt.handlers {
				if !strings.Contains(string(adapted), `"handler":"`+h+`"`) {
					t.Errorf("adapted config has no %s handler:\n%s", h, adapted)
				}
			}
			if tt.writer != "" && !strings.Contains(string(adapted), `"output":"`+tt.writer+`"`) {
				t.Errorf("adapted config has no %s log writer:\n%s", tt.writer, adapted)
			}
			// The access log is written by access_log, or by Caddy's log
			// for the caddy_* variants, never by both.
			caddyLog := strings.Contains(string(adapted), `"logs":{"log0"`) || strings.Contains(string(adapted), `"log0":{`)
			accessLog := strings.Contains(string(adapted), `"handler":"access_log"`)
			if tt.log == "none" && (caddyLog || accessLog) {
				t.Errorf("no access log wanted: Caddy's log %v, access_log %v:\n%s", caddyLog, accessLog, adapted)
			}
			if tt.full && tt.log != "none" && (caddyLog == accessLog || caddyLog != strings.HasPrefix(tt.log, "caddy_")) {
				t.Errorf("log %q: Caddy's log %v, access_log %v:\n%s", tt.log, caddyLog, accessLog, adapted)
			}
			if raw := strings.Contains(string(adapted), "disable_message_parsing=1"); raw != (tt.log == "loki_raw") {
				t.Errorf("log %q: receiver parsing switched off %v:\n%s", tt.log, raw, adapted)
			}
			if tt.log == "caddy_fast" && strings.Count(string(adapted), `"format":"fast_json"`) != 2 {
				t.Errorf("caddy_fast: fast_json is not the format of both logs:\n%s", adapted)
			}
			if tt.tuned != strings.Contains(string(adapted), `"max_idle_conns_per_host":1024`) {
				t.Errorf("tuned=%v, but the upstream keep-alive setting says otherwise:\n%s", tt.tuned, adapted)
			}
			var cfg caddy.Config
			if err := json.Unmarshal(adapted, &cfg); err != nil {
				t.Fatal(err)
			}
			if err := caddy.Validate(&cfg); err != nil {
				t.Fatalf("provisioning:\n%s\n%v", adapted, err)
			}
		})
	}
}

// lokiOr is the access log (b) uses: Loki when the build has the writer.
func lokiOr(has map[string]bool) string {
	if has["loki"] {
		return "loki"
	}
	return "devnull"
}

// writerOf is the log writer module name of a template Log value.
func writerOf(log string) string {
	if log == "loki" {
		return "loki"
	}
	return "file"
}

func presentHandlers(has map[string]bool) []string {
	var out []string
	for _, f := range features {
		if has[f.Key] && strings.HasPrefix(f.Module, "http.handlers.") && f.Key != "access_log" {
			out = append(out, strings.TrimPrefix(f.Module, "http.handlers."))
		}
	}
	return out
}

// The nginx templates must pass nginx -t, the proxy with the geoip2 module
// and the country database frontdoor embeds.
func TestNginxConfigs(t *testing.T) {
	nginx := harness.LookPath(t, "nginx")
	if _, err := os.Stat("/usr/lib/nginx/modules/ngx_http_geoip2_module.so"); err != nil {
		harness.Missing(t, "libnginx-mod-http-geoip2 is not installed")
	}
	root := harness.RepoRoot(t)
	configDir := filepath.Join(root, "test", "bench", "configs")
	dir := t.TempDir()
	db := filepath.Join(dir, "country.mmdb")
	if err := gunzipTo(filepath.Join(root, "geoip", "data", "geo-whois-asn-country.mmdb.gz"), db); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, template string
		data           map[string]any
	}{
		{"upstream", "upstream.nginx.conf", map[string]any{"Dir": dir, "Port": 19798, "HeadersPort": 19796, "Root": os.Geteuid() == 0}},
		{"proxy", "proxy.nginx.conf", map[string]any{"Dir": dir, "Port": 19797, "Upstream": 19798,
			"Root": os.Geteuid() == 0, "CountryDB": db, "Workers": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conf, err := renderTemplate(configDir, tt.template, dir, tt.name+".conf", tt.data)
			if err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(nginx, "-t", "-q", "-p", dir, "-e", filepath.Join(dir, tt.name+"-error.log"), "-c", conf).CombinedOutput()
			if err != nil {
				body, _ := os.ReadFile(conf)
				t.Fatalf("nginx -t: %v\n%s\n%s", err, out, body)
			}
		})
	}
}

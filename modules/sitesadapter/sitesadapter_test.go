package sitesadapter

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
)

var update = flag.Bool("update", false, "rewrite the golden JSON files")

// frontdoorModules are the modules the catalog's features use. This
// package does not import them, so the tests register stand-ins under the
// same IDs: adapting only checks that a module is in the build.
var frontdoorModules = []string{
	"http.handlers.trace_id",
	"http.handlers.visitor_info",
	"http.handlers.visitor_redirect",
	"http.handlers.throttle",
	"http.handlers.maintenance",
	"http.handlers.waiting_room",
	"caddy.logging.writers.loki",
	"geoip",
	"caddy.listeners.idle_drain",
	"http.handlers.host_dispatch",
	"http.handlers.access_log",
	"caddy.logging.encoders.fast_json",
	"caddy.storage.redis",
}

type standIn struct{ id string }

func (s standIn) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: caddy.ModuleID(s.id), New: func() caddy.Module { return s }}
}

func TestMain(m *testing.M) {
	for _, id := range frontdoorModules {
		if _, err := caddy.GetModule(id); err != nil {
			caddy.RegisterModule(standIn{id})
		}
	}
	os.Exit(m.Run())
}

func adaptFile(t *testing.T, path string) ([]byte, error) {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := Adapter{}.Adapt(body, map[string]any{"filename": path})
	return out, err
}

// TestGolden adapts every testdata/golden/*.yaml catalog and compares the
// result with the .json file beside it (go test -update rewrites them).
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden catalogs: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			out, err := adaptFile(t, f)
			if err != nil {
				t.Fatalf("adapt: %v", err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, out, "", "\t"); err != nil {
				t.Fatalf("adapter output is not JSON: %v", err)
			}
			pretty.WriteByte('\n')
			want := strings.TrimSuffix(f, ".yaml") + ".json"
			if *update {
				if err := os.WriteFile(want, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			expected, err := os.ReadFile(want)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(expected, pretty.Bytes()) {
				t.Errorf("%s differs from the adapter output:\n%s", want, pretty.String())
			}
			// The same catalog adapts to the same bytes every time, so that
			// an unchanged catalog is a no-op reload.
			again, err := adaptFile(t, f)
			if err != nil || !bytes.Equal(again, out) {
				t.Errorf("second adapt differs (err %v)", err)
			}
		})
	}
}

// TestExample checks that the shipped example catalog adapts.
func TestExample(t *testing.T) {
	out, err := adaptFile(t, filepath.Join("..", "..", "configs", "sites.example.yaml"))
	if err != nil {
		t.Fatalf("configs/sites.example.yaml: %v", err)
	}
	var cfg struct {
		Apps struct {
			HTTP struct {
				Servers map[string]json.RawMessage `json:"servers"`
			} `json:"http"`
		} `json:"apps"`
	}
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"shop.localhost", "brand.localhost", "api.localhost"} {
		if !bytes.Contains(cfg.Apps.HTTP.Servers["127.0.0.1:8080"], []byte(`"`+host+`"`)) {
			t.Errorf("host %s is not served on 127.0.0.1:8080", host)
		}
	}
}

// TestTrustedProxiesStrict checks that the catalog reads X-Forwarded-For
// right to left (Caddy's trusted_proxies_strict) unless told otherwise:
// load balancers append to what the client sent.
func TestTrustedProxiesStrict(t *testing.T) {
	const site = "sites:\n  shop: {hosts: [shop.example.com], tls: off, respond: {body: ok}}\n"
	tests := []struct {
		name, catalog string
		want          float64 // trusted_proxies_strict of the server; 0 = absent
	}{
		{"default with trusted proxies", "trusted_proxies: [10.0.0.0/8]\n" + site, 1},
		{"explicitly on", "trusted_proxies: [10.0.0.0/8]\ntrusted_proxies_strict: true\n" + site, 1},
		{"opted out", "trusted_proxies: [10.0.0.0/8]\ntrusted_proxies_strict: false\n" + site, 0},
		{"no trusted proxies: nothing to read", site, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := Adapter{}.Adapt([]byte(tt.catalog), nil)
			if err != nil {
				t.Fatal(err)
			}
			var cfg struct {
				Apps struct {
					HTTP struct {
						Servers map[string]map[string]any `json:"servers"`
					} `json:"http"`
				} `json:"apps"`
			}
			if err := json.Unmarshal(out, &cfg); err != nil {
				t.Fatal(err)
			}
			if len(cfg.Apps.HTTP.Servers) == 0 {
				t.Fatalf("no servers in %s", out)
			}
			for name, srv := range cfg.Apps.HTTP.Servers {
				got, _ := srv["trusted_proxies_strict"].(float64)
				if got != tt.want {
					t.Fatalf("server %s: trusted_proxies_strict %v, want %v", name, srv["trusted_proxies_strict"], tt.want)
				}
			}
		})
	}
}

// TestInheritedBurstWarning: a site that sets its own throttle rate but
// not its burst inherits the defaults' burst, and adapting says so.
func TestInheritedBurstWarning(t *testing.T) {
	catalog := "defaults:\n  throttle: {rate: 10r/s, burst: 50}\nsites:\n" +
		"  shop:\n    hosts: [shop.example.com]\n    respond: {body: ok}\n    throttle: {rate: 1r/s}\n" +
		"  brand:\n    hosts: [brand.example.com]\n    respond: {body: ok}\n    throttle: {rate: 1r/s, burst: 1}\n" +
		"  blog:\n    hosts: [blog.example.com]\n    respond: {body: ok}\n" +
		"  api:\n    hosts: [api.example.com]\n    respond: {body: ok}\n    throttle: 20r/s\n"
	_, warnings, err := Adapter{}.Adapt([]byte(catalog), map[string]any{"filename": "sites.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 2 {
		t.Fatalf("%d warnings %v, want two: shop and api (throttle: 20r/s is a rate)", len(warnings), warnings)
	}
	w := warnings[0]
	if w.File != "sites.yaml" || w.Line != 7 || !strings.Contains(w.Message, `site "shop" sets throttle.rate and inherits throttle.burst: 50 from defaults (at sites.yaml:2)`) {
		t.Fatalf("warning %+v", w)
	}
}

// BenchmarkAdaptMany adapts catalogs of 100 and 10,000 sites (a tenth with
// wildcard hosts), each with trace_id and visitor_info from defaults and
// its own response.
func BenchmarkAdaptMany(b *testing.B) {
	for _, n := range []int{100, 10000} {
		var s strings.Builder
		s.WriteString("defaults:\n  tls: off\n  listen: [127.0.0.1:19740]\n  trace_id: true\n  visitor_info: true\nsites:\n")
		for i := range n {
			if i%10 == 9 {
				fmt.Fprintf(&s, "  s%d: {hosts: ['*.e%d.example.com'], respond: {body: s%d}}\n", i, i, i)
			} else {
				fmt.Fprintf(&s, "  s%d: {hosts: [s%d.example.com], respond: {body: s%d}}\n", i, i, i)
			}
		}
		body := []byte(s.String())
		b.Run(fmt.Sprintf("sites=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := (Adapter{}).Adapt(body, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/caddytest"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// examplePorts moves Caddyfile.example's loopback ports into this package's
// range, so the test does not clash with a `make run` on the same machine.
var examplePorts = map[string]string{
	"localhost:2019": fmt.Sprintf("localhost:%d", adminPort),
	":8080":          ":19080",
	":8081":          ":19081",
	":9001":          ":19001",
	":9002":          ":19002",
	":9180":          ":19018",
	"http_port 8080": "http_port 19080",
}

func loadExample(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(harness.RepoRoot(t), "Caddyfile.example"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(data)
	for from, to := range examplePorts {
		cfg = strings.ReplaceAll(cfg, from, to)
	}
	// Keep state (maintenance switches) out of the user's Caddy storage.
	admin := fmt.Sprintf("admin localhost:%d", adminPort)
	cfg = strings.Replace(cfg, admin, admin+"\n\tstorage file_system "+t.TempDir(), 1)
	return cfg
}

// TestExampleCaddyfile serves Caddyfile.example and gets 200 from each demo
// site through the gateway, and the metrics endpoint.
func TestExampleCaddyfile(t *testing.T) {
	harness.Long(t, "starts a Caddy server in the test process")
	tester := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{AdminPort: adminPort, LoadRequestTimeout: 60 * time.Second, TestRequestTimeout: 30 * time.Second})
	tester.InitServer(loadExample(t), "caddyfile")

	tests := []struct {
		name, url, host, want string
	}{
		{"shop by address", "http://127.0.0.1:19080/hello", "", "shop upstream: GET /hello"},
		{"shop by name", "http://127.0.0.1:19080/cart?id=1", "shop.localhost:19080", "shop upstream: GET /cart?id=1"},
		{"brand by address", "http://127.0.0.1:19081/", "", "brand upstream: GET /"},
		{"brand by name", "http://127.0.0.1:19081/about", "brand.localhost:19081", "brand upstream: GET /about"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, tt.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.host != "" {
				req.Host = tt.host
			}
			resp, err := tester.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, body %q", resp.StatusCode, body)
			}
			if !strings.Contains(string(body), tt.want) {
				t.Fatalf("body %q does not contain %q", body, tt.want)
			}
		})
	}

	resp, err := tester.Client.Get("http://127.0.0.1:19018/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`frontdoor_geoip_database_build_timestamp_seconds{database="embedded"}`,
		`frontdoor_geoip_reloads_total{result="error"} 0`,
		"caddy_http_requests_total",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestExamplesReadForwardedRightToLeft checks that every server of the
// shipped Caddyfiles that trusts proxies reads X-Forwarded-For right to
// left (trusted_proxies_strict): load balancers append to what the client
// sent, so the leftmost entries are the client's own word.
func TestExamplesReadForwardedRightToLeft(t *testing.T) {
	root := harness.RepoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, "configs", "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Configs map[string]struct {
			Content string `yaml:"content"`
		} `yaml:"configs"`
	}
	if err := yaml.Unmarshal(data, &compose); err != nil {
		t.Fatal(err)
	}
	configs := map[string]string{"Caddyfile.example": loadExample(t), "configs/compose.yaml": compose.Configs["frontdoor-caddyfile"].Content}
	for name, cfg := range configs {
		t.Run(name, func(t *testing.T) {
			out, _, err := caddyfile.Adapter{ServerType: httpcaddyfile.ServerType{}}.Adapt([]byte(cfg), nil)
			if err != nil {
				t.Fatalf("adapting: %v", err)
			}
			var c struct {
				Apps struct {
					HTTP struct {
						Servers map[string]struct {
							TrustedProxies json.RawMessage `json:"trusted_proxies"`
							Strict         int             `json:"trusted_proxies_strict"`
						} `json:"servers"`
					} `json:"http"`
				} `json:"apps"`
			}
			if err := json.Unmarshal(out, &c); err != nil {
				t.Fatal(err)
			}
			trusting := 0
			for srv, s := range c.Apps.HTTP.Servers {
				if s.TrustedProxies == nil {
					continue
				}
				trusting++
				if s.Strict == 0 {
					t.Errorf("server %s trusts proxies but reads X-Forwarded-For left to right", srv)
				}
			}
			if trusting == 0 {
				t.Fatal("no server trusts a proxy: the check checked nothing")
			}
		})
	}
}

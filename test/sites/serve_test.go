package sites

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-gateway/frontdoor/geoip"
	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

const desktopUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"

// publicIP returns an address the embedded GeoIP database places in a
// country, and that country.
func publicIP(t *testing.T) (string, string) {
	t.Helper()
	db, err := geoip.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"1.208.0.1", "211.45.1.1", "8.8.8.8", "81.2.69.142", "2.16.0.1"} {
		if c := db.Lookup(netip.MustParseAddr(s)).Country; c != "" {
			return s, c
		}
	}
	t.Fatal("the embedded database knows none of the test addresses")
	return "", ""
}

// TestCatalogServes adapts a catalog with every feature, runs it, and
// checks with real requests that each host reaches its upstream with its
// own policies; then that bad catalogs are rejected while it keeps serving.
func TestCatalogServes(t *testing.T) {
	dir := t.TempDir()
	ip, country := publicIP(t)
	catalog := writeFile(t, dir, "sites.yaml", fmt.Sprintf(`admin: %s
trusted_proxies: [127.0.0.1/32]
storage: %s
metrics: 127.0.0.1:19609
include: [sites.d/*.yaml]
defaults:
  tls: off
  listen: [127.0.0.1:19601]
  trace_id: true
  visitor_info: true
  log: {output: %s}
  headers:
    response:
      set: {X-Frame-Options: DENY}
      delete: [Server, Via]
sites:
  shop:
    hosts: [shop.localhost]
    log: {output: %s}
    upstreams:
      to: [127.0.0.1:19611, 127.0.0.1:19612]
      lb_policy: round_robin
      health_check: {path: /, interval: 1s}
    redirects:
      - country: [%s]
        to: https://cc.shop.example.com{uri}
      - device: [mobile]
        to: https://m.shop.example.com{uri}
    maintenance: {retry_after: 1m}
  brand:
    hosts: [brand.localhost]
    upstreams: [127.0.0.1:19613]
    throttle: {rate: 1r/m, burst: 2}
  tickets:
    hosts: [tickets.localhost]
    waiting_room: {active_users: 5, paths: [/book*]}
    respond:
      body: "tickets sid={http.request.header.X-Waiting-Room-Session}"
%s`, adminAddr, filepath.Join(dir, "storage"), filepath.Join(dir, "access.log"), filepath.Join(dir, "shop.log"),
		country, upstreamsSite(19611, 19612, 19613)))
	writeFile(t, dir, "sites.d/api.yaml", `sites:
  api:
    hosts: [api.localhost]
    upstreams: [127.0.0.1:19612]
    headers:
      response:
        set: {X-Api: "1"}
`)

	if out, err := frontdoorCmd(t, dir, "validate", "--config", catalog, "--adapter", "sites"); err != nil {
		t.Fatalf("validate: %v\n%s", err, out)
	}
	fd := runFrontdoor(t, catalog)
	harness.WaitHTTP(t, fd, "http://127.0.0.1:19611/", 10*time.Second)
	// The first active health check runs before the upstreams listen.
	waitHost(t, "127.0.0.1:19601", "shop.localhost", 10*time.Second)
	client := &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	const addr = "127.0.0.1:19601"
	rid := regexp.MustCompile(`rid=[0-9a-f]{32}$`)

	t.Run("each host reaches its upstreams", func(t *testing.T) {
		// An upstream whose first active health check ran before its
		// listener was up stays down until the next check (1s).
		seen := map[string]bool{}
		for deadline := time.Now().Add(3 * time.Second); !(seen["19611"] && seen["19612"]) && time.Now().Before(deadline); {
			_, body := get(t, client, addr, "shop.localhost", "/p?q=1")
			if f := strings.Fields(body); len(f) > 1 {
				seen[f[1]] = true
			}
			time.Sleep(50 * time.Millisecond)
		}
		seen = map[string]bool{}
		for range 4 {
			resp, body := get(t, client, addr, "shop.localhost", "/p?q=1")
			if resp.StatusCode != 200 || !strings.Contains(body, "/p?q=1 host=shop.localhost") {
				t.Fatalf("shop: %d %q", resp.StatusCode, body)
			}
			seen[strings.Fields(body)[1]] = true
			if resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("Server") != "" || resp.Header.Get("Via") != "" {
				t.Errorf("shop headers: %v", resp.Header)
			}
			if !rid.MatchString(body) || resp.Header.Get("X-Request-Id") == "" {
				t.Errorf("shop: no trace id upstream (%q) or in the response (%v)", body, resp.Header)
			}
		}
		if !seen["19611"] || !seen["19612"] {
			t.Errorf("round_robin did not use both upstreams: %v", seen)
		}
		resp, body := get(t, client, addr, "api.localhost", "/")
		if resp.StatusCode != 200 || !strings.HasPrefix(body, "upstream 19612 / host=api.localhost") {
			t.Errorf("api: %d %q", resp.StatusCode, body)
		}
		if resp.Header.Get("X-Api") != "1" || resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("api: site headers are not merged with the defaults: %v", resp.Header)
		}
	})

	t.Run("redirects by country and device", func(t *testing.T) {
		// A browser: HTTP libraries (Go's default User-Agent) are bots,
		// which are never redirected.
		resp, _ := get(t, client, addr, "shop.localhost", "/x?y=1", "X-Forwarded-For", ip, "User-Agent", desktopUA)
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://cc.shop.example.com/x?y=1" {
			t.Errorf("country %s (%s): %d Location %q", country, ip, resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, _ = get(t, client, addr, "shop.localhost", "/m", "User-Agent",
			"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://m.shop.example.com/m" {
			t.Errorf("mobile: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, _ = get(t, client, addr, "api.localhost", "/", "X-Forwarded-For", ip, "User-Agent", desktopUA)
		if resp.StatusCode != 200 {
			t.Errorf("api has no redirects, got %d", resp.StatusCode)
		}
		// A crawler from that country stays, and so does an HTTP library.
		for _, ua := range []string{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Go-http-client/1.1"} {
			if resp, _ = get(t, client, addr, "shop.localhost", "/x", "X-Forwarded-For", ip, "User-Agent", ua); resp.StatusCode != 200 {
				t.Errorf("%s from %s was redirected: %d %q", ua, country, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
	})

	t.Run("only the waiting room sets its session header", func(t *testing.T) {
		// The room guards /book*; a client's own header is removed on
		// every path, so an upstream can trust it.
		const forged = "X-Waiting-Room-Session"
		resp, body := get(t, client, addr, "tickets.localhost", "/static.css", forged, "forged-by-client")
		if resp.StatusCode != 200 || body != "tickets sid=" {
			t.Errorf("outside the room's paths: %d %q, want the header removed", resp.StatusCode, body)
		}
		resp, body = get(t, client, addr, "tickets.localhost", "/book", forged, "forged-by-client")
		sid, ok := strings.CutPrefix(body, "tickets sid=")
		if resp.StatusCode != 200 || !ok || len(sid) != 22 || resp.Header.Get("Set-Cookie") == "" {
			t.Errorf("an admitted visitor: %d %q %v, want the room's session id", resp.StatusCode, body, resp.Header)
		}
	})

	t.Run("throttle per site", func(t *testing.T) {
		var codes []int
		for range 3 {
			resp, _ := get(t, client, addr, "brand.localhost", "/")
			codes = append(codes, resp.StatusCode)
			if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		}
		if codes[0] != 200 || codes[1] != 200 || codes[2] != http.StatusTooManyRequests {
			t.Errorf("brand (1r/m, burst 2): %v, want [200 200 429]", codes)
		}
		if resp, _ := get(t, client, addr, "api.localhost", "/"); resp.StatusCode != 200 {
			t.Errorf("api is not throttled, got %d", resp.StatusCode)
		}
	})

	t.Run("maintenance switched through the admin API", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPut, adminURL+"/maintenance/shop", strings.NewReader(`{"enabled":true}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode/100 != 2 {
			t.Fatalf("PUT /maintenance/shop: %v %v", err, resp)
		}
		resp.Body.Close()
		if resp, _ := get(t, client, addr, "shop.localhost", "/"); resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("shop in maintenance: %d", resp.StatusCode)
		}
		if resp, _ := get(t, client, addr, "api.localhost", "/"); resp.StatusCode != 200 {
			t.Errorf("api is not in maintenance: %d", resp.StatusCode)
		}
		req, _ = http.NewRequest(http.MethodDelete, adminURL+"/maintenance/shop", nil)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode/100 != 2 {
			t.Fatalf("DELETE /maintenance/shop: %v %v", err, resp)
		}
		if resp, _ := get(t, client, addr, "shop.localhost", "/"); resp.StatusCode != 200 {
			t.Errorf("shop after maintenance: %d", resp.StatusCode)
		}
	})

	t.Run("access logs per site", func(t *testing.T) {
		time.Sleep(200 * time.Millisecond)
		shop, _ := os.ReadFile(filepath.Join(dir, "shop.log"))
		other, _ := os.ReadFile(filepath.Join(dir, "access.log"))
		if !strings.Contains(string(shop), `"host":"shop.localhost"`) || !strings.Contains(string(shop), `"trace_id":"`) {
			t.Errorf("shop.log lacks shop requests with trace ids:\n%.500s", shop)
		}
		if strings.Contains(string(shop), "api.localhost") || !strings.Contains(string(other), `"host":"api.localhost"`) {
			t.Errorf("api requests are not in access.log only")
		}
		if strings.Contains(string(other), `"host":"shop.localhost"`) || strings.Contains(string(other), "19611") {
			t.Errorf("access.log has shop requests or upstream (log: off) requests")
		}
	})

	t.Run("metrics", func(t *testing.T) {
		resp, body := get(t, client, "127.0.0.1:19609", "127.0.0.1", "/metrics")
		if resp.StatusCode != 200 || !strings.Contains(body, `frontdoor_throttle_requests_total{result="limited",zone="brand"} 1`) {
			t.Errorf("metrics lack the brand zone's rejection: %d\n%.300s", resp.StatusCode, body)
		}
	})

	t.Run("bad catalogs are rejected and the running config keeps serving", func(t *testing.T) {
		good, _ := os.ReadFile(catalog)
		bad := strings.Replace(string(good), "throttle: {rate: 1r/m, burst: 2}", "throttle: {rate: 1r/minute, burst: 2}", 1)
		code, body, err := postLoad([]byte(bad))
		if err != nil || code != http.StatusBadRequest || !strings.Contains(body, `throttle rate \"1r/minute\"`) || !regexp.MustCompile(`line \d+`).MatchString(body) {
			t.Errorf("POST /load of a bad catalog: %d %v %s", code, err, body)
		}
		badFile := writeFile(t, dir, "bad.yaml", strings.Replace(string(good), "  brand:\n", "  brand:\n    hostz: [x]\n", 1))
		out, err := frontdoorCmd(t, dir, "reload", "--config", badFile, "--adapter", "sites", "--address", adminAddr)
		if err == nil || !regexp.MustCompile(regexp.QuoteMeta(badFile)+`:\d+: brand: unknown key \\?"hostz\\?" \(did you mean \\?"hosts\\?"\?\)`).MatchString(out) {
			t.Errorf("reload of a bad catalog: %v\n%s", err, out)
		}
		if resp, _ := get(t, client, addr, "api.localhost", "/"); resp.StatusCode != 200 {
			t.Errorf("api after rejected reloads: %d", resp.StatusCode)
		}
		// And a good change through POST /load applies (a body has no
		// file name: include_base says where sites.d/ is).
		next := "include_base: " + dir + "\n" + strings.Replace(string(good), "hosts: [brand.localhost]", "hosts: [brand.localhost, brand2.localhost]", 1)
		code, body, err = postLoad([]byte(next))
		if err != nil || code != 200 {
			t.Fatalf("POST /load: %d %v %s", code, err, body)
		}
		if resp, body := get(t, client, addr, "brand2.localhost", "/"); resp.StatusCode != http.StatusTooManyRequests {
			// brand's buckets survived the reload: still empty.
			t.Errorf("brand2 (zone brand, bucket used up before the reload): %d %q", resp.StatusCode, body)
		}
	})
}

// TestExampleCatalog adapts and validates configs/sites.example.yaml with
// the binary, as the README shows.
func TestExampleCatalog(t *testing.T) {
	root := harness.RepoRoot(t)
	out, err := frontdoorCmd(t, root, "adapt", "--config", "configs/sites.example.yaml", "--adapter", "sites")
	if err != nil {
		t.Fatalf("adapt: %v\n%s", err, out)
	}
	var cfg map[string]any
	if err := json.Unmarshal([]byte(out), &cfg); err != nil {
		t.Fatalf("adapt output is not JSON: %v\n%s", err, out)
	}
	if out, err := frontdoorCmd(t, root, "validate", "--config", "configs/sites.example.yaml", "--adapter", "sites"); err != nil || !strings.Contains(out, "Valid configuration") {
		t.Fatalf("validate: %v\n%s", err, out)
	}
}

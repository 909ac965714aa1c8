package sites

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-gateway/frontdoor/geoip"
)

// TestAppendedForwardedChain sends what a load balancer that appends to
// X-Forwarded-For (AWS ALB, nginx $proxy_add_x_forwarded_for, Cloudflare)
// passes on: the client's own X-Forwarded-For, then the address the load
// balancer saw. With the catalog's default (trusted_proxies_strict), every
// feature uses the appended address, never the client's word: the country,
// the throttle key, the maintenance allow-list and the access log.
func TestAppendedForwardedChain(t *testing.T) {
	db, err := geoip.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	const realIP, spoofed = "168.126.63.1", "8.8.8.8" // the client, and what it claims
	realCountry := db.Lookup(netip.MustParseAddr(realIP)).Country
	spoofedCountry := db.Lookup(netip.MustParseAddr(spoofed)).Country
	if realCountry == "" || spoofedCountry == "" || realCountry == spoofedCountry {
		t.Fatalf("test addresses: %s is %q, %s is %q; want two known, different countries", realIP, realCountry, spoofed, spoofedCountry)
	}

	dir := t.TempDir()
	logFile := filepath.Join(dir, "access.log")
	catalog := writeFile(t, dir, "sites.yaml", fmt.Sprintf(`admin: %s
trusted_proxies: [127.0.0.1/32]
storage: %s
defaults:
  tls: off
  listen: [127.0.0.1:19651]
  visitor_info: true
  log: {output: %s}
sites:
  shop:
    hosts: [shop.localhost]
    upstreams: [127.0.0.1:19652]
    throttle: {rate: 1r/m, burst: 2}
  closed:
    hosts: [closed.localhost]
    upstreams: [127.0.0.1:19652]
    maintenance: {enabled: true, allow: [10.0.0.0/8]}
%s`, adminAddr, filepath.Join(dir, "storage"), logFile, strings.Replace(upstreamsSite(19652),
		`body: "upstream`, `body: "country={http.request.header.X-Geo-Country} upstream`, 1)))

	runFrontdoor(t, catalog)
	waitHost(t, "127.0.0.1:19651", "shop.localhost", 10*time.Second)
	client := &http.Client{Timeout: 5 * time.Second}
	const addr = "127.0.0.1:19651"
	// The client sent "X-Forwarded-For: <its claim>"; the load balancer
	// (127.0.0.1, trusted) appended the address it saw.
	chain := func(claim string) string { return claim + ", " + realIP }

	t.Run("country", func(t *testing.T) {
		// Throttle allows 2; this is the first request of realIP.
		resp, body := get(t, client, addr, "shop.localhost", "/country", "X-Forwarded-For", chain(spoofed))
		if resp.StatusCode != 200 || !strings.HasPrefix(body, "country="+realCountry+" ") {
			t.Fatalf("%d %q: want the country of %s (%s), not the claimed %s (%s)", resp.StatusCode, body, realIP, realCountry, spoofed, spoofedCountry)
		}
	})
	t.Run("throttle key", func(t *testing.T) {
		// A new leftmost entry for every request: one client all the same.
		limited := 0
		for i := range 6 {
			resp, _ := get(t, client, addr, "shop.localhost", "/login", "X-Forwarded-For", chain(fmt.Sprintf("198.51.100.%d", i+1)))
			if resp.StatusCode == http.StatusTooManyRequests {
				limited++
			}
		}
		// Burst 2, one used by the country check: 5 of these 6 are limited.
		if limited != 5 {
			t.Fatalf("%d of 6 requests with rotating claims limited, want 5 (one client, burst 2)", limited)
		}
	})
	t.Run("maintenance allow-list", func(t *testing.T) {
		resp, _ := get(t, client, addr, "closed.localhost", "/", "X-Forwarded-For", chain("10.0.0.1"))
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("a client claiming 10.0.0.1 got %d, want 503: the allow-list must see %s", resp.StatusCode, realIP)
		}
		// From inside the allowed range, through the same load balancer.
		resp, _ = get(t, client, addr, "closed.localhost", "/", "X-Forwarded-For", "10.0.0.1")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("an allowed client got %d, want 200", resp.StatusCode)
		}
	})
	t.Run("access log", func(t *testing.T) {
		var ips []string
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			ips = loggedClientIPs(t, logFile, "/country")
			if len(ips) > 0 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if len(ips) != 1 || ips[0] != realIP {
			t.Fatalf("access log client_ip %v for /country, want [%s]", ips, realIP)
		}
	})
}

// loggedClientIPs returns request.client_ip of the access-log lines for uri.
func loggedClientIPs(t *testing.T, path, uri string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e struct {
			Request struct {
				URI      string `json:"uri"`
				ClientIP string `json:"client_ip"`
			} `json:"request"`
		}
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Request.URI == uri {
			out = append(out, e.Request.ClientIP)
		}
	}
	return out
}

// TestLimitsCoverEveryRequest sends a burst from one Korean client to a
// site that redirects Korean visitors and limits each client to 20r/s
// (burst 20): the limit applies to the redirects too, as nginx's limit_req
// runs before return, and a maintenance page is limited the same way.
func TestLimitsCoverEveryRequest(t *testing.T) {
	const korean = "168.126.63.1"
	dir := t.TempDir()
	catalog := writeFile(t, dir, "sites.yaml", fmt.Sprintf(`admin: %s
trusted_proxies: [127.0.0.1/32]
storage: %s
defaults:
  tls: off
  listen: [127.0.0.1:19656]
  throttle: {rate: 20r/s, burst: 20}
sites:
  shop:
    hosts: [shop.localhost]
    upstreams: [127.0.0.1:19657]
    redirects:
      - {country: [KR], to: "https://kr.example.com{uri}"}
  closed:
    hosts: [closed.localhost]
    upstreams: [127.0.0.1:19657]
    maintenance: {enabled: true}
%s`, adminAddr, filepath.Join(dir, "storage"), upstreamsSite(19657)))
	runFrontdoor(t, catalog)
	waitHost(t, "127.0.0.1:19656", "shop.localhost", 10*time.Second)
	client := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, c := range []struct {
		host string
		want int
	}{{"shop.localhost", http.StatusFound}, {"closed.localhost", http.StatusServiceUnavailable}} {
		counts := map[int]int{}
		start := time.Now()
		for range 200 {
			resp, _ := get(t, client, "127.0.0.1:19656", c.host, "/", "X-Forwarded-For", korean, "User-Agent", desktopUA)
			counts[resp.StatusCode]++
		}
		elapsed := time.Since(start)
		// 20 in the burst, plus 20 a second for as long as it took.
		most := 20 + int(elapsed.Seconds()*20) + 1
		if counts[c.want] > most || counts[http.StatusTooManyRequests] == 0 {
			t.Errorf("%s: 200 requests in %v from one client under 20r/s: %v; want at most %d answered %d, the rest 429",
				c.host, elapsed, counts, most, c.want)
		}
		if counts[c.want] < 20 {
			t.Errorf("%s: only %d answered %d: the burst of 20 should pass", c.host, counts[c.want], c.want)
		}
	}
}

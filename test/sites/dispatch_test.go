package sites

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHostDispatch runs a catalog of 2,000 sites (exact names, wildcard
// names, a catch-all on a second listener, a site with its own
// certificate on HTTPS) and checks through real HTTP that each request
// reaches the site Caddy's host matcher would pick, that unknown hosts get
// the unknown_hosts answer, that each site's requests are in its own log
// and only there, and that Caddy still manages the HTTPS site's
// certificate and redirects HTTP to it (it finds the names in the route
// the catalog adds after host_dispatch). Ports 19661-19664.
func TestHostDispatch(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	fmt.Fprintf(&b, `admin: %s
storage: %s
http_port: 19663
https_port: 19664
unknown_hosts: 421
defaults:
  tls: off
  listen: [127.0.0.1:19661]
  log: {output: %s}
sites:
  shop:
    hosts: [shop.localhost, www.shop.localhost]
    respond: {body: shop}
    log: {output: %s}
  events:
    hosts: ["*.events.localhost"]
    respond: {body: "events {http.request.host}"}
    log: {output: %s}
  quiet: {hosts: [quiet.localhost], respond: {body: quiet}, log: off}
  fallback: {hosts: ["*"], listen: [127.0.0.1:19662], respond: {body: catch-all}}
  secure: {hosts: [secure.localhost], tls: internal, listen: [127.0.0.1:19664], respond: {body: secure}, log: off}
`, adminAddr, filepath.Join(dir, "storage"), filepath.Join(dir, "default.log"), filepath.Join(dir, "shop.log"), filepath.Join(dir, "events.log"))
	for i := range 1800 {
		fmt.Fprintf(&b, "  g%d: {hosts: [g%d.localhost], respond: {body: g%d}, log: off}\n", i, i, i)
	}
	for i := range 200 {
		fmt.Fprintf(&b, "  w%d: {hosts: [\"*.w%d.localhost\"], respond: {body: w%d}, log: off}\n", i, i, i)
	}
	runFrontdoor(t, writeFile(t, dir, "sites.yaml", b.String()))
	waitHost(t, "127.0.0.1:19661", "shop.localhost", 10*time.Second)

	client := &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	for _, c := range []struct {
		addr, host, want string
	}{
		{"127.0.0.1:19661", "shop.localhost", "200 shop"},
		{"127.0.0.1:19661", "SHOP.Localhost:19661", "200 shop"},
		{"127.0.0.1:19661", "www.shop.localhost", "200 shop"},
		{"127.0.0.1:19661", "a.events.localhost", "200 events a.events.localhost"},
		{"127.0.0.1:19661", "A.Events.Localhost", "200 events A.Events.Localhost"},
		{"127.0.0.1:19661", "a.b.events.localhost", "421"}, // a wildcard label is one label
		{"127.0.0.1:19661", "events.localhost", "421"},
		{"127.0.0.1:19661", "shop.localhost.", "421"}, // as Caddy's host matcher: the dot counts
		{"127.0.0.1:19661", "quiet.localhost", "200 quiet"},
		{"127.0.0.1:19661", "g0.localhost", "200 g0"},
		{"127.0.0.1:19661", "g1799.localhost", "200 g1799"},
		{"127.0.0.1:19661", "x.w199.localhost", "200 w199"},
		{"127.0.0.1:19661", "nobody.localhost", "421"},
		{"127.0.0.1:19661", "secure.localhost", "421"}, // served on its own listener only
		{"127.0.0.1:19662", "anything.example", "200 catch-all"},
		{"127.0.0.1:19662", "shop.localhost", "200 catch-all"},
	} {
		resp, body := get(t, client, c.addr, c.host, "/")
		got := fmt.Sprint(resp.StatusCode)
		if resp.StatusCode == 200 {
			got += " " + body
		}
		if got != c.want {
			t.Errorf("%s, Host %q: %s, want %s", c.addr, c.host, got, c.want)
		}
	}

	t.Run("HTTPS site: certificate and HTTP redirect", func(t *testing.T) {
		tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: "secure.localhost"}}
		defer tr.CloseIdleConnections()
		var resp *http.Response
		var err error
		// The local CA issues the certificate in the background.
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			req, _ := http.NewRequest(http.MethodGet, "https://127.0.0.1:19664/x", nil)
			req.Host = "secure.localhost:19664"
			if resp, err = (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Do(req); err == nil || time.Now().After(deadline) {
				break
			}
		}
		if err != nil {
			t.Fatalf("HTTPS request: %v (no certificate for secure.localhost: Caddy did not see the name)", err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.TLS.PeerCertificates[0].VerifyHostname("secure.localhost") != nil {
			t.Errorf("HTTPS: %d, certificate for %v", resp.StatusCode, resp.TLS.PeerCertificates[0].DNSNames)
		}
		resp, _ = get(t, client, "127.0.0.1:19663", "secure.localhost", "/x")
		if resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != "https://secure.localhost/x" { // the https_port is left out
			t.Errorf("HTTP request for the HTTPS site: %d Location %q, want a redirect", resp.StatusCode, resp.Header.Get("Location"))
		}
	})

	t.Run("each site's requests in its own log only", func(t *testing.T) {
		time.Sleep(200 * time.Millisecond)
		hosts := func(name string) map[string]string {
			out := map[string]string{}
			data, _ := os.ReadFile(filepath.Join(dir, name))
			for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				if line == "" {
					continue
				}
				var e struct {
					Logger  string `json:"logger"`
					Request struct {
						Host string `json:"host"`
					} `json:"request"`
				}
				if err := json.Unmarshal([]byte(line), &e); err != nil {
					t.Fatalf("%s: %v: %s", name, err, line)
				}
				out[e.Request.Host] = e.Logger
			}
			return out
		}
		for file, want := range map[string]map[string]string{
			"shop.log": {
				"shop.localhost": "http.log.access.site_shop", "SHOP.Localhost:19661": "http.log.access.site_shop",
				"www.shop.localhost": "http.log.access.site_shop",
			},
			"events.log":  {"a.events.localhost": "http.log.access.site_events", "A.Events.Localhost": "http.log.access.site_events"},
			"default.log": {"anything.example": "http.log.access.site_fallback", "shop.localhost": "http.log.access.site_fallback"},
		} {
			got := hosts(file)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s holds requests (host: logger) %v, want %v", file, got, want)
			}
		}
	})
}

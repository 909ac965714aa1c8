package sites

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// TestLokiSiteLabel runs a catalog whose default log goes to a real Loki
// and checks that each site's access log arrives under its own site label.
func TestLokiSiteLabel(t *testing.T) {
	loki := harness.Loki(t)
	dir := t.TempDir()
	catalog := writeFile(t, dir, "sites.yaml", fmt.Sprintf(`admin: %s
storage: %s
defaults:
  tls: off
  listen: [127.0.0.1:19641]
  trace_id: true
  log:
    loki: http://%s
    labels: {job: frontdoor-sites-test}
    batch_wait: 200ms
sites:
  shop: {hosts: [shop.localhost], upstreams: [127.0.0.1:19642]}
  brand: {hosts: [brand.localhost], upstreams: [127.0.0.1:19642]}
%s`, adminAddr, dir+"/storage", loki.Addr, upstreamsSite(19642)))
	runFrontdoor(t, catalog)
	waitHost(t, "127.0.0.1:19641", "shop.localhost", 10*time.Second)
	client := &http.Client{Timeout: 5 * time.Second}
	for range 3 {
		get(t, client, "127.0.0.1:19641", "shop.localhost", "/from-shop")
		get(t, client, "127.0.0.1:19641", "brand.localhost", "/from-brand")
	}

	other := map[string]string{"shop": "/from-brand", "brand": "/from-shop"}
	for site, path := range map[string]string{"shop": "/from-shop", "brand": "/from-brand"} {
		query := fmt.Sprintf(`{job="frontdoor-sites-test", site=%q}`, site)
		var lines []string
		mine := 0
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			lines = lokiLines(t, loki.Addr, query)
			mine = 0
			for _, l := range lines {
				if strings.Contains(l, path) {
					mine++
				}
			}
			if mine >= 3 {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		if mine < 3 {
			t.Fatalf("%s: %d of its requests in Loki for %s", site, mine, query)
		}
		for _, l := range lines {
			if strings.Contains(l, other[site]) {
				t.Errorf("%s stream holds another site's request: %.300s", site, l)
			}
		}
	}
}

// lokiLines returns the log lines a LogQL stream selector finds.
func lokiLines(t *testing.T, addr, query string) []string {
	t.Helper()
	u := "http://" + addr + "/loki/api/v1/query_range?limit=100&since=10m&query=" + url.QueryEscape(query)
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			Result []struct {
				Values [][]any `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("Loki answer: %v", err)
	}
	var lines []string
	for _, r := range out.Data.Result {
		for _, v := range r.Values {
			if len(v) >= 2 {
				if s, ok := v[1].(string); ok {
					lines = append(lines, s)
				}
			}
		}
	}
	return lines
}

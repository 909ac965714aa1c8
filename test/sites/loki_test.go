package sites

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// TestLokiSiteLabel runs a catalog whose default log goes to a real
// receiver of the Loki push protocol (VictoriaLogs) and checks that each
// site's access log arrives under its own site label.
func TestLokiSiteLabel(t *testing.T) {
	loki := harness.VictoriaLogs(t)
	dir := t.TempDir()
	catalog := writeFile(t, dir, "sites.yaml", fmt.Sprintf(`admin: %s
storage: %s
defaults:
  tls: off
  listen: [127.0.0.1:19641]
  trace_id: true
  log:
    loki: %s
    labels: {job: frontdoor-sites-test}
    batch_wait: 200ms
sites:
  shop: {hosts: [shop.localhost], upstreams: [127.0.0.1:19642]}
  brand: {hosts: [brand.localhost], upstreams: [127.0.0.1:19642]}
%s`, adminAddr, dir+"/storage", loki.PushURL(), upstreamsSite(19642)))
	runFrontdoor(t, catalog)
	waitHost(t, "127.0.0.1:19641", "shop.localhost", 10*time.Second)
	client := &http.Client{Timeout: 5 * time.Second}
	for range 3 {
		get(t, client, "127.0.0.1:19641", "shop.localhost", "/from-shop")
		get(t, client, "127.0.0.1:19641", "brand.localhost", "/from-brand")
	}

	other := map[string]string{"shop": "/from-brand", "brand": "/from-shop"}
	for site, path := range map[string]string{"shop": "/from-shop", "brand": "/from-brand"} {
		query := fmt.Sprintf(`_stream:{job="frontdoor-sites-test",site=%q}`, site)
		var rows []map[string]string
		mine := 0
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			rows = loki.Query(t, query)
			mine = 0
			for _, r := range rows {
				if r["request.uri"] == path {
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
		for _, r := range rows {
			if r["request.uri"] == other[site] {
				t.Errorf("%s stream holds another site's request: %v", site, r)
			}
		}
	}
}

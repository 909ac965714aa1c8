package fleet

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// faultCatalog is a gateway of the fleet: one site whose rate-limit zone
// and maintenance switch live in the shared Redis, with the default
// fail-open choices (on_store_error allow, on_state_error keep).
const faultCatalog = `admin: 127.0.0.1:{{.Admin}}
storage: "{{.V.storage}}"
metrics: 127.0.0.1:{{.Metrics}}
sites:
  api:
    hosts: [api.example.com]
    listen: [127.0.0.1:{{.Site}}]
    tls: off
    respond: {body: "api {{.V.version}}"}
    headers: {response: {set: {X-Config: "{{.V.version}}"}}}
    throttle:
      zone: api
      key: "{http.request.header.X-Client}"
      rate: {{.V.rate}}r/s
      burst: {{.V.burst}}
      store: "{{.V.store}}"
    maintenance: api
`

// Load of the fault test: one client well over the fleet's limit, one
// under it; rates in requests per second over the whole fleet.
const (
	faultLimit = 50 // the zone's rate: what one gateway alone would allow
	faultBurst = 20
	heavyRate  = 150
	lightRate  = 15
)

// TestFleetUnderFaults keeps a constant load spread over three gateways
// while (a) one gateway is stopped and started, (b) Redis is stopped for
// 10 s and started again, (c) a changed config is reloaded into each
// gateway in turn. With the default fail-open choices no request gets a
// 5xx (a stopped gateway's refusals are the load balancer's to retry, and
// are counted apart); outside the Redis outage the fleet allows the heavy
// client the zone's rate, within 10% of what one gateway would; the light
// client is never limited; and afterwards a maintenance switch holds on
// every gateway.
func TestFleetUnderFaults(t *testing.T) {
	harness.Long(t, "runs three frontdoor processes and Redis under load for a minute")
	redis := harness.Redis(t)
	vars := map[string]any{"storage": "redis://" + redis.Addr + "/0", "store": "redis://" + redis.Addr + "/1", "rate": faultLimit, "burst": faultBurst, "version": "v1"}
	var fleet []*gateway
	var urls []string
	for i := range 3 {
		g := newGateway(t, fmt.Sprintf("gw%d", i+1))
		g.writeCatalog(t, faultCatalog, vars)
		fleet = append(fleet, g)
		urls = append(urls, g.siteURL())
	}
	startAll(t, fleet)

	l := newLoad(urls)
	l.setPhase("warm-up")
	l.run("heavy", heavyRate)
	l.run("light", lightRate)
	defer func() {
		select {
		case <-l.stop:
		default:
			l.halt()
		}
	}()
	time.Sleep(3 * time.Second)

	l.setPhase("steady before")
	time.Sleep(10 * time.Second)

	l.setPhase("(a) gateway stop/start")
	l.markDown(1, true)
	fleet[1].stop()
	time.Sleep(3 * time.Second)
	fleet[1].start(t)
	l.markDown(1, false)
	time.Sleep(5 * time.Second)

	l.setPhase("(b) Redis down 10 s")
	redis.Stop()
	time.Sleep(10 * time.Second)
	redis = harness.RestartRedis(t, redis)
	l.setPhase("(b) Redis back")
	time.Sleep(5 * time.Second)

	l.setPhase("(c) reload each in turn")
	vars["version"] = "v2"
	for _, g := range fleet {
		g.writeCatalog(t, faultCatalog, vars)
		g.reload(t)
		time.Sleep(2 * time.Second)
	}
	time.Sleep(2 * time.Second)

	l.setPhase("steady after")
	time.Sleep(10 * time.Second)
	l.halt()
	t.Logf("figures:\n%s", l.table())

	checkAnswered(t, l)
	if o, _ := l.result("(a) gateway stop/start", "heavy"); o.Refused == 0 {
		t.Errorf("no request met the stopped gateway: the test did not stop it")
	}
	checkFleetLimit(t, l, "steady before", "(a) gateway stop/start", "(c) reload each in turn", "steady after")
	// Fail-open while Redis was down: nobody was limited.
	if o, _ := l.result("(b) Redis down 10 s", "heavy"); o.Limited > o.Sent/10 {
		t.Errorf("Redis down: %d of %d heavy requests limited, want them let through (fail-open)", o.Limited, o.Sent)
	}

	// Each gateway runs the reloaded config and has counted the store
	// errors of the outage.
	for _, g := range fleet {
		req, _ := http.NewRequest("GET", g.siteURL(), nil)
		req.Host = "api.example.com"
		req.Header.Set("X-Client", "check")
		resp, err := client.Do(req)
		must(t, err, "%s after the faults", g.name)
		resp.Body.Close()
		if v := resp.Header.Get("X-Config"); v != "v2" {
			t.Errorf("%s serves config %q after the reloads, want v2", g.name, v)
		}
		errs := g.metric(t, "frontdoor_throttle_store_errors_total", `zone="api"`)
		t.Logf("%s: frontdoor_throttle_store_errors_total{zone=\"api\"} = %v", g.name, errs)
		if errs <= 0 {
			t.Errorf("%s counted no store error while Redis was down", g.name)
		}
		if out := g.output(); strings.Contains(out, "panic") {
			t.Errorf("%s panicked:\n%s", g.name, out)
		}
	}

	checkMaintenanceHolds(t, fleet)
}

// checkAnswered checks that no request of any phase got a 5xx, failed at a
// gateway that was up, or was refused by every gateway.
func checkAnswered(t *testing.T, l *load) {
	t.Helper()
	for _, ph := range l.order {
		if ph == "" {
			continue
		}
		for _, c := range []string{"heavy", "light"} {
			o, _ := l.result(ph, c)
			if o.ServerErr > 0 || o.Failed > 0 || o.Lost > 0 || o.Other > 0 {
				t.Errorf("%s, %s client: %d 5xx, %d failed, %d lost, %d other (codes %v): %v", ph, c, o.ServerErr, o.Failed, o.Lost, o.Other, o.Codes, o.Errors)
			}
		}
	}
}

// checkFleetLimit checks that in each phase the fleet allowed the heavy
// client the zone's rate, within 10% (what one gateway alone allows), and
// never limited the light client.
func checkFleetLimit(t *testing.T, l *load, phases ...string) {
	t.Helper()
	for _, ph := range phases {
		o, d := l.result(ph, "heavy")
		got := float64(o.OK) / d.Seconds()
		if math.Abs(got-faultLimit) > 0.1*faultLimit {
			t.Errorf("%s: the fleet allowed the heavy client %.1f r/s, want %d r/s within 10%% (one gateway's limit)", ph, got, faultLimit)
		}
		if lo, _ := l.result(ph, "light"); lo.Limited > 0 {
			t.Errorf("%s: the light client (%d r/s, under the limit) got %d 429s", ph, lightRate, lo.Limited)
		}
	}
}

// checkMaintenanceHolds switches maintenance on through the first gateway
// and off through the last: every gateway follows within 2 s.
func checkMaintenanceHolds(t *testing.T, fleet []*gateway) {
	t.Helper()
	begin := time.Now()
	if code, body := fleet[0].admin(t, "PUT", "/maintenance/api", `{"enabled":true}`); code != 200 {
		t.Fatalf("PUT /maintenance/api: %d %s", code, body)
	}
	for _, g := range fleet {
		waitFor(t, 2*time.Second-time.Since(begin), g.name+" answers 503 after the switch", func() (bool, string) {
			code, err := g.status("api.example.com")
			return err == nil && code == 503, fmt.Sprint(code, err)
		})
	}
	t.Logf("maintenance on through %s: every gateway answered 503 within %s", fleet[0].name, time.Since(begin).Round(time.Millisecond))
	last := fleet[len(fleet)-1]
	begin = time.Now()
	if code, body := last.admin(t, "DELETE", "/maintenance/api", ""); code != 200 {
		t.Fatalf("DELETE /maintenance/api: %d %s", code, body)
	}
	for _, g := range fleet {
		waitFor(t, 2*time.Second-time.Since(begin), g.name+" answers again after the switch", func() (bool, string) {
			code, err := g.status("api.example.com")
			return err == nil && code == 200, fmt.Sprint(code, err)
		})
	}
	t.Logf("maintenance off through %s: every gateway answered 200 within %s", last.name, time.Since(begin).Round(time.Millisecond))
}

package fleet

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// redisPassword is what the fleet's Redis requires; the gateways get it
// from the environment ({env.FD_REDIS_PASSWORD}) and must never show it.
const redisPassword = "Fleet-s3cret-9f2c"

// maintenanceCatalog is a gateway with two switched sites, its storage the
// shared Redis.
const maintenanceCatalog = `admin: 127.0.0.1:{{.Admin}}
storage: "redis://:{env.FD_REDIS_PASSWORD}@{{.V.redis}}/0"
metrics: 127.0.0.1:{{.Metrics}}
defaults:
  tls: off
  listen: [127.0.0.1:{{.Site}}]
sites:
  shop:
    hosts: [shop.example.com]
    respond: {body: shop}
    maintenance: shop
  blog:
    hosts: [blog.example.com]
    respond: {body: blog}
    maintenance: blog
  api:
    hosts: [api.example.com]
    respond: {body: api}
    throttle:
      rate: 1r/m
      burst: 3
      store: "redis://:{env.FD_REDIS_PASSWORD}@{{.V.redis}}/1"
`

// TestMaintenanceAcrossGateways: a switch flipped through one gateway's
// admin API holds on every gateway sharing the Redis storage (its password
// from the environment, never shown) within 2 s,
// on and off; it survives restarting all of them; with Redis down each
// keeps its last known state and says the storage fails (admin API,
// metric, one log line), and follows storage again once Redis is back.
func TestMaintenanceAcrossGateways(t *testing.T) {
	harness.Long(t, "runs three frontdoor processes on a real Redis")
	redis := harness.RedisStore(t, redisPassword)
	var fleet []*gateway
	for i := range 3 {
		g := newGateway(t, fmt.Sprintf("gw%d", i+1), "FD_REDIS_PASSWORD="+redisPassword)
		g.writeCatalog(t, maintenanceCatalog, map[string]any{"redis": redis.Addr})
		fleet = append(fleet, g)
	}
	startAll(t, fleet)

	// flip switches through one gateway and measures how long the others
	// take to follow.
	flip := func(via *gateway, method, name string, want int) {
		t.Helper()
		begin := time.Now()
		body := ""
		if method == "PUT" {
			body = `{"enabled":true,"message":"Deploying"}`
		}
		if code, b := via.admin(t, method, "/maintenance/"+name, body); code != http.StatusOK {
			t.Fatalf("%s %s /maintenance/%s: %d %s", via.name, method, name, code, b)
		}
		var wg sync.WaitGroup
		took := make([]time.Duration, len(fleet))
		for i, g := range fleet {
			wg.Add(1)
			go func() {
				defer wg.Done()
				host := name + ".example.com"
				for {
					code, err := g.status(host)
					if err == nil && code == want {
						took[i] = time.Since(begin)
						return
					}
					if time.Since(begin) > 10*time.Second {
						took[i] = -1
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
			}()
		}
		wg.Wait()
		for i, d := range took {
			if d < 0 || d > 2*time.Second {
				t.Errorf("%s %s through %s: %s answered %d after %s, want within 2s", method, name, via.name, fleet[i].name, want, d)
			}
		}
		t.Logf("%s %s through %s: every gateway answered %d within %v", method, name, via.name, want, took)
	}

	for _, g := range fleet {
		for _, host := range []string{"shop.example.com", "blog.example.com"} {
			if code, err := g.status(host); err != nil || code != 200 {
				t.Fatalf("%s %s: %d %v, want 200 before any switch", g.name, host, code, err)
			}
		}
	}
	// The throttle store takes the password from the environment too:
	// one bucket of 3 for the whole fleet.
	for i := range 4 {
		code, err := fleet[i%3].status("api.example.com")
		want := 200
		if i == 3 {
			want = 429
		}
		if err != nil || code != want {
			t.Fatalf("api request %d through %s: %d %v, want %d (a burst of 3 shared in Redis)", i+1, fleet[i%3].name, code, err, want)
		}
	}

	flip(fleet[0], "PUT", "shop", 503)
	flip(fleet[1], "DELETE", "shop", 200)
	flip(fleet[2], "PUT", "shop", 503)

	// Every gateway restarted: the switch is read from Redis at the start.
	for _, g := range fleet {
		g.stop()
	}
	startAll(t, fleet)
	for _, g := range fleet {
		if code, err := g.status("shop.example.com"); err != nil || code != 503 {
			t.Fatalf("%s after a restart of the fleet: shop %d %v, want 503 (the switch kept in Redis)", g.name, code, err)
		}
		if code, _ := g.status("blog.example.com"); code != 200 {
			t.Fatalf("%s after a restart of the fleet: blog %d, want 200", g.name, code)
		}
	}

	// Redis down: each gateway keeps what it knew, and says why.
	redis.Stop()
	for _, g := range fleet {
		waitFor(t, 10*time.Second, g.name+" reports the storage failing", func() (bool, string) {
			d := g.maintenance(t, "shop")
			return !d.Readable, fmt.Sprintf("%+v", d)
		})
	}
	time.Sleep(3 * time.Second) // a few polls more: still one log line
	for _, g := range fleet {
		for _, name := range []string{"shop", "blog"} {
			d := g.maintenance(t, name)
			wantOn := name == "shop"
			if d.Readable || d.Enabled != wantOn || d.Active != wantOn {
				t.Errorf("%s %s with Redis down: %+v, want the last known state (on: %v), unreadable", g.name, name, d, wantOn)
			}
			if !strings.Contains(d.Error, "cannot be loaded from storage") || strings.Contains(d.Error, "damaged") {
				t.Errorf("%s %s with Redis down: error %q, want it to say the storage fails (not a damaged state)", g.name, name, d.Error)
			}
			if v := g.metric(t, "frontdoor_maintenance_state_error", `name="`+name+`"`); v != 1 {
				t.Errorf("%s frontdoor_maintenance_state_error{name=%q} = %v with Redis down, want 1", g.name, name, v)
			}
		}
		if code, _ := g.status("shop.example.com"); code != 503 {
			t.Errorf("%s shop with Redis down: %d, want 503 (kept on)", g.name, code)
		}
		if code, _ := g.status("blog.example.com"); code != 200 {
			t.Errorf("%s blog with Redis down: %d, want 200 (kept off)", g.name, code)
		}
		out := g.output()
		if n := count(out, "maintenance state cannot be read: the storage fails"); n != 2 {
			t.Errorf("%s logged the storage failure %d times for two switches, want once each:\n%s", g.name, n, out)
		}
		if count(out, "damaged") > 0 {
			t.Errorf("%s speaks of a damaged state while the storage is down:\n%s", g.name, out)
		}
		// A switch cannot be written meanwhile, and says so.
		code, body := g.admin(t, "PUT", "/maintenance/blog", `{"enabled":true}`)
		if code != http.StatusInternalServerError || !strings.Contains(body, "storing maintenance") {
			t.Errorf("%s PUT with Redis down: %d %s, want 500 naming the storage", g.name, code, body)
		}
	}

	// Redis back with its data: every gateway reads the switches again.
	redis = redis.Rerun(t)
	for _, g := range fleet {
		waitFor(t, 10*time.Second, g.name+" reads the switches again", func() (bool, string) {
			d := g.maintenance(t, "shop")
			return d.Readable && d.Enabled, fmt.Sprintf("%+v", d)
		})
		if n := count(g.output(), "maintenance state readable again"); n != 2 {
			t.Errorf("%s logged 'readable again' %d times for two switches, want once each", g.name, n)
		}
		if v := g.metric(t, "frontdoor_maintenance_state_error", `name="shop"`); v != 0 {
			t.Errorf("%s frontdoor_maintenance_state_error after Redis is back: %v, want 0", g.name, v)
		}
	}
	flip(fleet[1], "DELETE", "shop", 200)

	for _, g := range fleet {
		if out := g.output(); strings.Contains(out, redisPassword) {
			t.Errorf("%s printed the Redis password:\n%s", g.name, out)
		}
		if _, body := g.admin(t, "GET", "/config/", ""); strings.Contains(body, redisPassword) || !strings.Contains(body, "{env.FD_REDIS_PASSWORD}") {
			t.Errorf("%s /config/ shows the password, or not its placeholder: %s", g.name, body)
		}
	}
}

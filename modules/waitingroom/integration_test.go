package waitingroom

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// Ports of this package's in-process Caddy: admin 2331, sites 19800-19809.
const (
	adminPort  = 2331
	adminURL   = "http://localhost:2331"
	shopURL    = "http://127.0.0.1:19800"
	metricsURL = "http://127.0.0.1:19809/metrics"
)

// integrationConfig is a site whose /book pages wait in room "shop"
// (one place, two-second sessions, one-second refresh); %[1]s is the log
// directory, %[2]s a version shown as the site's name.
const integrationConfig = `{
	admin localhost:2331
	auto_https off
	servers {
		trusted_proxies static 127.0.0.1/32
	}
}

http://127.0.0.1:19800 {
	log {
		output file %[1]s/access.log
		format json
	}
	@booking path /book*
	waiting_room @booking shop {
		active_users 1
		new_users_per_minute 600
		session_duration 2s
		refresh 1s
		site_name "Shop %[2]s"
	}
	respond /book* "site sid={http.request.header.X-Waiting-Room-Session} status={waiting_room.status}"
	respond "static page sid={http.request.header.X-Waiting-Room-Session}"
}

http://127.0.0.1:19809 {
	metrics /metrics
}
`

func startCaddy(t *testing.T, dir, version string) {
	t.Helper()
	harness.Long(t, "starts a Caddy server in the test process")
	tc := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{AdminPort: adminPort})
	tc.InitServer(fmt.Sprintf(integrationConfig, dir, version), "caddyfile")
	if t.Failed() {
		t.FailNow()
	}
}

// logDir is a directory for the access log, emptied of its writer before it
// is removed.
func logDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "frontdoor-waitingroom-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin(t, adminURL, "POST", "/load", `{"admin":{"listen":"localhost:2331"}}`, nil)
		os.RemoveAll(dir)
	})
	return dir
}

// pollUntil polls as each visitor every interval until done says so, for
// at most timeout; it returns what each visitor got last.
func pollUntil(t *testing.T, url string, vs []*visitor, interval, timeout time.Duration, done func([]reply) bool) []reply {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := make([]reply, len(vs))
	for {
		for i, v := range vs {
			if v != nil {
				last[i] = v.get(t, url, true)
			}
		}
		if done(last) {
			return last
		}
		if time.Now().After(deadline) {
			t.Fatalf("not done after %s: last replies %+v", timeout, last)
		}
		time.Sleep(interval)
	}
}

func TestHTTPWaitingRoom(t *testing.T) {
	dir := logDir(t)
	startCaddy(t, dir, "v1")
	book := shopURL + "/book"

	// Outside the matcher nobody waits, and a client's own session header
	// is removed all the same: only the room sets it.
	if r := newVisitor().get(t, shopURL+"/static.css", false, "X-Waiting-Room-Session", "forged-by-client"); r.body != "static page sid=" || r.header.Get("Set-Cookie") != "" {
		t.Fatalf("a path outside the matcher: %+v", r)
	}
	a := newVisitor()
	r := a.get(t, book, false, "X-Waiting-Room-Session", "forged-by-client")
	if !r.site() || len(r.session()) != 22 || !strings.Contains(r.body, "status=admitted") {
		t.Fatalf("first visitor: %d %q", r.code, r.body)
	}
	sessionA := r.session()

	b, c := newVisitor(), newVisitor()
	r = b.get(t, book, false)
	if r.site() || r.code != 200 || !strings.Contains(r.body, "<b>1</b>") || !strings.Contains(r.body, "Shop v1") ||
		r.header.Get("Cache-Control") != "no-store" || r.header.Get("Refresh") == "" {
		t.Fatalf("second visitor: %d %v %.300q", r.code, r.header, r.body)
	}
	if r := c.get(t, book, true); r.position() != 2 || *r.json.Ahead != 1 || r.json.Status != "queued" {
		t.Fatalf("third visitor (JSON): %+v", r.json)
	}

	t.Run("sessions slide; a freed place goes to the first in line", func(t *testing.T) {
		// A keeps browsing for twice the session duration: B keeps waiting.
		for range 8 {
			time.Sleep(500 * time.Millisecond)
			if r := a.get(t, book, false); !r.site() || r.session() != sessionA {
				t.Fatalf("active visitor lost the session: %q", r.body)
			}
			if r := b.get(t, book, true); r.site() {
				t.Fatal("the second visitor got an active session's place")
			}
			c.get(t, book, true)
		}
		// A leaves: within the session duration and a poll, B is in.
		start := time.Now()
		last := pollUntil(t, book, []*visitor{c, b}, 400*time.Millisecond, 6*time.Second, func(rs []reply) bool { return rs[1].site() })
		if last[0].site() {
			t.Fatal("the third visitor got in before the second")
		}
		t.Logf("second visitor admitted %s after the first left", time.Since(start).Round(100*time.Millisecond))
		if r := c.get(t, book, true); r.position() != 1 {
			t.Fatalf("third visitor after the second got in: %+v", r.json)
		}
	})

	t.Run("a visitor who stops polling gives up the place", func(t *testing.T) {
		d := newVisitor()
		if r := d.get(t, book, true); r.position() != 2 {
			t.Fatalf("new visitor: %+v", r.json)
		}
		// c stops polling; b keeps its session; d polls.
		last := pollUntil(t, book, []*visitor{b, d}, 500*time.Millisecond, 6*time.Second, func(rs []reply) bool { return rs[1].position() == 1 })
		if !last[0].site() {
			t.Fatalf("the admitted visitor was dropped: %q", last[0].body)
		}
		// c comes back: a new place at the end.
		if r := c.get(t, book, true); r.position() != 2 {
			t.Fatalf("the visitor who left comes back: %+v, want the end of the line", r.json)
		}
	})

	t.Run("bad cookies count as none", func(t *testing.T) {
		before := metric(t, metricsURL, `frontdoor_waiting_room_decisions_total{result="bad_cookie",room="shop"}`)
		forged := newVisitor()
		forged.cookies["fd_wr_shop"] = strings.Replace(b.cookies["fd_wr_shop"], ".a.", ".q.", 1)
		if r := forged.get(t, book, true); r.site() {
			t.Fatal("a forged cookie got in")
		}
		other := newVisitor()
		other.cookies["fd_wr_shop"] = "1.a.AAAAAAAAAAAAAAAAAAAAAA.1.1.99999999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		if r := other.get(t, book, true); r.site() {
			t.Fatal("a made-up cookie got in")
		}
		if got := metric(t, metricsURL, `frontdoor_waiting_room_decisions_total{result="bad_cookie",room="shop"}`) - before; got != 2 {
			t.Fatalf("bad_cookie counted %v times, want 2", got)
		}
	})

	t.Run("admin API", func(t *testing.T) {
		var doc Document
		if code := admin(t, adminURL, "GET", "/waiting-room/shop", "", &doc); code != 200 ||
			doc.Name != "shop" || doc.Mode != "auto" || doc.Active != 1 || doc.Queued < 2 || doc.ActiveUsers != 1 || doc.NewUsersPerMinute != 600 || doc.Event != nil {
			t.Fatalf("GET: %d %+v", code, doc)
		}
		var list []Document
		if admin(t, adminURL, "GET", "/waiting-room", "", &list); len(list) != 1 || list[0].Name != "shop" {
			t.Fatalf("list %+v", list)
		}
		if code := admin(t, adminURL, "PUT", "/waiting-room/nope", `{"mode":"pause"}`, nil); code != 404 {
			t.Fatalf("unknown room: %d", code)
		}
		for _, bad := range []string{`{"mode":"sleep"}`, `{"active_users":0}`, `{"capacity":5}`, `{}`, `[`} {
			if code := admin(t, adminURL, "PUT", "/waiting-room/shop", bad, nil); code != 400 {
				t.Fatalf("PUT %s: %d, want 400", bad, code)
			}
		}
		if admin(t, adminURL, "PUT", "/waiting-room/shop", `{"mode":"passthrough"}`, &doc); doc.Mode != "passthrough" {
			t.Fatalf("passthrough: %+v", doc)
		}
		if r := newVisitor().get(t, book, false); !r.site() || !strings.Contains(r.body, "status=passthrough") || r.session() != "" {
			t.Fatalf("passthrough: %q", r.body)
		}
		if admin(t, adminURL, "PUT", "/waiting-room/shop", `{"mode":"auto","active_users":10}`, &doc); doc.Mode != "auto" || doc.ActiveUsers != 10 {
			t.Fatalf("raise active_users: %+v", doc)
		}
		pollUntil(t, book, []*visitor{c}, 300*time.Millisecond, 3*time.Second, func(rs []reply) bool { return rs[0].site() })
		if admin(t, adminURL, "PUT", "/waiting-room/shop", `{"mode":"pause","active_users":null}`, &doc); doc.Mode != "pause" || doc.ActiveUsers != 1 {
			t.Fatalf("pause: %+v", doc)
		}
		if r := newVisitor().get(t, book, true); r.site() {
			t.Fatal("a new visitor got in while paused")
		}
		if admin(t, adminURL, "DELETE", "/waiting-room/shop", "", &doc); doc.Active != 0 || doc.Queued != 0 || doc.Mode != "pause" {
			t.Fatalf("reset: %+v", doc)
		}
		admin(t, adminURL, "PUT", "/waiting-room/shop", `{"mode":"auto"}`, nil)
		before := metric(t, metricsURL, `frontdoor_waiting_room_decisions_total{result="bad_cookie",room="shop"}`)
		if r := b.get(t, book, false); !r.site() || r.session() == "" {
			t.Fatalf("after the reset, the old cookie's visitor arrives anew into an empty room: %q", r.body)
		}
		if metric(t, metricsURL, `frontdoor_waiting_room_decisions_total{result="bad_cookie",room="shop"}`) != before+1 {
			t.Fatal("a cookie from before the reset was not counted as bad")
		}
	})

	t.Run("metrics and access log", func(t *testing.T) {
		time.Sleep(1200 * time.Millisecond) // the gauges are read every second
		for series, least := range map[string]float64{
			`frontdoor_waiting_room_decisions_total{result="admitted",room="shop"}`: 3,
			`frontdoor_waiting_room_decisions_total{result="queued",room="shop"}`:   10,
			`frontdoor_waiting_room_decisions_total{result="passed",room="shop"}`:   1,
			`frontdoor_waiting_room_wait_seconds_count{room="shop"}`:                1,
			`frontdoor_waiting_room_active_users{room="shop"}`:                      1,
		} {
			if got := metric(t, metricsURL, series); got < least {
				t.Errorf("%s = %v, want at least %v", series, got, least)
			}
		}
		f, err := os.Open(filepath.Join(dir, "access.log"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		seen := map[string]bool{}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var e map[string]any
			if json.Unmarshal(sc.Bytes(), &e) != nil {
				continue
			}
			status, _ := e["waiting_room"].(string)
			if status == "queued" && e["waiting_room_position"] == nil {
				continue // before an event, a full line
			}
			if status == "queued" {
				status += fmt.Sprint(e["waiting_room_position"])
			}
			seen[status] = true
			if req, _ := e["request"].(map[string]any); req["uri"] == "/static.css" && e["waiting_room"] != nil {
				t.Error("a request outside the matcher has waiting-room log fields")
			}
		}
		for _, want := range []string{"admitted", "queued1", "queued2", "passthrough"} {
			if !seen[want] {
				t.Errorf("no access-log entry with waiting_room %s (seen %v)", want, seen)
			}
		}
	})
}

// TestHTTPReloadKeepsState reloads the config (a changed site name): the
// admitted visitor keeps its session, the queued one its place.
func TestHTTPReloadKeepsState(t *testing.T) {
	dir := logDir(t)
	startCaddy(t, dir, "v1")
	book := shopURL + "/book"
	a, b := newVisitor(), newVisitor()
	ra := a.get(t, book, false)
	if !ra.site() {
		t.Fatal("first visitor not admitted")
	}
	if r := b.get(t, book, true); r.position() != 1 {
		t.Fatalf("second visitor: %+v", r.json)
	}
	before := metric(t, metricsURL, `frontdoor_waiting_room_decisions_total{result="bad_cookie",room="shop"}`)
	startCaddy(t, dir, "v2")
	if r := a.get(t, book, false); !r.site() || r.session() != ra.session() {
		t.Fatalf("after the reload the admitted visitor got %q, want the site with session %s", r.body, ra.session())
	}
	r := b.get(t, book, false)
	if r.site() || !strings.Contains(r.body, "<b>1</b>") || !strings.Contains(r.body, "Shop v2") {
		t.Fatalf("after the reload the queued visitor got %.300q, want place 1 on the v2 page", r.body)
	}
	if got := metric(t, metricsURL, `frontdoor_waiting_room_decisions_total{result="bad_cookie",room="shop"}`); got != before {
		t.Fatalf("cookies from before the reload counted as bad: %v -> %v", before, got)
	}
}

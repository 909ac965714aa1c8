package waitingroom

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

const testSecret = "process-test-secret-0123456789abcdef"

// gatewayConfig is one of several frontdoor gateways sharing a store, each
// path prefix a room of its own: %[1]d admin port, %[2]d site port,
// %[3]d metrics port, %[4]s store, %[5]s secret, %[6]s and %[7]s the event's
// prequeue and start.
const gatewayConfig = `{
	admin 127.0.0.1:%[1]d
	auto_https off
}

http://127.0.0.1:%[2]d {
	@limit path /limit*
	waiting_room @limit limit {
		active_users 40
		new_users_per_minute 100000
		session_duration 10m
		refresh 30s
		store %[4]s
		store_timeout 2s
		on_store_error hold
		secret %[5]s
	}
	@fifo path /fifo*
	waiting_room @fifo fifo {
		active_users 1
		new_users_per_minute 6000
		session_duration 2s
		refresh 1s
		store %[4]s
		secret %[5]s
	}
	@ops path /ops*
	waiting_room @ops ops {
		active_users 1
		new_users_per_minute 6000
		session_duration 10m
		refresh 5s
		store %[4]s
		secret %[5]s
	}
	@event path /event*
	waiting_room @event event {
		active_users 1
		new_users_per_minute 6000
		session_duration 10m
		refresh 1s
		event {
			prequeue %[6]s
			start %[7]s
		}
		store %[4]s
		secret %[5]s
	}
	@admit path /admit*
	waiting_room @admit admitroom {
		active_users 1
		new_users_per_minute 6000
		session_duration 10m
		refresh 2s
		store %[4]s
		store_timeout 150ms
		on_store_error admit
		secret %[5]s
	}
	@hold path /hold*
	waiting_room @hold holdroom {
		active_users 1
		new_users_per_minute 6000
		session_duration 10m
		refresh 2s
		store %[4]s
		store_timeout 150ms
		on_store_error hold
		secret %[5]s
	}
	respond "site sid={http.request.header.X-Waiting-Room-Session} status={waiting_room.status}"
}

http://127.0.0.1:%[3]d {
	metrics /metrics
}
`

type gateway struct {
	proc               *harness.Process
	site, admin, stats string
	adminAddr          string
}

// startGateways runs n frontdoor processes sharing store; the event room's
// prequeue starts now and admissions eventIn from now.
func startGateways(t *testing.T, n int, store string, eventIn time.Duration) ([]*gateway, time.Time) {
	t.Helper()
	harness.Long(t, "runs several frontdoor processes on real Redis")
	bin := harness.FrontdoorBinary(t)
	now := time.Now()
	start := now.Add(eventIn).Truncate(time.Second)
	gws := make([]*gateway, n)
	var wg sync.WaitGroup
	for i := range gws {
		ap, sp, mp := harness.FreePort(t), harness.FreePort(t), harness.FreePort(t)
		cfg := filepath.Join(t.TempDir(), "Caddyfile")
		body := fmt.Sprintf(gatewayConfig, ap, sp, mp, store, testSecret,
			now.Add(-time.Second).UTC().Format(time.RFC3339), start.UTC().Format(time.RFC3339))
		if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "run", "--config", cfg, "--adapter", "caddyfile")
		home := t.TempDir()
		cmd.Env = append(os.Environ(), "HOME="+home, "XDG_DATA_HOME="+home, "XDG_CONFIG_HOME="+home)
		g := &gateway{
			site:      fmt.Sprintf("http://127.0.0.1:%d", sp),
			admin:     fmt.Sprintf("http://127.0.0.1:%d", ap),
			adminAddr: fmt.Sprintf("127.0.0.1:%d", ap),
			stats:     fmt.Sprintf("http://127.0.0.1:%d/metrics", mp),
		}
		g.proc = harness.Start(t, fmt.Sprintf("frontdoor-%d", i), fmt.Sprintf("127.0.0.1:%d", sp), cmd)
		gws[i] = g
		wg.Go(func() { harness.WaitHTTP(t, g.proc, g.stats, 60*time.Second) })
	}
	wg.Wait()
	return gws, start
}

// TestGatewaysShareRedis runs four gateways on one redis-server.
func TestGatewaysShareRedis(t *testing.T) {
	harness.Long(t, "runs four frontdoor processes on redis-server")
	srv := harness.Redis(t)
	gws, start := startGateways(t, 4, "redis://"+srv.Addr+"/0", 12*time.Second)
	t.Run("event", func(t *testing.T) { testEvent(t, gws, start) })
	t.Run("limit", func(t *testing.T) { testLimit(t, gws) })
	t.Run("fifo", func(t *testing.T) { testFIFO(t, gws) })
	t.Run("admin", func(t *testing.T) { testAdminPropagation(t, gws) })
	t.Run("cli", func(t *testing.T) { testCLI(t, gws) })
	t.Run("store down", func(t *testing.T) { testStoreDown(t, gws, srv) })
}

// TestGatewaysShareRedisCluster runs the shared-state cases on a
// three-master Redis Cluster.
func TestGatewaysShareRedisCluster(t *testing.T) {
	harness.Long(t, "runs three frontdoor processes on a Redis Cluster")
	c := harness.RedisCluster(t)
	gws, _ := startGateways(t, 3, c.URL(), time.Hour)
	t.Run("limit", func(t *testing.T) { testLimit(t, gws) })
	t.Run("fifo", func(t *testing.T) { testFIFO(t, gws) })
	t.Run("admin", func(t *testing.T) { testAdminPropagation(t, gws) })
}

// testLimit sends 200 new visitors at once through every gateway: exactly
// active_users get in (at most 1% over), and the others hold distinct
// places 1..160.
func testLimit(t *testing.T, gws []*gateway) {
	const visitors, places = 200, 40
	var admitted atomic.Int64
	positions := make([]int, visitors)
	var wg sync.WaitGroup
	for i := range visitors {
		wg.Go(func() {
			r := newVisitor().get(t, gws[i%len(gws)].site+"/limit", true)
			if r.site() {
				admitted.Add(1)
				return
			}
			positions[i] = r.position()
		})
	}
	wg.Wait()
	if n := admitted.Load(); n < places || n > places*101/100 {
		t.Fatalf("%d of %d simultaneous visitors on %d gateways were admitted, want %d (at most 1%% over)", n, visitors, len(gws), places)
	}
	var got []int
	for _, p := range positions {
		if p > 0 {
			got = append(got, p)
		}
	}
	sort.Ints(got)
	for i, p := range got {
		if p != i+1 {
			t.Fatalf("places in line %v are not 1..%d once each", got, visitors-places)
		}
	}
}

// testFIFO: visitors arrive one after the other at different gateways and
// poll random gateways; places free one at a time; they get in in the order
// they arrived.
func testFIFO(t *testing.T, gws []*gateway) {
	holder := newVisitor()
	if r := holder.get(t, gws[0].site+"/fifo", false); !r.site() {
		t.Fatalf("first visitor: %q", r.body)
	}
	const n = 4
	vs := make([]*visitor, n)
	for i := range vs {
		vs[i] = newVisitor()
		if r := vs[i].get(t, gws[(i+1)%len(gws)].site+"/fifo", true); r.position() != i+1 {
			t.Fatalf("arrival %d at gateway %d: %+v", i, (i+1)%len(gws), r.json)
		}
	}
	var order []int
	deadline := time.Now().Add(30 * time.Second)
	for len(order) < n {
		if time.Now().After(deadline) {
			t.Fatalf("admitted %v after 30 s", order)
		}
		// Poll in a random order at random gateways; the admitted stop
		// (their sessions end two seconds later and free the place).
		for _, i := range rand.Perm(n) {
			if slices.Contains(order, i) {
				continue
			}
			if r := vs[i].get(t, gws[rand.IntN(len(gws))].site+"/fifo", true); r.site() {
				order = append(order, i)
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
	if !slices.Equal(order, []int{0, 1, 2, 3}) {
		t.Fatalf("admission order %v, want the arrival order [0 1 2 3]", order)
	}
}

// testAdminPropagation changes a room through one gateway's admin API: the
// others show and apply it within 2 s.
func testAdminPropagation(t *testing.T, gws []*gateway) {
	a, b := gws[0], gws[len(gws)-1]
	if code := admin(t, a.admin, "PUT", "/waiting-room/ops", `{"mode":"pause"}`, nil); code != 200 {
		t.Fatalf("PUT on the first gateway: %d", code)
	}
	start := time.Now()
	for {
		var doc Document
		admin(t, b.admin, "GET", "/waiting-room/ops", "", &doc)
		if doc.Mode == "pause" {
			break
		}
		if time.Since(start) > 2*time.Second {
			t.Fatalf("the last gateway still shows mode %q 2 s after the change", doc.Mode)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Paused, the room admits nobody, on any gateway, though it is empty.
	for _, g := range gws {
		if r := newVisitor().get(t, g.site+"/ops", true); r.site() {
			t.Fatalf("%s admitted a visitor while paused", g.site)
		}
	}
	t.Logf("the pause showed on the last gateway %s after the PUT", time.Since(start).Round(time.Millisecond))
	var doc Document
	admin(t, b.admin, "PUT", "/waiting-room/ops", `{"mode":"auto","active_users":3}`, &doc)
	if doc.ActiveUsers != 3 {
		t.Fatalf("active_users %d", doc.ActiveUsers)
	}
	admin(t, a.admin, "GET", "/waiting-room/ops", "", &doc)
	if doc.Mode != "auto" || doc.ActiveUsers != 3 || doc.Queued < len(gws) {
		t.Fatalf("the first gateway shows %+v", doc)
	}
}

// testEvent: visitors who arrive at any gateway before the start wait
// without a place; at the start their order is drawn; later arrivals queue
// behind them.
func testEvent(t *testing.T, gws []*gateway, start time.Time) {
	if time.Until(start) < 3*time.Second {
		t.Fatalf("the gateways took too long to start: the event starts in %s", time.Until(start))
	}
	const n = 12
	vs := make([]*visitor, n)
	for i := range vs {
		vs[i] = newVisitor()
		r := vs[i].get(t, gws[i%len(gws)].site+"/event", true)
		if r.site() || r.position() != 0 || r.json.EventStart == nil || *r.json.EventStart != start.UTC().Format(time.RFC3339) {
			t.Fatalf("arrival %d before the start: %+v", i, r.json)
		}
	}
	for time.Now().Before(start.Add(300 * time.Millisecond)) {
		for i, v := range vs {
			v.get(t, gws[(i+1)%len(gws)].site+"/event", true)
		}
		time.Sleep(500 * time.Millisecond)
	}
	// The first place goes to the first of the draw at its next poll; then
	// the others' places, read in one pass, are 1..n-1.
	deadline := time.Now().Add(5 * time.Second)
	for admitted := 0; admitted == 0; {
		if time.Now().After(deadline) {
			t.Fatal("nobody was admitted 5 s after the start")
		}
		for i, v := range vs {
			if v.get(t, gws[(i+2)%len(gws)].site+"/event", true).site() {
				admitted++
			}
		}
	}
	positions := make([]int, n)
	admitted := 0
	for i, v := range vs {
		r := v.get(t, gws[(i+3)%len(gws)].site+"/event", true)
		if r.site() {
			admitted++
			continue
		}
		positions[i] = r.position()
	}
	late := newVisitor().get(t, gws[0].site+"/event", true)
	if admitted != 1 || late.position() != n {
		t.Fatalf("after the start: %d admitted (want 1), a later arrival at place %d (want %d)", admitted, late.position(), n)
	}
	var got []int
	for _, p := range positions {
		if p > 0 {
			got = append(got, p)
		}
	}
	if sort.IntsAreSorted(got) {
		t.Fatalf("places after the start %v follow the arrival order: not drawn", got)
	}
	slices.Sort(got)
	for i, p := range got {
		if p != i+1 {
			t.Fatalf("places after the start %v are not 1..%d", got, n-1)
		}
	}
}

// testCLI drives a room with `frontdoor waiting-room`.
func testCLI(t *testing.T, gws []*gateway) {
	bin := harness.FrontdoorBinary(t)
	run := func(args ...string) (string, string, error) {
		cmd := exec.Command(bin, append([]string{"waiting-room"}, args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	out, _, err := run("set", "ops", "--active-users", "7", "--new-users-per-minute", "70", "--address", gws[0].adminAddr)
	if err != nil || !strings.Contains(out, "ops: auto,") || !strings.Contains(out, "(at most 7)") || !strings.Contains(out, "(at most 70)") {
		t.Fatalf("set: %v %q", err, out)
	}
	out, _, err = run("pause", "ops", "--address", gws[1].adminAddr)
	if err != nil || !strings.HasPrefix(out, "ops: pause,") {
		t.Fatalf("pause: %v %q", err, out)
	}
	out, _, err = run("status", "--address", gws[2].adminAddr)
	if err != nil || !strings.Contains(out, "ops: pause,") || !strings.Contains(out, "limit: auto,") || strings.Count(out, "\n") != 6 {
		t.Fatalf("status: %v %q", err, out)
	}
	out, _, _ = run("set", "ops", "--active-users", "config", "--address", gws[0].adminAddr)
	if !strings.Contains(out, "(at most 1)") {
		t.Fatalf("set back to the config: %q", out)
	}
	run("auto", "ops", "--address", gws[0].adminAddr)
	_, stderr, err := run("pause", "nope", "--address", gws[0].adminAddr)
	if err == nil || strings.Contains(stderr, "{") || !strings.Contains(stderr, `frontdoor waiting-room: no waiting room named "nope" on the gateway at `+gws[0].adminAddr+` (known: `) {
		t.Fatalf("unknown room: %v, stderr %q: want a plain-text error naming the known rooms", err, stderr)
	}
	if _, stderr, err := run("set", "ops", "--active-users", "-3", "--address", gws[0].adminAddr); err == nil || !strings.Contains(stderr, "--active-users") {
		t.Fatalf("bad number: %v %q", err, stderr)
	}
}

// waitingPage reports whether body is the queue page of a visitor who keeps
// their ticket while the store is away: the place cannot be shown, or it is
// the one the gateway told them a moment ago.
func waitingPage(body string) bool {
	return strings.Contains(body, "cannot show your place") || strings.Contains(body, "<b>1</b>")
}

// testStoreDown kills Redis: admitted visitors keep their place, new ones
// are admitted or held by on_store_error, within the timeout, never a 5xx.
func testStoreDown(t *testing.T, gws []*gateway, srv *harness.Process) {
	in := newVisitor()
	r := in.get(t, gws[0].site+"/admit", false)
	if !r.site() {
		t.Fatalf("admit room: %q", r.body)
	}
	session := r.session()
	inLine := newVisitor() // waits in the admit room
	if r := inLine.get(t, gws[0].site+"/admit", true); r.position() != 1 {
		t.Fatalf("admit room, second visitor: %+v", r.json)
	}
	holder, waiting := newVisitor(), newVisitor()
	holder.get(t, gws[1].site+"/hold", false)
	if r := waiting.get(t, gws[1].site+"/hold", true); r.position() != 1 {
		t.Fatalf("hold room: %+v", r.json)
	}
	before := metric(t, gws[0].stats, `frontdoor_waiting_room_decisions_total{result="store_error",room="admitroom"}`)

	if err := srv.Cmd.Process.Signal(syscall.SIGSTOP); err != nil { // frozen: connections hang
		t.Fatal(err)
	}
	frozen := true
	defer func() {
		if frozen {
			srv.Cmd.Process.Signal(syscall.SIGCONT)
		}
	}()
	const bound = 150*time.Millisecond + 600*time.Millisecond // store_timeout + a busy machine
	check := func(phase string) {
		for i, g := range gws {
			r := in.get(t, g.site+"/admit", false)
			if !r.site() || r.session() != session || r.elapsed > bound {
				t.Fatalf("%s, gateway %d: the admitted visitor got %d %q in %s", phase, i, r.code, r.body, r.elapsed)
			}
			if r := newVisitor().get(t, g.site+"/admit", false); !r.site() || r.session() == "" {
				t.Fatalf("%s, gateway %d: a new visitor (admit) got %d %q", phase, i, r.code, r.body)
			}
			// A visitor in line keeps waiting: the page says the place
			// cannot be shown, or (the gateway's answer of a moment ago,
			// see PollCache) shows the place they had.
			if r := inLine.get(t, g.site+"/admit", false); r.site() || r.code != 200 || !waitingPage(r.body) {
				t.Fatalf("%s, gateway %d: a visitor in line (admit) got %d %.200q, want to keep waiting", phase, i, r.code, r.body)
			}
			if r := holder.get(t, g.site+"/hold", false); !r.site() {
				t.Fatalf("%s, gateway %d: the holder (hold) lost its place: %q", phase, i, r.body)
			}
			r = waiting.get(t, g.site+"/hold", false)
			if r.site() || r.code != 200 || !waitingPage(r.body) {
				t.Fatalf("%s, gateway %d: a waiting visitor (hold) got %d %.200q", phase, i, r.code, r.body)
			}
		}
	}
	check("Redis frozen")
	srv.Cmd.Process.Signal(syscall.SIGCONT)
	frozen = false
	// Thawed: the visitors in line still hold their places, once each
	// gateway uses the store again (after its one-second pause).
	for i, g := range gws {
		for _, c := range []struct {
			v    *visitor
			path string
		}{{inLine, "/admit"}, {waiting, "/hold"}} {
			deadline := time.Now().Add(5 * time.Second)
			for {
				r := c.v.get(t, g.site+c.path, true)
				if r.position() == 1 {
					break
				}
				if r.site() || r.position() != 0 || time.Now().After(deadline) {
					t.Fatalf("after Redis thawed, gateway %d: the visitor in line (%s) got %+v %q, want place 1", i, c.path, r.json, r.body)
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
	}
	srv.Kill()
	check("Redis killed")
	if got := metric(t, gws[0].stats, `frontdoor_waiting_room_decisions_total{result="store_error",room="admitroom"}`); got <= before {
		t.Fatalf("store errors not counted: %v", got)
	}
	if !strings.Contains(gws[0].proc.Output(), "waiting-room store failed") {
		t.Fatal("the store failure was not logged")
	}
	if strings.Contains(gws[0].proc.Output(), testSecret) {
		t.Fatal("the secret is in the log")
	}

	// Redis back, empty: the admitted visitor's cookie still holds.
	harness.RestartRedis(t, srv)
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := in.get(t, gws[2].site+"/admit", true)
		if !r.site() || r.session() != session {
			t.Fatalf("after Redis came back: %q", r.body)
		}
		var doc Document
		if admin(t, gws[2].admin, "GET", "/waiting-room/admitroom", "", &doc) == 200 && doc.Active >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the admitted visitor's session is not in the store 5 s after Redis came back")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

package throttle

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
	"github.com/frontdoor-gateway/frontdoor/test/harness/cputime"
)

// handlersOf lists the handlers provisioned in each test config, which
// stopping the config cleans up (as Caddy does for the modules it loads).
var handlersOf sync.Map // context.Context -> *[]*Throttle

// newContext returns a Caddy context, as for one config, and its stop
// function (called at the end of the test unless earlier).
func newContext(t testing.TB) (caddy.Context, func()) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if hs, ok := handlersOf.LoadAndDelete(ctx.Context); ok {
				for _, h := range *hs.(*[]*Throttle) {
					h.Cleanup()
				}
			}
		})
	}
	t.Cleanup(stop)
	return ctx, stop
}

// provision provisions h in ctx; stopping ctx cleans it up.
func provision(t testing.TB, ctx *caddy.Context, h *Throttle) *Throttle {
	t.Helper()
	if err := h.Provision(*ctx); err != nil {
		t.Fatalf("Provision: %v", err)
	}
	hs, _ := handlersOf.LoadOrStore(ctx.Context, new([]*Throttle))
	list := hs.(*[]*Throttle)
	*list = append(*list, h)
	return h
}

var okHandler = caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
	w.WriteHeader(http.StatusOK)
	return nil
})

// request builds a request from clientIP as Caddy's server would.
func request(clientIP string, header ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://example.com/path", nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	repl := caddyhttp.NewTestReplacer(r)
	ctx := context.WithValue(r.Context(), caddy.ReplacerCtxKey, repl)
	ctx = context.WithValue(ctx, caddyhttp.VarsCtxKey, map[string]any{caddyhttp.ClientIPVarKey: clientIP})
	return r.WithContext(ctx)
}

func serve(t testing.TB, h *Throttle, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	if err := h.ServeHTTP(w, r, okHandler); err != nil {
		t.Fatalf("ServeHTTP: %v", err)
	}
	return w
}

// TestRateLimitHeaderHasOneMeaning: the RateLimit header's t is the time
// until the bucket is full again on every response (the draft's reset),
// and Retry-After, on a rejection only, the time until the next request
// passes. With 1r/s and a burst of 5 the two differ: 5 s and 1 s.
func TestRateLimitHeaderHasOneMeaning(t *testing.T) {
	ctx, _ := newContext(t)
	h := provision(t, &ctx, &Throttle{Zone: "t_meaning", Rate: "1r/s", Burst: 5})
	var w *httptest.ResponseRecorder
	for range 5 {
		w = serve(t, h, request("192.0.2.9"))
		if w.Header().Get("Retry-After") != "" {
			t.Fatalf("an allowed response carries Retry-After %q", w.Header().Get("Retry-After"))
		}
	}
	if got := w.Header().Get("RateLimit"); got != `"t_meaning";r=0;t=5` {
		t.Fatalf("5th (last allowed) request: RateLimit %q, want r=0;t=5", got)
	}
	w = serve(t, h, request("192.0.2.9"))
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("6th request: %d, want 429", w.Code)
	}
	if got := w.Header().Get("RateLimit"); got != `"t_meaning";r=0;t=5` {
		t.Fatalf("rejection: RateLimit %q, want r=0;t=5 (the same meaning as on the 200)", got)
	}
	if got := w.Header().Get("Retry-After"); got != "1" {
		t.Fatalf("rejection: Retry-After %q, want 1", got)
	}
}

func TestBurstAndHeaders(t *testing.T) {
	ctx, _ := newContext(t)
	h := provision(t, &ctx, &Throttle{Zone: "t_burst", Rate: "5r/s", Burst: 5})
	for i := 1; i <= 5; i++ {
		w := serve(t, h, request("192.0.2.1"))
		if w.Code != http.StatusOK {
			t.Fatalf("request %d: %d, want 200", i, w.Code)
		}
		if got, want := w.Header().Get("RateLimit"), fmt.Sprintf(`"t_burst";r=%d;t=`, 5-i); !strings.HasPrefix(got, want) {
			t.Fatalf("request %d: RateLimit %q, want prefix %q", i, got, want)
		}
		if got := w.Header().Get("RateLimit-Policy"); got != `"t_burst";q=5;w=1` {
			t.Fatalf("RateLimit-Policy %q", got)
		}
	}
	w := serve(t, h, request("192.0.2.1"))
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("6th request: %d, want 429", w.Code)
	}
	for k, v := range map[string]string{
		"Retry-After":      "1",
		"RateLimit":        `"t_burst";r=0;t=1`,
		"RateLimit-Policy": `"t_burst";q=5;w=1`,
		"Content-Type":     "text/plain; charset=utf-8",
		"Cache-Control":    "no-store",
	} {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if !strings.Contains(w.Body.String(), "429 Too Many Requests") {
		t.Errorf("text body %q", w.Body.String())
	}
	if w := serve(t, h, request("192.0.2.2")); w.Code != http.StatusOK {
		t.Fatalf("another client: %d, want 200", w.Code)
	}
	time.Sleep(200 * time.Millisecond)
	if w := serve(t, h, request("192.0.2.1")); w.Code != http.StatusOK {
		t.Fatalf("after 200 ms: %d, want 200", w.Code)
	}
}

func TestRejectionBody(t *testing.T) {
	ctx, _ := newContext(t)
	h := provision(t, &ctx, &Throttle{Zone: "t_body", Rate: "1r/h", StatusCode: 503})
	serve(t, h, request("192.0.2.1"))
	tests := []struct {
		accept []string // Accept lines; nil: none
		body   string   // json, html or text
	}{
		{[]string{"application/json"}, "json"},
		{[]string{"application/json, text/plain, */*"}, "json"}, // axios
		{[]string{"application/json, */*;q=0.5"}, "json"},       // httpie
		{[]string{"text/html;q=0.5, application/problem+json"}, "json"},
		{[]string{"text/html, application/problem+json;q=0.9"}, "html"},
		{[]string{"application/json;q=0, text/plain"}, "text"},
		{[]string{"application/json;q=0;level=1"}, "text"}, // issue 13: JSON refused after its weight
		{[]string{"application/json;level=1;q=0"}, "text"},
		{[]string{"text/html"}, "html"},
		{[]string{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}, "html"}, // a browser
		{[]string{"text/html;q=0.5", "application/json"}, "json"},                             // two Accept lines
		{[]string{""}, "text"},
		{nil, "text"},
		{[]string{"*/*"}, "text"}, // curl
		{[]string{"image/avif,image/webp,*/*;q=0.8"}, "text"},
		{[]string{"garbage"}, "text"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.accept, " | "), func(t *testing.T) {
			r := request("192.0.2.1")
			r.Header["Accept"] = tt.accept
			w := serve(t, h, r)
			if w.Code != 503 {
				t.Fatalf("status %d, want the configured 503", w.Code)
			}
			ra := w.Header().Get("Retry-After")
			if n, err := strconv.Atoi(ra); err != nil || n < 3500 || n > 3600 {
				t.Fatalf("Retry-After %q, want the hour's seconds", ra)
			}
			if cc, vary := w.Header().Get("Cache-Control"), w.Header().Get("Vary"); cc != "no-store" || vary != "Accept" {
				t.Fatalf("Cache-Control %q, Vary %q; want no-store and Accept", cc, vary)
			}
			ct := w.Header().Get("Content-Type")
			switch tt.body {
			case "text":
				want := "503 Service Unavailable: too many requests, retry in " + ra + " s\n"
				if ct != "text/plain; charset=utf-8" || w.Body.String() != want {
					t.Fatalf("Content-Type %q, body %q; want text/plain and %q", ct, w.Body, want)
				}
			case "html":
				if ct != "text/html; charset=utf-8" || !strings.Contains(w.Body.String(), "<!DOCTYPE html>") {
					t.Fatalf("Content-Type %q, body %q; want the HTML page", ct, w.Body)
				}
			case "json":
				if ct != "application/json" {
					t.Fatalf("Content-Type %q, want application/json", ct)
				}
				var body struct {
					Error      string `json:"error"`
					Status     int    `json:"status"`
					Zone       string `json:"zone"`
					RetryAfter int    `json:"retry_after"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
					t.Fatalf("body %q: %v", w.Body.String(), err)
				}
				if body.Zone != "t_body" || fmt.Sprint(body.RetryAfter) != ra || body.Error != "too many requests" || body.Status != 503 {
					t.Fatalf("body %+v, Retry-After %s", body, ra)
				}
			}
		})
	}
}

func TestKeys(t *testing.T) {
	tests := []struct {
		name       string
		h          Throttle
		a, b       string // client IPs
		ha, hb     string // X-User header values
		sameBucket bool
	}{
		{"ipv6 /64 shared", Throttle{}, "2001:db8:1:2::1", "2001:db8:1:2:aaaa:bbbb:cccc:dddd", "", "", true},
		{"ipv6 other /64", Throttle{}, "2001:db8:1:2::1", "2001:db8:1:3::1", "", "", false},
		{"ipv6 per address", Throttle{IPv6Prefix: 128}, "2001:db8::1", "2001:db8::2", "", "", false},
		{"ipv4 mapped", Throttle{}, "::ffff:192.0.2.1", "192.0.2.1", "", "", true},
		{"ipv4 /24", Throttle{IPv4Prefix: 24}, "192.0.2.1", "192.0.2.77", "", "", true},
		{"ipv4 per address", Throttle{}, "192.0.2.1", "192.0.2.2", "", "", false},
		{"template header", Throttle{Key: "{http.request.header.X-User}"}, "192.0.2.1", "192.0.2.2", "alice", "alice", true},
		{"template header differs", Throttle{Key: "{http.request.header.X-User}"}, "192.0.2.1", "192.0.2.1", "alice", "bob", false},
		{"template with client network", Throttle{Key: "{http.vars.client_ip}/{http.request.header.X-User}"}, "2001:db8::1", "2001:db8::2", "alice", "alice", true},
		{"template with client network differs", Throttle{Key: "{client_ip}/{http.request.header.X-User}"}, "2001:db8::1", "2001:db9::1", "alice", "alice", false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, _ := newContext(t)
			h := tt.h
			h.Zone, h.Rate = fmt.Sprintf("t_keys_%d", i), "1r/h"
			provision(t, &ctx, &h)
			if w := serve(t, &h, request(tt.a, "X-User", tt.ha)); w.Code != 200 {
				t.Fatalf("first request: %d", w.Code)
			}
			w := serve(t, &h, request(tt.b, "X-User", tt.hb))
			if got := w.Code == http.StatusTooManyRequests; got != tt.sameBucket {
				t.Fatalf("second request: %d; same bucket = %v, want %v", w.Code, got, tt.sameBucket)
			}
		})
	}
}

func TestAllowAndDryRun(t *testing.T) {
	ctx, _ := newContext(t)
	h := provision(t, &ctx, &Throttle{Zone: "t_allow", Rate: "1r/h", Allow: []string{"10.0.0.0/8", "2001:db8::1"}})
	for _, ip := range []string{"10.1.2.3", "::ffff:10.9.9.9", "2001:db8::1"} {
		for i := range 5 {
			if w := serve(t, h, request(ip)); w.Code != 200 {
				t.Fatalf("allowed client %s, request %d: %d", ip, i, w.Code)
			}
		}
	}
	serve(t, h, request("11.0.0.1"))
	if w := serve(t, h, request("11.0.0.1")); w.Code != 429 {
		t.Fatalf("client outside allow: %d, want 429", w.Code)
	}

	dry := provision(t, &ctx, &Throttle{Zone: "t_dry", Rate: "1r/h", DryRun: true})
	for i := range 5 {
		w := serve(t, dry, request("192.0.2.1"))
		if w.Code != 200 || w.Header().Get("RateLimit") != "" {
			t.Fatalf("dry run request %d: %d, RateLimit %q", i, w.Code, w.Header().Get("RateLimit"))
		}
	}
	if got := value(t, ctx, "frontdoor_throttle_requests_total", "t_dry", "dry_run"); got != 4 {
		t.Fatalf("dry_run count %v, want 4", got)
	}

	off := provision(t, &ctx, &Throttle{Zone: "t_off", Rate: "1r/h", DisableHeaders: true})
	serve(t, off, request("192.0.2.1"))
	w := serve(t, off, request("192.0.2.1"))
	if w.Code != 429 || w.Header().Get("RateLimit") != "" || w.Header().Get("RateLimit-Policy") != "" || w.Header().Get("Retry-After") == "" {
		t.Fatalf("headers off: %d %v", w.Code, w.Header())
	}
}

// value gathers the config's registry and returns the value of the series
// name{zone=<zone>[,result=<result>]}.
func value(t testing.TB, ctx caddy.Context, name, zone string, result ...string) float64 {
	t.Helper()
	mfs, err := ctx.GetMetricsRegistry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			if labels["zone"] != zone || (len(result) > 0 && labels["result"] != result[0]) {
				continue
			}
			return m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no series %s{zone=%q,result=%v}", name, zone, result)
	return 0
}

// TestReloadKeepsBuckets provisions the zone again in a new config, as a
// reload does, and checks that the bucket is not refilled and that a new
// rate applies to it.
func TestReloadKeepsBuckets(t *testing.T) {
	ctx1, cancel1 := newContext(t)
	old := provision(t, &ctx1, &Throttle{Zone: "t_reload", Rate: "1r/m", Burst: 2})
	serve(t, old, request("192.0.2.1"))
	serve(t, old, request("192.0.2.1"))
	for gen := range 10 {
		ctx, cancel := newContext(t)
		h := provision(t, &ctx, &Throttle{Zone: "t_reload", Rate: "1r/m", Burst: 2})
		cancel1() // the old config stops after the new one started
		ctx1, cancel1 = ctx, cancel
		if w := serve(t, h, request("192.0.2.1")); w.Code != 429 {
			t.Fatalf("after reload %d: %d, want 429", gen, w.Code)
		}
		if got := value(t, ctx, "frontdoor_throttle_requests_total", "t_reload", "limited"); got != float64(gen+1) {
			t.Fatalf("limited counter after reload %d: %v, want %d (counters survive reloads)", gen, got, gen+1)
		}
	}
	// A faster rate and larger burst: no refill, but the faster rate applies.
	ctx, cancel := newContext(t)
	h := provision(t, &ctx, &Throttle{Zone: "t_reload", Rate: "20r/s", Burst: 10})
	cancel1()
	if w := serve(t, h, request("192.0.2.1")); w.Code != 429 {
		t.Fatalf("right after the rate change: %d, want 429 (a reload must not refill)", w.Code)
	}
	time.Sleep(60 * time.Millisecond)
	if w := serve(t, h, request("192.0.2.1")); w.Code != 200 {
		t.Fatalf("60 ms after changing to 20r/s: %d, want 200", w.Code)
	}
	z := h.zone
	cancel()
	if _, ok := zones.References("t_reload\x00"); ok {
		t.Fatal("zone still in the pool after its last config stopped")
	}
	select {
	case <-z.stop: // the sweeper goroutine returns
	default:
		t.Fatal("zone not destructed after its last config stopped")
	}
}

func TestZoneConflictInOneConfig(t *testing.T) {
	ctx, stop := newContext(t)
	provision(t, &ctx, &Throttle{Zone: "t_conflict", Rate: "10r/s", Burst: 5})
	provision(t, &ctx, &Throttle{Zone: "t_conflict", Rate: "600r/m", Burst: 5, MaxKeys: 100_000, Key: "{path}", DisableHeaders: true})
	h := &Throttle{Zone: "t_conflict", Rate: "10r/s", Burst: 6}
	err := h.Provision(ctx)
	h.Cleanup()
	if err == nil || !strings.Contains(err.Error(), "different settings") {
		t.Fatalf("a second handler with another burst in the same config: %v, want an error", err)
	}
	if refs, _ := zones.References("t_conflict\x00"); refs != 2 {
		t.Fatalf("zone references %d after the failed handler was cleaned up, want 2", refs)
	}
	stop()
	if _, ok := zones.References("t_conflict\x00"); ok {
		t.Fatal("zone still in the pool after its config stopped")
	}
}

func TestProvisionErrors(t *testing.T) {
	tests := []Throttle{
		{Zone: "", Rate: "1r/s"},
		{Zone: "bad zone", Rate: "1r/s"},
		{Zone: `a"b`, Rate: "1r/s"},
		{Zone: ".z", Rate: "1r/s"},
		{Zone: "-z", Rate: "1r/s"},
		{Zone: "z"},
		{Zone: "z", Rate: "1r/d"},
		{Zone: "z", Rate: "1r/h", Burst: 2_000_000_000}, // 228,000 years to refill
		{Zone: "z", Rate: "1r/s", Burst: -1},
		{Zone: "z", Rate: "1r/s", IPv4Prefix: 33},
		{Zone: "z", Rate: "1r/s", IPv6Prefix: 129},
		{Zone: "z", Rate: "1r/s", MaxKeys: -1},
		{Zone: "z", Rate: "1r/s", Allow: []string{"10.0.0.0/33"}},
		{Zone: "z", Rate: "1r/s", StatusCode: 200},
		{Zone: "z", Rate: "1r/s", OnStoreError: "maybe"},
		{Zone: "z", Rate: "1r/s", Store: "http://127.0.0.1:6379"},
	}
	for _, h := range tests {
		t.Run(fmt.Sprintf("%+v", h), func(t *testing.T) {
			ctx, _ := newContext(t)
			err := h.Provision(ctx)
			h.Cleanup()
			if err == nil {
				t.Fatal("Provision succeeded, want an error")
			}
		})
	}
}

// TestStoreDown points a zone at a closed port: requests pass (or get 503
// with on_store_error deny), quickly, and the errors are counted.
func TestStoreDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, mode := range []string{"allow", "deny"} {
		t.Run(mode, func(t *testing.T) {
			ctx, _ := newContext(t)
			h := provision(t, &ctx, &Throttle{Zone: "t_down_" + mode, Rate: "1r/h", Store: "redis://" + addr + "/0",
				StoreTimeout: caddy.Duration(50 * time.Millisecond), OnStoreError: mode})
			for i := range 20 {
				start := time.Now()
				w := serve(t, h, request("192.0.2.1"))
				want := 200
				if mode == "deny" {
					want = 503
				}
				if w.Code != want {
					t.Fatalf("request %d: %d, want %d", i, w.Code, want)
				}
				if mode == "deny" && (w.Header().Get("Retry-After") != "1" || !strings.Contains(w.Body.String(), "rate limiter unavailable")) {
					t.Fatalf("request %d: Retry-After %q, body %q", i, w.Header().Get("Retry-After"), w.Body.String())
				}
				// 50 ms store timeout; a request that waited on the network
				// would take seconds.
				if el := time.Since(start); el > 500*time.Millisecond {
					t.Fatalf("request %d took %v, want about the 50 ms store timeout", i, el)
				}
			}
			if got := value(t, ctx, "frontdoor_throttle_store_errors_total", h.Zone); got != 20 {
				t.Fatalf("store errors %v, want 20", got)
			}
		})
	}
}

// TestMetricsRegisterTwice provisions handlers of two zones in two configs
// sharing nothing, and twice in one registry: no panic, no error, and no
// client address in any label.
func TestMetricsRegisterTwice(t *testing.T) {
	ctx, _ := newContext(t)
	a := provision(t, &ctx, &Throttle{Zone: "t_m1", Rate: "1r/h"})
	b := provision(t, &ctx, &Throttle{Zone: "t_m2", Rate: "1r/h", MaxKeys: 10})
	for i := range 30 {
		serve(t, a, request(fmt.Sprintf("192.0.2.%d", i)))
		serve(t, b, request(fmt.Sprintf("2001:db8:%x::1", i)))
	}
	if got := value(t, ctx, "frontdoor_throttle_keys", "t_m2"); got != 10 {
		t.Fatalf("keys of t_m2 %v, want the cap 10", got)
	}
	if got := value(t, ctx, "frontdoor_throttle_evictions_total", "t_m2"); got != 20 {
		t.Fatalf("evictions of t_m2 %v, want 20", got)
	}
	mfs, err := ctx.GetMetricsRegistry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if _, err := netip.ParseAddr(lp.GetValue()); err == nil {
					t.Fatalf("%s has an address label %s=%s", mf.GetName(), lp.GetName(), lp.GetValue())
				}
			}
		}
	}
}

// nopWriter is a ResponseWriter that keeps nothing.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(int)             {}

// TestKeyFlood sends 1,000,000 distinct client addresses through a zone
// capped at 100,000 keys: the keys gauge never passes the cap, evictions
// are counted and the heap stays bounded.
func TestKeyFlood(t *testing.T) {
	harness.Long(t, "key flood")
	const maxKeys, flood = 100_000, 1_000_000
	ctx, _ := newContext(t)
	h := provision(t, &ctx, &Throttle{Zone: "t_flood", Rate: "1r/h", Burst: 10, MaxKeys: maxKeys}) // never idle long enough to be swept
	r := request("192.0.2.1")
	vars := r.Context().Value(caddyhttp.VarsCtxKey).(map[string]any)
	w := &nopWriter{h: make(http.Header)}
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	base := heap()
	var atCap uint64
	for i := range flood {
		// 1,000,000 distinct IPv6 /64 networks.
		vars[caddyhttp.ClientIPVarKey] = fmt.Sprintf("2001:db8:%x:%x::1", i>>16, i&0xffff)
		clear(w.h)
		if err := h.ServeHTTP(w, r, okHandler); err != nil {
			t.Fatal(err)
		}
		if i%50_000 == 0 || i == flood-1 {
			if got := value(t, ctx, "frontdoor_throttle_keys", "t_flood"); got > maxKeys {
				t.Fatalf("after %d keys the keys gauge is %v > %d", i+1, got, maxKeys)
			}
		}
		if h.zone.mem.Len() > maxKeys {
			t.Fatalf("after %d keys the zone holds %d > %d", i+1, h.zone.mem.Len(), maxKeys)
		}
		if i == maxKeys-1 {
			atCap = heap()
		}
	}
	end := heap()
	keys := value(t, ctx, "frontdoor_throttle_keys", "t_flood")
	ev := value(t, ctx, "frontdoor_throttle_evictions_total", "t_flood")
	t.Logf("key flood: %d keys, cap %d: gauge %v, evictions %v, heap %.1f MiB before, %.1f MiB at the cap, %.1f MiB after the flood",
		flood, maxKeys, keys, ev, mib(base), mib(atCap), mib(end))
	if keys != maxKeys || ev != flood-maxKeys {
		t.Fatalf("keys %v evictions %v, want %d and %d", keys, ev, maxKeys, flood-maxKeys)
	}
	// A held bucket costs about 200 bytes once the churn of evictions has
	// grown the maps; what the flood evicted is not kept.
	if perKey := (float64(end) - float64(base)) / maxKeys; perKey > maxBytesPerKey {
		t.Fatalf("heap grew by %.1f MiB (%.0f bytes per held key), want at most %d bytes per key",
			mib(end-min(base, end)), perKey, maxBytesPerKey)
	}
}

// maxBytesPerKey bounds the heap a zone's bucket costs, its key included.
const maxBytesPerKey = 256

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// heapBytes returns the live heap once a collection frees no more than
// 64 KiB: the zones of earlier tests are freed when their sweeper
// goroutines, stopped at the tests' end, have run.
func heapBytes() uint64 {
	var prev uint64
	for i := 0; ; i++ {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if i == 20 || (i > 0 && ms.HeapAlloc+64<<10 >= prev) {
			return ms.HeapAlloc
		}
		prev = ms.HeapAlloc
		time.Sleep(10 * time.Millisecond)
	}
}

// TestKeyFloodLongKeys is issue 13's reproduction: a zone keyed on a request
// header, flooded with distinct 16 KB values. Each bucket must cost the
// same as one keyed on a short value (the header is not kept), so max_keys
// bounds the zone's bytes.
func TestKeyFloodLongKeys(t *testing.T) {
	const n = 6000
	ctx, _ := newContext(t)
	perKey := map[int]float64{}
	for _, size := range []int{16, 16 << 10} {
		zone := fmt.Sprintf("t_long_%d", size)
		h := provision(t, &ctx, &Throttle{Zone: zone, Key: "{http.request.header.X-Key}", Rate: "1r/h", MaxKeys: 100_000})
		r := request("192.0.2.1")
		w := &nopWriter{h: make(http.Header)}
		val := []byte(strings.Repeat("k", size))
		before := heapBytes()
		for i := range n {
			strconv.AppendInt(val[:0], int64(i)+1e9, 10) // distinct values
			r.Header.Set("X-Key", string(val))
			clear(w.h)
			if err := h.ServeHTTP(w, r, okHandler); err != nil {
				t.Fatal(err)
			}
		}
		r.Header.Del("X-Key")
		after := heapBytes()
		if got := h.zone.mem.Len(); got != n {
			t.Fatalf("%d-byte keys: zone holds %d buckets, want %d", size, got, n)
		}
		perKey[size] = (float64(after) - float64(before)) / n
		t.Logf("%d distinct %d-byte X-Key values: heap +%.1f MiB, %.0f bytes per key", n, size, mib(after-min(before, after)), perKey[size])
	}
	for size, b := range perKey {
		if b > maxBytesPerKey {
			t.Errorf("%d-byte keys cost %.0f bytes each, want at most %d whatever the key length", size, b, maxBytesPerKey)
		}
	}
	if d := perKey[16<<10] - perKey[16]; d > 64 {
		t.Errorf("a 16 KB key costs %.0f bytes more than a 16-byte one, want the same", d)
	}
}

// BenchmarkServeHTTPHit is the whole handler on existing keys with 100,000
// live keys, from parallel goroutines, each on its own scattered keys.
func BenchmarkServeHTTPHit(b *testing.B) {
	ctx, _ := newContext(b)
	h := provision(b, &ctx, &Throttle{Zone: "b_hit", Rate: "1000000r/s", Burst: 1000, MaxKeys: 200_000})
	const live = 100_000
	ip := func(i int) string { return fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255) }
	w := &nopWriter{h: make(http.Header)}
	for i := range live {
		h.ServeHTTP(w, request(ip(i)), okHandler)
	}
	// Each RunParallel goroutine takes requests built before the timer
	// starts, so that allocs/op counts only the handler.
	const perWorker = 4096
	workers := make(chan []*http.Request, runtime.GOMAXPROCS(0))
	for n := range cap(workers) {
		reqs := make([]*http.Request, perWorker)
		for i := range reqs {
			reqs[i] = request(ip((n*perWorker + i*7919) % live))
		}
		workers <- reqs
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cputime.Now()
	b.RunParallel(func(pb *testing.PB) {
		reqs := <-workers
		w := &nopWriter{h: make(http.Header)}
		i := 0
		for pb.Next() {
			if err := h.ServeHTTP(w, reqs[i%perWorker], okHandler); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	cputime.Report(b, cpu0)
	if n := h.zone.mem.Len(); n != live {
		b.Fatalf("zone holds %d keys, want %d", n, live)
	}
}

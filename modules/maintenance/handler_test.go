package maintenance

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	maint "github.com/frontdoor-gateway/frontdoor/modules/internal/maintenance"
)

type memStorage struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *memStorage) Load(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[key]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return b, nil
}

func (s *memStorage) Store(_ context.Context, key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = value
	return nil
}

// testHandler provisions h without a Caddy config: its switch lives in an
// in-memory registry, its counters in a fresh Prometheus registry.
func testHandler(tb testing.TB, h *Handler) (*maint.Registry, *metrics, *prometheus.Registry) {
	tb.Helper()
	reg := maint.NewRegistry(&memStorage{m: map[string][]byte{}})
	promReg := prometheus.NewPedanticRegistry()
	m, err := newMetrics(promReg, reg)
	if err != nil {
		tb.Fatal(err)
	}
	h.logger = zap.NewNop()
	if err := h.compile(); err != nil {
		tb.Fatal(err)
	}
	if err := h.Validate(); err != nil {
		tb.Fatal(err)
	}
	if h.sw, err = reg.Register(context.Background(), h.Name, maint.Options{Enabled: h.Enabled, OnStateError: h.onStateError}); err != nil {
		tb.Fatal(err)
	}
	h.counters = m.counters(h.Name)
	return reg, m, promReg
}

func testRequest(method, target, clientIP string, header http.Header) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	maps := map[string]any{caddyhttp.ClientIPVarKey: clientIP}
	r = r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, maps))
	caddyhttp.NewTestReplacer(r)
	for k, v := range header {
		r.Header[k] = v
	}
	return r
}

var upstream = caddyhttp.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) error {
	w.WriteHeader(http.StatusTeapot)
	return nil
})

func TestHandlerServeHTTP(t *testing.T) {
	const secret = "correct-horse-battery-staple"
	h := &Handler{Name: "shop", Allow: []string{"10.0.0.0/8", "2001:db8::1"}, BypassSecret: secret, RetryAfter: caddy.Duration(30 * time.Minute)}
	reg, _, promReg := testHandler(t, h)
	ctx := context.Background()
	set := func(s maint.State) {
		t.Helper()
		if _, err := reg.Set(ctx, "shop", s); err != nil {
			t.Fatal(err)
		}
	}
	valid := h.bypass.Issue(time.Now().Add(time.Hour))
	expired := h.bypass.Issue(time.Now().Add(-time.Second))
	tampered := valid[:len(valid)-1] + map[bool]string{true: "A", false: "B"}[valid[len(valid)-1] != 'A']
	until := time.Now().Add(90 * time.Second).Truncate(time.Second)

	tests := []struct {
		name       string
		state      maint.State
		method     string
		target     string
		clientIP   string
		header     http.Header
		wantStatus int
		check      func(t *testing.T, rec *httptest.ResponseRecorder)
	}{
		{name: "off passes", state: maint.State{}, target: "/", clientIP: "192.0.2.1", wantStatus: http.StatusTeapot},
		{name: "scheduled later passes", state: maint.State{Enabled: true, From: time.Now().Add(time.Hour)}, target: "/", clientIP: "192.0.2.1", wantStatus: http.StatusTeapot},
		{name: "on blocks html", state: maint.State{Enabled: true, Message: "deploying"}, target: "/static/app.css", clientIP: "192.0.2.1",
			header: http.Header{"Accept": {"text/css,*/*;q=0.1"}}, wantStatus: 503,
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				hdr := rec.Header()
				if hdr.Get("Retry-After") != "1800" || hdr.Get("Cache-Control") != "no-store" ||
					!strings.HasPrefix(hdr.Get("Content-Type"), "text/html") || hdr.Get("Vary") != "Accept" {
					t.Errorf("headers %v", hdr)
				}
				if !strings.Contains(rec.Body.String(), "deploying") {
					t.Errorf("body lacks the message: %s", rec.Body)
				}
			}},
		{name: "on blocks json with until", state: maint.State{Enabled: true, Until: until}, target: "/api", clientIP: "192.0.2.1",
			header: http.Header{"Accept": {"application/json"}}, wantStatus: 503,
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				var body struct {
					Status, Message string
					Until           time.Time
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
					t.Fatalf("%v: %s", err, rec.Body)
				}
				if body.Status != "maintenance" || body.Message != maint.DefaultMessage || !body.Until.Equal(until) {
					t.Errorf("body %+v", body)
				}
				if ra := rec.Header().Get("Retry-After"); ra != "90" && ra != "89" {
					t.Errorf("Retry-After %q, want the ~90 s left", ra)
				}
			}},
		{name: "head has no body", state: maint.State{Enabled: true}, method: http.MethodHead, target: "/", clientIP: "192.0.2.1", wantStatus: 503,
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if rec.Body.Len() != 0 {
					t.Errorf("HEAD body %q", rec.Body)
				}
			}},
		{name: "allowed range passes", state: maint.State{Enabled: true}, target: "/", clientIP: "10.20.30.40", wantStatus: http.StatusTeapot},
		{name: "allowed single v6 passes", state: maint.State{Enabled: true}, target: "/", clientIP: "2001:db8::1", wantStatus: http.StatusTeapot},
		{name: "mapped v4 allowed", state: maint.State{Enabled: true}, target: "/", clientIP: "::ffff:10.1.1.1", wantStatus: http.StatusTeapot},
		{name: "neighbour v6 blocked", state: maint.State{Enabled: true}, target: "/", clientIP: "2001:db8::2", wantStatus: 503},
		{name: "valid cookie passes", state: maint.State{Enabled: true}, target: "/", clientIP: "192.0.2.1",
			header: http.Header{"Cookie": {"fd_maintenance_shop=" + valid}}, wantStatus: http.StatusTeapot},
		{name: "expired cookie blocked", state: maint.State{Enabled: true}, target: "/", clientIP: "192.0.2.1",
			header: http.Header{"Cookie": {"fd_maintenance_shop=" + expired}}, wantStatus: 503},
		{name: "tampered cookie blocked", state: maint.State{Enabled: true}, target: "/", clientIP: "192.0.2.1",
			header: http.Header{"Cookie": {"fd_maintenance_shop=" + tampered}}, wantStatus: 503},
		{name: "wrong secret blocked", state: maint.State{Enabled: true}, target: "/?fd_bypass=nope", clientIP: "192.0.2.1", wantStatus: 503},
		{name: "secret grants cookie", state: maint.State{Enabled: true}, target: "//evil.example/p?a=1&fd_bypass=" + secret + "&b=2", clientIP: "192.0.2.1", wantStatus: http.StatusFound,
			check: func(t *testing.T, rec *httptest.ResponseRecorder) {
				if loc := rec.Header().Get("Location"); loc != "/evil.example/p?a=1&b=2" {
					t.Errorf("Location %q", loc)
				}
				resp := rec.Result()
				var c *http.Cookie
				for _, rc := range resp.Cookies() {
					if rc.Name == "fd_maintenance_shop" {
						c = rc
					}
				}
				if c == nil || !c.HttpOnly || c.Secure || c.SameSite != http.SameSiteLaxMode || c.MaxAge != int((12*time.Hour).Seconds()) {
					t.Fatalf("cookie %+v", c)
				}
				if !h.bypass.Valid(c.Value, time.Now()) {
					t.Error("issued cookie does not verify")
				}
				if strings.Contains(strings.Join(resp.Header.Values("Set-Cookie"), " ")+resp.Header.Get("Location"), secret) {
					t.Error("the secret leaked into the response headers")
				}
			}},
		{name: "secret works while off too", state: maint.State{}, target: "/?fd_bypass=" + secret, clientIP: "192.0.2.1", wantStatus: http.StatusFound},
	}
	// The counters are process-wide: count this test's own.
	blocked0 := testutil.ToFloat64(h.counters.blocked)
	allowed0 := testutil.ToFloat64(h.counters.allowed)
	bypassed0 := testutil.ToFloat64(h.counters.bypassed)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set(tt.state)
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			r := testRequest(method, "http://shop.example"+tt.target, tt.clientIP, tt.header)
			rec := httptest.NewRecorder()
			if err := h.ServeHTTP(rec, r, upstream); err != nil {
				t.Fatal(err)
			}
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d (body %s)", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.check != nil {
				tt.check(t, rec)
			}
		})
	}

	want := `
# HELP frontdoor_maintenance_enabled Whether the named maintenance is on right now (1) or off (0).
# TYPE frontdoor_maintenance_enabled gauge
frontdoor_maintenance_enabled{name="shop"} 0
`
	if err := testutil.GatherAndCompare(promReg, strings.NewReader(want), "frontdoor_maintenance_enabled"); err != nil {
		t.Error(err)
	}
	if got := testutil.ToFloat64(h.counters.blocked) - blocked0; got != 7 {
		t.Errorf("blocked = %v, want 7", got)
	}
	if got := testutil.ToFloat64(h.counters.allowed) - allowed0; got != 3 {
		t.Errorf("allowed = %v, want 3", got)
	}
	if got := testutil.ToFloat64(h.counters.bypassed) - bypassed0; got != 2 { // one cookie pass, one grant while on
		t.Errorf("bypassed = %v, want 2", got)
	}
}

func TestHandlerCustomPageAndStatus(t *testing.T) {
	dir := t.TempDir()
	page := dir + "/page.html"
	if err := os.WriteFile(page, []byte(`<p>{{.Name}}: {{.Message}} ({{.RetryAfter}}s)</p>`), 0o600); err != nil {
		t.Fatal(err)
	}
	h := &Handler{Name: "brand", Enabled: true, Page: page, Status: 502, Message: "gone fishing", RetryAfter: caddy.Duration(time.Minute)}
	testHandler(t, h)
	rec := httptest.NewRecorder()
	if err := h.ServeHTTP(rec, testRequest("GET", "http://b/", "192.0.2.1", nil), upstream); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 502 || rec.Body.String() != "<p>brand: gone fishing (60s)</p>" {
		t.Fatalf("got %d %q", rec.Code, rec.Body)
	}
}

func TestHandlerConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		h    Handler
	}{
		{"no name", Handler{}},
		{"bad name", Handler{Name: "a/b"}},
		{"bad allow", Handler{Name: "x", Allow: []string{"10.0.0.0/33"}}},
		{"missing page", Handler{Name: "x", Page: "/nonexistent/page.html"}},
		{"empty secret", Handler{Name: "x", BypassSecret: "{env.FRONTDOOR_TEST_UNSET_VARIABLE}"}},
		{"short secret", Handler{Name: "x", BypassSecret: "fifteen-chars-x"}},
		{"bad on_state_error", Handler{Name: "x", OnStateError: "fail-open"}},
		{"short secret from a placeholder", Handler{Name: "x", BypassSecret: "{env.FRONTDOOR_TEST_SHORT_SECRET}"}},
		{"short secret around a placeholder", Handler{Name: "x", BypassSecret: "ab{env.FRONTDOOR_TEST_SHORT_SECRET}"}},
	}
	t.Setenv("FRONTDOOR_TEST_SHORT_SECRET", "hunter2")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.h
			h.logger = zap.NewNop()
			if err := h.compile(); err == nil {
				t.Error("no error")
			}
		})
	}
	if err := (&Handler{Name: "x", Status: 700}).Validate(); err == nil {
		t.Error("status 700 accepted")
	}
	t.Setenv("FRONTDOOR_TEST_LONG_SECRET", "0123456789abcdef")
	for _, ok := range []string{"sixteen-chars-xx", "{env.FRONTDOOR_TEST_LONG_SECRET}", "ünïcödé-sëcrët-ø"} {
		h := Handler{Name: "x", BypassSecret: ok, logger: zap.NewNop()}
		if err := h.compile(); err != nil {
			t.Errorf("bypass_secret %q: %v", ok, err)
		}
	}
	h := Handler{Name: "x", BypassSecret: "{env.FRONTDOOR_TEST_SHORT_SECRET}", logger: zap.NewNop()}
	if err := h.compile(); err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "at least 16 characters") {
		t.Errorf("short secret error %v: want the rule, never the secret", err)
	}
}

// TestHandlerBypassGuesses: after five wrong secrets a client's guesses are
// not checked: the right one gets the maintenance page (or, while
// maintenance is off, the site) and no cookie.
func TestHandlerBypassGuesses(t *testing.T) {
	const secret = "correct-horse-battery-staple"
	h := &Handler{Name: "shop", BypassSecret: secret, RetryAfter: caddy.Duration(time.Second)}
	reg, _, _ := testHandler(t, h)
	ctx := context.Background()
	if _, err := reg.Set(ctx, "shop", maint.State{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	serve := func(client, given string) *httptest.ResponseRecorder {
		t.Helper()
		rec := httptest.NewRecorder()
		r := testRequest("GET", "http://shop.example/?fd_bypass="+given, client, nil)
		if err := h.ServeHTTP(rec, r, upstream); err != nil {
			t.Fatal(err)
		}
		return rec
	}
	blocked0 := testutil.ToFloat64(h.counters.blocked)
	limited0 := testutil.ToFloat64(h.counters.limited)

	for range 20 { // right guesses never use up the limit
		if rec := serve("192.0.2.50", secret); rec.Code != http.StatusFound {
			t.Fatalf("right secret: %d", rec.Code)
		}
	}
	for i := range 5 {
		if rec := serve("192.0.2.51", "wrong"); rec.Code != 503 || rec.Header().Get("Retry-After") != "1" {
			t.Fatalf("wrong guess %d: %d, Retry-After %q", i+1, rec.Code, rec.Header().Get("Retry-After"))
		}
	}
	rec := serve("192.0.2.51", secret)
	if rec.Code != 503 || rec.Header().Get("Set-Cookie") != "" {
		t.Fatalf("limited client's right secret: %d %v", rec.Code, rec.Header())
	}
	if ra := rec.Header().Get("Retry-After"); ra != "12" && ra != "11" {
		t.Errorf("Retry-After %q, want the wait for the next guess (12 s)", ra)
	}
	if got := testutil.ToFloat64(h.counters.blocked) - blocked0; got != 5 {
		t.Errorf("blocked = %v, want 5 (the limited answer is not counted twice)", got)
	}
	if got := testutil.ToFloat64(h.counters.limited) - limited0; got != 1 {
		t.Errorf("bypass_limited = %v, want 1", got)
	}

	// Off, a limited client reaches the site, but its guess is not checked.
	if _, err := reg.Set(ctx, "shop", maint.State{}); err != nil {
		t.Fatal(err)
	}
	if rec := serve("192.0.2.51", secret); rec.Code != http.StatusTeapot || rec.Header().Get("Set-Cookie") != "" {
		t.Fatalf("limited client while off: %d %v, want the site and no cookie", rec.Code, rec.Header())
	}
	if got := testutil.ToFloat64(h.counters.limited) - limited0; got != 2 {
		t.Errorf("bypass_limited = %v, want 2", got)
	}
	if rec := serve("192.0.2.52", secret); rec.Code != http.StatusFound {
		t.Fatalf("another client while off: %d", rec.Code)
	}
}

func TestMetricsRegisterTwice(t *testing.T) {
	promReg := prometheus.NewPedanticRegistry()
	reg := maint.NewRegistry(&memStorage{m: map[string][]byte{}})
	a, err := newMetrics(promReg, reg)
	if err != nil {
		t.Fatal(err)
	}
	// A config reload: a new registry, the same counters.
	b, err := newMetrics(prometheus.NewPedanticRegistry(), reg)
	if err != nil {
		t.Fatal(err)
	}
	before := testutil.ToFloat64(b.counters("shop").blocked)
	a.counters("shop").blocked.Inc()
	if got := testutil.ToFloat64(b.counters("shop").blocked); got != before+1 {
		t.Fatalf("second registration does not share the counter: %v", got)
	}
	var nilMetrics *metrics
	inc(nilMetrics.counters("shop").blocked) // must not panic
}

func benchHandler(b *testing.B, state maint.State, clientIP string, header http.Header) {
	h := &Handler{Name: "shop", Allow: []string{"10.0.0.0/8"}, BypassSecret: "correct-horse-battery-staple"}
	reg, _, _ := testHandler(b, h)
	if _, err := reg.Set(context.Background(), "shop", state); err != nil {
		b.Fatal(err)
	}
	r := testRequest("GET", "http://shop.example/static/app.js?v=3", clientIP, header)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		_ = h.ServeHTTP(w, r, upstream)
	}
}

func BenchmarkServeHTTPOff(b *testing.B) {
	benchHandler(b, maint.State{}, "192.0.2.1", nil)
}

func BenchmarkServeHTTPAllowed(b *testing.B) {
	benchHandler(b, maint.State{Enabled: true}, "10.1.2.3", nil)
}

func BenchmarkServeHTTPBlockedHTML(b *testing.B) {
	benchHandler(b, maint.State{Enabled: true, Until: time.Now().Add(time.Hour)}, "192.0.2.1", http.Header{"Accept": {"text/html"}})
}

func BenchmarkServeHTTPBlockedJSON(b *testing.B) {
	benchHandler(b, maint.State{Enabled: true}, "192.0.2.1", http.Header{"Accept": {"application/json"}})
}

type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) {
	return len(b), nil
}
func (w *discardWriter) WriteHeader(int) {}

func TestStripCookie(t *testing.T) {
	const name = "fd_maintenance_shop"
	tests := []struct {
		name string
		in   []string
		want []string // nil: no Cookie header left
	}{
		{"absent", []string{"a=1; b=2"}, []string{"a=1; b=2"}},
		{"only cookie", []string{name + "=v1.sig"}, nil},
		{"between others", []string{"a=1; " + name + "=v1.sig; b=2"}, []string{"a=1; b=2"}},
		{"on its own line", []string{"a=1", name + "=x", "b=2"}, []string{"a=1", "b=2"}},
		{"spaces around the name", []string{"a=1;  " + name + " =x;b=2"}, []string{"a=1; b=2"}},
		{"a longer name is another cookie", []string{name + "_old=x; " + name + "=y"}, []string{name + "_old=x"}},
		{"a value that holds the name stays", []string{"ref=" + name + "=x"}, []string{"ref=" + name + "=x"}},
		{"no Cookie header", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := http.Header{}
			if tt.in != nil {
				hdr["Cookie"] = append([]string(nil), tt.in...)
			}
			stripCookie(hdr, name)
			got, ok := hdr["Cookie"]
			if tt.want == nil {
				if ok {
					t.Fatalf("Cookie %q, want none", got)
				}
				return
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("Cookie %q, want %q", got, tt.want)
			}
		})
	}
}

func BenchmarkStripCookieAbsent(b *testing.B) {
	hdr := http.Header{"Cookie": {"session=abc123; theme=dark; _ga=GA1.2.3"}}
	b.ReportAllocs()
	for b.Loop() {
		stripCookie(hdr, "fd_maintenance_shop")
	}
}

func TestParsePrefix(t *testing.T) {
	for in, want := range map[string]string{
		"10.1.2.3":            "10.1.2.3/32",
		"10.1.2.3/8":          "10.0.0.0/8",
		"2001:db8::1":         "2001:db8::1/128",
		"::ffff:10.0.0.0/104": "10.0.0.0/8", // mapped: compared as IPv4
		"::ffff:10.1.2.3":     "10.1.2.3/32",
	} {
		p, err := parsePrefix(in)
		if err != nil || p.String() != want {
			t.Errorf("parsePrefix(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	for _, bad := range []string{"", "10.0.0.0/33", "example.com", "10.0.0.1/x"} {
		if p, err := parsePrefix(bad); err == nil {
			t.Errorf("parsePrefix(%q) = %v, want an error", bad, p)
		}
	}
}

func TestBypassLocation(t *testing.T) {
	tests := []struct {
		name, target, orig, want string
	}{
		{"no original request", "/orders/42?fd_bypass=s&x=1", "", "/orders/42?x=1"},
		{"prefix stripped", "/orders/42?fd_bypass=s&x=1", "/app/orders/42?fd_bypass=s&x=1", "/app/orders/42?x=1"},
		{"rewritten query", "/orders?fd_bypass=s&page=2", "/app/orders?fd_bypass=s", "/app/orders"},
		{"original looks like another host", "/p?fd_bypass=s", "//evil.example/p?fd_bypass=s", "/evil.example/p"},
		{"escaped original", "/b?fd_bypass=s", "/a%2Fb?fd_bypass=s", "/a%2Fb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := testRequest("GET", "http://shop.example"+tt.target, "192.0.2.1", nil)
			if tt.orig != "" {
				o := httptest.NewRequest("GET", "http://shop.example"+tt.orig, nil)
				r = r.WithContext(context.WithValue(r.Context(), caddyhttp.OriginalRequestCtxKey, *o))
			}
			if got := bypassLocation(r); got != tt.want {
				t.Fatalf("bypassLocation = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestHandlerUnreadableState: what the handler serves while the stored
// switch cannot be read, for each on_state_error.
func TestHandlerUnreadableState(t *testing.T) {
	for _, tt := range []struct {
		policy string
		known  bool // the state before the damage: on
		want   int
	}{
		{"", true, 503},
		{"keep", false, http.StatusTeapot},
		{"closed", false, 503},
		{"open", true, http.StatusTeapot},
	} {
		t.Run(tt.policy, func(t *testing.T) {
			h := &Handler{Name: "shop", OnStateError: tt.policy, Message: "configured"}
			st := &memStorage{m: map[string][]byte{}}
			reg := maint.NewRegistry(st)
			h.logger = zap.NewNop()
			if err := h.compile(); err != nil {
				t.Fatal(err)
			}
			var err error
			if h.sw, err = reg.Register(context.Background(), h.Name, maint.Options{OnStateError: h.onStateError}); err != nil {
				t.Fatal(err)
			}
			if _, err := reg.Set(context.Background(), "shop", maint.State{Enabled: tt.known}); err != nil {
				t.Fatal(err)
			}
			st.m[maint.Key("shop")] = []byte(`{"enabled":tr`)
			_ = reg.Refresh(context.Background())
			rec := httptest.NewRecorder()
			if err := h.ServeHTTP(rec, testRequest("GET", "http://shop.example/", "192.0.2.1", http.Header{"Accept": {"application/json"}}), upstream); err != nil {
				t.Fatal(err)
			}
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d", rec.Code, tt.want)
			}
			if rec.Code == 503 && !strings.Contains(rec.Body.String(), "configured") {
				t.Errorf("body %s", rec.Body)
			}
		})
	}
}

package waitingroom

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	wr "github.com/frontdoor-gateway/frontdoor/modules/internal/waitingroom"
	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// config is one test config: its context, its app, its handlers.
type config struct {
	ctx      caddy.Context
	app      *App
	handlers []*Handler
	stop     func()
}

// newConfig starts a Caddy context and app, as for one config; stop (also
// run at the end of the test) cleans up its handlers as Caddy does.
func newConfig(t testing.TB) *config {
	t.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	c := &config{ctx: ctx, app: new(App)}
	if err := c.app.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	c.stop = func() {
		once.Do(func() {
			cancel()
			for _, h := range c.handlers {
				h.Cleanup()
			}
		})
	}
	t.Cleanup(c.stop)
	return c
}

// add provisions h in the config.
func (c *config) add(t testing.TB, h *Handler) *Handler {
	t.Helper()
	if err := c.try(h); err != nil {
		t.Fatalf("Provision: %v", err)
	}
	return h
}

func (c *config) try(h *Handler) error {
	h.logger = c.ctx.Logger()
	if err := h.compile(); err != nil {
		return err
	}
	err := h.provision(c.app)
	c.handlers = append(c.handlers, h)
	if err != nil {
		return err
	}
	return h.Validate()
}

// upstream records what the site behind the room received.
type upstream struct {
	mu       sync.Mutex
	hits     int
	sessions []string
	fields   [][]string
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) error {
	u.mu.Lock()
	u.hits++
	u.sessions = append(u.sessions, r.Header.Get(SessionHeader))
	var fields []string // every field a backend may read as the session header
	for k := range r.Header {
		if strings.EqualFold(strings.ReplaceAll(k, "_", "-"), SessionHeader) {
			fields = append(fields, k)
		}
	}
	u.fields = append(u.fields, fields)
	u.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("the site"))
	return nil
}

func (u *upstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.hits
}

// client is a browser with the room's cookie.
type client struct {
	cookie  string // name=value
	trusted bool   // behind a trusted proxy
	header  http.Header
	tls     bool
}

func (c *client) do(t testing.TB, h *Handler, next caddyhttp.Handler, method string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, "http://shop.example.com/book", nil)
	vars := map[string]any{caddyhttp.ClientIPVarKey: "192.0.2.10", caddyhttp.TrustedProxyVarKey: c.trusted}
	ctx := context.WithValue(r.Context(), caddyhttp.VarsCtxKey, vars)
	ctx = context.WithValue(ctx, caddyhttp.ExtraLogFieldsCtxKey, new(caddyhttp.ExtraLogFields))
	r = r.WithContext(ctx)
	caddyhttp.NewTestReplacer(r)
	if c.tls {
		r.TLS = &tls.ConnectionState{}
	}
	for k, v := range c.header {
		r.Header[k] = v
	}
	if c.cookie != "" {
		r.Header.Set("Cookie", "other=1; "+c.cookie+"; more=2")
	}
	w := httptest.NewRecorder()
	if err := h.ServeHTTP(w, r, next); err != nil {
		t.Fatalf("ServeHTTP: %v", err)
	}
	for _, sc := range w.Result().Cookies() {
		if sc.Name == h.signer.CookieName() {
			c.cookie = sc.Name + "=" + sc.Value
		}
	}
	if w.Code >= 500 {
		t.Fatalf("status %d: the room never answers 5xx", w.Code)
	}
	return w
}

func newHandler(name string) *Handler {
	return &Handler{Name: name, ActiveUsers: 1, NewUsersPerMinute: 600, SessionDuration: caddy.Duration(time.Minute), Refresh: caddy.Duration(10 * time.Second)}
}

func decisions(h *Handler, result string) float64 {
	return testutil.ToFloat64(h.counters.counterFor(result))
}

func (c counters) counterFor(result string) prometheus.Collector {
	switch result {
	case resultAdmitted:
		return c.admitted
	case resultQueued:
		return c.queued
	case resultPassed:
		return c.passed
	case resultBadCookie:
		return c.badCookie
	}
	return c.storeError
}

// TestMatchAndSessionHeader: requests the room's Match leaves out go on
// at once, without the client's own session header; a room after one that
// admitted the request keeps that room's session id.
func TestMatchAndSessionHeader(t *testing.T) {
	cfg := newConfig(t)
	outer := cfg.add(t, newHandler("match-outer"))
	inner := newHandler("match-inner")
	inner.ActiveUsers = 100
	inner.matchers = caddyhttp.MatcherSets{{caddyhttp.MatchPath{"/other*"}}}
	cfg.add(t, inner)
	up := &upstream{}
	chain := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return inner.ServeHTTP(w, r, up)
	})

	// Every spelling a backend may read as the header: CGI, FastCGI and
	// WSGI turn '-' into '_'.
	forged := http.Header{SessionHeader: {"forged"}, "X_waiting_room_session": {"forged"}, "X-Waiting_Room-Session": {"forged"}}
	forger := &client{header: forged}
	if w := forger.do(t, inner, up, "GET"); w.Code != 200 || up.count() != 1 || len(w.Result().Cookies()) != 0 {
		t.Fatalf("a request outside Match: %d, %d upstream hits, cookies %v", w.Code, up.count(), w.Result().Cookies())
	}
	if up.sessions[0] != "" || len(up.fields[0]) != 0 {
		t.Fatalf("outside Match the upstream saw session %q and fields %v, want none", up.sessions[0], up.fields[0])
	}

	if w := forger.do(t, outer, chain, "GET"); w.Code != 200 || up.count() != 2 {
		t.Fatalf("admitted by the outer room: %d", w.Code)
	}
	sid := up.sessions[1]
	if !wr.ValidSID(sid) || !strings.Contains(forger.cookie, "."+sid+".") || len(up.fields[1]) != 1 {
		t.Fatalf("after a second room the upstream saw session %q (fields %v), want the outer room's (cookie %s)", sid, up.fields[1], forger.cookie)
	}

	// A request variable of that name set by a config (Caddy's vars
	// handler sets strings) is no room's admission.
	vars := &client{header: forged}
	varsNext := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		caddyhttp.SetVar(r.Context(), sessionVar, "from-config")
		return inner.ServeHTTP(w, r, up)
	})
	if w := vars.do(t, inner, varsNext, "GET"); w.Code != 200 || up.sessions[2] != "" {
		t.Fatalf("a config's variable: %d, upstream saw session %q, want none", w.Code, up.sessions[2])
	}
}

func TestQueueResponse(t *testing.T) {
	cfg := newConfig(t)
	h := cfg.add(t, newHandler("queue-response"))
	up := &upstream{}
	first := &client{header: http.Header{SessionHeader: {"forged"}}}
	if w := first.do(t, h, up, "GET"); w.Code != 200 || w.Body.String() != "the site" {
		t.Fatalf("first visitor: %d %q", w.Code, w.Body)
	}
	if up.sessions[0] == "forged" || !wr.ValidSID(up.sessions[0]) {
		t.Fatalf("upstream saw session %q, want the room's session id", up.sessions[0])
	}

	second := &client{header: http.Header{SessionHeader: {"forged"}}}
	w := second.do(t, h, up, "GET")
	if up.count() != 1 {
		t.Fatal("a queued visitor reached the site")
	}
	hdr := w.Header()
	if w.Code != 200 || hdr.Get("Cache-Control") != "no-store" || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
		t.Fatalf("queue page: %d %v", w.Code, hdr)
	}
	refresh, err := strconv.Atoi(hdr.Get("Refresh"))
	if err != nil || refresh < 8 || refresh > 10 || hdr.Get("Retry-After") != hdr.Get("Refresh") {
		t.Fatalf("Refresh %q Retry-After %q, want 8-10 (80-100%% of 10s)", hdr.Get("Refresh"), hdr.Get("Retry-After"))
	}
	body := w.Body.String()
	for _, want := range []string{`content="` + hdr.Get("Refresh") + `"`, "<b>1</b>", "nobody ahead", "shop.example.com"} {
		if !strings.Contains(body, want) {
			t.Errorf("queue page lacks %q", want)
		}
	}
	sc := hdr.Get("Set-Cookie")
	for _, want := range []string{"fd_wr_queue-response=1.q.", "; Path=/", "; HttpOnly", "; SameSite=Lax", "; Max-Age=86400"} {
		if !strings.Contains(sc, want) {
			t.Errorf("Set-Cookie %q lacks %q", sc, want)
		}
	}
	if strings.Contains(sc, "Secure") || strings.Contains(sc, "Domain") {
		t.Errorf("Set-Cookie %q over plain HTTP without cookie_domain", sc)
	}
	if n := decisions(h, resultQueued); n != 1 {
		t.Errorf("queued decisions %v", n)
	}

	// A HEAD poll: the headers, no body.
	if w := second.do(t, h, up, "HEAD"); w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Length") == "0" {
		t.Fatalf("HEAD: %d, %d bytes, Content-Length %s", w.Code, w.Body.Len(), w.Header().Get("Content-Length"))
	}
}

func TestQueueJSON(t *testing.T) {
	cfg := newConfig(t)
	h := cfg.add(t, newHandler("queue-json"))
	up := &upstream{}
	(&client{}).do(t, h, up, "GET")
	for name, hdr := range map[string]http.Header{
		"Accept":         {"Accept": {"application/json"}},
		"fetch":          {"Sec-Fetch-Mode": {"cors"}, "Accept": {"*/*"}},
		"XMLHttpRequest": {"X-Requested-With": {"XMLHttpRequest"}},
		"JSON over HTML": {"Accept": {"text/html;q=0.5, application/json"}},
	} {
		t.Run(name, func(t *testing.T) {
			w := (&client{header: hdr}).do(t, h, up, "GET")
			if w.Header().Get("Content-Type") != "application/json" || w.Header().Get("Retry-After") == "" {
				t.Fatalf("headers %v", w.Header())
			}
			var got map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("%s: %v", w.Body, err)
			}
			want := []string{"status", "position", "ahead", "eta_seconds", "refresh_seconds", "event_start"}
			if len(got) != len(want) {
				t.Fatalf("fields %v, want %v", got, want)
			}
			for _, k := range want {
				if _, ok := got[k]; !ok {
					t.Fatalf("no %q in %s", k, w.Body)
				}
			}
			if got["status"] != "queued" || got["position"].(float64) < 1 || got["ahead"].(float64) != got["position"].(float64)-1 {
				t.Fatalf("body %s", w.Body)
			}
			if r, _ := strconv.Atoi(w.Header().Get("Retry-After")); float64(r) != got["refresh_seconds"] {
				t.Fatalf("Retry-After %s, refresh_seconds %v", w.Header().Get("Retry-After"), got["refresh_seconds"])
			}
		})
	}
	if up.count() != 1 {
		t.Fatal("a queued visitor reached the site")
	}
}

func TestCookieAttributes(t *testing.T) {
	cfg := newConfig(t)
	h := newHandler("cookie-attrs")
	h.CookieDomain = ".example.com"
	cfg.add(t, h)
	up := &upstream{}
	for _, tt := range []struct {
		name   string
		c      client
		secure bool
	}{
		{"https", client{tls: true}, true},
		{"trusted proxy says https", client{trusted: true, header: http.Header{"X-Forwarded-Proto": {"https"}}}, true},
		{"untrusted peer says https", client{header: http.Header{"X-Forwarded-Proto": {"https"}}}, false},
		{"plain http", client{}, false},
	} {
		w := tt.c.do(t, h, up, "GET")
		sc := w.Header().Get("Set-Cookie")
		if strings.Contains(sc, "; Secure") != tt.secure || !strings.Contains(sc, "; Domain=.example.com") {
			t.Errorf("%s: Set-Cookie %q, want Secure=%v and the domain", tt.name, sc, tt.secure)
		}
	}
}

// TestBadCookies: forged, other-room, malformed and expired cookies count
// as none, and are counted.
func TestBadCookies(t *testing.T) {
	cfg := newConfig(t)
	h := newHandler("bad-cookies")
	h.ActiveUsers = 100
	h.Secrets = []string{"a-secret-of-some-length-0123456789"}
	cfg.add(t, h)
	other := newHandler("bad-cookies-other")
	other.Secrets = h.Secrets
	cfg.add(t, other)
	up := &upstream{}

	ok := &client{}
	ok.do(t, h, up, "GET")
	_, value, _ := strings.Cut(ok.cookie, "=")
	otherValue := string(other.signer.AppendValue(nil, wr.Cookie{Admitted: true, SID: wr.NewSID(), Issued: time.Now().UnixMilli(), Expiry: time.Now().Add(time.Hour).UnixMilli()}, nil))
	expired := string(h.signer.AppendValue(nil, wr.Cookie{Admitted: true, SID: wr.NewSID(), Issued: 1000, Expiry: 2000}, nil))
	for name, v := range map[string]string{
		"forged":     strings.Replace(value, "1.a.", "1.q.", 1),
		"other room": otherValue,
		"garbage":    "hello",
		"expired":    expired,
	} {
		before := decisions(h, resultBadCookie)
		c := &client{cookie: "fd_wr_bad-cookies=" + v}
		c.do(t, h, up, "GET")
		if got := decisions(h, resultBadCookie) - before; got != 1 {
			t.Errorf("%s cookie: bad_cookie counted %v times, want 1", name, got)
		}
		if c.cookie == "fd_wr_bad-cookies="+v {
			t.Errorf("%s cookie: no new cookie was set", name)
		}
	}
	before := decisions(h, resultBadCookie)
	ok.do(t, h, up, "GET")
	if decisions(h, resultBadCookie) != before {
		t.Error("a good cookie was counted as bad")
	}
}

func TestPlaceholdersAndLogFields(t *testing.T) {
	cfg := newConfig(t)
	h := cfg.add(t, newHandler("placeholders"))
	var seen []string
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		repl := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
		seen = append(seen, repl.ReplaceAll("{waiting_room.status}/{waiting_room.position}", "-"))
		return nil
	})
	(&client{}).do(t, h, next, "GET")
	if len(seen) != 1 || seen[0] != "admitted/-" {
		t.Fatalf("admitted request saw %v", seen)
	}
	r := httptest.NewRequest("GET", "http://shop.example.com/", nil)
	r = r.WithContext(context.WithValue(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, map[string]any{}),
		caddyhttp.ExtraLogFieldsCtxKey, new(caddyhttp.ExtraLogFields)))
	repl := caddyhttp.NewTestReplacer(r)
	w := httptest.NewRecorder()
	if err := h.ServeHTTP(w, r, next); err != nil {
		t.Fatal(err)
	}
	if got := repl.ReplaceAll("{waiting_room.status}/{waiting_room.position}", "-"); got != "queued/1" {
		t.Fatalf("queued request placeholders %q", got)
	}
}

// TestStoreDown: with the store unreachable, admitted visitors keep their
// place, new ones are admitted (admit) or held (hold), never a 5xx.
func TestStoreDown(t *testing.T) {
	harness.Long(t, "starts redis-server")
	srv := harness.Redis(t)
	for _, mode := range []string{"admit", "hold"} {
		t.Run(mode, func(t *testing.T) {
			cfg := newConfig(t)
			h := newHandler("store-down-" + mode)
			h.ActiveUsers = 10
			h.Store = "redis://" + srv.Addr + "/0"
			h.Secrets = []string{"a-secret-of-some-length-0123456789"}
			h.OnStoreError = mode
			cfg.add(t, h)
			up := &upstream{}
			on := &client{}
			on.do(t, h, up, "GET")
			if up.count() != 1 {
				t.Fatal("not admitted with the store up")
			}
			// The same room on a dead store: a config pointing elsewhere.
			ln, _ := net.Listen("tcp", "127.0.0.1:0")
			dead := ln.Addr().String()
			ln.Close()
			cfg2 := newConfig(t)
			h2 := newHandler("store-down-" + mode)
			h2.ActiveUsers, h2.Store, h2.Secrets, h2.OnStoreError = 10, "redis://"+dead+"/0", h.Secrets, mode
			cfg2.add(t, h2)

			if w := on.do(t, h2, up, "GET"); w.Code != 200 || up.count() != 2 || up.sessions[1] != up.sessions[0] {
				t.Fatalf("admitted visitor with the store down: %d, upstream %d hits, sessions %v", w.Code, up.count(), up.sessions)
			}
			fresh := &client{}
			w := fresh.do(t, h2, up, "GET")
			switch mode {
			case "admit":
				if up.count() != 3 || !strings.Contains(fresh.cookie, "=1.a.") {
					t.Fatalf("new visitor with the store down, admit: %d, upstream %d, cookie %q", w.Code, up.count(), fresh.cookie)
				}
				queued := &client{cookie: "fd_wr_" + h2.Name + "=" + string(h2.signer.AppendValue(nil,
					wr.Cookie{SID: wr.NewSID(), Ticket: 5, Issued: time.Now().UnixMilli(), Expiry: time.Now().Add(time.Hour).UnixMilli()}, nil))}
				if w := queued.do(t, h2, up, "GET"); up.count() != 3 || !strings.Contains(w.Body.String(), "cannot show your place") {
					t.Fatalf("a visitor in line with the store down, admit: %d, upstream %d: %.300s", w.Code, up.count(), w.Body)
				}
			case "hold":
				if up.count() != 2 || w.Code != 200 || !strings.Contains(w.Body.String(), "cannot show your place") {
					t.Fatalf("new visitor with the store down, hold: %d, upstream %d: %.300s", w.Code, up.count(), w.Body)
				}
				j := (&client{header: http.Header{"Accept": {"application/json"}}}).do(t, h2, up, "GET")
				if !strings.Contains(j.Body.String(), `"position":null`) {
					t.Fatalf("JSON with the store down: %s", j.Body)
				}
			}
			if decisions(h2, resultStoreError) < 2 {
				t.Fatalf("store errors counted: %v", decisions(h2, resultStoreError))
			}
		})
	}
}

// TestReloadKeepsRoom: a second config with the same room (as a reload)
// keeps the sessions, the line and, with the memory store, the cookie key.
func TestReloadKeepsRoom(t *testing.T) {
	cfg1 := newConfig(t)
	h1 := cfg1.add(t, newHandler("reload"))
	up := &upstream{}
	on, waiting := &client{}, &client{}
	on.do(t, h1, up, "GET")
	waiting.do(t, h1, up, "GET")

	cfg2 := newConfig(t)
	h2 := cfg2.add(t, newHandler("reload"))
	cfg1.stop()
	if w := on.do(t, h2, up, "GET"); w.Code != 200 || up.count() != 2 {
		t.Fatalf("admitted visitor after the reload: %d", w.Code)
	}
	if decisions(h2, resultBadCookie) != 0 {
		t.Fatal("a cookie from before the reload was bad")
	}
	w := waiting.do(t, h2, up, "GET")
	if up.count() != 2 || !strings.Contains(w.Body.String(), "<b>1</b>") {
		t.Fatalf("queued visitor after the reload: %d, %.200s", w.Code, w.Body)
	}
}

func TestProvisionErrors(t *testing.T) {
	dir := t.TempDir()
	badPage := filepath.Join(dir, "bad.html")
	os.WriteFile(badPage, []byte("{{.Nope}}"), 0o644)
	for _, tt := range []struct {
		name string
		h    Handler
		want string
	}{
		{"no active_users", Handler{Name: "x"}, "active_users 0"},
		{"bad name", Handler{Name: "a/b", ActiveUsers: 1}, "invalid name"},
		{"redis without secret", Handler{Name: "x", ActiveUsers: 1, Store: "redis://u:pa55word@127.0.0.1:1/0"}, "set a secret"},
		{"bad store", Handler{Name: "x", ActiveUsers: 1, Store: "redis://u:pa55word@host:bad/0"}, "store"},
		{"short session", Handler{Name: "x", ActiveUsers: 1, SessionDuration: caddy.Duration(time.Millisecond)}, "session_duration"},
		{"event without start", Handler{Name: "x", ActiveUsers: 1, Event: &Event{End: time.Now()}}, "start is required"},
		{"event backwards", Handler{Name: "x", ActiveUsers: 1, Event: &Event{Start: time.Now(), End: time.Now().Add(-time.Hour)}}, "end"},
		{"redirect status", Handler{Name: "x", ActiveUsers: 1, Status: 302}, "status 302"},
		{"missing page", Handler{Name: "x", ActiveUsers: 1, Page: filepath.Join(dir, "none.html")}, "reading page"},
		{"bad page", Handler{Name: "x", ActiveUsers: 1, Page: badPage}, "page"},
		{"queue", Handler{Name: "x", ActiveUsers: 1, Queue: "lifo"}, "queue"},
		{"empty secret", Handler{Name: "x", ActiveUsers: 1, Secrets: []string{"{env.FD_TEST_UNSET_SECRET}"}}, "empty once placeholders"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := newConfig(t)
			h := tt.h
			err := cfg.try(&h)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "pa55word") {
				t.Fatalf("the error shows the password: %v", err)
			}
		})
	}
	t.Run("one room, two settings", func(t *testing.T) {
		cfg := newConfig(t)
		cfg.add(t, newHandler("twice"))
		h := newHandler("twice")
		h.ActiveUsers = 2
		if err := cfg.try(h); err == nil || !strings.Contains(err.Error(), "configured twice") {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestMetricsRegisterTwice registers the metrics in one registry twice and
// in a second one (a reload): no panic, and the counters keep counting.
func TestMetricsRegisterTwice(t *testing.T) {
	reg1 := prometheus.NewPedanticRegistry()
	a := &App{set: &roomSet{rooms: map[string]*roomUse{}}}
	m1, err := newMetrics(reg1, a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newMetrics(reg1, a); err != nil {
		t.Fatalf("registering twice: %v", err)
	}
	c1 := m1.counters("twice")
	c1.queued.Inc()
	reg2 := prometheus.NewPedanticRegistry()
	m2, err := newMetrics(reg2, a)
	if err != nil {
		t.Fatal(err)
	}
	m2.counters("twice").queued.Inc()
	if got := testutil.ToFloat64(m2.counters("twice").queued); got != 2 {
		t.Fatalf("after a reload the counter is %v, want 2 (it keeps counting)", got)
	}
	a.set.rooms["twice"] = &roomUse{}
	a.set.rooms["twice"].status.Store(&wr.Status{Active: 3, Queued: 7})
	for _, reg := range []*prometheus.Registry{reg1, reg2} {
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, f := range families {
			for _, m := range f.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "room" && l.GetValue() == "twice" {
						v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
						got[f.GetName()] += v
					}
				}
			}
		}
		want := map[string]float64{"frontdoor_waiting_room_active_users": 3, "frontdoor_waiting_room_queued_users": 7,
			"frontdoor_waiting_room_decisions_total": 2}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("%s = %v, want %v (all: %v)", k, got[k], v, got)
			}
		}
	}
}

func TestFullLine(t *testing.T) {
	cfg := newConfig(t)
	h := newHandler("full")
	h.MaxQueued = 2
	cfg.add(t, h)
	up := &upstream{}
	(&client{}).do(t, h, up, "GET")
	(&client{}).do(t, h, up, "GET")
	(&client{}).do(t, h, up, "GET")
	c := &client{}
	w := c.do(t, h, up, "GET")
	if w.Code != 200 || !strings.Contains(w.Body.String(), "line is full") || c.cookie != "" {
		t.Fatalf("arrival at a full line: %d, cookie %q: %.300s", w.Code, c.cookie, w.Body)
	}
}

// benchQueued measures the handler answering a visitor who waits among
// 10,000 others.
func benchQueued(b *testing.B, h *Handler) {
	cfg := newConfig(b)
	cfg.add(b, h)
	up := &upstream{}
	(&client{}).do(b, h, up, "GET")
	clients := make([]*client, 10000)
	for i := range clients {
		clients[i] = &client{}
		clients[i].do(b, h, up, "GET")
	}
	reqs := make([]*http.Request, len(clients))
	for i, c := range clients {
		r := httptest.NewRequest("GET", "http://shop.example.com/book", nil)
		r.Header.Set("Cookie", c.cookie)
		r.Header.Set("Accept", "text/html")
		reqs[i] = r
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		r := reqs[i%len(reqs)]
		ctx := context.WithValue(r.Context(), caddyhttp.VarsCtxKey, map[string]any{})
		r2 := r.WithContext(ctx)
		caddyhttp.NewTestReplacer(r2)
		w := httptest.NewRecorder()
		if err := h.ServeHTTP(w, r2, up); err != nil || w.Code != 200 {
			b.Fatal(err, w.Code)
		}
		i++
	}
	b.StopTimer()
	if up.count() != 1 {
		b.Fatalf("the site got %d requests, want only the first visitor's", up.count())
	}
}

func BenchmarkQueuedMemory(b *testing.B) {
	h := newHandler("bench-memory")
	h.SessionDuration, h.Refresh, h.MaxQueued = caddy.Duration(time.Hour), caddy.Duration(time.Hour), 100000
	benchQueued(b, h)
}

func BenchmarkQueuedRedis(b *testing.B) {
	srv := harness.Redis(b)
	h := newHandler("bench-redis")
	h.SessionDuration, h.Refresh, h.MaxQueued = caddy.Duration(time.Hour), caddy.Duration(time.Hour), 100000
	h.Store = "redis://" + srv.Addr + "/0"
	h.Secrets = []string{"a-secret-of-some-length-0123456789"}
	benchQueued(b, h)
}

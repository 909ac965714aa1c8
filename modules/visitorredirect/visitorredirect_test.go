package visitorredirect

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/frontdoor-gateway/frontdoor/modules/geoipapp"
	"github.com/frontdoor-gateway/frontdoor/modules/internal/visitor"
)

const (
	ipKR      = "168.126.63.1"
	ipUS      = "8.8.8.8"
	uaIPhone  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	uaDesktop = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)

func geoApp(t testing.TB) func() (*geoipapp.App, error) {
	t.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	app := new(geoipapp.App)
	if err := app.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	return func() (*geoipapp.App, error) { return app, nil }
}

func newHandler(t testing.TB, h *Handler, reg prometheus.Registerer) *Handler {
	t.Helper()
	if err := h.provision(geoApp(t), reg); err != nil {
		t.Fatal(err)
	}
	if err := h.Validate(); err != nil {
		t.Fatal(err)
	}
	return h
}

// request builds a request as Caddy's server prepares it; target is the raw
// request target and host the Host header.
func request(t testing.TB, clientIP, host, target, ua string) (*http.Request, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "http://placeholder/", nil)
	u, err := url.ParseRequestURI(target)
	if err != nil {
		t.Fatal(err)
	}
	r.URL, r.RequestURI, r.Host = u, target, host
	r.Header.Set("User-Agent", ua)
	vars := map[string]any{caddyhttp.ClientIPVarKey: clientIP}
	r = r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, vars))
	caddyhttp.NewTestReplacer(r)
	return r, vars
}

var passed = caddyhttp.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) error {
	w.WriteHeader(http.StatusOK)
	return nil
})

func serve(t testing.TB, h *Handler, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	if err := h.ServeHTTP(w, r, passed); err != nil {
		t.Fatal(err)
	}
	return w
}

func shopHandler() *Handler {
	return &Handler{Rules: []Rule{
		{Countries: []string{"KR"}, To: "https://kr.example.com{http.request.uri}"},
		{Devices: []string{"mobile"}, To: "https://m.example.com{http.request.uri}"},
		{Countries: []string{"JP"}, To: "https://shop.example.com/jp{http.request.uri}"},
	}}
}

func TestServeHTTP(t *testing.T) {
	h := newHandler(t, shopHandler(), prometheus.NewRegistry())
	tests := []struct {
		name, ip, host, target, ua string
		status                     int
		location                   string
	}{
		{"korea", ipKR, "shop.example.com", "/a?b=c", uaDesktop, 302, "https://kr.example.com/a?b=c"},
		{"mobile", ipUS, "shop.example.com", "/", uaIPhone, 302, "https://m.example.com/"},
		{"neither", ipUS, "shop.example.com", "/", uaDesktop, 200, ""},
		{"unknown country", "10.0.0.1", "shop.example.com", "/", uaDesktop, 200, ""},
		{"no loop: same URL", ipKR, "kr.example.com", "/a", uaDesktop, 200, ""},
		{"no loop: same host with the https port", ipKR, "kr.example.com:443", "/a", uaDesktop, 200, ""},
		{"other port is another site", ipKR, "kr.example.com:8443", "/a", uaDesktop, 302, "https://kr.example.com/a"},
		{"no loop: inside the target path", "133.242.0.3", "shop.example.com", "/jp/cart", uaDesktop, 200, ""},
		{"no loop: the target path itself", "133.242.0.3", "shop.example.com", "/jp", uaDesktop, 200, ""},
		{"prefix is not a path segment", "133.242.0.3", "shop.example.com", "/jpeg", uaDesktop, 302, "https://shop.example.com/jp/jpeg"},
		{"backslash escaped", ipKR, "shop.example.com", `/\evil.example`, uaDesktop, 302, "https://kr.example.com/%5Cevil.example"},
		{"double slash stays a path", ipKR, "shop.example.com", "//evil.example", uaDesktop, 302, "https://kr.example.com//evil.example"},
		{"absolute-form target: only its path is kept", ipKR, "evil.example", "http://evil.example/x", uaDesktop, 302, "https://kr.example.com/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := request(t, tt.ip, tt.host, tt.target, tt.ua)
			w := serve(t, h, r)
			if w.Code != tt.status || w.Header().Get("Location") != tt.location {
				t.Fatalf("got %d %q, want %d %q", w.Code, w.Header().Get("Location"), tt.status, tt.location)
			}
			if tt.location != "" {
				u, err := url.Parse(tt.location)
				if err != nil || u.Host == "evil.example" {
					t.Fatalf("bad Location %q", tt.location)
				}
				if w.Header().Get("Cache-Control") != "private" {
					t.Errorf("Cache-Control %q", w.Header().Get("Cache-Control"))
				}
				if v := w.Header().Get("Vary"); v != "User-Agent, Sec-CH-UA-Mobile, Sec-CH-UA-Platform, Sec-CH-UA-Form-Factors, Sec-CH-UA-Model, Cookie" {
					t.Errorf("Vary %q", v)
				}
			}
		})
	}
	if got := testutil.ToFloat64(h.metrics.redirects.WithLabelValues("country:KR", "302")); got < 5 {
		t.Errorf("frontdoor_redirects_total{rule=country:KR} = %v, want >= 5", got)
	}
}

func TestOnlyPageVisits(t *testing.T) {
	h := newHandler(t, shopHandler(), nil)
	for method, want := range map[string]int{"GET": 302, "HEAD": 302, "POST": 200, "PUT": 200, "OPTIONS": 200} {
		t.Run(method, func(t *testing.T) {
			r, _ := request(t, ipKR, "shop.example.com", "/", uaDesktop)
			r.Method = method
			if w := serve(t, h, r); w.Code != want {
				t.Fatalf("%s: status %d, want %d", method, w.Code, want)
			}
		})
	}
}

func TestVary(t *testing.T) {
	tests := []struct {
		name string
		h    Handler
		want string
	}{
		{"country only, redirect bots, no stay", Handler{RedirectBots: true, DisableStay: true,
			Rules: []Rule{{Countries: []string{"KR"}, To: "https://kr.example.com/"}}}, ""},
		{"country only", Handler{Rules: []Rule{{Countries: []string{"KR"}, To: "https://kr.example.com/"}}},
			"User-Agent, Sec-CH-UA-Mobile, Sec-CH-UA-Platform, Sec-CH-UA-Form-Factors, Sec-CH-UA-Model, Cookie"},
		{"device placeholder", Handler{RedirectBots: true, DisableStay: true,
			Rules: []Rule{{Countries: []string{"KR"}, To: "https://kr.example.com/{device.type}"}}},
			"User-Agent, Sec-CH-UA-Mobile, Sec-CH-UA-Platform, Sec-CH-UA-Form-Factors, Sec-CH-UA-Model"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(t, &tt.h, nil)
			if h.vary != tt.want {
				t.Fatalf("vary %q, want %q", h.vary, tt.want)
			}
			r, _ := request(t, ipKR, "shop.example.com", "/", uaDesktop)
			w := serve(t, h, r)
			if w.Code != 302 || strings.Join(w.Header().Values("Vary"), ", ") != tt.want {
				t.Fatalf("got %d, Vary %q", w.Code, w.Header().Values("Vary"))
			}
		})
	}
}

func TestSplitTarget(t *testing.T) {
	tests := []struct {
		to, origin, rest string
		ok               bool
	}{
		{"https://kr.example.com{http.request.uri}", "https://kr.example.com", "{http.request.uri}", true},
		{"https://kr.example.com", "https://kr.example.com", "", true},
		{"HTTP://KR.example.com:8080/x?y#z", "HTTP://KR.example.com:8080", "/x?y#z", true},
		{"https://[2001:db8::1]:8443/kr", "https://[2001:db8::1]:8443", "/kr", true},
		{"/relative{uri}", "", "", false},
		{"//kr.example.com/", "", "", false},
		{"ftp://kr.example.com/", "", "", false},
		{"javascript://kr.example.com/%0aalert(1)", "", "", false},
		{"https://{host}/x", "", "", false},
		{"https://{http.request.host}", "", "", false},
		{"https://user@evil.example/", "", "", false},
		{"https://kr.example.com\\@evil.example/", "", "", false},
		{"https:///path", "", "", false},
		{"https://", "", "", false},
		{"https://kr.example.com:port/", "", "", false},
		{"https://kr example.com/", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.to, func(t *testing.T) {
			origin, rest, err := splitTarget(tt.to)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && (origin != tt.origin || rest != tt.rest) {
				t.Fatalf("got %q %q, want %q %q", origin, rest, tt.origin, tt.rest)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		h    Handler
	}{
		{"no rules", Handler{}},
		{"bad status", Handler{StatusCode: 200, Rules: []Rule{{Countries: []string{"KR"}, To: "https://kr.example.com/"}}}},
		{"rule without condition", Handler{Rules: []Rule{{To: "https://kr.example.com/"}}}},
		{"bad country", Handler{Rules: []Rule{{Countries: []string{"Korea"}, To: "https://kr.example.com/"}}}},
		{"bad device", Handler{Rules: []Rule{{Devices: []string{"phone"}, To: "https://m.example.com/"}}}},
		{"relative target", Handler{Rules: []Rule{{Devices: []string{"mobile"}, To: "/m{uri}"}}}},
		{"bad cookie", Handler{StayCookie: "a b", Rules: []Rule{{Devices: []string{"mobile"}, To: "https://m.example.com/"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.h.provision(geoApp(t), nil)
			if err == nil {
				err = tt.h.Validate()
			}
			if err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestUnmarshalCaddyfile(t *testing.T) {
	tests := []struct {
		name, input string
		check       func(*Handler) bool
		wantErr     string
	}{
		{"full", "visitor_redirect {\n country KR jp https://kr.example.com{uri}\n device mobile https://m.example.com{uri}\n status 301\n redirect_bots\n stay_cookie c\n stay_param p\n stay_max_age 1h\n}",
			func(h *Handler) bool {
				return len(h.Rules) == 2 && h.Rules[0].Countries[1] == "JP" && h.Rules[1].Devices[0] == "mobile" &&
					h.StatusCode == 301 && h.RedirectBots && h.StayCookie == "c" && h.StayParam == "p" && h.StayMaxAge > 0
			}, ""},
		{"stay off", "visitor_redirect {\n country KR https://kr.example.com/\n stay_cookie off\n stay_param off\n}",
			func(h *Handler) bool { return h.DisableStay && h.DisableStayParam }, ""},
		{"rule without target", "visitor_redirect {\n country KR\n}", nil, "at least one value and a target"},
		{"relative target", "visitor_redirect {\n country KR /kr{uri}\n}", nil, "not an absolute URL"},
		{"placeholder host", "visitor_redirect {\n country KR https://{host}/\n}", nil, "invalid host"},
		{"bad status", "visitor_redirect {\n country KR https://kr.example.com/\n status 200\n}", nil, "not a redirect status"},
		{"bad duration", "visitor_redirect {\n country KR https://kr.example.com/\n stay_max_age soon\n}", nil, "bad stay_max_age"},
		{"unknown", "visitor_redirect {\n city Seoul https://kr.example.com/\n}", nil, "unrecognized subdirective"},
		{"argument", "visitor_redirect KR", nil, "wrong argument count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Handler
			err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.input))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.check(&h) {
				t.Fatalf("got %+v, %v", h, err)
			}
		})
	}
}

func FuzzUnmarshalCaddyfile(f *testing.F) {
	f.Add("visitor_redirect {\n country KR https://kr.example.com{uri}\n status 302\n}")
	f.Add("visitor_redirect {\n device mobile tablet https://m.example.com/{path}\n stay_cookie off\n}")
	f.Fuzz(func(t *testing.T, input string) {
		var h Handler
		if h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input)) != nil {
			return
		}
		for _, r := range h.Rules {
			if _, _, err := splitTarget(r.To); err != nil {
				t.Fatalf("accepted target %q: %v", r.To, err)
			}
		}
	})
}

// FuzzLocation: whatever the request target and Host, a redirect goes to
// the configured host.
func FuzzLocation(f *testing.F) {
	f.Add("/", "shop.example.com")
	f.Add(`/\evil.example`, "evil.example")
	f.Add("//evil.example/%2F..", "kr.example.com")
	f.Add("http://evil.example@kr.example.com/", "")
	h := newHandler(f, shopHandler(), nil)
	f.Fuzz(func(t *testing.T, target, host string) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		r := httptest.NewRequest(http.MethodGet, "http://placeholder/", nil)
		r.URL, r.RequestURI, r.Host = u, target, host
		r.Header.Set("User-Agent", uaDesktop)
		vars := map[string]any{caddyhttp.ClientIPVarKey: ipKR}
		r = r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, vars))
		caddyhttp.NewTestReplacer(r)
		w := httptest.NewRecorder()
		if err := h.ServeHTTP(w, r, passed); err != nil {
			t.Fatal(err)
		}
		if w.Code != http.StatusFound {
			return
		}
		loc := w.Header().Get("Location")
		lu, err := url.Parse(loc)
		if err != nil || lu.Scheme != "https" || lu.Host != "kr.example.com" || lu.User != nil {
			t.Fatalf("target %q host %q: Location %q", target, host, loc)
		}
		base, _ := url.Parse("http://shop.example.com/")
		if abs, err := base.Parse(strings.ReplaceAll(loc, `\`, "/")); err != nil || abs.Host != "kr.example.com" {
			t.Fatalf("target %q: Location %q resolves elsewhere", target, loc)
		}
	})
}

var sinkCode int

// BenchmarkServeHTTP: visitor_redirect on a new request (the cached visitor
// is dropped each time): "redirect" sends a Korean visitor away, "pass"
// lets a US desktop visitor through after checking every rule.
func BenchmarkServeHTTP(b *testing.B) {
	h := newHandler(b, shopHandler(), prometheus.NewRegistry())
	for _, bc := range []struct{ name, ip string }{{"redirect", ipKR}, {"pass", ipUS}} {
		b.Run(bc.name, func(b *testing.B) {
			r, vars := request(b, bc.ip, "shop.example.com", "/cart?id=1", uaDesktop)
			b.ReportAllocs()
			for b.Loop() {
				delete(vars, visitor.VarKey)
				w := &discardWriter{h: http.Header{}}
				_ = h.ServeHTTP(w, r, passed)
				sinkCode = w.code
			}
		})
	}
}

type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }

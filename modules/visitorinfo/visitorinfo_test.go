package visitorinfo

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap/zapcore"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/frontdoor-gateway/frontdoor/modules/geoipapp"
	"github.com/frontdoor-gateway/frontdoor/modules/internal/visitor"
)

const (
	ipKR     = "168.126.63.1"
	uaIPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)

// geoApp returns a geoip app serving the embedded country database.
func geoApp(t testing.TB) *geoipapp.App {
	t.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	app := new(geoipapp.App)
	if err := app.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	return app
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

// request builds a request the way Caddy's server prepares it: a replacer,
// per-request vars holding the client IP, and the extra log fields.
func request(clientIP string, header http.Header) (*http.Request, *caddy.Replacer, *caddyhttp.ExtraLogFields) {
	r := httptest.NewRequest(http.MethodGet, "http://shop.example/cart", nil)
	r.Header = header
	vars := map[string]any{caddyhttp.ClientIPVarKey: clientIP}
	extra := new(caddyhttp.ExtraLogFields)
	ctx := context.WithValue(r.Context(), caddyhttp.VarsCtxKey, vars)
	ctx = context.WithValue(ctx, caddyhttp.ExtraLogFieldsCtxKey, extra)
	r = r.WithContext(ctx)
	repl := caddyhttp.NewTestReplacer(r)
	return r, repl, extra
}

type recorder struct{ got http.Header }

func (rec *recorder) ServeHTTP(_ http.ResponseWriter, r *http.Request) error {
	rec.got = r.Header.Clone()
	return nil
}

func TestClientIPVarKey(t *testing.T) {
	if visitor.ClientIPVar != caddyhttp.ClientIPVarKey {
		t.Fatalf("visitor.ClientIPVar = %q, Caddy stores the client IP under %q", visitor.ClientIPVar, caddyhttp.ClientIPVarKey)
	}
}

func TestServeHTTP(t *testing.T) {
	tests := []struct {
		name        string
		handler     Handler
		ip          string
		header      http.Header
		wantHeaders map[string]string // "" means absent
		wantCountry string
		wantDevice  string
	}{
		{
			name:        "sets the real values and strips client copies",
			ip:          ipKR,
			header:      http.Header{"User-Agent": {uaIPhone}, "X-Geo-Country": {"US"}, "X-Device-Type": {"desktop"}, "X_geo_country": {"US"}, "X_Device_Type": {"tv"}},
			wantHeaders: map[string]string{"X-Geo-Country": "KR", "X-Device-Type": "mobile", "X_geo_country": "", "X_Device_Type": ""},
			wantCountry: "KR", wantDevice: "mobile",
		},
		{
			name:        "unknown country: header left out",
			ip:          "10.0.0.1",
			header:      http.Header{"X-Geo-Country": {"KR"}},
			wantHeaders: map[string]string{"X-Geo-Country": "", "X-Device-Type": "other"},
			wantCountry: "", wantDevice: "other",
		},
		{
			name:        "custom header names",
			handler:     Handler{CountryHeader: "x-country", DeviceHeader: "X-Device"},
			ip:          ipKR,
			header:      http.Header{"User-Agent": {uaIPhone}, "X-Country": {"US"}, "X-Geo-Country": {"JP"}},
			wantHeaders: map[string]string{"X-Country": "KR", "X-Device": "mobile", "X-Geo-Country": "JP"},
			wantCountry: "KR", wantDevice: "mobile",
		},
		{
			name:        "headers off",
			handler:     Handler{DisableHeaders: true},
			ip:          ipKR,
			header:      http.Header{"User-Agent": {uaIPhone}, "X-Geo-Country": {"US"}},
			wantHeaders: map[string]string{"X-Geo-Country": "US", "X-Device-Type": ""},
			wantCountry: "KR", wantDevice: "mobile",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			h := newHandler(t, &tt.handler, reg)
			label := tt.wantCountry
			if label == "" {
				label = visitor.UnknownCountry
			}
			before := testutil.ToFloat64(h.metrics.requests.WithLabelValues(label, tt.wantDevice))
			r, repl, extra := request(tt.ip, tt.header)
			rec := new(recorder)
			if err := h.ServeHTTP(httptest.NewRecorder(), r, rec); err != nil {
				t.Fatal(err)
			}
			for k, want := range tt.wantHeaders {
				got, ok := rec.got[k]
				if want == "" && ok {
					t.Errorf("upstream header %s = %q, want it absent", k, got)
				}
				if want != "" && (len(got) != 1 || got[0] != want) {
					t.Errorf("upstream header %s = %q, want %q", k, got, want)
				}
			}
			if got := repl.ReplaceAll("{geo.country_code}|{device.type}", ""); got != tt.wantCountry+"|"+tt.wantDevice {
				t.Errorf("placeholders = %q", got)
			}
			// ExtraLogFields keeps its fields private: check what the
			// handler marshals (and, through a real access log, the
			// visitorredirect integration test).
			_ = extra
			enc := zapcore.NewMapObjectEncoder()
			vars := r.Context().Value(caddyhttp.VarsCtxKey).(map[string]any)
			_ = logFields{vars[visitor.VarKey].(*visitor.Info)}.MarshalLogObject(enc)
			if enc.Fields["country"] != tt.wantCountry || enc.Fields["device"] != tt.wantDevice {
				t.Errorf("log fields %v", enc.Fields)
			}
			got := testutil.ToFloat64(h.metrics.requests.WithLabelValues(label, tt.wantDevice))
			if got != before+1 {
				t.Errorf("frontdoor_visitor_requests_total{country=%q,device=%q} = %v, want %v + 1", label, tt.wantDevice, got, before)
			}
		})
	}
}

func TestMetricsRegisterTwice(t *testing.T) {
	reg := prometheus.NewRegistry()
	a := newHandler(t, new(Handler), reg)
	b := newHandler(t, new(Handler), reg)                      // a second site
	c := newHandler(t, new(Handler), prometheus.NewRegistry()) // a reload: a new registry
	before := testutil.ToFloat64(a.metrics.requests.WithLabelValues("KR", "mobile"))
	for _, h := range []*Handler{a, b, c} {
		r, _, _ := request(ipKR, http.Header{"User-Agent": {uaIPhone}})
		if err := h.ServeHTTP(httptest.NewRecorder(), r, new(recorder)); err != nil {
			t.Fatal(err)
		}
	}
	if got := testutil.ToFloat64(a.metrics.requests.WithLabelValues("KR", "mobile")); got != before+3 {
		t.Fatalf("counter = %v, want %v + 3 (the handlers of every config share one counter)", got, before)
	}
	var nilMetrics *metrics
	nilMetrics.observe("KR", 0) // recorders are nil-safe
	// One counter cache for all of them: a catalog of many sites must not
	// hold one per site.
	if a.metrics != b.metrics || a.metrics != c.metrics {
		t.Errorf("handlers hold their own metrics (%p, %p, %p): each costs %d bytes of counter cache",
			a.metrics, b.metrics, c.metrics, len(a.metrics.counters)*8)
	}
}

func TestCountryIndex(t *testing.T) {
	tests := map[string]int{"AA": 1, "ZZ": 676, "KR": 1 + 10*26 + 17, "": 0, "kr": 0, "KOR": 0, "K1": 0}
	for in, want := range tests {
		if got := countryIndex(in); got != want {
			t.Errorf("countryIndex(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestUnmarshalCaddyfile(t *testing.T) {
	tests := []struct {
		name, input string
		want        Handler
		wantErr     string
	}{
		{name: "bare", input: "visitor_info", want: Handler{}},
		{name: "empty block", input: "visitor_info {\n}", want: Handler{}},
		{name: "names", input: "visitor_info {\n country_header X-Country\n device_header X-Device\n}",
			want: Handler{CountryHeader: "X-Country", DeviceHeader: "X-Device"}},
		{name: "headers off", input: "visitor_info {\n headers off\n}", want: Handler{DisableHeaders: true}},
		{name: "client hints off", input: "visitor_info {\n client_hints off\n}", want: Handler{DisableClientHints: true}},
		{name: "client hints on", input: "visitor_info {\n client_hints on\n headers off\n}", want: Handler{DisableHeaders: true}},
		{name: "client hints maybe", input: "visitor_info {\n client_hints maybe\n}", wantErr: "client_hints must be on or off"},
		{name: "client hints bare", input: "visitor_info {\n client_hints\n}", wantErr: "wrong argument count"},
		{name: "argument", input: "visitor_info KR", wantErr: "wrong argument count"},
		{name: "unknown", input: "visitor_info {\n countries KR\n}", wantErr: "unrecognized subdirective"},
		{name: "bad header", input: "visitor_info {\n country_header \"X Country\"\n}", wantErr: "invalid header name"},
		{name: "missing name", input: "visitor_info {\n device_header\n}", wantErr: "wrong argument count"},
		{name: "headers maybe", input: "visitor_info {\n headers maybe\n}", wantErr: "on or off"},
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
			if err != nil {
				t.Fatal(err)
			}
			if h != tt.want {
				t.Fatalf("got %+v, want %+v", h, tt.want)
			}
		})
	}
}

// TestAcceptCH: responses ask for the client hints unless client_hints is
// off; an upstream's Accept-CH keeps its hints and gains ours, none twice.
func TestAcceptCH(t *testing.T) {
	tests := []struct {
		name     string
		handler  Handler
		upstream []string // Accept-CH the next handler sets
		want     []string
	}{
		{"default", Handler{}, nil, []string{visitor.AcceptCH}},
		{"merged with the upstream's", Handler{}, []string{"DPR, Sec-CH-UA-Model"},
			[]string{"DPR, Sec-CH-UA-Model, Sec-CH-UA-Form-Factors, Sec-CH-UA-Platform, Sec-CH-UA-Mobile"}},
		{"client_hints off", Handler{DisableClientHints: true}, nil, nil},
		{"client_hints off keeps the upstream's", Handler{DisableClientHints: true}, []string{"DPR"}, []string{"DPR"}},
		{"upstream headers off changes nothing", Handler{DisableHeaders: true}, nil, []string{visitor.AcceptCH}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(t, &tt.handler, prometheus.NewRegistry())
			r, _, _ := request(ipKR, http.Header{"User-Agent": {uaIPhone}})
			rec := httptest.NewRecorder()
			next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) error {
				if tt.upstream != nil {
					w.Header()["Accept-Ch"] = tt.upstream
				}
				w.WriteHeader(http.StatusOK)
				_, err := w.Write([]byte("page"))
				return err
			})
			if err := h.ServeHTTP(rec, r, next); err != nil {
				t.Fatal(err)
			}
			got := rec.Result().Header["Accept-Ch"]
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Fatalf("Accept-CH = %q, want %q", got, tt.want)
			}
			if rec.Body.String() != "page" {
				t.Fatalf("body = %q", rec.Body.String())
			}
		})
	}
}

func TestValidate(t *testing.T) {
	h := &Handler{CountryHeader: "X-Same", DeviceHeader: "x-same"}
	if err := h.provision(geoApp(t), nil); err != nil {
		t.Fatal(err)
	}
	if err := h.Validate(); err == nil {
		t.Fatal("the same header for country and device was accepted")
	}
}

func FuzzUnmarshalCaddyfile(f *testing.F) {
	f.Add("visitor_info {\n country_header X-Country\n headers off\n}")
	f.Add("visitor_info")
	f.Fuzz(func(t *testing.T, input string) {
		var h Handler
		_ = h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input))
	})
}

var sinkErr error

// headerOnly is a response writer that keeps only its header.
type headerOnly struct{ h http.Header }

func (w *headerOnly) Header() http.Header         { return w.h }
func (w *headerOnly) Write(b []byte) (int, error) { return len(b), nil }
func (w *headerOnly) WriteHeader(int)             {}

// BenchmarkServeHTTP is visitor_info on the request path: client IP parse,
// GeoIP lookup, device classification, upstream headers, placeholders,
// metric. "handler" reuses one request (the cached visitor is dropped each
// time), without access-log fields; "with_request_state" builds the
// per-request state Caddy's server would (replacer, vars, log fields) in
// every iteration and so includes its allocations.
func BenchmarkServeHTTP(b *testing.B) {
	h := newHandler(b, new(Handler), prometheus.NewRegistry())
	next := caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil })
	w := httptest.NewRecorder()
	header := func() http.Header {
		return http.Header{"User-Agent": {uaIPhone}, "Accept": {"*/*"}, "Accept-Language": {"ko-KR"}}
	}

	b.Run("handler", func(b *testing.B) {
		r := httptest.NewRequest(http.MethodGet, "http://shop.example/cart", nil)
		r.Header = header()
		vars := map[string]any{caddyhttp.ClientIPVarKey: ipKR}
		r = r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, vars))
		caddyhttp.NewTestReplacer(r)
		b.ReportAllocs()
		for b.Loop() {
			delete(vars, visitor.VarKey)
			sinkErr = h.ServeHTTP(w, r, next)
		}
	})
	b.Run("handler_accept_ch", func(b *testing.B) {
		// As "handler", with a next handler that writes the response
		// header, so that Accept-CH is added.
		write := caddyhttp.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) error {
			w.WriteHeader(http.StatusNoContent)
			return nil
		})
		r := httptest.NewRequest(http.MethodGet, "http://shop.example/cart", nil)
		r.Header = header()
		vars := map[string]any{caddyhttp.ClientIPVarKey: ipKR}
		r = r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, vars))
		caddyhttp.NewTestReplacer(r)
		w := &headerOnly{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			delete(vars, visitor.VarKey)
			delete(w.h, "Accept-Ch")
			sinkErr = h.ServeHTTP(w, r, write)
		}
	})
	b.Run("with_request_state", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r, _, _ := request(ipKR, header())
			sinkErr = h.ServeHTTP(w, r, next)
		}
	})
}

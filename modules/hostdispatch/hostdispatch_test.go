package hostdispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
)

// provision decodes and provisions a host_dispatch handler.
func provision(tb testing.TB, cfg string) (*Handler, error) {
	tb.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	tb.Cleanup(cancel)
	h := new(Handler)
	if err := json.Unmarshal([]byte(cfg), h); err != nil {
		tb.Fatalf("decoding %s: %v", cfg, err)
	}
	return h, h.Provision(ctx)
}

func mustProvision(tb testing.TB, cfg string) *Handler {
	tb.Helper()
	h, err := provision(tb, cfg)
	if err != nil {
		tb.Fatalf("provisioning %s: %v", cfg, err)
	}
	return h
}

// sitesConfig is a host_dispatch config whose site i answers "site i".
func sitesConfig(hosts [][]string) string {
	type site struct {
		Hosts  []string            `json:"hosts"`
		Routes caddyhttp.RouteList `json:"routes"`
	}
	var cfg struct {
		Sites []site `json:"sites"`
	}
	for i, h := range hosts {
		body := fmt.Sprintf(`{"handler":"static_response","body":"site %d"}`, i)
		cfg.Sites = append(cfg.Sites, site{Hosts: h, Routes: caddyhttp.RouteList{{HandlersRaw: []json.RawMessage{json.RawMessage(body)}}}})
	}
	b, _ := json.Marshal(cfg)
	return string(b)
}

// newRequest is a request for host as Caddy's server hands it to
// handlers: with a replacer and request variables.
func newRequest(host string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://placeholder/", nil)
	r.Host = host
	ctx := context.WithValue(r.Context(), caddyhttp.VarsCtxKey, map[string]any{})
	r = r.WithContext(ctx)
	caddyhttp.NewTestReplacer(r)
	return r
}

// serve returns the body host_dispatch answers for host, or "next" when
// it passed the request on.
func serve(t testing.TB, h *Handler, host string) string {
	t.Helper()
	w := httptest.NewRecorder()
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) error {
		_, err := w.Write([]byte("next"))
		return err
	})
	if err := h.ServeHTTP(w, newRequest(host), next); err != nil {
		t.Fatalf("%q: %v", host, err)
	}
	return w.Body.String()
}

// tableSites exercise what Caddy's host matcher does with case, ports,
// brackets, trailing dots, punycode, Unicode folding and wildcard labels.
var tableSites = [][]string{
	{"shop.example.com", "WWW.Shop.Example.COM"},
	{"*.events.example.com"},
	{"bücher.example", "xn--caf-dma.example"}, // café
	{"*.*.multi.example"},
	{"a.*.mid.example", "kelvin.example"},
	{"localhost", "127.0.0.1", "::1", "[::2]"},
	{"*"},
	{"*.example.com"},
	{"x.y.mid.example"},
	{"*.shop.example.com", "shop.example.net"},
	{"b.*.mid.example"},
	{"a*b.example"}, // a * inside a label is a literal character
}

// tableHosts are the request Host values: the site's names as written and
// changed in every way a client might change them.
func tableHosts() []string {
	hosts := []string{
		"", ":80", "[::1]", "[::1]:443", "::1", "[::2]", "::2", "[::2]:80", "127.0.0.1", "127.0.0.1:8080",
		"xn--bcher-kva.example", "XN--BCHER-KVA.EXAMPLE", "bücher.example", "xn--caf-dma.example", "café.example",
		"\u212aelvin.example", "\u017fhop.example.com", "\xff.events.example.com", "\xffshop.example.com",
		".events.example.com", "events.example.com", "a.b.events.example.com", "x.events.example.com.",
		"x.y.multi.example", "..multi.example", "x.multi.example", "a.x.mid.example", "A.X.MID.EXAMPLE",
		"b.x.mid.example", "x.y.mid.example", "a.y.mid.example", "c.y.mid.example", "localhost", "LOCALHOST:2019",
		"other", "other.", "shop.example.com.", "shop.example.com:", "shop.example.com:8443", "www.shop.example.com",
		"x.shop.example.com", "a*b.example", "A*B.example", "ab.example", "axb.example", "shop.example.net:1",
		"unknown.example.org", "example.com", "x.example.com", "x.y.example.com", "[shop.example.com]",
	}
	for _, site := range tableSites {
		for _, h := range site {
			hosts = append(hosts, h, strings.ToUpper(h), h+":443", h+".", "x."+h)
		}
	}
	return hosts
}

// referenceSite says which site serves host by Caddy's host matcher, with
// the precedence host_dispatch documents: the site whose exact names (a
// MatchHost of them) match, else the first site whose wildcard patterns (a
// MatchHost of them) match; -1 for none.
func referenceSite(t testing.TB, sites [][]string, host string) int {
	t.Helper()
	matchAny := func(patterns []string) bool {
		if len(patterns) == 0 {
			return false
		}
		m := caddyhttp.MatchHost(append([]string(nil), patterns...))
		if err := m.Provision(caddy.Context{}); err != nil {
			t.Fatal(err)
		}
		ok, err := m.MatchWithError(newRequest(host))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	isWildcard := func(p string) bool {
		for _, l := range strings.Split(p, ".") {
			if l == "*" {
				return true
			}
		}
		return false
	}
	for _, wildcards := range []bool{false, true} {
		for i, hosts := range sites {
			var patterns []string
			for _, h := range hosts {
				if isWildcard(h) == wildcards {
					patterns = append(patterns, h)
				}
			}
			if matchAny(patterns) {
				return i
			}
		}
	}
	return -1
}

// TestMatchesCaddyHostMatcher serves every table host through host_dispatch
// and checks it picks the site that Caddy's host matcher picks.
func TestMatchesCaddyHostMatcher(t *testing.T) {
	h := mustProvision(t, sitesConfig(tableSites))
	seen := map[int]bool{}
	for _, host := range tableHosts() {
		want := "next"
		ref := referenceSite(t, tableSites, host)
		if ref >= 0 {
			want = "site " + strconv.Itoa(ref)
		}
		seen[ref] = true
		if got := serve(t, h, host); got != want {
			t.Errorf("Host %q: host_dispatch answered %q, Caddy's host matcher picks %q", host, got, want)
		}
	}
	// The table must reach every site and the pass-through.
	for i := -1; i < len(tableSites); i++ {
		if !seen[i] {
			t.Errorf("no table host reaches site %d", i)
		}
	}
}

func FuzzMatchesCaddyHostMatcher(f *testing.F) {
	for _, h := range tableHosts() {
		f.Add(h)
	}
	h := mustProvision(f, sitesConfig(tableSites))
	f.Fuzz(func(t *testing.T, host string) {
		want := "next"
		if ref := referenceSite(t, tableSites, host); ref >= 0 {
			want = "site " + strconv.Itoa(ref)
		}
		if got := serve(t, h, host); got != want {
			t.Fatalf("Host %q: host_dispatch answered %q, Caddy's host matcher picks %q", host, got, want)
		}
	})
}

func TestProvisionErrors(t *testing.T) {
	for _, tc := range []struct {
		name, cfg, want string
	}{
		{"host in two sites", sitesConfig([][]string{{"a.example"}, {"b.example", "A.example"}}), `site 1 (b.example): host "A.example" is also a host of site 0 (a.example)`},
		{"host twice in a site", sitesConfig([][]string{{"a.example", "a.example"}}), `site 0 (a.example): host "a.example" is listed twice`},
		{"placeholder", sitesConfig([][]string{{"{http.request.host}"}}), "placeholders are not supported"},
		{"no hosts", `{"sites":[{"routes":[]}]}`, "site 0 has no hosts"},
		{"unknown handler", `{"sites":[{"hosts":["a.example"],"routes":[{"handle":[{"handler":"nope"}]}]}]}`, "unknown module: http.handlers.nope"},
		{"bad handler config", `{"sites":[{"hosts":["a.example"],"routes":[{"handle":[{"handler":"static_response","nope":1}]}]}]}`, `unknown field "nope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := provision(t, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// counter is a test handler that counts its instances and writes its tag.
type counter struct {
	Tag string `json:"tag,omitempty"`
}

var provisioned atomic.Int64

func (counter) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.hostdispatch_test_counter", New: func() caddy.Module { return new(counter) }}
}

func (c *counter) Provision(caddy.Context) error {
	provisioned.Add(1)
	return nil
}

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	w.Header().Add("X-Tag", c.Tag)
	return next.ServeHTTP(w, r)
}

func init() { caddy.RegisterModule(counter{}) }

// Handlers with the same JSON are provisioned once, whatever site they
// are in; different JSON gets its own instance.
func TestIdenticalHandlersShared(t *testing.T) {
	var sites []string
	for i := range 100 {
		tag := "same"
		if i == 99 {
			tag = "other"
		}
		sites = append(sites, fmt.Sprintf(`{"hosts":["s%d.example"],"routes":[{"handle":[{"handler":"hostdispatch_test_counter","tag":%q},{"handler":"static_response","body":"s%d"}]}]}`, i, tag, i))
	}
	before := provisioned.Load()
	h := mustProvision(t, `{"sites":[`+strings.Join(sites, ",")+`]}`)
	if n := provisioned.Load() - before; n != 2 {
		t.Errorf("100 sites with 2 distinct counter configs provisioned %d counters, want 2", n)
	}
	for _, c := range []struct{ host, tag, body string }{{"s0.example", "same", "s0"}, {"s98.example", "same", "s98"}, {"s99.example", "other", "s99"}} {
		w := httptest.NewRecorder()
		if err := h.ServeHTTP(w, newRequest(c.host), nil); err != nil {
			t.Fatal(err)
		}
		if w.Header().Get("X-Tag") != c.tag || w.Body.String() != c.body {
			t.Errorf("%s: tag %q body %q, want %q %q", c.host, w.Header().Get("X-Tag"), w.Body.String(), c.tag, c.body)
		}
	}
}

// A site's routes behave as a subroute's: matchers, terminal routes,
// groups, and the end of the site's routes, which ends the request.
func TestSiteRoutes(t *testing.T) {
	h := mustProvision(t, `{"sites":[{"hosts":["a.example"],"routes":[
		{"group":"g","match":[{"path":["/one"]}],"handle":[{"handler":"hostdispatch_test_counter","tag":"one"}]},
		{"group":"g","handle":[{"handler":"hostdispatch_test_counter","tag":"g2"}]},
		{"match":[{"path":["/stop"]}],"handle":[{"handler":"hostdispatch_test_counter","tag":"stop"}],"terminal":true},
		{"match":[{"path":["/answer","/stop"]}],"handle":[{"handler":"static_response","body":"answer"}]}
	]}]}`)
	for _, c := range []struct {
		path, tags, body string
		unhandled        bool
	}{
		{"/one", "one", "", true},      // group: the second g route is skipped
		{"/two", "g2", "", true},       // the first g route does not match
		{"/stop", "g2,stop", "", true}, // terminal: the last route is not reached
		{"/answer", "g2", "answer", false},
	} {
		r := newRequest("a.example")
		r.URL.Path = c.path
		r = r.WithContext(context.WithValue(r.Context(), routeGroupKey, map[string]struct{}{}))
		w := httptest.NewRecorder()
		next := caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error {
			t.Errorf("%s: next handler called for a served host", c.path)
			return nil
		})
		if err := h.ServeHTTP(w, r, next); err != nil {
			t.Fatal(err)
		}
		tags := strings.Join(w.Header().Values("X-Tag"), ",")
		unhandled, _ := caddyhttp.GetVar(r.Context(), "unhandled").(bool)
		if tags != c.tags || w.Body.String() != c.body || unhandled != c.unhandled {
			t.Errorf("%s: tags %q body %q unhandled %v, want %q %q %v", c.path, tags, w.Body.String(), unhandled, c.tags, c.body, c.unhandled)
		}
	}
}

// In an error route, the end of a site's routes writes the error's status,
// as the end of a terminal Caddy route does.
func TestEndInErrorRoute(t *testing.T) {
	h := mustProvision(t, `{"sites":[{"hosts":["a.example"],"routes":[{"handle":[{"handler":"hostdispatch_test_counter","tag":"x"}]}]}]}`)
	for _, c := range []struct {
		err  error
		want int
	}{
		{caddyhttp.Error(http.StatusTeapot, errors.New("short and stout")), http.StatusTeapot},
		{errors.New("plain"), http.StatusInternalServerError},
	} {
		r := newRequest("a.example")
		r = r.WithContext(context.WithValue(r.Context(), caddyhttp.ErrorCtxKey, c.err))
		w := httptest.NewRecorder()
		if err := h.ServeHTTP(w, r, nil); err != nil {
			t.Fatal(err)
		}
		if w.Code != c.want {
			t.Errorf("error %v: status %d, want %d", c.err, w.Code, c.want)
		}
	}
}

// benchSites is a config of n sites, every tenth a wildcard, each with the
// same two handlers and its own static response.
func benchSites(n int) string {
	var b strings.Builder
	b.WriteString(`{"sites":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		host := fmt.Sprintf("s%d.example.com", i)
		if i%10 == 9 {
			host = fmt.Sprintf("*.e%d.example.com", i)
		}
		fmt.Fprintf(&b, `{"hosts":[%q],"routes":[{"handle":[{"handler":"vars","log_skip":true},{"handler":"static_response","body":"s%d"}]}]}`, host, i)
	}
	b.WriteString(`]}`)
	return b.String()
}

// BenchmarkDispatch serves the first, the last and a wildcard site of
// catalogs of 1 and 10,000 sites: the time must not depend on the number
// of sites.
func BenchmarkDispatch(b *testing.B) {
	for _, n := range []int{1, 10000} {
		h := mustProvision(b, benchSites(n))
		hosts := map[string]string{"first": "s0.example.com", "last": fmt.Sprintf("s%d.example.com", n-2)}
		if n == 1 {
			hosts["last"] = "s0.example.com"
		} else {
			hosts["wildcard"] = fmt.Sprintf("x.e%d.example.com", n-1)
		}
		for _, which := range []string{"first", "last", "wildcard"} {
			host, ok := hosts[which]
			if !ok {
				continue
			}
			b.Run(fmt.Sprintf("sites=%d/%s", n, which), func(b *testing.B) {
				r := newRequest(host)
				w := &discard{h: http.Header{}}
				b.ReportAllocs()
				for b.Loop() {
					if err := h.ServeHTTP(w, r, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

func TestModuleConfig(t *testing.T) {
	for _, tc := range []struct{ in, name, config string }{
		{`{"handler":"vars"}`, "vars", `{}`},
		{`{"body":"x","handler":"static_response"}`, "static_response", `{"body":"x"}`},
		{`{"handler":"static_response","body":"x"}`, "static_response", `{"body":"x"}`},
		{` { "a" : [1, {"handler":"nested"}] , "handler" : "h", "@id": "x", "b":"q\"\\"} `, "h", `{"a":[1, {"handler":"nested"}],"b":"q\"\\"}`},
		{`{"routes":[{"handle":[{"handler":"inner"}]}],"handler":"subroute","n":-1.5e3,"t":true,"z":null}`, "subroute", `{"routes":[{"handle":[{"handler":"inner"}]}],"n":-1.5e3,"t":true,"z":null}`},
	} {
		name, config, err := moduleConfig(json.RawMessage(tc.in))
		if err != nil || name != tc.name || string(config) != tc.config {
			t.Errorf("%s: %q %s %v, want %q %s", tc.in, name, config, err, tc.name, tc.config)
		}
		if !json.Valid(config) {
			t.Errorf("%s: invalid JSON %s", tc.in, config)
		}
	}
	for _, bad := range []string{`[]`, `{}`, `{"handler":1}`, `"x"`, ``} {
		if _, _, err := moduleConfig(json.RawMessage(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// BenchmarkProvision provisions 10,000 sites: each has its own response
// and shares its vars handler with every other.
func BenchmarkProvision(b *testing.B) {
	cfg := benchSites(10000)
	b.ReportAllocs()
	for b.Loop() {
		mustProvision(b, cfg)
	}
}

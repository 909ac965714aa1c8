package visitorredirect_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// load provisions a module from JSON in ctx, as Caddy does for a config.
func load[T any](b *testing.B, ctx caddy.Context, id, raw string) T {
	b.Helper()
	mod, err := ctx.LoadModuleByID(id, json.RawMessage(raw))
	if err != nil {
		b.Fatal(err)
	}
	v, ok := mod.(T)
	if !ok {
		b.Fatalf("%s is a %T", id, mod)
	}
	return v
}

// BenchmarkRequestPath is the whole frontdoor visitor path of one request:
// visitor_info, then a device matcher and a country matcher, then
// visitor_redirect — the GeoIP lookup and the classification are done once
// and shared. The per-request state Caddy's server creates (vars, replacer,
// log fields) is built in every iteration and counted.
func BenchmarkRequestPath(b *testing.B) {
	ctx, err := caddy.ProvisionContext(&caddy.Config{AppsRaw: caddy.ModuleMap{}})
	if err != nil {
		b.Fatal(err)
	}
	info := load[caddyhttp.MiddlewareHandler](b, ctx, "http.handlers.visitor_info", `{}`)
	dev := load[caddyhttp.RequestMatcherWithError](b, ctx, "http.matchers.device", `{"types":["tablet"]}`)
	country := load[caddyhttp.RequestMatcherWithError](b, ctx, "http.matchers.country", `{"countries":["JP"]}`)
	redirect := load[caddyhttp.MiddlewareHandler](b, ctx, "http.handlers.visitor_redirect",
		`{"rules":[{"countries":["KR"],"to":"https://kr.example.com{http.request.uri}"},{"devices":["mobile"],"to":"https://m.example.com{http.request.uri}"}]}`)

	final := caddyhttp.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) error {
		w.WriteHeader(http.StatusOK)
		return nil
	})
	afterInfo := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if ok, _ := dev.MatchWithError(r); ok {
			return final.ServeHTTP(w, r)
		}
		if ok, _ := country.MatchWithError(r); ok {
			return final.ServeHTTP(w, r)
		}
		return redirect.ServeHTTP(w, r, final)
	})

	// baseline builds the same request and calls the final handler only:
	// subtract it to get the cost of the visitor directives.
	for _, bc := range []struct{ name, ip, ua string }{
		{"baseline", ipUS, uaDesktop},
		{"pass", ipUS, uaDesktop},
		{"redirect", ipKR, uaDesktop},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodGet, "http://shop.example.com/cart?id=1", nil)
				r.Header.Set("User-Agent", bc.ua)
				vars := map[string]any{caddyhttp.ClientIPVarKey: bc.ip}
				c := context.WithValue(r.Context(), caddyhttp.VarsCtxKey, vars)
				c = context.WithValue(c, caddyhttp.ExtraLogFieldsCtxKey, new(caddyhttp.ExtraLogFields))
				c = context.WithValue(c, caddy.ReplacerCtxKey, caddy.NewReplacer())
				r = r.WithContext(c)
				w := httptest.NewRecorder()
				h := info.ServeHTTP
				if bc.name == "baseline" {
					h = func(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error { return final.ServeHTTP(w, r) }
				}
				if err := h(w, r, afterInfo); err != nil {
					b.Fatal(err)
				}
				if want := map[string]int{"baseline": 200, "pass": 200, "redirect": 302}[bc.name]; w.Code != want {
					b.Fatalf("status %d, want %d", w.Code, want)
				}
			}
		})
	}
}

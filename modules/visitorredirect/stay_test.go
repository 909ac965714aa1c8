package visitorredirect

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// TestStayResponseIsPrivate checks that a response setting or clearing
// the stay cookie is never cacheable by a shared cache, whatever the site
// answers, and keeps the site's other directives.
func TestStayResponseIsPrivate(t *testing.T) {
	h := newHandler(t, shopHandler(), prometheus.NewRegistry())
	tests := []struct {
		name, target, siteCC, want string
	}{
		{"site says public", "/?stay=1", "public, max-age=3600", "private, max-age=3600"},
		{"site sets s-maxage", "/?stay=1", "s-maxage=600, max-age=60", "private, max-age=60"},
		{"site says nothing", "/?stay=1", "", "private"},
		{"stay=0 clears the cookie", "/?stay=0", "public", "private"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := request(t, ipUS, "shop.example.com", tt.target, uaDesktop)
			w := httptest.NewRecorder()
			site := caddyhttp.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) error {
				if tt.siteCC != "" {
					w.Header().Add("Cache-Control", tt.siteCC)
				}
				_, err := w.Write([]byte("page"))
				return err
			})
			if err := h.ServeHTTP(w, r, site); err != nil {
				t.Fatal(err)
			}
			if got := w.Header().Get("Cache-Control"); got != tt.want || len(w.Header().Values("Cache-Control")) != 1 {
				t.Fatalf("Cache-Control %q, want %q", w.Header().Values("Cache-Control"), tt.want)
			}
			if !strings.Contains(w.Header().Get("Set-Cookie"), "fd_stay=") {
				t.Fatalf("no stay cookie set: %q", w.Header().Get("Set-Cookie"))
			}
		})
	}

	// Without the parameter the site's caching is left alone.
	r, _ := request(t, ipUS, "shop.example.com", "/", uaDesktop)
	w := httptest.NewRecorder()
	site := caddyhttp.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) error {
		w.Header().Set("Cache-Control", "public, max-age=60")
		w.WriteHeader(http.StatusOK)
		return nil
	})
	if err := h.ServeHTTP(w, r, site); err != nil {
		t.Fatal(err)
	}
	if got := w.Header().Get("Cache-Control"); got != "public, max-age=60" {
		t.Fatalf("a plain visit's Cache-Control became %q", got)
	}
}

// TestStayCookieSecureBehindTLSProxy checks the stay cookie's Secure flag:
// set when the gateway terminated TLS, or when a trusted proxy says the
// client used HTTPS; never on a client's own word.
func TestStayCookieSecureBehindTLSProxy(t *testing.T) {
	h := newHandler(t, shopHandler(), prometheus.NewRegistry())
	tests := []struct {
		name    string
		tls     bool
		trusted bool
		proto   string
		secure  bool
	}{
		{"TLS at the gateway", true, false, "", true},
		{"plain HTTP", false, false, "", false},
		{"trusted proxy terminated TLS", false, true, "https", true},
		{"untrusted client claims https", false, false, "https", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, vars := request(t, ipUS, "shop.example.com", "/?stay=1", uaDesktop)
			vars[caddyhttp.TrustedProxyVarKey] = tt.trusted
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if tt.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			r = r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, vars))
			w := serve(t, h, r)
			cookie := w.Header().Get("Set-Cookie")
			if strings.Contains(cookie, "Secure") != tt.secure {
				t.Fatalf("Set-Cookie %q, want Secure = %v", cookie, tt.secure)
			}
		})
	}
}

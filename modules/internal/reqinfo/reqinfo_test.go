package reqinfo

import (
	"context"
	"crypto/tls"
	"net/http/httptest"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func TestIsHTTPS(t *testing.T) {
	tests := []struct {
		name    string
		tls     bool
		trusted bool
		proto   string
		want    bool
	}{
		{"TLS at the gateway", true, false, "", true},
		{"plain HTTP", false, false, "", false},
		{"untrusted peer claims https", false, false, "https", false},
		{"trusted proxy says https", false, true, "https", true},
		{"trusted proxy says HTTPS", false, true, "HTTPS", true},
		{"trusted proxy says http", false, true, "http", false},
		{"trusted proxy chain, client side first", false, true, "https, http", true},
		{"trusted proxy chain starting with http", false, true, "http, https", false},
		{"trusted proxy sends nothing", false, true, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://shop.example.com/", nil)
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if tt.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			vars := map[string]any{caddyhttp.TrustedProxyVarKey: tt.trusted}
			r = r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, vars))
			if got := IsHTTPS(r); got != tt.want {
				t.Fatalf("IsHTTPS = %v, want %v", got, tt.want)
			}
		})
	}
}

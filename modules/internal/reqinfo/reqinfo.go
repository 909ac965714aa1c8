// Package reqinfo answers questions about a request that several frontdoor
// handlers ask, the same way for all of them.
package reqinfo

import (
	"net/http"
	"strings"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// IsHTTPS reports whether the client reached the site over HTTPS: the
// gateway terminated TLS itself, or the request came from a trusted proxy
// (Caddy's trusted_proxies) whose X-Forwarded-Proto says https — a load
// balancer that terminates TLS in front of frontdoor. A client talking to
// frontdoor directly cannot claim HTTPS with the header. Cookies that must
// stay on HTTPS (Secure) are set when this is true.
func IsHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if trusted, _ := caddyhttp.GetVar(r.Context(), caddyhttp.TrustedProxyVarKey).(bool); !trusted {
		return false
	}
	proto := r.Header.Get("X-Forwarded-Proto")
	// A chain of proxies may list several, the client's side first.
	if i := strings.IndexByte(proto, ','); i >= 0 {
		proto = proto[:i]
	}
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}

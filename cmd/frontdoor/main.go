// Command frontdoor is a Caddy v2 build with the frontdoor modules: multi-site
// routing, country and device redirects, rate limiting, maintenance mode,
// TraceID-tagged access logs shipped to Loki, and Prometheus metrics.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	// Caddy's standard modules.
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	// frontdoor's own modules.
	_ "github.com/frontdoor-gateway/frontdoor/modules"
)

func main() {
	caddycmd.Main()
}

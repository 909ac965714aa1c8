// Command frontdoor is a Caddy v2 build with the frontdoor modules: multi-site
// routing, country and device redirects, rate limiting, maintenance mode, a
// virtual waiting room, TraceID-tagged access logs shipped to Loki, and
// Prometheus metrics.
package main

import (
	"os"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	// Caddy's standard modules.
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	// frontdoor's own modules.
	_ "github.com/frontdoor-gateway/frontdoor/modules"
)

func main() {
	setGCPercent(os.Getenv)
	caddy.CustomBinaryName = "frontdoor"
	caddy.CustomLongDescription = longDescription
	// `frontdoor version` prints this, then Caddy's own version.
	caddy.CustomVersion = versionText(readBuildInfo()) + ", Caddy"
	caddycmd.Main()
}

const longDescription = `frontdoor is the front door for every site an operations team runs: a
full Caddy v2 server whose own modules add multi-site routing (the sites
catalog), country and device redirects, rate limiting, maintenance mode, a
virtual waiting room, TraceID-tagged access logs shipped to Loki, and
Prometheus metrics. Every Caddy command works.

	frontdoor run --config Caddyfile
	frontdoor run --config sites.yaml --adapter sites
	frontdoor validate --config sites.yaml --adapter sites
	frontdoor reload --config sites.yaml --adapter sites
	frontdoor maintenance on shop --until 30m
	frontdoor version

Configuration reloads go through the admin API (localhost:2019 by default);
a bad config is refused with its file and line, and the running one keeps
serving. See README.md for the features and the catalog.
`

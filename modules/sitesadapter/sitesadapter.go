// Package sitesadapter is the `sites` config adapter (caddy.adapters.sites):
// a YAML catalog of sites, each a few lines, with defaults they inherit,
// turned into plain Caddy JSON that uses frontdoor's modules.
//
//	frontdoor adapt  --config sites.yaml --adapter sites
//	frontdoor run    --config sites.yaml --adapter sites
//	frontdoor reload --config sites.yaml --adapter sites
//	curl -X POST -H 'Content-Type: text/sites' --data-binary @sites.yaml localhost:2019/load
//
// A catalog has optional global keys (admin, http_port, https_port, email,
// acme_ca, acme_ca_root, renew_interval, skip_install_trust, storage,
// trusted_proxies, trusted_proxies_strict, client_ip_headers,
// grace_period, metrics, geoip), include (glob patterns of files that hold
// more sites) and include_base (where relative ones are read), defaults
// and sites. Each site has hosts and either upstreams or respond, and may
// set listen, tls, redirects, throttle, maintenance, headers, log, trace_id
// and visitor_info. defaults may set all of them but hosts; a site's value
// is merged over the default key by key, and `off` drops a default.
//
// Every problem is reported with its file and line; the adapter never
// panics, whatever its input.
package sitesadapter

import (
	"fmt"

	"github.com/caddyserver/caddy/v2/caddyconfig"
)

func init() {
	caddyconfig.RegisterAdapter("sites", Adapter{})
}

// Adapter adapts a sites catalog to Caddy JSON.
type Adapter struct{}

// Adapt converts the catalog in body to Caddy JSON. The "filename" option
// (set by the frontdoor commands) names the catalog in errors and anchors
// relative include patterns; without it (a POST /load body) relative
// patterns need an absolute include_base, and are an error otherwise.
func (Adapter) Adapt(body []byte, options map[string]any) (result []byte, warnings []caddyconfig.Warning, err error) {
	defer func() {
		if r := recover(); r != nil {
			result, warnings, err = nil, nil, fmt.Errorf("sites adapter: internal error: %v", r)
		}
	}()
	file, _ := options["filename"].(string)
	return adapt(file, body)
}

// Interface guards
var (
	_ caddyconfig.Adapter = (*Adapter)(nil)
)

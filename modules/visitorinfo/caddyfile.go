package visitorinfo

import (
	"fmt"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	_ "github.com/frontdoor-gateway/frontdoor/modules/internal/directives"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("visitor_info", parseCaddyfile)
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	m := new(Handler)
	err := m.UnmarshalCaddyfile(h.Dispenser)
	return m, err
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	visitor_info {
//	    country_header <name>   # default X-Geo-Country
//	    device_header  <name>   # default X-Device-Type
//	    headers off             # set no upstream headers
//	    client_hints off        # add no Accept-CH to responses
//	}
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		switch d.Val() {
		case "country_header", "device_header":
			sub := d.Val()
			var name string
			if !d.Args(&name) {
				return d.ArgErr()
			}
			if d.NextArg() {
				return d.ArgErr()
			}
			if !validHeaderName(name) {
				return d.Errf("visitor_info: %s: %v", sub, errBadHeader(name))
			}
			if sub == "country_header" {
				h.CountryHeader = name
			} else {
				h.DeviceHeader = name
			}
		case "headers", "client_hints":
			sub := d.Val()
			var v string
			if !d.Args(&v) {
				return d.ArgErr()
			}
			if d.NextArg() {
				return d.ArgErr()
			}
			var off bool
			switch v {
			case "off":
				off = true
			case "on":
			default:
				return d.Errf("visitor_info: %s must be on or off, not %q", sub, v)
			}
			if sub == "headers" {
				h.DisableHeaders = off
			} else {
				h.DisableClientHints = off
			}
		default:
			return d.Errf("visitor_info: unrecognized subdirective %q", d.Val())
		}
	}
	return nil
}

func errBadHeader(name string) error {
	return fmt.Errorf("invalid header name %q", name)
}

func errSameHeader(name string) error {
	return fmt.Errorf("visitor_info: country and device headers are both %q", name)
}

// Interface guards
var (
	_ caddyfile.Unmarshaler = (*Handler)(nil)
)

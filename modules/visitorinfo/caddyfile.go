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
		case "headers":
			var v string
			if !d.Args(&v) {
				return d.ArgErr()
			}
			if d.NextArg() {
				return d.ArgErr()
			}
			switch v {
			case "off":
				h.DisableHeaders = true
			case "on":
				h.DisableHeaders = false
			default:
				return d.Errf("visitor_info: headers must be on or off, not %q", v)
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

package visitorredirect

import (
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	_ "github.com/frontdoor-gateway/frontdoor/modules/internal/directives"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("visitor_redirect", parseCaddyfile)
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	m := new(Handler)
	err := m.UnmarshalCaddyfile(h.Dispenser)
	return m, err
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	visitor_redirect [<matcher>] {
//	    country <code>... <target>     # rules in order, first match wins
//	    device  <class>... <target>
//	    status  <code>                 # default 302
//	    redirect_bots                  # default: bots are never redirected
//	    stay_cookie <name>|off         # default fd_stay
//	    stay_param  <name>|off         # default stay
//	    stay_max_age <duration>        # default 30d
//	}
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		switch sub := d.Val(); sub {
		case "country", "device":
			args := d.RemainingArgs()
			if len(args) < 2 {
				return d.Errf("visitor_redirect: %s needs at least one value and a target URL", sub)
			}
			rule := Rule{To: args[len(args)-1]}
			if sub == "country" {
				rule.Countries = args[:len(args)-1]
				for i, c := range rule.Countries {
					rule.Countries[i] = strings.ToUpper(c)
				}
			} else {
				rule.Devices = args[:len(args)-1]
			}
			if err := rule.check(); err != nil {
				return d.Errf("visitor_redirect: %s: %v", sub, err)
			}
			h.Rules = append(h.Rules, rule)
		case "status":
			var v string
			if !d.Args(&v) || d.NextArg() {
				return d.ArgErr()
			}
			code, err := strconv.Atoi(v)
			if err != nil {
				return d.Errf("visitor_redirect: bad status %q", v)
			}
			h.StatusCode = code
			if err := h.validateStatus(); err != nil {
				return d.Err(err.Error())
			}
		case "redirect_bots":
			if d.NextArg() {
				return d.ArgErr()
			}
			h.RedirectBots = true
		case "stay_cookie", "stay_param":
			var v string
			if !d.Args(&v) || d.NextArg() {
				return d.ArgErr()
			}
			switch {
			case v == "off" && sub == "stay_cookie":
				h.DisableStay = true
			case v == "off":
				h.DisableStayParam = true
			case sub == "stay_cookie":
				if !validCookieName(v) {
					return d.Errf("visitor_redirect: invalid cookie name %q", v)
				}
				h.StayCookie = v
			default:
				h.StayParam = v
			}
		case "stay_max_age":
			var v string
			if !d.Args(&v) || d.NextArg() {
				return d.ArgErr()
			}
			dur, err := caddy.ParseDuration(v)
			if err != nil || dur <= 0 {
				return d.Errf("visitor_redirect: bad stay_max_age %q", v)
			}
			h.StayMaxAge = caddy.Duration(dur)
		default:
			return d.Errf("visitor_redirect: unrecognized subdirective %q", sub)
		}
	}
	return nil
}

// Interface guards
var (
	_ caddyfile.Unmarshaler = (*Handler)(nil)
)

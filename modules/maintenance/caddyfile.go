package maintenance

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	_ "github.com/frontdoor-gateway/frontdoor/modules/internal/directives"
	maint "github.com/frontdoor-gateway/frontdoor/modules/internal/maintenance"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("maintenance", parseCaddyfile)
	httpcaddyfile.RegisterGlobalOption("maintenance", parseGlobalOption)
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	m := new(Handler)
	err := m.UnmarshalCaddyfile(h.Dispenser)
	return m, err
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	maintenance <name> {
//	    enabled                      # on while nothing is stored (default off)
//	    page /srv/maintenance.html   # Go html/template; default built-in page
//	    message "Back soon."         # default message
//	    retry_after 30m              # default 5m; the time left when "until" is set
//	    status 503                   # default 503
//	    allow 10.0.0.0/8 192.0.2.7   # these clients pass through (repeatable)
//	    bypass_secret {env.FD_BYPASS}  # ?fd_bypass=<secret> -> signed cookie; 16 characters or more
//	    bypass_ttl 12h               # bypass cookie lifetime (default 12h)
//	    on_state_error keep          # stored switch unreadable: keep (default), closed or open
//	}
func (m *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	if !d.NextArg() {
		return d.ArgErr()
	}
	m.Name = d.Val()
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		switch d.Val() {
		case "enabled":
			if d.NextArg() {
				b, err := strconv.ParseBool(d.Val())
				if err != nil {
					return d.Errf("enabled: %v", err)
				}
				m.Enabled = b
			} else {
				m.Enabled = true
			}
			if d.NextArg() {
				return d.ArgErr()
			}
		case "page":
			if !d.AllArgs(&m.Page) {
				return d.ArgErr()
			}
		case "message":
			if !d.AllArgs(&m.Message) {
				return d.ArgErr()
			}
		case "retry_after":
			var s string
			if !d.AllArgs(&s) {
				return d.ArgErr()
			}
			dur, err := caddy.ParseDuration(s)
			if err != nil {
				return d.Errf("retry_after: %v", err)
			}
			if dur <= 0 {
				return d.Errf("retry_after must be positive")
			}
			m.RetryAfter = caddy.Duration(dur)
		case "status":
			var s string
			if !d.AllArgs(&s) {
				return d.ArgErr()
			}
			code, err := strconv.Atoi(s)
			if err != nil || code < 200 || code > 599 {
				return d.Errf("status: %q is not an HTTP status code (200-599)", s)
			}
			m.Status = code
		case "allow":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.ArgErr()
			}
			for _, a := range args {
				if _, err := parsePrefix(a); err != nil {
					return d.Errf("allow: %v", err)
				}
			}
			m.Allow = append(m.Allow, args...)
		case "bypass_secret":
			if !d.AllArgs(&m.BypassSecret) {
				return d.ArgErr()
			}
			// A secret with placeholders is checked when the config loads.
			if n := utf8.RuneCountInString(m.BypassSecret); n < maint.MinSecretLength && !strings.Contains(m.BypassSecret, "{") {
				return d.Errf("bypass_secret is too short (%d characters): use at least %d characters, random ones, best through a placeholder such as {env.FD_BYPASS}", n, maint.MinSecretLength)
			}
		case "bypass_ttl":
			var s string
			if !d.AllArgs(&s) {
				return d.ArgErr()
			}
			dur, err := caddy.ParseDuration(s)
			if err != nil {
				return d.Errf("bypass_ttl: %v", err)
			}
			if dur <= 0 {
				return d.Errf("bypass_ttl must be positive")
			}
			m.BypassTTL = caddy.Duration(dur)
		case "on_state_error":
			if !d.AllArgs(&m.OnStateError) {
				return d.ArgErr()
			}
			if _, err := maint.ParseStateErrorPolicy(m.OnStateError); err != nil {
				return d.Err(err.Error())
			}
		default:
			return d.Errf("unrecognized maintenance subdirective %q", d.Val())
		}
	}
	return nil
}

// parseGlobalOption sets up the maintenance app. Syntax:
//
//	maintenance {
//	    poll_interval 1s   # how often storage is re-read (default 1s; off to disable)
//	}
func parseGlobalOption(d *caddyfile.Dispenser, existing any) (any, error) {
	if existing != nil {
		return nil, d.Err("maintenance: the global option is given more than once")
	}
	app := new(App)
	d.Next() // option name
	if d.NextArg() {
		return nil, d.ArgErr()
	}
	for d.NextBlock(0) {
		switch d.Val() {
		case "poll_interval":
			var s string
			if !d.AllArgs(&s) {
				return nil, d.ArgErr()
			}
			if s == "off" {
				app.PollInterval = -1
				continue
			}
			dur, err := caddy.ParseDuration(s)
			if err != nil {
				return nil, d.Errf("poll_interval: %v", err)
			}
			if dur <= 0 {
				return nil, d.Errf("poll_interval must be positive (or off)")
			}
			app.PollInterval = caddy.Duration(dur)
		default:
			return nil, d.Errf("unrecognized maintenance option %q", d.Val())
		}
	}
	return httpcaddyfile.App{
		Name:  "maintenance",
		Value: caddyconfig.JSON(app, nil),
	}, nil
}

// Interface guards
var (
	_ caddyfile.Unmarshaler = (*Handler)(nil)
)

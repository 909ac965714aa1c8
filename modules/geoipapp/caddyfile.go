package geoipapp

import (
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
)

func init() {
	httpcaddyfile.RegisterGlobalOption("geoip", parseGlobalOption)
}

// parseGlobalOption sets up the geoip app from the global option:
//
//	{
//	    geoip {
//	        database <path>          # repeatable: country/city, ASN
//	        reload_interval <dur>|off  # default 1m
//	    }
//	}
func parseGlobalOption(d *caddyfile.Dispenser, existing any) (any, error) {
	app := new(App)
	if err := app.UnmarshalCaddyfile(d); err != nil {
		return nil, err
	}
	if existing != nil {
		return nil, d.Err("geoip: the global option is given more than once")
	}
	return httpcaddyfile.App{
		Name:  "geoip",
		Value: caddyconfig.JSON(app, nil),
	}, nil
}

// UnmarshalCaddyfile parses the geoip global option block.
func (a *App) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // option name
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		switch d.Val() {
		case "database":
			if !d.NextArg() {
				return d.ArgErr()
			}
			a.Databases = append(a.Databases, d.Val())
			if d.NextArg() {
				return d.ArgErr()
			}
		case "reload_interval":
			if !d.NextArg() {
				return d.ArgErr()
			}
			if d.Val() == "off" {
				a.ReloadInterval = caddy.Duration(-1)
			} else {
				dur, err := caddy.ParseDuration(d.Val())
				if err != nil {
					return d.Errf("geoip: bad reload_interval %q: %v", d.Val(), err)
				}
				if dur <= 0 {
					return d.Errf("geoip: reload_interval must be positive, or off")
				}
				if dur < time.Second {
					return d.Errf("geoip: reload_interval %s is below the 1s minimum", dur)
				}
				a.ReloadInterval = caddy.Duration(dur)
			}
			if d.NextArg() {
				return d.ArgErr()
			}
		default:
			return d.Errf("geoip: unrecognized subdirective %q", d.Val())
		}
	}
	return nil
}

var _ caddyfile.Unmarshaler = (*App)(nil)

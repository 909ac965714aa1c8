package throttle

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	_ "github.com/frontdoor-gateway/frontdoor/modules/internal/directives"
	"github.com/frontdoor-gateway/frontdoor/modules/internal/limiter"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("throttle", parseCaddyfile)
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	t := new(Throttle)
	err := t.UnmarshalCaddyfile(h.Dispenser)
	return t, err
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	throttle <zone> {
//	    key            <template>        # default {client_ip}
//	    rate           <n>r/s|r/m|r/h    # required
//	    burst          <n>               # default 1
//	    ipv4_prefix    <bits>            # default 32
//	    ipv6_prefix    <bits>            # default 64
//	    max_keys       <n>               # default 100000
//	    allow          <ranges...>       # CIDRs, addresses or private_ranges; repeatable
//	    dry_run
//	    status         <code>            # default 429
//	    headers        on|off            # default on
//	    store          <redis://host:port/db>
//	    store_timeout  <duration>        # default 100ms
//	    on_store_error allow|deny        # default allow
//	    page           <file>            # html/template for browsers; default built-in
//	}
//
// The page file is read and parsed here too, so that a missing file or a
// broken template is an error with the Caddyfile's file and line.
func (t *Throttle) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	if !d.NextArg() {
		return d.Errf("throttle: missing zone name")
	}
	t.Zone = d.Val()
	if !zoneName.MatchString(t.Zone) {
		return d.Errf("throttle: zone %q: want 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", t.Zone)
	}
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		name := d.Val()
		switch name {
		case "dry_run":
			if d.NextArg() {
				return d.ArgErr()
			}
			t.DryRun = true
			continue
		case "allow":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.ArgErr()
			}
			for _, a := range args {
				if a == "private_ranges" {
					t.Allow = append(t.Allow, caddyhttp.PrivateRangesCIDR()...)
					continue
				}
				if _, err := caddyhttp.CIDRExpressionToPrefix(a); err != nil {
					return d.Errf("allow: %v", err)
				}
				t.Allow = append(t.Allow, a)
			}
			continue
		}
		if !d.NextArg() {
			return d.ArgErr()
		}
		val := d.Val()
		if d.NextArg() {
			return d.ArgErr()
		}
		var err error
		switch name {
		case "key":
			t.Key = val
		case "rate":
			_, err = limiter.ParseRate(val)
			t.Rate = val
		case "burst":
			t.Burst, err = boundedInt(val, 1, maxInt32)
		case "ipv4_prefix":
			t.IPv4Prefix, err = boundedInt(val, 1, 32)
		case "ipv6_prefix":
			t.IPv6Prefix, err = boundedInt(val, 1, 128)
		case "max_keys":
			t.MaxKeys, err = boundedInt(val, 1, maxInt32)
		case "status":
			t.StatusCode, err = boundedInt(val, 400, 599)
		case "headers":
			switch val {
			case "on":
				t.DisableHeaders = false
			case "off":
				t.DisableHeaders = true
			default:
				return d.Errf("headers: want on or off, got %q", val)
			}
		case "store":
			if !strings.Contains(val, "{") { // else checked once replaced
				err = limiter.CheckStoreURL(val)
			}
			t.Store = val
		case "store_timeout":
			var dur caddy.Duration
			dur, err = parseDuration(val)
			t.StoreTimeout = dur
		case "page":
			_, err = loadPage(val)
			t.Page = val
		case "on_store_error":
			if val != "allow" && val != "deny" {
				return d.Errf("on_store_error: want allow or deny, got %q", val)
			}
			t.OnStoreError = val
		default:
			return d.Errf("unrecognized subdirective %q", name)
		}
		if err != nil {
			return d.Errf("%s: %v", name, err)
		}
	}
	if t.Rate == "" {
		return d.Errf("throttle %s: rate is required", t.Zone)
	}
	if r, err := limiter.ParseRate(t.Rate); err == nil {
		if err := checkFill(r, t.Rate, max(t.Burst, 1)); err != nil {
			return d.Errf("throttle %s: %v", t.Zone, err)
		}
	}
	return nil
}

const maxInt32 = 1<<31 - 1

func boundedInt(s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%q: want a whole number from %d to %d", s, lo, hi)
	}
	return n, nil
}

func parseDuration(s string) (caddy.Duration, error) {
	d, err := caddy.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q: want a positive duration", s)
	}
	return caddy.Duration(d), nil
}

// Interface guard
var _ caddyfile.Unmarshaler = (*Throttle)(nil)

package waitingroom

import (
	"fmt"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	_ "github.com/frontdoor-gateway/frontdoor/modules/internal/directives"
	wr "github.com/frontdoor-gateway/frontdoor/modules/internal/waitingroom"
)

func init() {
	httpcaddyfile.RegisterDirective("waiting_room", parseCaddyfile)
}

// parseCaddyfile sets up the directive. Its matcher becomes the handler's
// Match, not the route's: the handler sees every request of the site, so
// it removes a client's own X-Waiting-Room-Session from the requests that
// do not wait too.
func parseCaddyfile(h httpcaddyfile.Helper) ([]httpcaddyfile.ConfigValue, error) {
	if !h.Next() {
		return nil, h.ArgErr()
	}
	matcherSet, err := h.ExtractMatcherSet()
	if err != nil {
		return nil, err
	}
	w := new(Handler)
	if err := w.UnmarshalCaddyfile(h.Dispenser); err != nil {
		return nil, err
	}
	if matcherSet != nil {
		w.MatchersRaw = caddyhttp.RawMatcherSets{matcherSet}
	}
	return h.NewRoute(nil, w), nil
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	waiting_room [<matcher>] <name> {
//	    active_users         <n>             # on the site at once (required)
//	    new_users_per_minute <n>             # default: active_users
//	    session_duration     <duration>      # default 5m (sliding)
//	    queue                fifo|random     # default fifo
//	    event {
//	        prequeue <RFC 3339 time>         # default: start
//	        start    <RFC 3339 time>         # required
//	        end      <RFC 3339 time>
//	    }
//	    store                <redis://host:port/db | rediss:// | unix:// | redis-cluster://h:p,h:p>
//	    store_timeout        <duration>      # default 100ms
//	    on_store_error       admit|hold      # default admit
//	    secret               <secret>        # repeatable (rotation: sign with the first)
//	    cookie_domain        <domain>
//	    page                 <path>          # html/template; default built-in
//	    refresh              <duration>      # default 20s (jittered)
//	    status               <code>          # default 200
//	    max_queued           <n>             # default 1000000
//	    site_name            <name>          # default: the request's host
//	}
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	if !d.NextArg() {
		return d.Errf("waiting_room: missing room name")
	}
	h.Name = d.Val()
	if !ValidName(h.Name) {
		return d.Errf("waiting_room: room name %q: use 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit", h.Name)
	}
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		name := d.Val()
		if name == "event" {
			if err := h.unmarshalEvent(d); err != nil {
				return err
			}
			continue
		}
		var val string
		if !d.AllArgs(&val) {
			return d.ArgErr()
		}
		var err error
		switch name {
		case "active_users":
			h.ActiveUsers, err = boundedInt(val, 1, wr.MaxUsers)
		case "new_users_per_minute":
			h.NewUsersPerMinute, err = boundedInt(val, 1, wr.MaxUsers)
		case "session_duration":
			h.SessionDuration, err = parseDuration(val, time.Second, wr.MaxSessionDuration)
		case "queue":
			if val != "fifo" && val != "random" {
				return d.Errf("queue: want fifo or random, got %q", val)
			}
			h.Queue = val
		case "store":
			if err := wr.CheckStore(val); err != nil {
				return d.Errf("%v", err)
			}
			h.Store = val
		case "store_timeout":
			h.StoreTimeout, err = parseDuration(val, time.Millisecond, time.Minute)
		case "on_store_error":
			if val != "admit" && val != "hold" {
				return d.Errf("on_store_error: want admit or hold, got %q", val)
			}
			h.OnStoreError = val
		case "secret":
			h.Secrets = append(h.Secrets, val)
		case "cookie_domain":
			if !domainRE.MatchString(val) || len(val) > 253 {
				return d.Errf("cookie_domain: %q is not a domain name", val)
			}
			h.CookieDomain = val
		case "page":
			h.Page = val
		case "refresh":
			h.Refresh, err = parseDuration(val, time.Second, wr.MaxRefresh)
		case "status":
			h.Status, err = boundedInt(val, 200, 599)
			if err == nil && h.Status >= 300 && h.Status < 400 {
				return d.Errf("status: %d is a redirect; want 2xx, 4xx or 5xx", h.Status)
			}
		case "max_queued":
			h.MaxQueued, err = boundedInt(val, 1, 100_000_000)
		case "site_name":
			if len(val) > 200 {
				return d.Errf("site_name: longer than 200 characters")
			}
			h.SiteName = val
		default:
			return d.Errf("unrecognized subdirective %q", name)
		}
		if err != nil {
			return d.Errf("%s: %v", name, err)
		}
	}
	if h.ActiveUsers == 0 {
		return d.Errf("waiting_room %s: active_users is required", h.Name)
	}
	if h.Store != "" && len(h.Secrets) == 0 {
		return d.Errf("waiting_room %s: a store shared by several gateways needs a secret (the same on every gateway) to sign the cookie", h.Name)
	}
	return nil
}

// unmarshalEvent reads an event block.
func (h *Handler) unmarshalEvent(d *caddyfile.Dispenser) error {
	if d.NextArg() {
		return d.ArgErr()
	}
	if h.Event != nil {
		return d.Errf("event: given more than once")
	}
	e := new(Event)
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		name := d.Val()
		var val string
		if !d.AllArgs(&val) {
			return d.ArgErr()
		}
		t, err := time.Parse(time.RFC3339, val)
		if err != nil {
			return d.Errf("event %s: %q is not an RFC 3339 time (like 2026-12-24T10:00:00+09:00)", name, val)
		}
		switch name {
		case "prequeue":
			e.Prequeue = t
		case "start":
			e.Start = t
		case "end":
			e.End = t
		default:
			return d.Errf("unrecognized event subdirective %q", name)
		}
	}
	switch {
	case e.Start.IsZero():
		return d.Errf("event: start is required")
	case !e.Prequeue.IsZero() && e.Prequeue.After(e.Start):
		return d.Errf("event: prequeue is after start")
	case !e.End.IsZero() && !e.End.After(e.Start):
		return d.Errf("event: end is not after start")
	}
	h.Event = e
	return nil
}

func boundedInt(s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%q: want a whole number from %d to %d", s, lo, hi)
	}
	return n, nil
}

func parseDuration(s string, least, most time.Duration) (caddy.Duration, error) {
	d, err := caddy.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d < least || d > most {
		return 0, fmt.Errorf("%q: want %s to %s", s, least, most)
	}
	return caddy.Duration(d), nil
}

// Interface guard
var _ caddyfile.Unmarshaler = (*Handler)(nil)

package sitesadapter

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/redisurl"
)

// stateNameRE is what maintenance names and throttle zones may be: they
// name admin API paths, storage keys, cookies and Redis keys.
var stateNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

var rateRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)r/([smh])$`)

func (b *builder) throttle(s *site, th *throttleConfig) throttleJSON {
	errs := b.errs
	j := throttleJSON{
		Zone:           th.Zone.v,
		Key:            b.expand(th.Key.v),
		Rate:           th.Rate.v,
		Burst:          th.Burst,
		IPv4Prefix:     th.IPv4Prefix,
		IPv6Prefix:     th.IPv6Prefix,
		MaxKeys:        th.MaxKeys,
		Allow:          b.cidrs(s, "throttle.allow", th.Allow),
		DryRun:         th.DryRun,
		StatusCode:     th.Status,
		DisableHeaders: th.NoHeaders,
		Store:          th.Store.v,
		StoreTimeout:   b.duration(s, "throttle.store_timeout", th.StoreTimeout),
		OnStoreError:   th.OnStoreError.v,
		Page:           th.Page.v,
	}
	if j.Zone == "" {
		j.Zone = s.name
	} else if !stateNameRE.MatchString(j.Zone) {
		errs.add(th.Zone.at, "site %q: throttle zone %q: use 1 to 64 letters, digits, _, . or -, starting with a letter or digit", s.name, j.Zone)
	}
	if j.Rate == "" {
		errs.add(th.At, "site %q: throttle needs a rate, like 10r/s (r/s, r/m or r/h)", s.name)
	} else if m := rateRE.FindStringSubmatch(j.Rate); m == nil {
		errs.add(th.Rate.at, "site %q: throttle rate %q: expected a number of requests per second, minute or hour, like 10r/s, 600r/m, 1000r/h", s.name, j.Rate)
	} else if f, _ := strconv.ParseFloat(m[1], 64); f <= 0 {
		errs.add(th.Rate.at, "site %q: throttle rate %q must be more than zero", s.name, j.Rate)
	}
	use := zoneUse{site: s.name, at: th.At, rate: j.Rate, burst: j.Burst, maxKeys: j.MaxKeys, store: j.Store}
	if prev, ok := b.zones[j.Zone]; ok && (prev.rate != use.rate || prev.burst != use.burst || prev.maxKeys != use.maxKeys || prev.store != use.store) {
		errs.add(th.At, "site %q: throttle zone %q is shared with site %q (%s) with a different rate, burst, max_keys or store: sites sharing a zone share its buckets and limits", s.name, j.Zone, prev.site, prev.at)
	} else if !ok {
		b.zones[j.Zone] = use
	}
	if th.Burst < 0 {
		errs.add(th.At, "site %q: throttle burst %d must be zero or more", s.name, th.Burst)
	}
	if th.IPv4Prefix < 0 || th.IPv4Prefix > 32 {
		errs.add(th.At, "site %q: throttle ipv4_prefix %d must be between 1 and 32", s.name, th.IPv4Prefix)
	}
	if th.Status != 0 && (th.Status < 400 || th.Status > 599) {
		errs.add(th.At, "site %q: throttle status %d: expected a 4xx or 5xx status", s.name, th.Status)
	}
	if th.IPv6Prefix < 0 || th.IPv6Prefix > 128 {
		errs.add(th.At, "site %q: throttle ipv6_prefix %d must be between 1 and 128", s.name, th.IPv6Prefix)
	}
	if th.MaxKeys < 0 {
		errs.add(th.At, "site %q: throttle max_keys %d must be zero or more", s.name, th.MaxKeys)
	}
	if j.Store != "" && !strings.Contains(j.Store, "{") {
		if err := redisurl.Check(j.Store); err != nil {
			errs.add(th.Store.at, "site %q: throttle store %q: %v", s.name, redisurl.Redact(j.Store), err)
		}
	}
	switch j.OnStoreError {
	case "", "allow", "deny":
	default:
		errs.add(th.OnStoreError.at, "site %q: throttle on_store_error %q: expected allow or deny", s.name, j.OnStoreError)
	}
	return j
}

// throttleJSON mirrors http.handlers.throttle.
type throttleJSON struct {
	Zone           string         `json:"zone,omitempty"`
	Key            string         `json:"key,omitempty"`
	Rate           string         `json:"rate,omitempty"`
	Burst          int            `json:"burst,omitempty"`
	IPv4Prefix     int            `json:"ipv4_prefix,omitempty"`
	IPv6Prefix     int            `json:"ipv6_prefix,omitempty"`
	MaxKeys        int            `json:"max_keys,omitempty"`
	Allow          []string       `json:"allow,omitempty"`
	DryRun         bool           `json:"dry_run,omitempty"`
	StatusCode     int            `json:"status_code,omitempty"`
	DisableHeaders bool           `json:"disable_headers,omitempty"`
	Store          string         `json:"store,omitempty"`
	StoreTimeout   caddy.Duration `json:"store_timeout,omitempty"`
	OnStoreError   string         `json:"on_store_error,omitempty"`
	Page           string         `json:"page,omitempty"`
}

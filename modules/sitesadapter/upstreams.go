package sitesadapter

import (
	"sort"
	"strings"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp/reverseproxy"
)

var lbPolicies = map[string]int{
	// policy name -> how many arguments it takes (-1: zero or one)
	"random": 0, "least_conn": 0, "round_robin": 0, "first": 0,
	"ip_hash": 0, "client_ip_hash": 0, "uri_hash": 0,
	"header": 1, "query": 1, "cookie": -1,
}

// defaultIdleConnsPerHost is how many idle connections to each upstream
// host a site's proxy keeps for reuse: one per concurrent client of a busy
// site. Caddy's own default, 32, makes a site with more concurrent
// requests than that close and open upstream connections all the time
// (thousands of sockets in TIME_WAIT, about 40% more CPU per request in
// the benchmark). Idle connections are closed after 2 minutes.
const defaultIdleConnsPerHost = 1024

func (b *builder) reverseProxy(s *site, u *upstreamsConfig) *reverseproxy.Handler {
	errs := b.errs
	h := &reverseproxy.Handler{}
	if len(u.To) == 0 {
		errs.add(u.At, "site %q: upstreams has no addresses (to: [host:port, ...])", s.name)
		return nil
	}
	scheme := ""
	for _, a := range u.To {
		dial, sch, err := checkUpstream(a.v)
		if err != nil {
			errs.add(a.at, "site %q: upstream %q: %v", s.name, a.v, err)
			continue
		}
		if scheme != "" && sch != scheme {
			errs.add(a.at, "site %q: upstream %q: all upstreams of a site must use the same scheme (http or https)", s.name, a.v)
		}
		scheme = sch
		h.Upstreams = append(h.Upstreams, &reverseproxy.Upstream{Dial: dial})
	}
	perHost := u.KeepaliveIdleConnsPerHost
	if perHost == 0 {
		perHost = defaultIdleConnsPerHost
	}
	for _, k := range []struct {
		name string
		n    int
	}{{"keepalive_idle_conns_per_host", u.KeepaliveIdleConnsPerHost}, {"keepalive_idle_conns", u.KeepaliveIdleConns}} {
		if k.n < 0 {
			errs.add(u.At, "site %q: upstreams.%s %d must be zero or more", s.name, k.name, k.n)
		}
	}
	t := reverseproxy.HTTPTransport{
		DialTimeout: b.duration(s, "upstreams.dial_timeout", u.DialTimeout),
		KeepAlive:   &reverseproxy.KeepAlive{MaxIdleConnsPerHost: perHost, MaxIdleConns: u.KeepaliveIdleConns},
	}
	if scheme == "https" {
		t.TLS = &reverseproxy.TLSConfig{}
	}
	h.TransportRaw = b.module(t, "protocol", "http")
	if u.LBPolicy.v != "" || u.LBRetries != 0 || u.LBTryDuration.v != "" {
		lb := &reverseproxy.LoadBalancing{
			Retries:     u.LBRetries,
			TryDuration: b.duration(s, "upstreams.lb_try_duration", u.LBTryDuration),
		}
		if u.LBRetries < 0 {
			errs.add(u.At, "site %q: upstreams.lb_retries %d must be zero or more", s.name, u.LBRetries)
		}
		if u.LBPolicy.v != "" {
			fields := strings.Fields(u.LBPolicy.v)
			name := ""
			if len(fields) > 0 {
				name = fields[0]
			}
			nargs, ok := lbPolicies[name]
			switch {
			case !ok:
				names := make([]string, 0, len(lbPolicies))
				for n := range lbPolicies {
					names = append(names, n)
				}
				sort.Strings(names)
				errs.add(u.LBPolicy.at, "site %q: lb_policy %q: expected one of %s", s.name, u.LBPolicy.v, strings.Join(names, ", "))
			case nargs == 0 && len(fields) != 1, nargs == 1 && len(fields) != 2, nargs == -1 && len(fields) > 2:
				errs.add(u.LBPolicy.at, "site %q: lb_policy %q: wrong number of arguments", s.name, u.LBPolicy.v)
			default:
				pol := map[string]string{}
				switch name {
				case "header":
					pol["field"] = fields[1]
				case "query":
					pol["key"] = fields[1]
				case "cookie":
					if len(fields) == 2 {
						pol["name"] = fields[1]
					}
				}
				lb.SelectionPolicyRaw = caddyconfig.JSONModuleObject(pol, "policy", name, &b.warnings)
			}
		}
		h.LoadBalancing = lb
	}
	if hc := u.HealthCheck; hc != nil {
		checks := &reverseproxy.HealthChecks{}
		if hc.Path.v != "" || hc.Interval.v != "" || hc.Timeout.v != "" || hc.Status != 0 || hc.Port != 0 {
			if hc.Path.v == "" {
				errs.add(hc.At, "site %q: health_check needs a path for active checks (like /healthz)", s.name)
			} else if !strings.HasPrefix(hc.Path.v, "/") {
				errs.add(hc.Path.at, "site %q: health_check path %q must start with /", s.name, hc.Path.v)
			}
			if hc.Status != 0 && (hc.Status < 100 || hc.Status > 599) {
				errs.add(hc.At, "site %q: health_check status %d is not an HTTP status", s.name, hc.Status)
			}
			if hc.Port < 0 || hc.Port > 65535 {
				errs.add(hc.At, "site %q: health_check port %d is not a port", s.name, hc.Port)
			}
			checks.Active = &reverseproxy.ActiveHealthChecks{
				URI:          hc.Path.v,
				Port:         hc.Port,
				Interval:     b.duration(s, "health_check.interval", hc.Interval),
				Timeout:      b.duration(s, "health_check.timeout", hc.Timeout),
				ExpectStatus: hc.Status,
			}
		}
		if hc.FailDuration.v != "" || hc.MaxFails != 0 {
			if hc.MaxFails < 0 {
				errs.add(hc.At, "site %q: health_check max_fails %d must be zero or more", s.name, hc.MaxFails)
			}
			checks.Passive = &reverseproxy.PassiveHealthChecks{
				FailDuration: b.duration(s, "health_check.fail_duration", hc.FailDuration),
				MaxFails:     hc.MaxFails,
			}
			if checks.Passive.FailDuration == 0 {
				errs.add(hc.At, "site %q: passive health checks need fail_duration (like 30s)", s.name)
			}
		}
		if checks.Active != nil || checks.Passive != nil {
			h.HealthChecks = checks
		}
	}
	return h
}

package sitesadapter

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"
	"go.yaml.in/yaml/v3"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp/headers"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp/reverseproxy"
	"github.com/caddyserver/caddy/v2/modules/caddytls"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/loki"
)

// builder turns decoded sites into Caddy JSON, checking each value and
// reporting problems at the place they were written.
type builder struct {
	t        *tree
	errs     *errorList
	g        *globals
	warnings []caddyconfig.Warning

	httpPort, httpsPort int
	hosts               map[string]claim  // lower-case host -> claiming site
	listeners           map[string]string // listen address -> server key
	servers             map[string]*server
	serverOrder         []string
	logs                map[string]*caddy.CustomLog
	shorthands          httpcaddyfile.ShorthandReplacer
	internal            []string           // hosts with tls: internal
	zones               map[string]zoneUse // throttle zone -> first use
}

type zoneUse struct {
	site    string
	at      at
	rate    string
	burst   int
	maxKeys int
	store   string
}

type claim struct {
	site string
	at   at
}

// server is one Caddy server: the sites that share a set of listeners.
type server struct {
	listen     []string
	tlsOff     bool
	firstAt    at
	first      string
	routes     []siteRoute
	logged     map[string]caddyhttp.StringArray
	unlogged   []string // hosts of sites with log: off
	defaultLog string   // the catch-all site's logger
}

type siteRoute struct {
	order int // 0 exact hosts, 1 wildcard hosts, 2 catch-all
	route caddyhttp.Route
}

// adapt turns a catalog into Caddy JSON. file names the catalog in errors
// and anchors relative include patterns; it may be empty.
func adapt(file string, body []byte) ([]byte, []caddyconfig.Warning, error) {
	errs := new(errorList)
	t := &tree{files: make(map[*yaml.Node]string), errs: errs}
	g, defNode, entries := load(t, file, body)
	if g == nil {
		if err := errs.err(); err != nil {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("the catalog is not a mapping with a sites: key")
	}

	b := &builder{
		t:          t,
		errs:       errs,
		g:          g,
		httpPort:   80,
		httpsPort:  443,
		hosts:      make(map[string]claim),
		listeners:  make(map[string]string),
		servers:    make(map[string]*server),
		logs:       make(map[string]*caddy.CustomLog),
		zones:      make(map[string]zoneUse),
		shorthands: httpcaddyfile.NewShorthandReplacer(),
	}
	if g.HTTPPort != 0 {
		b.httpPort = g.HTTPPort
	}
	if g.HTTPSPort != 0 {
		b.httpsPort = g.HTTPSPort
	}
	for _, p := range []struct {
		name string
		v    int
	}{{"http_port", g.HTTPPort}, {"https_port", g.HTTPSPort}} {
		if p.v < 0 || p.v > 65535 {
			errs.add(g.At, "%s: %d is not a port", p.name, p.v)
		}
	}

	// Defaults are checked once on their own, so that a mistake in them is
	// reported at its line once, not once per site.
	if !isNull(defNode) {
		defNode = t.normalize(defNode)
		for _, p := range t.pairs(defNode) {
			if p.key.Value == "hosts" {
				errs.add(t.at(p.key), "defaults: hosts belong to each site, not to defaults")
			}
		}
		var d site
		t.decode(defNode, reflect.ValueOf(&d).Elem(), "defaults")
	}

	for _, e := range entries {
		n := resolve(e.node)
		if isNull(n) {
			errs.add(e.nameAt, "site %q is empty: it needs hosts and upstreams (or respond)", e.name)
			continue
		}
		if n.Kind != yaml.MappingNode {
			errs.add(t.at(n), "site %q: expected a mapping of settings, got %s", e.name, describe(n))
			continue
		}
		norm := t.normalize(n)
		merged := t.merge(t.withoutReplaced(defNode, norm), norm)
		s := &site{name: e.name, nameAt: e.nameAt}
		t.decode(merged, reflect.ValueOf(s).Elem(), e.name)
		s.At = e.nameAt
		b.addSite(s)
	}
	if err := errs.err(); err != nil {
		return nil, nil, err
	}
	cfg := b.config()
	if err := errs.err(); err != nil {
		return nil, nil, err
	}
	out, err := json.Marshal(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding the Caddy config: %v", err)
	}
	return out, b.warnings, nil
}

func (b *builder) addSite(s *site) {
	errs := b.errs
	before := len(errs.errs)

	// Hosts.
	if len(s.Hosts) == 0 {
		errs.add(s.nameAt, "site %q has no hosts", s.name)
	}
	var hosts []string
	wildcard := false
	for _, h := range s.Hosts {
		host := strings.ToLower(strings.TrimSuffix(h.v, "."))
		if err := checkHost(host); err != nil {
			errs.add(h.at, "site %q: host %q: %v", s.name, h.v, err)
			continue
		}
		if c, dup := b.hosts[host]; dup {
			if c.site == s.name {
				errs.add(h.at, "site %q lists host %q twice", s.name, h.v)
			} else {
				errs.add(h.at, "host %q is claimed by two sites: %q here and %q at %s", h.v, s.name, c.site, c.at)
			}
			continue
		}
		b.hosts[host] = claim{site: s.name, at: h.at}
		hosts = append(hosts, host)
		if strings.HasPrefix(host, "*") {
			wildcard = true
		}
	}
	catchAll := false
	for _, h := range hosts {
		catchAll = catchAll || h == "*"
	}
	if catchAll && len(hosts) > 1 {
		errs.add(s.Hosts[0].at, "site %q: host \"*\" matches every host, so it must be the site's only host", s.name)
	}

	// TLS mode.
	tlsMode := strings.ToLower(s.TLS.v)
	switch tlsMode {
	case "", "on", "true", "automatic":
		tlsMode = "automatic"
	case "internal", "off", "false":
		if tlsMode == "false" {
			tlsMode = "off"
		}
	default:
		errs.add(s.TLS.at, "site %q: tls: %q is not automatic, internal or off", s.name, s.TLS.v)
	}

	// Listeners.
	var listen []string
	for _, l := range s.Listen {
		addr, err := checkListen(l.v)
		if err != nil {
			errs.add(l.at, "site %q: listen %q: %v", s.name, l.v, err)
			continue
		}
		listen = append(listen, addr)
	}
	if len(s.Listen) == 0 {
		port := b.httpsPort
		if tlsMode == "off" {
			port = b.httpPort
		}
		listen = []string{":" + strconv.Itoa(port)}
	}

	handlers := b.handlers(s)
	if len(errs.errs) > before {
		return
	}

	// Group the site with the others on the same listeners.
	sort.Strings(listen)
	listen = compactStrings(listen)
	key := strings.Join(listen, ",")
	for _, l := range listen {
		if other, ok := b.listeners[l]; ok && other != key {
			errs.add(s.nameAt, "site %q listens on %s, which site %q also uses with a different listen list (%s): sites sharing an address must list the same addresses", s.name, l, b.servers[other].first, other)
			return
		}
	}
	srv := b.servers[key]
	if srv == nil {
		srv = &server{listen: listen, tlsOff: tlsMode == "off", firstAt: s.nameAt, first: s.name}
		b.servers[key] = srv
		b.serverOrder = append(b.serverOrder, key)
		for _, l := range listen {
			b.listeners[l] = key
		}
	} else if srv.tlsOff != (tlsMode == "off") {
		errs.add(s.nameAt, "site %q has tls %s but shares its listeners with site %q (at %s), which has the other setting: a listener is either TLS or plain HTTP", s.name, tlsMode, srv.first, srv.firstAt)
		return
	}
	if tlsMode == "internal" {
		b.internal = append(b.internal, hosts...)
	}

	// Access log.
	if s.Log != nil {
		name := "site_" + s.name
		b.logs[name] = b.accessLog(s)
		if srv.logged == nil {
			srv.logged = make(map[string]caddyhttp.StringArray)
		}
		for _, h := range hosts {
			if h == "*" {
				srv.defaultLog = name
				continue
			}
			srv.logged[h] = caddyhttp.StringArray{name}
		}
	} else if !catchAll {
		srv.unlogged = append(srv.unlogged, hosts...)
	}

	route := caddyhttp.Route{
		HandlersRaw: []json.RawMessage{caddyconfig.JSONModuleObject(caddyhttp.Subroute{
			Routes: caddyhttp.RouteList{{HandlersRaw: handlers}},
		}, "handler", "subroute", &b.warnings)},
		Terminal: true,
	}
	order := 0
	switch {
	case catchAll:
		order = 2
	case wildcard:
		order = 1
	}
	if !catchAll {
		route.MatcherSetsRaw = caddyhttp.RawMatcherSets{
			caddy.ModuleMap{"host": caddyconfig.JSON(caddyhttp.MatchHost(hosts), &b.warnings)},
		}
	}
	srv.routes = append(srv.routes, siteRoute{order: order, route: route})
}

// handlers builds a site's handler chain, in this order: trace_id,
// visitor_info, headers, maintenance, throttle, visitor_redirect, then
// reverse_proxy or a static response.
func (b *builder) handlers(s *site) []json.RawMessage {
	errs := b.errs
	var out []json.RawMessage
	add := func(v any, name string) {
		out = append(out, caddyconfig.JSONModuleObject(v, "handler", name, &b.warnings))
	}

	if s.TraceID != nil && requireModule(errs, s.TraceID.At, "trace_id", "http.handlers.trace_id") {
		switch s.TraceID.TrustIncoming.v {
		case "", "trusted_proxies", "always", "never":
		default:
			errs.add(s.TraceID.TrustIncoming.at, "site %q: trace_id trust_incoming %q: expected trusted_proxies, always or never", s.name, s.TraceID.TrustIncoming.v)
		}
		add(traceIDJSON{TrustIncoming: s.TraceID.TrustIncoming.v}, "trace_id")
	}
	if v := s.VisitorInfo; v != nil && requireModule(errs, v.At, "visitor_info", "http.handlers.visitor_info") {
		j := visitorInfoJSON{
			CountryHeader:      b.headerName(s, "visitor_info.country_header", v.CountryHeader),
			DeviceHeader:       b.headerName(s, "visitor_info.device_header", v.DeviceHeader),
			DisableHeaders:     v.Headers != nil && !*v.Headers,
			DisableClientHints: v.ClientHints != nil && !*v.ClientHints,
		}
		add(j, "visitor_info")
	}
	if h := s.Headers; h != nil {
		hh := headers.Handler{}
		if h.Request != nil {
			hh.Request = b.headerOps(s, "headers.request", h.Request)
		}
		if h.Response != nil {
			hh.Response = &headers.RespHeaderOps{HeaderOps: b.headerOps(s, "headers.response", h.Response), Deferred: true}
		}
		if hh.Request != nil || hh.Response != nil {
			add(hh, "headers")
		}
	}
	if m := s.Maintenance; m != nil && requireModule(errs, m.At, "maintenance", "http.handlers.maintenance") {
		j := maintenanceJSON{
			Name:         m.Name.v,
			Enabled:      m.Enabled,
			Page:         m.Page.v,
			Message:      m.Message.v,
			RetryAfter:   b.duration(s, "maintenance.retry_after", m.RetryAfter),
			Status:       m.Status,
			Allow:        b.cidrs(s, "maintenance.allow", m.Allow),
			BypassSecret: m.BypassSecret.v,
			BypassTTL:    b.duration(s, "maintenance.bypass_ttl", m.BypassTTL),
		}
		if j.Name == "" {
			j.Name = s.name
		} else if !stateNameRE.MatchString(j.Name) {
			errs.add(m.Name.at, "site %q: maintenance name %q: use 1 to 64 letters, digits, _, . or -, starting with a letter or digit", s.name, j.Name)
		}
		if m.Status != 0 && (m.Status < 400 || m.Status > 599) {
			errs.add(m.At, "site %q: maintenance status %d: expected a 4xx or 5xx status", s.name, m.Status)
		}
		add(j, "maintenance")
	}
	if th := s.Throttle; th != nil && requireModule(errs, th.At, "throttle", "http.handlers.throttle") {
		add(b.throttle(s, th), "throttle")
	}
	if r := s.Redirects; r != nil && requireModule(errs, r.At, "redirects", "http.handlers.visitor_redirect") {
		add(b.redirects(s, r), "visitor_redirect")
	}

	switch {
	case s.Upstreams != nil && s.Respond != nil:
		errs.add(s.Respond.At, "site %q has both upstreams and respond: choose one", s.name)
	case s.Upstreams != nil:
		if rp := b.reverseProxy(s, s.Upstreams); rp != nil {
			add(rp, "reverse_proxy")
		}
	case s.Respond != nil:
		r := s.Respond
		sr := caddyhttp.StaticResponse{Body: b.expand(r.Body)}
		if r.Status != 0 {
			if r.Status < 100 || r.Status > 999 {
				errs.add(r.At, "site %q: respond.status %d is not an HTTP status", s.name, r.Status)
			}
			sr.StatusCode = caddyhttp.WeakString(strconv.Itoa(r.Status))
		}
		for k, v := range r.Header {
			if sr.Headers == nil {
				sr.Headers = make(http.Header)
			}
			sr.Headers.Set(k, b.expand(v))
		}
		add(sr, "static_response")
	default:
		errs.add(s.nameAt, "site %q has neither upstreams nor respond: where should its requests go?", s.name)
	}
	return out
}

func (b *builder) headerName(s *site, what string, v str) string {
	if v.v != "" && !validHeaderName(v.v) {
		b.errs.add(v.at, "site %q: %s: %q is not a header name", s.name, what, v.v)
	}
	return v.v
}

func (b *builder) headerOps(s *site, what string, h *headerOps) *headers.HeaderOps {
	ops := &headers.HeaderOps{}
	check := func(name string) {
		if !validHeaderName(name) {
			b.errs.add(h.At, "site %q: %s: %q is not a header name", s.name, what, name)
		}
	}
	for k, v := range h.Set {
		check(k)
		if ops.Set == nil {
			ops.Set = make(http.Header)
		}
		ops.Set[http.CanonicalHeaderKey(k)] = []string{b.expand(v)}
	}
	for k, v := range h.Add {
		check(k)
		if ops.Add == nil {
			ops.Add = make(http.Header)
		}
		ops.Add[http.CanonicalHeaderKey(k)] = []string{b.expand(v)}
	}
	for _, d := range h.Delete {
		if !validHeaderName(strings.Trim(d.v, "*")) {
			b.errs.add(d.at, "site %q: %s.delete: %q is not a header name", s.name, what, d.v)
		}
		ops.Delete = append(ops.Delete, d.v)
	}
	return ops
}

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
		u, err := url.Parse(j.Store)
		if err != nil || !(((u.Scheme == "redis" || u.Scheme == "rediss") && u.Host != "") || (u.Scheme == "unix" && u.Path != "")) {
			errs.add(th.Store.at, "site %q: throttle store %q: expected redis://host:port/db, rediss:// or unix://", s.name, j.Store)
		}
	}
	switch j.OnStoreError {
	case "", "allow", "deny":
	default:
		errs.add(th.OnStoreError.at, "site %q: throttle on_store_error %q: expected allow or deny", s.name, j.OnStoreError)
	}
	return j
}

var (
	countryRE = regexp.MustCompile(`^[A-Z]{2}$`)
	devices   = map[string]bool{"mobile": true, "tablet": true, "desktop": true, "tv": true, "bot": true, "other": true}
)

func (b *builder) redirects(s *site, r *redirectsConfig) visitorRedirectJSON {
	errs := b.errs
	j := visitorRedirectJSON{
		StatusCode:   r.Status,
		RedirectBots: r.RedirectBots,
		StayCookie:   r.StayCookie.v,
		StayParam:    r.StayParam.v,
		StayMaxAge:   b.duration(s, "redirects.stay_max_age", r.StayMaxAge),
		DisableStay:  r.DisableStay,
	}
	switch r.Status {
	case 0, 301, 302, 303, 307, 308:
	default:
		errs.add(r.At, "site %q: redirects status %d: expected 301, 302, 303, 307 or 308", s.name, r.Status)
	}
	if len(r.Rules) == 0 {
		errs.add(r.At, "site %q: redirects has no rules (each rule: country or device, and to)", s.name)
	}
	for _, rule := range r.Rules {
		rj := redirectRuleJSON{To: b.expand(rule.To.v), Name: rule.Name.v}
		if len(rule.Country) == 0 && len(rule.Device) == 0 {
			errs.add(rule.At, "site %q: redirect rule needs country or device", s.name)
		}
		for _, c := range rule.Country {
			cc := strings.ToUpper(c.v)
			if !countryRE.MatchString(cc) {
				errs.add(c.at, "site %q: redirect country %q: expected a two-letter ISO 3166-1 code like KR", s.name, c.v)
			}
			rj.Countries = append(rj.Countries, cc)
		}
		for _, d := range rule.Device {
			dv := strings.ToLower(d.v)
			if !devices[dv] {
				errs.add(d.at, "site %q: redirect device %q: expected one of mobile, tablet, desktop, tv, bot, other", s.name, d.v)
			}
			rj.Devices = append(rj.Devices, dv)
		}
		if rule.To.v == "" {
			errs.add(rule.At, "site %q: redirect rule needs to: (an absolute URL like https://m.example.com{uri})", s.name)
		} else if err := checkTargetURL(rule.To.v); err != nil {
			errs.add(rule.To.at, "site %q: redirect to %q: %v", s.name, rule.To.v, err)
		}
		j.Rules = append(j.Rules, rj)
	}
	return j
}

var lbPolicies = map[string]int{
	// policy name -> how many arguments it takes (-1: zero or one)
	"random": 0, "least_conn": 0, "round_robin": 0, "first": 0,
	"ip_hash": 0, "client_ip_hash": 0, "uri_hash": 0,
	"header": 1, "query": 1, "cookie": -1,
}

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
	if scheme == "https" || u.DialTimeout.v != "" {
		t := reverseproxy.HTTPTransport{DialTimeout: b.duration(s, "upstreams.dial_timeout", u.DialTimeout)}
		if scheme == "https" {
			t.TLS = &reverseproxy.TLSConfig{}
		}
		h.TransportRaw = caddyconfig.JSONModuleObject(t, "protocol", "http", &b.warnings)
	}
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

func (b *builder) accessLog(s *site) *caddy.CustomLog {
	errs := b.errs
	l := s.Log
	cl := &caddy.CustomLog{Include: []string{"http.log.access.site_" + s.name}}
	switch strings.ToLower(l.Format.v) {
	case "", "json":
		cl.EncoderRaw = json.RawMessage(`{"format":"json"}`)
	case "console":
		cl.EncoderRaw = json.RawMessage(`{"format":"console"}`)
	default:
		errs.add(l.Format.at, "site %q: log format %q: expected json or console", s.name, l.Format.v)
	}
	switch strings.ToUpper(l.Level.v) {
	case "", "DEBUG", "INFO", "WARN", "ERROR":
		cl.Level = strings.ToUpper(l.Level.v)
	default:
		errs.add(l.Level.at, "site %q: log level %q: expected debug, info, warn or error", s.name, l.Level.v)
	}
	lokiOnly := l.Tenant.v != "" || l.Token.v != "" || l.Timeout.v != "" || l.BatchWait.v != "" || l.BatchSize.v != "" || l.Buffer != 0 || len(l.Labels) > 0
	switch {
	case l.Loki.v != "" && l.Output.v != "":
		errs.add(l.Output.at, "site %q: log has both output and loki: choose one", s.name)
	case l.Loki.v != "":
		if !requireModule(errs, l.Loki.at, "log.loki", "caddy.logging.writers.loki") {
			return cl
		}
		if !strings.Contains(l.Loki.v, "{") {
			if u, err := url.Parse(l.Loki.v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				errs.add(l.Loki.at, "site %q: log.loki %q: expected the Loki base URL, like http://127.0.0.1:3100", s.name, l.Loki.v)
			}
		}
		if l.Buffer < 0 {
			errs.add(l.At, "site %q: log.buffer %d must be zero or more", s.name, l.Buffer)
		}
		labels := map[string]string{"site": s.name}
		for k, v := range l.Labels {
			if !loki.ValidLabelName(k) {
				errs.add(l.At, "site %q: log label name %q: expected letters, digits and _, not starting with a digit or __", s.name, k)
			}
			if k == "trace_id" {
				errs.add(l.At, "site %q: trace_id cannot be a log label (it travels as structured metadata)", s.name)
			}
			if k != "site" {
				labels[k] = v
			}
		}
		j := lokiJSON{
			URL:         l.Loki.v,
			Labels:      labels,
			Tenant:      l.Tenant.v,
			BearerToken: l.Token.v,
			BatchWait:   b.duration(s, "log.batch_wait", l.BatchWait),
			Buffer:      l.Buffer,
			Timeout:     b.duration(s, "log.timeout", l.Timeout),
		}
		if l.BatchSize.v != "" {
			n, err := humanize.ParseBytes(l.BatchSize.v)
			if err != nil || n == 0 || n > 1<<40 {
				errs.add(l.BatchSize.at, "site %q: log.batch_size %q: expected a size like 1MiB", s.name, l.BatchSize.v)
			}
			j.BatchSize = int(n & (1<<40 - 1))
		}
		cl.WriterRaw = caddyconfig.JSONModuleObject(j, "output", "loki", &b.warnings)
	case lokiOnly:
		errs.add(l.At, "site %q: log labels, tenant, batch_wait, batch_size and buffer apply to loki: set log.loki to the Loki URL", s.name)
	default:
		switch out := l.Output.v; out {
		case "", "stdout", "stderr", "discard":
			if out == "" {
				out = "stdout"
			}
			cl.WriterRaw = json.RawMessage(`{"output":"` + out + `"}`)
		default:
			if !strings.HasPrefix(out, "/") && !strings.HasPrefix(out, ".") {
				errs.add(l.Output.at, "site %q: log output %q: expected stdout, stderr, discard or a file path", s.name, out)
			}
			cl.WriterRaw = caddyconfig.JSON(map[string]string{"output": "file", "filename": out}, &b.warnings)
		}
	}
	return cl
}

// config assembles the whole Caddy config.
func (b *builder) config() *caddy.Config {
	g, errs := b.g, b.errs
	cfg := &caddy.Config{AppsRaw: caddy.ModuleMap{}}

	switch a := g.Admin.v; {
	case a == "":
	case strings.EqualFold(a, "off"):
		cfg.Admin = &caddy.AdminConfig{Disabled: true}
	default:
		if _, err := caddy.ParseNetworkAddress(a); err != nil || strings.Contains(a, "/") && !strings.HasPrefix(a, "unix/") {
			errs.add(g.Admin.at, "admin %q: expected an address like localhost:2019, or off", a)
		}
		cfg.Admin = &caddy.AdminConfig{Listen: a}
	}
	if g.Storage.v != "" {
		cfg.StorageRaw = caddyconfig.JSONModuleObject(map[string]string{"root": g.Storage.v}, "module", "file_system", &b.warnings)
	}

	app := &caddyhttp.App{Servers: make(map[string]*caddyhttp.Server)}
	if g.HTTPPort != 0 {
		app.HTTPPort = g.HTTPPort
	}
	if g.HTTPSPort != 0 {
		app.HTTPSPort = g.HTTPSPort
	}
	if g.GracePeriod.v != "" {
		app.GracePeriod = b.duration(nil, "grace_period", g.GracePeriod)
	}
	var trusted json.RawMessage
	if len(g.TrustedProxies) > 0 {
		ranges := b.cidrs(nil, "trusted_proxies", g.TrustedProxies)
		trusted = caddyconfig.JSONModuleObject(map[string][]string{"ranges": ranges}, "source", "static", &b.warnings)
	}
	var ipHeaders []string
	for _, h := range g.ClientIPHeaders {
		if !validHeaderName(h.v) {
			errs.add(h.at, "client_ip_headers: %q is not a header name", h.v)
		}
		ipHeaders = append(ipHeaders, h.v)
	}

	handover := g.ReloadHandover == nil || *g.ReloadHandover
	if handover && !moduleRegistered("caddy.listeners.idle_drain") {
		handover = false
		if g.ReloadHandover != nil {
			requireModule(errs, g.At, "reload_handover", "caddy.listeners.idle_drain")
		}
	}
	for _, key := range b.serverOrder {
		s := b.servers[key]
		srv := &caddyhttp.Server{
			Listen:            s.listen,
			TrustedProxiesRaw: trusted,
			ClientIPHeaders:   ipHeaders,
		}
		// Exact hosts first, then wildcards, then the catch-all, so that
		// no site shadows a more specific one.
		sort.SliceStable(s.routes, func(i, j int) bool { return s.routes[i].order < s.routes[j].order })
		for _, r := range s.routes {
			srv.Routes = append(srv.Routes, r.route)
		}
		if s.tlsOff {
			srv.AutoHTTPS = &caddyhttp.AutoHTTPSConfig{Disabled: true}
			if handover {
				srv.ListenerWrappersRaw = []json.RawMessage{json.RawMessage(`{"wrapper":"idle_drain"}`)}
			}
		}
		if len(s.logged) > 0 || s.defaultLog != "" {
			srv.Logs = &caddyhttp.ServerLogConfig{
				LoggerNames:       s.logged,
				DefaultLoggerName: s.defaultLog,
				// Every logged host is mapped: the rest are sites with
				// log: off, and requests for hosts no site serves.
				SkipUnmappedHosts: s.defaultLog == "",
			}
			if s.defaultLog != "" {
				srv.Logs.SkipHosts = s.unlogged
			}
		}
		app.Servers[key] = srv
	}

	if m := g.Metrics; m != nil {
		app.Metrics = &caddyhttp.Metrics{PerHost: m.PerHost}
		if m.Listen.v != "" {
			addr, err := checkListen(m.Listen.v)
			if err != nil {
				errs.add(m.Listen.at, "metrics listen %q: %v", m.Listen.v, err)
			} else if _, taken := b.listeners[addr]; taken {
				errs.add(m.Listen.at, "metrics listen %q is also a site listener", m.Listen.v)
			} else {
				app.Servers["metrics"] = &caddyhttp.Server{
					Listen: []string{addr},
					Routes: caddyhttp.RouteList{{
						MatcherSetsRaw: caddyhttp.RawMatcherSets{
							caddy.ModuleMap{"path": caddyconfig.JSON(caddyhttp.MatchPath{"/metrics"}, &b.warnings)},
						},
						HandlersRaw: []json.RawMessage{json.RawMessage(`{"handler":"metrics"}`)},
					}},
					AutoHTTPS: &caddyhttp.AutoHTTPSConfig{Disabled: true},
				}
			}
		}
	}
	cfg.AppsRaw["http"] = caddyconfig.JSON(app, &b.warnings)

	if len(b.logs) > 0 {
		cfg.Logging = &caddy.Logging{Logs: map[string]*caddy.CustomLog{}}
		var names []string
		for name, l := range b.logs {
			cfg.Logging.Logs[name] = l
			names = append(names, l.Include...)
		}
		sort.Strings(names)
		cfg.Logging.Logs["default"] = &caddy.CustomLog{Exclude: names}
	}

	tlsApp := &caddytls.TLS{}
	var policies []*caddytls.AutomationPolicy
	if len(b.internal) > 0 {
		policies = append(policies, &caddytls.AutomationPolicy{
			SubjectsRaw: b.internal,
			IssuersRaw:  []json.RawMessage{json.RawMessage(`{"module":"internal"}`)},
		})
	}
	if g.Email.v != "" {
		if !strings.Contains(g.Email.v, "@") {
			errs.add(g.Email.at, "email %q is not an e-mail address", g.Email.v)
		}
		policies = append(policies, &caddytls.AutomationPolicy{
			IssuersRaw: []json.RawMessage{caddyconfig.JSONModuleObject(map[string]string{"email": g.Email.v}, "module", "acme", &b.warnings)},
		})
	}
	if len(policies) > 0 {
		tlsApp.Automation = &caddytls.AutomationConfig{Policies: policies}
		cfg.AppsRaw["tls"] = caddyconfig.JSON(tlsApp, &b.warnings)
	}

	if gi := g.GeoIP; gi != nil {
		if !requireModule(errs, gi.At, "geoip", "geoip") {
			return cfg
		}
		var dbs []string
		for _, d := range gi.Databases {
			dbs = append(dbs, d.v)
		}
		j := struct {
			Databases      []string       `json:"databases,omitempty"`
			ReloadInterval caddy.Duration `json:"reload_interval,omitempty"`
		}{Databases: dbs}
		if strings.EqualFold(gi.ReloadInterval.v, "off") {
			j.ReloadInterval = -1
		} else {
			j.ReloadInterval = b.duration(nil, "geoip.reload_interval", gi.ReloadInterval)
		}
		cfg.AppsRaw["geoip"] = caddyconfig.JSON(j, &b.warnings)
	}
	return cfg
}

// duration parses a positive duration like 30s, 5m or 1d; empty is zero.
func (b *builder) duration(s *site, what string, v str) caddy.Duration {
	if v.v == "" {
		return 0
	}
	d, err := caddy.ParseDuration(v.v)
	if err != nil || d <= 0 {
		b.errs.add(v.at, "%s%s %q: expected a positive duration like 500ms, 30s, 5m, 1h or 1d", sitePrefix(s), what, v.v)
		return 0
	}
	return caddy.Duration(d)
}

// cidrs checks CIDRs and single IPs, returning them as prefixes.
func (b *builder) cidrs(s *site, what string, list []str) []string {
	var out []string
	for _, c := range list {
		v := strings.TrimSpace(c.v)
		if strings.Contains(v, "/") {
			p, err := netip.ParsePrefix(v)
			if err != nil {
				b.errs.add(c.at, "%s%s: %q is not a CIDR range (like 10.0.0.0/8) or an IP", sitePrefix(s), what, c.v)
				continue
			}
			out = append(out, p.Masked().String())
			continue
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			b.errs.add(c.at, "%s%s: %q is not a CIDR range (like 10.0.0.0/8) or an IP", sitePrefix(s), what, c.v)
			continue
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()).String())
	}
	return out
}

func sitePrefix(s *site) string {
	if s == nil {
		return ""
	}
	return fmt.Sprintf("site %q: ", s.name)
}

var hostLabelRE = regexp.MustCompile(`^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$`)

// checkHost accepts a DNS name (optionally starting with a *. wildcard
// label) or an IP address: a name, not a URL.
func checkHost(h string) error {
	if h == "" {
		return fmt.Errorf("empty")
	}
	if h == "*" {
		return nil // every host: the site's listeners' catch-all
	}
	if strings.Contains(h, "://") || strings.ContainsAny(h, "/?#@ ") {
		return fmt.Errorf("a host is a name like shop.example.com, not a URL (put ports in listen)")
	}
	if _, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		return nil
	}
	if strings.Contains(h, ":") {
		return fmt.Errorf("a host has no port (put ports in listen)")
	}
	if len(h) > 253 {
		return fmt.Errorf("too long")
	}
	for i, label := range strings.Split(h, ".") {
		if i == 0 && label == "*" {
			continue
		}
		if !hostLabelRE.MatchString(label) {
			return fmt.Errorf("not a valid host name")
		}
	}
	return nil
}

// checkListen accepts host:port or :port and returns it normalized.
func checkListen(addr string) (string, error) {
	if strings.Contains(addr, "/") {
		return "", fmt.Errorf("expected host:port or :port")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("expected host:port or :port")
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return "", fmt.Errorf("%q is not a port", port)
	}
	if host != "" {
		if _, err := netip.ParseAddr(host); err != nil && checkHost(host) != nil {
			return "", fmt.Errorf("%q is not an IP or host name", host)
		}
	}
	return net.JoinHostPort(host, port), nil
}

// checkUpstream accepts host:port, http://host[:port] or https://host[:port]
// and returns the dial address and scheme.
func checkUpstream(addr string) (dial, scheme string, err error) {
	if strings.Contains(addr, "{") {
		return addr, "http", nil // a placeholder, resolved at run time
	}
	hostport := addr
	scheme = "http"
	if before, rest, ok := strings.Cut(addr, "://"); ok {
		scheme = strings.ToLower(before)
		if scheme != "http" && scheme != "https" {
			return "", "", fmt.Errorf("scheme must be http or https")
		}
		if p := strings.IndexAny(rest, "/?#"); p >= 0 {
			if rest[p:] != "/" {
				return "", "", fmt.Errorf("an upstream has no path (paths are passed through unchanged)")
			}
			rest = rest[:p]
		}
		hostport = rest
		if _, _, err := net.SplitHostPort(hostport); err != nil {
			port := "80"
			if scheme == "https" {
				port = "443"
			}
			hostport = net.JoinHostPort(strings.Trim(hostport, "[]"), port)
		}
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return "", "", fmt.Errorf("expected host:port, http://host[:port] or https://host[:port]")
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return "", "", fmt.Errorf("%q is not a port", port)
	}
	if host == "" {
		return "", "", fmt.Errorf("missing host")
	}
	if _, err := netip.ParseAddr(host); err != nil && checkHost(strings.ToLower(host)) != nil {
		return "", "", fmt.Errorf("%q is not an IP or host name", host)
	}
	return net.JoinHostPort(host, port), scheme, nil
}

// checkTargetURL accepts an absolute http(s) URL whose host is fixed:
// placeholders may appear in the path and query, never in the host.
func checkTargetURL(u string) error {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok || (strings.ToLower(scheme) != "http" && strings.ToLower(scheme) != "https") {
		return fmt.Errorf("expected an absolute http:// or https:// URL")
	}
	host := rest
	if i := strings.IndexAny(rest, "/?#{"); i >= 0 {
		host = rest[:i]
	}
	if host == "" {
		return fmt.Errorf("the URL needs a host")
	}
	if strings.ContainsAny(host, "{}\\@ ") {
		return fmt.Errorf("the host must be fixed (no placeholders)")
	}
	if _, err := url.Parse(scheme + "://" + host); err != nil {
		return fmt.Errorf("bad host: %v", err)
	}
	return nil
}

func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// expand turns the Caddyfile's placeholder shorthands ({uri}, {host},
// {client_ip}, {header.X}, ...) into Caddy's full placeholders, so that a
// catalog reads like a Caddyfile.
func (b *builder) expand(v string) string {
	if !strings.Contains(v, "{") {
		return v
	}
	seg := caddyfile.Segment{{Text: v}}
	b.shorthands.ApplyToSegment(&seg)
	return seg[0].Text
}

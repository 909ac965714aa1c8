package sitesadapter

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/caddy/v2/modules/caddytls"
)

// builder turns decoded sites into Caddy JSON, checking each value and
// reporting problems at the place they were written.
type builder struct {
	file     string // the catalog's file name; "" for a POST /load body
	t        *tree
	errs     *errorList
	g        *globals
	warnings []caddyconfig.Warning

	httpPort, httpsPort int
	hosts               map[string]claim  // lower-case host -> claiming site
	listeners           map[string]string // listen address -> server key
	servers             map[string]*server
	serverOrder         []string
	shorthands          httpcaddyfile.ShorthandReplacer
	internal            []string                   // hosts with tls: internal
	loadFiles           []caddytls.CertKeyFilePair // certificates of sites with tls: {cert, key}
	zones               map[string]zoneUse         // throttle zone -> first use
	siteNames           map[string]bool
	unknownReported     bool
	modules             map[string]json.RawMessage // module JSON by its settings (see module)
	rooms               map[string]roomUse         // waiting room -> first use
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
	listen       []string
	tlsOff       bool
	certPolicies []*caddytls.ConnectionPolicy // sites with their own certificate
	firstAt      at
	first        string
	sites        []servedSite
}

// servedSite is one site of a server: its hosts and handlers.
type servedSite struct {
	order    int // 0 exact hosts, 1 wildcard hosts, 2 catch-all
	site     string
	hosts    []string
	handlers []json.RawMessage
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
		file:       file,
		t:          t,
		errs:       errs,
		g:          g,
		httpPort:   80,
		httpsPort:  443,
		hosts:      make(map[string]claim),
		listeners:  make(map[string]string),
		servers:    make(map[string]*server),
		zones:      make(map[string]zoneUse),
		siteNames:  make(map[string]bool),
		modules:    make(map[string]json.RawMessage),
		rooms:      make(map[string]roomUse),
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
		b.warnInherited(e.name, defNode, norm)
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
	b.siteNames[s.name] = true

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
	case "files":
		b.certFiles(s, s.TLS.Files)
	default:
		errs.add(s.TLS.at, "site %q: tls: %q is not automatic, internal, off or {cert: <file>, key: <file>}", s.name, s.TLS.v)
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
	if tlsMode == "files" && s.TLS.Files != nil {
		// Connections for the site's names get its certificate; Caddy
		// manages no certificate for a name that has one loaded.
		srv.certPolicies = append(srv.certPolicies, &caddytls.ConnectionPolicy{
			MatchersRaw:   caddy.ModuleMap{"sni": caddyconfig.JSON(hosts, &b.warnings)},
			CertSelection: &caddytls.CustomCertSelectionPolicy{AnyTag: []string{"site_" + s.name}},
		})
	}

	entry := servedSite{site: s.name, hosts: hosts, handlers: handlers}
	switch {
	case catchAll:
		entry.order = 2
	case wildcard:
		entry.order = 1
	}
	srv.sites = append(srv.sites, entry)
}

// routes are a server's routes: host_dispatch with the sites that have
// hosts; a route listing those hosts for Caddy; then the catch-all site,
// or what unknown_hosts says for the hosts no site serves.
//
// Caddy reads the host matchers of a server's routes to choose the names
// it manages certificates for, to place its HTTP->HTTPS redirects (after
// the last route with a host matcher) and to label per-host metrics.
// host_dispatch has none, so the second route lists the hosts in a host
// matcher, with no handler: it never matches, since host_dispatch before
// it serves every request for these hosts, and only requests for unknown
// hosts reach it.
func (b *builder) routes(srv *server) caddyhttp.RouteList {
	// Exact hosts first, then wildcards, then the catch-all: among the
	// wildcard patterns a host matches, host_dispatch picks the first
	// site listed.
	sort.SliceStable(srv.sites, func(i, j int) bool { return srv.sites[i].order < srv.sites[j].order })
	var sites []dispatchSiteJSON
	var hosts []string
	var routes caddyhttp.RouteList
	var catchAll *servedSite
	for i := range srv.sites {
		e := &srv.sites[i]
		if e.order == 2 {
			catchAll = e
			continue
		}
		sites = append(sites, dispatchSiteJSON{Hosts: e.hosts, Routes: caddyhttp.RouteList{{HandlersRaw: e.handlers}}})
		hosts = append(hosts, e.hosts...)
	}
	if len(sites) > 0 {
		routes = append(routes,
			caddyhttp.Route{HandlersRaw: []json.RawMessage{caddyconfig.JSON(hostDispatchJSON{Handler: "host_dispatch", Sites: sites}, &b.warnings)}},
			caddyhttp.Route{MatcherSetsRaw: caddyhttp.RawMatcherSets{caddy.ModuleMap{"host": caddyconfig.JSON(caddyhttp.MatchHost(hosts), &b.warnings)}}},
		)
	}
	if catchAll != nil {
		return append(routes, caddyhttp.Route{HandlersRaw: catchAll.handlers, Terminal: true})
	}
	if fallback, ok := b.unknownHosts(srv); ok {
		routes = append(routes, fallback)
	}
	return routes
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
	cfg.StorageRaw = b.storage()

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
	if len(b.serverOrder) > 0 {
		requireModule(errs, g.At, "sites", "http.handlers.host_dispatch")
	}
	for _, key := range b.serverOrder {
		s := b.servers[key]
		srv := &caddyhttp.Server{
			Listen:            s.listen,
			TrustedProxiesRaw: trusted,
			ClientIPHeaders:   ipHeaders,
		}
		if trusted != nil && (g.TrustedProxiesStrict == nil || *g.TrustedProxiesStrict) {
			srv.TrustedProxiesStrict = 1
		}
		srv.Routes = b.routes(s)
		if len(s.certPolicies) > 0 {
			// Then every other name, as Caddy's default policy.
			srv.TLSConnPolicies = append(caddytls.ConnectionPolicies(s.certPolicies), &caddytls.ConnectionPolicy{})
		}
		if s.tlsOff {
			srv.AutoHTTPS = &caddyhttp.AutoHTTPSConfig{Disabled: true}
			if handover {
				srv.ListenerWrappersRaw = []json.RawMessage{json.RawMessage(`{"wrapper":"idle_drain"}`)}
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

	if moduleRegistered("caddy.logging.encoders.fast_json") {
		// Caddy's default log, in Caddy's json format, written by
		// fast_json: reverse_proxy hands every request to the log for a
		// debug line (a logger's With), which Caddy's encoders encode at
		// once whatever the level, about 27 allocations per proxied
		// request; fast_json encodes only what it writes.
		cfg.Logging = &caddy.Logging{Logs: map[string]*caddy.CustomLog{
			"default": {BaseLog: caddy.BaseLog{EncoderRaw: json.RawMessage(`{"format":"fast_json"}`)}},
		}}
	}

	tlsApp := &caddytls.TLS{}
	var policies []*caddytls.AutomationPolicy
	if len(b.internal) > 0 {
		policies = append(policies, &caddytls.AutomationPolicy{
			SubjectsRaw: b.internal,
			IssuersRaw:  []json.RawMessage{json.RawMessage(`{"module":"internal"}`)},
		})
	}
	if iss := b.acmeIssuer(); iss != nil {
		policies = append(policies, &caddytls.AutomationPolicy{IssuersRaw: []json.RawMessage{iss}})
	}
	if len(b.loadFiles) > 0 {
		tlsApp.CertificatesRaw = caddy.ModuleMap{"load_files": caddyconfig.JSON(b.loadFiles, &b.warnings)}
	}
	renew := b.duration(nil, "renew_interval", g.RenewInterval)
	if len(policies) > 0 || renew != 0 {
		tlsApp.Automation = &caddytls.AutomationConfig{Policies: policies, RenewCheckInterval: renew}
	}
	if tlsApp.Automation != nil || len(b.loadFiles) > 0 {
		cfg.AppsRaw["tls"] = caddyconfig.JSON(tlsApp, &b.warnings)
	}

	if g.SkipInstallTrust {
		cfg.AppsRaw["pki"] = json.RawMessage(`{"certificate_authorities":{"local":{"install_trust":false}}}`)
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

// unknownHosts is the last route of a server without a catch-all site:
// what a request for a host no site serves gets (unknown_hosts).
func (b *builder) unknownHosts(s *server) (caddyhttp.Route, bool) {
	v := b.g.UnknownHosts
	mode := strings.ToLower(v.v)
	if _, site := b.siteNames[v.v]; site {
		for i := range s.sites {
			if e := &s.sites[i]; e.site == v.v {
				return caddyhttp.Route{HandlersRaw: e.handlers, Terminal: true}, true
			}
		}
		// The site does not listen here: its listeners' unknown hosts
		// get it, these get the default.
		mode = ""
	}
	var handler json.RawMessage
	switch mode {
	case "", "404":
		handler = caddyconfig.JSONModuleObject(caddyhttp.StaticResponse{
			StatusCode: caddyhttp.WeakString("404"),
			Body:       "No site is served for this host.\n",
			Headers:    http.Header{"Content-Type": {"text/plain; charset=utf-8"}},
			Close:      true,
		}, "handler", "static_response", &b.warnings)
	case "421":
		handler = caddyconfig.JSONModuleObject(caddyhttp.StaticResponse{
			StatusCode: caddyhttp.WeakString("421"),
			Body:       "This server does not serve this host.\n",
			Headers:    http.Header{"Content-Type": {"text/plain; charset=utf-8"}},
			Close:      true,
		}, "handler", "static_response", &b.warnings)
	case "close", "444":
		handler = caddyconfig.JSONModuleObject(caddyhttp.StaticResponse{Abort: true}, "handler", "static_response", &b.warnings)
	default:
		if !b.unknownReported {
			b.unknownReported = true
			b.errs.add(v.at, "unknown_hosts %q: expected 404, 421, close, or the name of a site", v.v)
		}
		return caddyhttp.Route{}, false
	}
	return caddyhttp.Route{HandlersRaw: []json.RawMessage{handler}, Terminal: true}, true
}

// inheritedPairs are settings that read as one: a site that sets the first
// and inherits the second from defaults gets a warning, as nginx users
// expect a limit_req with a rate and no burst to mean no burst.
var inheritedPairs = []struct{ section, set, inherited string }{
	{"throttle", "rate", "burst"},
}

// warnInherited warns about a site that sets one setting of a pair and
// inherits the other from defaults.
func (b *builder) warnInherited(name string, defNode, siteNode *yaml.Node) {
	if isNull(defNode) {
		return
	}
	section := func(n *yaml.Node, key string) *yaml.Node {
		for _, p := range b.t.pairs(n) {
			if p.key.Value == key {
				if v := resolve(p.val); v != nil && v.Kind == yaml.MappingNode {
					return v
				}
			}
		}
		return nil
	}
	value := func(n *yaml.Node, key string) *yaml.Node {
		for _, p := range b.t.pairs(n) {
			if p.key.Value == key {
				return p.val
			}
		}
		return nil
	}
	for _, pair := range inheritedPairs {
		mine, def := section(siteNode, pair.section), section(defNode, pair.section)
		if mine == nil || def == nil {
			continue
		}
		set, inherited := value(mine, pair.set), value(def, pair.inherited)
		if set == nil || inherited == nil || value(mine, pair.inherited) != nil {
			continue
		}
		where := b.t.at(set)
		b.warnings = append(b.warnings, caddyconfig.Warning{
			File: where.file, Line: where.line,
			Message: fmt.Sprintf("site %q sets %s.%s and inherits %s.%s: %s from defaults (at %s); set %s here to make it the site's own",
				name, pair.section, pair.set, pair.section, pair.inherited, resolve(inherited).Value, b.t.at(inherited), pair.inherited),
		})
	}
}

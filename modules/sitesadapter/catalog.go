package sitesadapter

import (
	"os"
	"reflect"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// str is a scalar with the place it was written, so that a bad value is
// reported at its own line.
type str struct {
	v  string
	at at
}

func (s *str) decodeNode(t *tree, n *yaml.Node) {
	if n.Kind != yaml.ScalarNode {
		t.errs.add(t.at(n), "expected a single value, got %s", describe(n))
		return
	}
	s.v, s.at = n.Value, t.at(n)
}

// tlsConfig is a site's tls key: a mode (automatic, internal, off) or the
// site's own certificate files, {cert: <PEM file>, key: <PEM file>}.
type tlsConfig struct {
	str
	Files *tlsFiles
}

type tlsFiles struct {
	At   at
	Cert str `yaml:"cert"`
	Key  str `yaml:"key"`
}

func (c *tlsConfig) decodeNode(t *tree, n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		c.Files = new(tlsFiles)
		c.str = str{v: "files", at: t.at(n)}
		t.decode(n, reflect.ValueOf(c.Files).Elem(), "tls")
		return
	}
	c.str.decodeNode(t, n)
}

// rawNode keeps a YAML node for later, position-aware processing.
type rawNode struct{ n *yaml.Node }

func (r *rawNode) decodeNode(_ *tree, n *yaml.Node) { r.n = n }

// globals are the catalog's top-level keys.
type globals struct {
	At at
	// Admin is the admin API address (default localhost:2019), or "off".
	Admin str `yaml:"admin"`
	// HTTPPort and HTTPSPort are the ports automatic HTTPS uses (80, 443).
	HTTPPort  int `yaml:"http_port"`
	HTTPSPort int `yaml:"https_port"`
	// Email is the ACME account e-mail for automatic certificates.
	Email str `yaml:"email"`
	// ACMECA is the directory URL of the ACME CA automatic certificates
	// come from (Caddyfile's acme_ca); default Let's Encrypt, then ZeroSSL.
	ACMECA str `yaml:"acme_ca"`
	// ACMECARoot is a PEM file of the root the ACME CA's server
	// certificate is checked against (Caddyfile's acme_ca_root), for a
	// private CA.
	ACMECARoot str `yaml:"acme_ca_root"`
	// RenewInterval is how often certificates are checked for renewal
	// (Caddyfile's renew_interval); default 10m.
	RenewInterval str `yaml:"renew_interval"`
	// SkipInstallTrust keeps Caddy from installing the root of its local
	// CA (sites with tls: internal) into the system's trust store, which
	// may ask for a password (Caddyfile's skip_install_trust).
	SkipInstallTrust bool `yaml:"skip_install_trust"`
	// Storage is Caddy's storage (certificates, ACME locks, maintenance
	// switches): a directory (default Caddy's data directory), or a Redis
	// URL (redis://[user:password@]host:port/db, rediss://...,
	// redis-cluster://host:port,...) shared by every gateway of a fleet.
	Storage str `yaml:"storage"`
	// TrustedProxies are CIDRs (or IPs) whose forwarded client IP is used.
	TrustedProxies []str `yaml:"trusted_proxies"`
	// TrustedProxiesStrict reads X-Forwarded-For right to left, skipping
	// trusted proxies, so the client IP is the address the nearest
	// trusted proxy saw: load balancers append to the header the client
	// sent, whose leftmost entries are the client's own word. Default: on.
	TrustedProxiesStrict *bool `yaml:"trusted_proxies_strict"`
	ClientIPHeaders      []str `yaml:"client_ip_headers"`
	// UnknownHosts answers requests for a host no site serves: 404
	// (default), 421 (Misdirected Request), close (drop the connection
	// without an answer, like nginx's 444), or the name of a site that
	// serves them (like nginx's default_server). A site with hosts ["*"]
	// is the catch-all of its listeners already.
	UnknownHosts str `yaml:"unknown_hosts"`
	// GracePeriod is how long a reload or stop waits for requests in
	// flight before closing their connections (default: forever).
	GracePeriod str `yaml:"grace_period"`
	// ReloadHandover hands the keep-alive connections of plain-HTTP
	// servers to the new config on a reload, instead of closing them
	// (listener wrapper idle_drain). Default: on.
	ReloadHandover *bool `yaml:"reload_handover"`
	// Metrics serves Prometheus metrics at /metrics on its own address.
	Metrics *metricsConfig `yaml:"metrics"`
	// GeoIP configures the geoip app (default: the embedded database).
	GeoIP *geoipConfig `yaml:"geoip"`

	Include []str `yaml:"include"`
	// IncludeBase is the directory relative include patterns are read
	// from; relative, it is relative to the catalog's directory. Default:
	// the catalog's directory. A catalog sent to POST /load has none, so
	// its relative includes need an absolute include_base.
	IncludeBase str `yaml:"include_base"`

	Defaults rawNode `yaml:"defaults"`
	Sites    rawNode `yaml:"sites"`
}

type metricsConfig struct {
	At      at
	Listen  str  `yaml:"listen"`
	PerHost bool `yaml:"per_host"`
}

type geoipConfig struct {
	At             at
	Databases      []str `yaml:"databases"`
	ReloadInterval str   `yaml:"reload_interval"`
}

// includeFile is what an included file may hold.
type includeFile struct {
	At    at
	Sites rawNode `yaml:"sites"`
}

// site is one catalog entry after its defaults were merged in.
type site struct {
	At          at
	Hosts       []str              `yaml:"hosts"`
	Listen      []str              `yaml:"listen"`
	TLS         tlsConfig          `yaml:"tls"`
	Upstreams   *upstreamsConfig   `yaml:"upstreams"`
	Respond     *respondConfig     `yaml:"respond"`
	Redirects   *redirectsConfig   `yaml:"redirects"`
	Throttle    *throttleConfig    `yaml:"throttle"`
	Maintenance *maintenanceConfig `yaml:"maintenance"`
	WaitingRoom *waitingRoomConfig `yaml:"waiting_room"`
	Headers     *headersConfig     `yaml:"headers"`
	Log         *logConfig         `yaml:"log"`
	TraceID     *traceIDConfig     `yaml:"trace_id"`
	VisitorInfo *visitorInfoConfig `yaml:"visitor_info"`

	name   string
	nameAt at
}

type upstreamsConfig struct {
	At            at
	To            []str              `yaml:"to"`
	LBPolicy      str                `yaml:"lb_policy"`
	LBRetries     int                `yaml:"lb_retries"`
	LBTryDuration str                `yaml:"lb_try_duration"`
	DialTimeout   str                `yaml:"dial_timeout"`
	HealthCheck   *healthCheckConfig `yaml:"health_check"`
	// Idle upstream connections kept for reuse: per upstream host
	// (default defaultIdleConnsPerHost) and in all (default 0, no limit).
	KeepaliveIdleConnsPerHost int `yaml:"keepalive_idle_conns_per_host"`
	KeepaliveIdleConns        int `yaml:"keepalive_idle_conns"`
}

type healthCheckConfig struct {
	At       at
	Path     str `yaml:"path"`
	Port     int `yaml:"port"`
	Interval str `yaml:"interval"`
	Timeout  str `yaml:"timeout"`
	Status   int `yaml:"status"`
	// Passive health checking: an upstream that fails max_fails requests
	// within fail_duration is skipped for fail_duration.
	FailDuration str `yaml:"fail_duration"`
	MaxFails     int `yaml:"max_fails"`
}

type respondConfig struct {
	At     at
	Status int               `yaml:"status"`
	Body   string            `yaml:"body"`
	Header map[string]string `yaml:"headers"`
}

type redirectsConfig struct {
	At           at
	Rules        []redirectRule `yaml:"rules"`
	Status       int            `yaml:"status"`
	RedirectBots bool           `yaml:"redirect_bots"`
	StayCookie   str            `yaml:"stay_cookie"`
	StayParam    str            `yaml:"stay_param"`
	StayMaxAge   str            `yaml:"stay_max_age"`
	DisableStay  bool           `yaml:"disable_stay"`
}

// redirectRule matches when the country (if given) and the device (if
// given) both match.
type redirectRule struct {
	At      at
	Country []str `yaml:"country"`
	Device  []str `yaml:"device"`
	To      str   `yaml:"to"`
	Name    str   `yaml:"name"`
}

type throttleConfig struct {
	At           at
	Zone         str   `yaml:"zone"`
	Key          str   `yaml:"key"`
	Rate         str   `yaml:"rate"`
	Burst        int   `yaml:"burst"`
	IPv4Prefix   int   `yaml:"ipv4_prefix"`
	IPv6Prefix   int   `yaml:"ipv6_prefix"`
	MaxKeys      int   `yaml:"max_keys"`
	Allow        []str `yaml:"allow"`
	DryRun       bool  `yaml:"dry_run"`
	Status       int   `yaml:"status"`
	NoHeaders    bool  `yaml:"disable_headers"`
	Store        str   `yaml:"store"`
	StoreTimeout str   `yaml:"store_timeout"`
	OnStoreError str   `yaml:"on_store_error"`
	Page         str   `yaml:"page"`
}

type maintenanceConfig struct {
	At           at
	Name         str   `yaml:"name"`
	Enabled      bool  `yaml:"enabled"`
	Page         str   `yaml:"page"`
	Message      str   `yaml:"message"`
	RetryAfter   str   `yaml:"retry_after"`
	Status       int   `yaml:"status"`
	Allow        []str `yaml:"allow"`
	BypassSecret str   `yaml:"bypass_secret"`
	BypassTTL    str   `yaml:"bypass_ttl"`
	OnStateError str   `yaml:"on_state_error"`
}

type headersConfig struct {
	At       at
	Request  *headerOps `yaml:"request"`
	Response *headerOps `yaml:"response"`
}

type headerOps struct {
	At     at
	Set    map[string]string `yaml:"set"`
	Add    map[string]string `yaml:"add"`
	Delete []str             `yaml:"delete"`
}

type logConfig struct {
	At at
	// Output is stdout, stderr, discard, or a file path; mutually
	// exclusive with Loki.
	Output str `yaml:"output"`
	// Loki is the base URL of a Loki server to push to.
	Loki      str               `yaml:"loki"`
	Labels    map[string]string `yaml:"labels"`
	Tenant    str               `yaml:"tenant"`
	Token     str               `yaml:"bearer_token"`
	Timeout   str               `yaml:"timeout"`
	BatchWait str               `yaml:"batch_wait"`
	BatchSize str               `yaml:"batch_size"`
	Buffer    int               `yaml:"buffer"`
	Format    str               `yaml:"format"`
	Level     str               `yaml:"level"`
}

type traceIDConfig struct {
	At            at
	TrustIncoming str `yaml:"trust_incoming"`
}

type visitorInfoConfig struct {
	At            at
	Headers       *bool `yaml:"headers"`
	ClientHints   *bool `yaml:"client_hints"`
	CountryHeader str   `yaml:"country_header"`
	DeviceHeader  str   `yaml:"device_header"`
}

// siteEntry is a site as written, before defaults are merged in.
type siteEntry struct {
	name   string
	nameAt at
	node   *yaml.Node
}

var siteNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// load reads the main catalog and its includes into globals, the defaults
// node and the site entries in catalog order.
func load(t *tree, file string, body []byte) (*globals, *yaml.Node, []siteEntry) {
	root, err := t.parse(file, body)
	if err != nil {
		t.errs.errs = append(t.errs.errs, err)
		return nil, nil, nil
	}
	if root == nil {
		t.errs.add(at{file: file}, "the catalog is empty: it needs a sites: mapping")
		return nil, nil, nil
	}
	if r := resolve(root); r == nil || r.Kind != yaml.MappingNode {
		t.errs.add(t.at(root), "the catalog must be a mapping with a sites: key, got %s", describe(root))
		return nil, nil, nil
	}
	root = t.scalarShorthand(root, "metrics", "listen")
	g := new(globals)
	t.decode(root, reflect.ValueOf(g).Elem(), "catalog")

	var entries []siteEntry
	seen := make(map[string]at)
	t.siteEntries(g.Sites.n, &entries, seen)

	if len(g.Include) > 0 {
		patterns := make([]string, len(g.Include))
		where := make([]at, len(g.Include))
		for i, p := range g.Include {
			patterns[i], where[i] = p.v, p.at
		}
		for _, path := range expandIncludes(file, g.IncludeBase, patterns, where, t.errs) {
			body, err := os.ReadFile(path)
			if err != nil {
				t.errs.add(at{file: path}, "reading include: %v", err)
				continue
			}
			n, err := t.parse(path, body)
			if err != nil {
				t.errs.errs = append(t.errs.errs, err)
				continue
			}
			if n == nil {
				continue
			}
			inc := new(includeFile)
			t.decode(n, reflect.ValueOf(inc).Elem(), "included file")
			t.siteEntries(inc.Sites.n, &entries, seen)
		}
	}
	if len(entries) == 0 && len(t.errs.errs) == 0 {
		t.errs.add(t.at(root), "the catalog has no sites (add a sites: mapping)")
	}
	return g, g.Defaults.n, entries
}

// siteEntries appends the sites of one sites: mapping.
func (t *tree) siteEntries(n *yaml.Node, entries *[]siteEntry, seen map[string]at) {
	if isNull(n) {
		return
	}
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		t.errs.add(t.at(n), "sites: expected a mapping of site name to site, got %s", describe(n))
		return
	}
	for _, p := range t.pairs(n) {
		name, where := p.key.Value, t.at(p.key)
		if !siteNameRE.MatchString(name) {
			t.errs.add(where, "site name %q: use lower-case letters, digits, - and _ (it becomes a log label and a logger name)", name)
			continue
		}
		if prev, dup := seen[name]; dup {
			t.errs.add(where, "site %q is already defined at %s", name, prev)
			continue
		}
		seen[name] = where
		*entries = append(*entries, siteEntry{name: name, nameAt: where, node: p.val})
	}
}

// scalarShorthand rewrites `key: value` inside mapping n into
// `key: {field: value}` (for example `metrics: 127.0.0.1:9180`), leaving
// switches (on/off/true/false) alone.
func (t *tree) scalarShorthand(n *yaml.Node, key, field string) *yaml.Node {
	r := resolve(n)
	if r == nil || r.Kind != yaml.MappingNode {
		return n
	}
	for i := 0; i+1 < len(r.Content); i += 2 {
		k, v := r.Content[i], resolve(r.Content[i+1])
		if k.Value != key || v == nil || v.Kind != yaml.ScalarNode || isNull(v) || isSwitch(v.Value) {
			continue
		}
		fk := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: field, Line: v.Line, Column: v.Column}
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: v.Line, Column: v.Column, Content: []*yaml.Node{fk, v}}
		t.files[fk], t.files[m] = t.files[v], t.files[v]
		cp := *r
		cp.Content = append([]*yaml.Node(nil), r.Content...)
		cp.Content[i+1] = m
		t.files[&cp] = t.files[r]
		return &cp
	}
	return n
}

func isSwitch(s string) bool {
	switch strings.ToLower(s) {
	case "on", "off", "true", "false", "yes", "no":
		return true
	}
	return false
}

// normalize turns a site's shorthands into their mapping forms, so that
// they merge with the defaults: `upstreams: [..]`, `redirects: [..]`,
// `log: stdout`, `throttle: 10r/s`, `maintenance: <name>`,
// `waiting_room: <active_users>`.
func (t *tree) normalize(n *yaml.Node) *yaml.Node {
	r := resolve(n)
	if r == nil || r.Kind != yaml.MappingNode {
		return n
	}
	cp := *r
	cp.Content = nil
	t.files[&cp] = t.files[r]
	for _, p := range t.pairs(r) {
		v := p.val
		switch p.key.Value {
		case "upstreams":
			v = t.shorthand(v, "to")
		case "redirects":
			v = t.shorthand(v, "rules")
		}
		cp.Content = append(cp.Content, p.key, v)
	}
	out := &cp
	out = t.scalarShorthand(out, "log", "output")
	out = t.scalarShorthand(out, "throttle", "rate")
	out = t.scalarShorthand(out, "maintenance", "name")
	out = t.scalarShorthand(out, "waiting_room", "active_users")
	return out
}

// withoutReplaced returns def without the sections that site replaces
// instead of refining: a site log with its own destination (output or
// loki) does not inherit the default log's other settings.
func (t *tree) withoutReplaced(def, site *yaml.Node) *yaml.Node {
	r := resolve(def)
	if r == nil || r.Kind != yaml.MappingNode {
		return def
	}
	replaced := false
	for _, p := range t.pairs(site) {
		if p.key.Value != "log" {
			continue
		}
		for _, q := range t.pairs(p.val) {
			if q.key.Value == "output" || q.key.Value == "loki" {
				replaced = true
			}
		}
	}
	if !replaced {
		return def
	}
	cp := *r
	cp.Content = nil
	t.files[&cp] = t.files[r]
	for _, p := range t.pairs(r) {
		if p.key.Value != "log" {
			cp.Content = append(cp.Content, p.key, p.val)
		}
	}
	return &cp
}

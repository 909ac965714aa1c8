// Package visitorredirect is the visitor_redirect HTTP handler: it sends
// visitors to the site for their country or device.
package visitorredirect

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/frontdoor-gateway/frontdoor/modules/geoipapp"
	"github.com/frontdoor-gateway/frontdoor/modules/internal/device"
	"github.com/frontdoor-gateway/frontdoor/modules/internal/reqinfo"
	"github.com/frontdoor-gateway/frontdoor/modules/internal/visitor"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// Defaults.
const (
	DefaultStatus     = http.StatusFound
	DefaultStayCookie = "fd_stay"
	DefaultStayParam  = "stay"
	DefaultStayMaxAge = 30 * 24 * time.Hour
)

// Handler redirects visitors by country and device. Rules are tried in
// order and the first that matches wins; a request no rule matches goes on
// to the next handler. Only page visits (GET and HEAD) are redirected.
//
// Redirects are safe by construction: every target is an absolute http or
// https URL whose scheme and host are fixed in the config (placeholders are
// allowed only after the host), so nothing in the request (Host header,
// "//host" or "/\host" paths, encoded slashes) can choose the Location's
// host. A redirect to the very URL requested, or back into the target's own
// path on the same host, is never sent (no loops).
//
// Bots are never redirected unless RedirectBots is set. A visitor who chose
// to stay (the stay parameter, which sets the stay cookie) is not
// redirected. Redirect responses carry Cache-Control: private and Vary for
// the headers the decision depends on, and are counted in
// frontdoor_redirects_total{rule,status}.
//
// Targets may use any placeholder, including the visitor placeholders
// {geo.country_code}, {geo.asn}, {geo.asn_org}, {device.type} and
// {device.os}, which this handler sets (like visitor_info) when a target
// uses them.
type Handler struct {
	// Rules are tried in order; the first that matches redirects.
	Rules []Rule `json:"rules,omitempty"`

	// StatusCode is the redirect status: 301, 302, 303, 307 or 308.
	// Default: 302, which browsers do not cache.
	StatusCode int `json:"status_code,omitempty"`

	// RedirectBots redirects crawlers too. Default: false (search engines
	// index every site as it is).
	RedirectBots bool `json:"redirect_bots,omitempty"`

	// StayCookie is the cookie whose presence with a non-empty value turns
	// redirects off for the visitor (an empty one is a cookie being
	// cleared). Default: fd_stay.
	StayCookie string `json:"stay_cookie,omitempty"`

	// StayParam is the query parameter that sets the stay cookie: any value
	// but 0 sets it and skips the redirect; 0 deletes it. Default: stay.
	StayParam string `json:"stay_param,omitempty"`

	// StayMaxAge is how long the stay cookie lasts. Default: 30 days.
	StayMaxAge caddy.Duration `json:"stay_max_age,omitempty"`

	// DisableStay turns the stay cookie and parameter off.
	DisableStay bool `json:"disable_stay,omitempty"`

	// DisableStayParam turns the stay parameter off; the stay cookie (set
	// by the site itself) still works.
	DisableStayParam bool `json:"disable_stay_param,omitempty"`

	geo        *geoipapp.App
	logger     *zap.Logger
	vary       string
	needsDev   bool
	needsRepl  bool
	metrics    *metrics
	stayMaxAge int // seconds
}

// Rule is one redirect rule. It matches when the client's country is in
// Countries (if any are given) and its device class is in Devices (if any
// are given); at least one of the two is required.
type Rule struct {
	// Countries are ISO 3166-1 alpha-2 codes. A client whose country is
	// unknown matches no country rule.
	Countries []string `json:"countries,omitempty"`

	// Devices are device classes: mobile, tablet, desktop, tv, bot, other.
	Devices []string `json:"devices,omitempty"`

	// To is the target: an absolute http or https URL whose host is fixed;
	// placeholders (such as {uri}) may follow the host.
	To string `json:"to"`

	// Name labels the rule in metrics. Default: derived from the rule, such
	// as "country:KR,JP" or "device:mobile".
	Name string `json:"name,omitempty"`

	countries []string
	devices   [int(device.Bot) + 1]bool
	anyDevice bool
	origin    string // scheme://host[:port] as configured
	scheme    string
	hostPort  string // lower-case host:port with the default port filled in
	hostname  string // lower-case host name, without port or brackets
	rest      string // what follows the host: path, query, fragment, placeholders
	static    string // the path of rest before any placeholder
	counter   counter
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.visitor_redirect",
		New: func() caddy.Module { return new(Handler) },
	}
}

// Provision sets defaults, compiles the rules and obtains the geoip app.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	return h.provision(func() (*geoipapp.App, error) { return geoipapp.Get(ctx) }, ctx.GetMetricsRegistry())
}

// provision does the work of Provision; getGeo is called only when a rule
// needs GeoIP.
func (h *Handler) provision(getGeo func() (*geoipapp.App, error), reg prometheus.Registerer) error {
	if h.logger == nil {
		h.logger = zap.NewNop()
	}
	if h.StatusCode == 0 {
		h.StatusCode = DefaultStatus
	}
	if h.StayCookie == "" {
		h.StayCookie = DefaultStayCookie
	}
	if h.StayParam == "" {
		h.StayParam = DefaultStayParam
	}
	if h.DisableStayParam {
		h.StayParam = ""
	}
	if h.StayMaxAge == 0 {
		h.StayMaxAge = caddy.Duration(DefaultStayMaxAge)
	}
	h.stayMaxAge = int(time.Duration(h.StayMaxAge) / time.Second)

	m, err := newMetrics(reg)
	if err != nil {
		return err
	}
	h.metrics = m

	needsGeo := false
	for i := range h.Rules {
		r := &h.Rules[i]
		if err := r.compile(); err != nil {
			return fmt.Errorf("visitor_redirect: rule %d: %w", i+1, err)
		}
		if r.anyDevice || strings.Contains(r.rest, "{device.") {
			h.needsDev = true
		}
		if len(r.countries) > 0 || strings.Contains(r.rest, "{geo.") {
			needsGeo = true
		}
		if strings.Contains(r.rest, "{geo.") || strings.Contains(r.rest, "{device.") {
			h.needsRepl = true
		}
		r.counter = h.metrics.counter(r.Name, h.StatusCode)
	}
	if needsGeo {
		geo, err := getGeo()
		if err != nil {
			return err
		}
		h.geo = geo
	}

	var vary []string
	if h.needsDev || !h.RedirectBots {
		vary = append(vary, "User-Agent", "Sec-CH-UA-Mobile", "Sec-CH-UA-Platform", "Sec-CH-UA-Form-Factors", "Sec-CH-UA-Model")
	}
	if !h.DisableStay {
		vary = append(vary, "Cookie")
	}
	h.vary = strings.Join(vary, ", ")
	return nil
}

// Validate checks the status code and the stay names.
func (h *Handler) Validate() error {
	if err := h.validateStatus(); err != nil {
		return err
	}
	if len(h.Rules) == 0 {
		return fmt.Errorf("visitor_redirect: no rules")
	}
	if !h.DisableStay {
		if !validCookieName(h.StayCookie) {
			return fmt.Errorf("visitor_redirect: invalid stay cookie name %q", h.StayCookie)
		}
		if h.StayParam != "" && strings.ContainsAny(h.StayParam, "&=#?+% ") {
			return fmt.Errorf("visitor_redirect: invalid stay parameter name %q", h.StayParam)
		}
	}
	if h.StayMaxAge < 0 {
		return fmt.Errorf("visitor_redirect: negative stay_max_age")
	}
	return nil
}

func (h *Handler) validateStatus() error {
	switch h.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return nil
	}
	return fmt.Errorf("visitor_redirect: status %d is not a redirect status (301, 302, 303, 307, 308)", h.StatusCode)
}

// check reports whether the rule would compile, without changing it.
func (r Rule) check() error {
	r.countries = nil
	return r.compile()
}

// compile checks a rule and splits its target into the fixed origin and the
// rest.
func (r *Rule) compile() error {
	r.countries = r.countries[:0]
	for _, c := range r.Countries {
		code, err := normalizeCountry(c)
		if err != nil {
			return err
		}
		r.countries = append(r.countries, code)
	}
	r.devices = [len(r.devices)]bool{}
	r.anyDevice = len(r.Devices) > 0
	for _, d := range r.Devices {
		t, ok := device.ParseType(strings.ToLower(d))
		if !ok {
			return fmt.Errorf("unknown device class %q (want one of %s)", d, strings.Join(device.TypeNames(), ", "))
		}
		r.devices[t] = true
	}
	if len(r.countries) == 0 && !r.anyDevice {
		return fmt.Errorf("a rule needs countries or devices")
	}
	origin, rest, err := splitTarget(r.To)
	if err != nil {
		return err
	}
	u, _ := url.Parse(origin) // splitTarget checked it
	r.origin, r.rest = origin, rest
	r.scheme = strings.ToLower(u.Scheme)
	r.hostPort = hostPort(u.Host, r.scheme)
	r.hostname = strings.ToLower(u.Hostname())
	r.static = rest
	if i := strings.IndexAny(r.static, "{?#"); i >= 0 {
		r.static = r.static[:i]
	}
	if r.Name == "" {
		r.Name = defaultName(r.countries, r.Devices)
	}
	return nil
}

func defaultName(countries, devices []string) string {
	var parts []string
	if len(countries) > 0 {
		parts = append(parts, "country:"+strings.Join(countries, ","))
	}
	if len(devices) > 0 {
		parts = append(parts, "device:"+strings.ToLower(strings.Join(devices, ",")))
	}
	return strings.Join(parts, "+")
}

// splitTarget splits an absolute http(s) URL into its origin
// (scheme://host[:port]) and the rest. The origin must be literal: no
// placeholders, no user info. The rest may start with a placeholder
// ("https://kr.example.com{uri}"); whatever it expands to is kept after the
// host (see location).
func splitTarget(to string) (origin, rest string, err error) {
	i := strings.Index(to, "://")
	if i < 0 {
		return "", "", fmt.Errorf("target %q is not an absolute URL (want https://host/...)", to)
	}
	scheme := strings.ToLower(to[:i])
	if scheme != "http" && scheme != "https" {
		return "", "", fmt.Errorf("target %q: scheme must be http or https", to)
	}
	end := len(to)
	if j := strings.IndexAny(to[i+3:], "/?#{\\"); j >= 0 {
		end = i + 3 + j
	}
	origin, rest = to[:end], to[end:]
	host := to[i+3 : end]
	if rest != "" && rest[0] == '\\' {
		return "", "", fmt.Errorf("target %q: invalid host", to)
	}
	if host == "" || strings.ContainsAny(host, "@{}%\\ ") {
		return "", "", fmt.Errorf("target %q: invalid host %q", to, host)
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host != host || u.Hostname() == "" {
		return "", "", fmt.Errorf("target %q: invalid host %q", to, host)
	}
	return origin, rest, nil
}

// hostPort returns host in lower case with the scheme's default port filled
// in when it has none.
func hostPort(host, scheme string) string {
	host = strings.ToLower(host)
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), defaultPort(scheme))
}

func defaultPort(scheme string) string {
	if scheme == "https" {
		return "443"
	}
	return "80"
}

// ServeHTTP redirects when a rule matches, else calls the next handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return next.ServeHTTP(w, r) // a form post or an API call is not a page visit
	}
	if !h.DisableStay {
		if stay, handled := h.stay(w, r); handled {
			// The response sets a cookie: no shared cache may keep it.
			w = &privateResponse{ResponseWriterWrapper: &caddyhttp.ResponseWriterWrapper{ResponseWriter: w}}
			if stay {
				return next.ServeHTTP(w, r)
			}
		} else if h.hasStayCookie(r) {
			return next.ServeHTTP(w, r)
		}
	}

	vars, _ := r.Context().Value(caddyhttp.VarsCtxKey).(map[string]any)
	var geo visitor.Geo
	if h.geo != nil {
		geo = h.geo
	}
	info := visitor.Of(vars, r.Header, geo)
	if !h.RedirectBots && info.Device().Type == device.Bot {
		return next.ServeHTTP(w, r)
	}

	for i := range h.Rules {
		rule := &h.Rules[i]
		if !rule.matches(info) {
			continue
		}
		loc, ok := h.location(r, rule, info)
		if !ok {
			if ce := h.logger.Check(zap.DebugLevel, "redirect skipped: it would loop or leave the target host"); ce != nil {
				ce.Write(zap.String("rule", rule.Name), zap.String("uri", r.RequestURI))
			}
			return next.ServeHTTP(w, r)
		}
		hdr := w.Header()
		hdr.Set("Location", loc)
		hdr.Set("Cache-Control", "private")
		if h.vary != "" {
			hdr.Add("Vary", h.vary)
		}
		w.WriteHeader(h.StatusCode)
		rule.counter.inc()
		return nil
	}
	return next.ServeHTTP(w, r)
}

func (r *Rule) matches(info *visitor.Info) bool {
	if r.anyDevice && !r.devices[info.Device().Type] {
		return false
	}
	if len(r.countries) == 0 {
		return true
	}
	c := info.Country()
	if c == "" {
		return false
	}
	for _, code := range r.countries {
		if code == c {
			return true
		}
	}
	return false
}

// location builds the rule's target for r, or reports false when the
// redirect must not happen (it would loop, or the result is not on the
// configured host).
func (h *Handler) location(r *http.Request, rule *Rule, info *visitor.Info) (string, bool) {
	rest := rule.rest
	if strings.IndexByte(rest, '{') >= 0 {
		repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
		if !ok {
			repl = caddy.NewReplacer()
		}
		if h.needsRepl {
			repl.Map(info.Placeholder)
		}
		rest = repl.ReplaceKnown(rest, "")
	}
	// Whatever the placeholders produced stays after the host.
	if rest != "" && rest[0] != '/' && rest[0] != '?' && rest[0] != '#' {
		rest = "/" + rest
	}
	if strings.IndexByte(rest, '\\') >= 0 {
		rest = strings.ReplaceAll(rest, `\`, "%5C")
	}
	if strings.ContainsAny(rest, "\r\n") {
		return "", false
	}
	loc := rule.origin + rest

	// Defence in depth: the Location's host must be the configured one.
	u, err := url.Parse(loc)
	if err != nil || hostPort(u.Host, rule.scheme) != rule.hostPort {
		return "", false
	}

	// No loops: never to the URL requested, nor back into the target's own
	// path on the same host.
	if rule.sameHost(r.Host) {
		requested := r.URL.RequestURI() // what {uri} is
		if rest == requested || (rest == "" && requested == "/") {
			return "", false
		}
		if s := rule.static; s != "" && s != "/" {
			p := r.URL.Path
			if p == s || strings.HasPrefix(p, strings.TrimSuffix(s, "/")+"/") {
				return "", false
			}
		}
	}
	return loc, true
}

// sameHost reports whether a request for host reaches the rule's target
// host. A Host without a port matches the target's host name whatever the
// scheme, as behind a proxy that terminates TLS.
func (r *Rule) sameHost(host string) bool {
	host = strings.ToLower(host)
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host == r.hostPort
	}
	return strings.Trim(host, "[]") == r.hostname
}

// stay handles the stay parameter: handled reports whether the request had
// it; stay whether the visitor stays (the cookie was set).
func (h *Handler) stay(w http.ResponseWriter, r *http.Request) (stay, handled bool) {
	if h.StayParam == "" || !strings.Contains(r.URL.RawQuery, h.StayParam) {
		return false, false
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil && len(q) == 0 {
		return false, false
	}
	vals, ok := q[h.StayParam]
	if !ok {
		return false, false
	}
	c := &http.Cookie{
		Name:     h.StayCookie,
		Path:     "/",
		HttpOnly: true,
		Secure:   reqinfo.IsHTTPS(r),
		SameSite: http.SameSiteLaxMode,
	}
	if len(vals) > 0 && vals[0] == "0" {
		c.MaxAge = -1
		http.SetCookie(w, c)
		// The cookie is gone for the next request; this one is judged
		// without it.
		return false, true
	}
	c.Value = "1"
	c.MaxAge = h.stayMaxAge
	http.SetCookie(w, c)
	return true, true
}

// privateResponse makes a response private to the browser whatever the
// site answers: a shared cache that kept a response setting the stay
// cookie would hand that cookie to everyone. Cache-Control gets private;
// public and s-maxage (which only shared caches read) are removed.
type privateResponse struct {
	*caddyhttp.ResponseWriterWrapper
	wroteHeader bool
}

func (p *privateResponse) WriteHeader(status int) {
	if !p.wroteHeader {
		p.wroteHeader = true
		hdr := p.Header()
		hdr.Set("Cache-Control", privateCacheControl(hdr.Values("Cache-Control")))
	}
	p.ResponseWriterWrapper.WriteHeader(status)
}

func (p *privateResponse) Write(b []byte) (int, error) {
	if !p.wroteHeader {
		p.WriteHeader(http.StatusOK)
	}
	return p.ResponseWriterWrapper.Write(b)
}

// privateCacheControl keeps the site's directives but public and
// s-maxage, and adds private.
func privateCacheControl(values []string) string {
	out := []string{"private"}
	for _, v := range values {
		for _, d := range strings.Split(v, ",") {
			d = strings.TrimSpace(d)
			name, _, _ := strings.Cut(strings.ToLower(d), "=")
			switch name {
			case "", "private", "public", "s-maxage":
				continue
			}
			out = append(out, d)
		}
	}
	return strings.Join(out, ", ")
}

func (h *Handler) hasStayCookie(r *http.Request) bool {
	found := false
	for _, line := range r.Header["Cookie"] {
		if strings.Contains(line, h.StayCookie) {
			found = true
			break
		}
	}
	if !found {
		return false
	}
	c, err := r.Cookie(h.StayCookie)
	return err == nil && c.Value != ""
}

func normalizeCountry(c string) (string, error) {
	u := strings.ToUpper(c)
	if len(u) != 2 || u[0] < 'A' || u[0] > 'Z' || u[1] < 'A' || u[1] > 'Z' {
		return "", fmt.Errorf("%q is not a two-letter country code", c)
	}
	return u, nil
}

func validCookieName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}`, c) >= 0 {
			return false
		}
	}
	return true
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)

// Package maintenance is frontdoor's maintenance mode: the
// http.handlers.maintenance handler, the "maintenance" app that holds the
// switches in Caddy's storage, the admin.api.maintenance endpoints that flip
// them at run time, and the `frontdoor maintenance` command.
package maintenance

import (
	"bytes"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	maint "github.com/frontdoor-gateway/frontdoor/modules/internal/maintenance"
	"github.com/frontdoor-gateway/frontdoor/modules/internal/reqinfo"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// Defaults.
const (
	DefaultRetryAfter = 5 * time.Minute
	DefaultBypassTTL  = 12 * time.Hour
	DefaultStatus     = http.StatusServiceUnavailable
	// BypassParam is the query parameter that carries the bypass secret.
	BypassParam = "fd_bypass"
)

// Handler holds a site back while its named maintenance is on: visitors get
// a maintenance page (or JSON when they prefer it) with status 503,
// Retry-After and Cache-Control: no-store, for every path. Clients whose
// address is in Allow, and clients holding a bypass cookie, pass through.
//
// The switch is flipped at run time through the admin API
// (GET/PUT/DELETE /maintenance/<name>) or `frontdoor maintenance on <name>`,
// never through a config reload; it is kept in Caddy's storage, so it
// survives restarts and reloads and is shared by every instance that shares
// the storage. Handlers with the same name, in any site, share one switch.
//
// While the stored switch cannot be read (a damaged file, a failing
// storage), the handler does what OnStateError says; the admin API and the
// metric frontdoor_maintenance_state_error report it, and a switch through
// the admin API writes a good state over the damaged one.
//
// The client address is Caddy's resolved client IP, so a forwarded header
// counts only when it comes from a trusted proxy.
//
// With BypassSecret set, a request with ?fd_bypass=<secret> is answered with a
// redirect to the same URL without the parameter (the URL the client asked
// for, before handle_path or a rewrite changed it), setting a signed, expiring
// cookie (fd_maintenance_<name>) that lets the browser through. That request
// is left out of the access log, so the secret is never logged. The secret
// must be at least 16 characters long. Wrong guesses are limited per client
// (an IPv4 address or an IPv6 /64, across every maintenance of the process):
// after 5 wrong secrets a client gets one more guess every 12 seconds, and
// guesses beyond that are not checked at all — the client gets the
// maintenance page, with a Retry-After of at least the wait for its next
// guess, while maintenance is on, and the site while it is off.
//
// This handler sets no placeholders.
type Handler struct {
	// Name identifies the maintenance: in the admin API, in storage, in
	// metrics. Required: 1 to 64 letters, digits, '_', '.' or '-'.
	Name string `json:"name,omitempty"`

	// Enabled is the state while no switch has been stored for Name (a fresh
	// storage). Default: false (off).
	Enabled bool `json:"enabled,omitempty"`

	// Page is the path of an html/template file for the maintenance page,
	// read when the config loads. It sees .Name, .Message, .Until (a
	// time.Time, zero when unknown) and .RetryAfter (seconds). Default: a
	// built-in page.
	Page string `json:"page,omitempty"`

	// Message is shown when the switch carries no message of its own.
	// Default: a short apology.
	Message string `json:"message,omitempty"`

	// RetryAfter is the Retry-After sent while no end time is known; with an
	// end time, the time left until then is sent. Default: 5m.
	RetryAfter caddy.Duration `json:"retry_after,omitempty"`

	// Status is the response status of blocked requests. Default: 503.
	Status int `json:"status,omitempty"`

	// Allow lists client addresses (CIDR ranges or single IPs) that pass
	// through during maintenance.
	Allow []string `json:"allow,omitempty"`

	// BypassSecret enables the bypass cookie; placeholders such as
	// {env.FD_BYPASS} are replaced when the config loads. It must be at
	// least 16 characters long once they are. Default: no bypass.
	BypassSecret string `json:"bypass_secret,omitempty"`

	// BypassTTL is how long a bypass cookie stays valid. Default: 12h.
	BypassTTL caddy.Duration `json:"bypass_ttl,omitempty"`

	// OnStateError is what the handler does while the stored switch cannot
	// be read (a damaged file, a failing storage): "keep" keeps the last
	// state this process read or wrote, across config reloads, and holds
	// the site back (maintenance on) when it knows none, as after a start
	// with the file already damaged; "closed" holds the site back; "open"
	// lets every request through. Handlers with the same Name must agree.
	// Default: keep.
	OnStateError string `json:"on_state_error,omitempty"`

	sw           *maint.Switch
	onStateError maint.StateErrorPolicy
	page         *maint.Page
	allow        []netip.Prefix
	bypass       *maint.Bypass
	guesses      *maint.Guesses
	pooled       bool // guesses is guessPool's
	counters     counters
	cache        *[2]atomic.Pointer[rendered] // HTML, JSON
	retryAfter   time.Duration
	message      string
	logger       *zap.Logger
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.maintenance",
		New: func() caddy.Module { return new(Handler) },
	}
}

// Provision compiles the configuration and registers the switch.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	if err := h.compile(); err != nil {
		return err
	}
	app, err := getApp(ctx)
	if err != nil {
		return err
	}
	if h.sw, err = app.register(h.Name, maint.Options{Enabled: h.Enabled, OnStateError: h.onStateError}); err != nil {
		return fmt.Errorf("maintenance %s: %w", h.Name, err)
	}
	h.counters = app.metrics.counters(h.Name)
	if h.bypass != nil {
		v, _, err := guessPool.LoadOrNew(guessPoolKey, func() (caddy.Destructor, error) {
			return pooledGuesses{maint.NewGuesses(maint.GuessBurst, maint.GuessInterval, maint.MaxGuessClients)}, nil
		})
		if err != nil {
			return fmt.Errorf("maintenance %s: %w", h.Name, err)
		}
		h.guesses, h.pooled = v.(pooledGuesses).Guesses, true
	}
	return nil
}

// Cleanup releases the handler's share of the guess limits.
func (h *Handler) Cleanup() error {
	if h.pooled {
		h.pooled = false
		_, err := guessPool.Delete(guessPoolKey)
		return err
	}
	return nil
}

// guessPool holds the wrong-guess limits of bypass secrets: one set for the
// process, shared by every maintenance handler and kept across config
// reloads, so that a reload never hands out fresh guesses.
var guessPool = caddy.NewUsagePool()

const guessPoolKey = "maintenance.bypass_guesses"

type pooledGuesses struct{ *maint.Guesses }

func (pooledGuesses) Destruct() error { return nil }

// compile sets defaults and prepares the page, the allow list and the bypass.
func (h *Handler) compile() error {
	if !maint.ValidName(h.Name) {
		return fmt.Errorf("maintenance: invalid name %q: use 1 to 64 letters, digits, '_', '.' or '-'", h.Name)
	}
	h.cache = new([2]atomic.Pointer[rendered])
	if h.Status == 0 {
		h.Status = DefaultStatus
	}
	h.retryAfter = time.Duration(h.RetryAfter)
	if h.retryAfter == 0 {
		h.retryAfter = DefaultRetryAfter
	}
	if h.BypassTTL == 0 {
		h.BypassTTL = caddy.Duration(DefaultBypassTTL)
	}
	h.message = h.Message
	if h.message == "" {
		h.message = maint.DefaultMessage
	}
	policy, err := maint.ParseStateErrorPolicy(h.OnStateError)
	if err != nil {
		return fmt.Errorf("maintenance %s: %w", h.Name, err)
	}
	h.onStateError = policy

	var text []byte
	if h.Page != "" {
		if text, err = os.ReadFile(h.Page); err != nil {
			return fmt.Errorf("maintenance %s: reading page: %w", h.Name, err)
		}
	}
	page, err := maint.ParsePage(h.Name, string(text))
	if err != nil {
		return fmt.Errorf("maintenance %s: page %s: %w", h.Name, h.Page, err)
	}
	h.page = page

	h.allow = h.allow[:0]
	for _, s := range h.Allow {
		p, err := parsePrefix(s)
		if err != nil {
			return fmt.Errorf("maintenance %s: allow: %w", h.Name, err)
		}
		h.allow = append(h.allow, p)
	}

	if h.BypassSecret != "" {
		secret := caddy.NewReplacer().ReplaceKnown(h.BypassSecret, "")
		if secret == "" {
			return fmt.Errorf("maintenance %s: bypass_secret %s is empty%s", h.Name, h.BypassSecret, placeholderHint(h.BypassSecret))
		}
		if n := utf8.RuneCountInString(secret); n < maint.MinSecretLength {
			return fmt.Errorf("maintenance %s: bypass_secret is too short (%d characters once placeholders are replaced): use at least %d characters, random ones%s",
				h.Name, n, maint.MinSecretLength, placeholderHint(h.BypassSecret))
		}
		h.bypass = maint.NewBypass(h.Name, secret)
		// Provision replaces these with the process-wide limits.
		h.guesses = maint.NewGuesses(maint.GuessBurst, maint.GuessInterval, maint.MaxGuessClients)
	}
	return nil
}

// Validate checks the configuration.
func (h *Handler) Validate() error {
	if h.Status < 200 || h.Status > 599 {
		return fmt.Errorf("maintenance %s: status %d out of range 200-599", h.Name, h.Status)
	}
	if h.RetryAfter < 0 {
		return fmt.Errorf("maintenance %s: retry_after must not be negative", h.Name)
	}
	if h.BypassTTL < 0 {
		return fmt.Errorf("maintenance %s: bypass_ttl must not be negative", h.Name)
	}
	return nil
}

// parsePrefix reads an allow entry (an address or a CIDR range) as the
// throttle handler does; an IPv4-mapped range becomes the IPv4 range, since
// client addresses are compared unmapped.
func parsePrefix(s string) (netip.Prefix, error) {
	p, err := caddyhttp.CIDRExpressionToPrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if p.Addr().Is4In6() {
		p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
	}
	return netip.PrefixFrom(p.Addr().WithZone(""), p.Bits()).Masked(), nil
}

// ServeHTTP holds the request back while maintenance is on.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	var limited time.Duration // > 0: a bypass guess refused unchecked, the wait for the next
	if h.bypass != nil && strings.Contains(r.URL.RawQuery, BypassParam) {
		if given, ok := maint.QueryParam(r.URL.RawQuery, BypassParam); ok {
			var right bool
			if right, limited = h.checkSecret(r, given); right {
				return h.grantBypass(w, r)
			}
		}
	}
	st := h.sw.State()
	if !st.Enabled {
		return h.pass(w, r, next)
	}
	now := time.Now()
	if !st.Active(now) {
		return h.pass(w, r, next)
	}
	if len(h.allow) > 0 && h.allowed(r) {
		inc(h.counters.allowed)
		return h.pass(w, r, next)
	}
	if h.bypass != nil {
		if c, err := r.Cookie(h.bypass.CookieName()); err == nil && h.bypass.Valid(c.Value, now) {
			inc(h.counters.bypassed)
			return h.pass(w, r, next)
		}
	}
	if limited == 0 {
		inc(h.counters.blocked)
	}
	return h.block(w, r, st, now, limited)
}

// checkSecret checks a bypass guess, unless its client has had too many
// wrong: then the guess is not compared at all, is counted as
// bypass_limited, and the wait until the client's next guess is returned.
func (h *Handler) checkSecret(r *http.Request, given string) (right bool, limited time.Duration) {
	now := time.Now()
	client := clientAddr(r)
	ok, left, wait := h.guesses.Take(client, now)
	if !ok {
		inc(h.counters.limited)
		return false, wait
	}
	if h.bypass.MatchSecret(given) {
		h.guesses.Refund(client, now)
		return true, 0
	}
	if left == 0 {
		if c := h.logger.Check(zapcore.WarnLevel, "maintenance bypass: too many wrong secrets from a client; its further guesses are refused unchecked for a while"); c != nil {
			c.Write(zap.String("name", h.Name), zap.String("client_ip", client.String()),
				zap.Duration("next_guess_in", maint.GuessInterval))
		}
	}
	return false, 0
}

// clientAddr is Caddy's resolved client IP, unmapped and without a zone;
// invalid when there is none.
func clientAddr(r *http.Request) netip.Addr {
	s, _ := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string)
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return ip.Unmap().WithZone("")
}

// pass hands the request on, without the bypass cookie: it is the gateway's
// and grants a way past maintenance, so the site behind it never sees it
// (nor logs it).
func (h *Handler) pass(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if h.bypass != nil {
		stripCookie(r.Header, h.bypass.CookieName())
	}
	return next.ServeHTTP(w, r)
}

// stripCookie removes the cookie name from the Cookie header lines, keeping
// the other cookies. It allocates only when a line mentions the name.
func stripCookie(hdr http.Header, name string) {
	lines := hdr["Cookie"]
	found := false
	for _, line := range lines {
		if strings.Contains(line, name) {
			found = true
			break
		}
	}
	if !found {
		return
	}
	kept := make([]string, 0, len(lines))
	for _, line := range lines {
		var b strings.Builder
		for part := range strings.SplitSeq(line, ";") {
			pair := strings.TrimSpace(part)
			if pair == "" {
				continue
			}
			if k, _, _ := strings.Cut(pair, "="); strings.TrimSpace(k) == name {
				continue
			}
			if b.Len() > 0 {
				b.WriteString("; ")
			}
			b.WriteString(pair)
		}
		if b.Len() > 0 {
			kept = append(kept, b.String())
		}
	}
	if len(kept) == 0 {
		delete(hdr, "Cookie")
		return
	}
	hdr["Cookie"] = kept
}

func (h *Handler) allowed(r *http.Request) bool {
	ip := clientAddr(r)
	if !ip.IsValid() {
		return false
	}
	for _, p := range h.allow {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// block writes the maintenance response. For a client whose bypass guess
// was refused, Retry-After is at least the wait for its next guess (the
// page, cached, still tells the maintenance's own).
func (h *Handler) block(w http.ResponseWriter, r *http.Request, st *maint.State, now time.Time, limited time.Duration) error {
	retry := st.RetryAfter(now, h.retryAfter)
	asJSON := maint.PrefersJSON(r.Header.Values("Accept")...)
	resp := h.response(st, retry, asJSON)
	if limited > 0 {
		retry = max(retry, int64((limited+time.Second-1)/time.Second))
	}

	hdr := w.Header()
	hdr.Set("Content-Type", resp.contentType)
	hdr.Set("Content-Length", resp.length)
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Retry-After", strconv.FormatInt(retry, 10))
	hdr.Add("Vary", "Accept")
	w.WriteHeader(h.Status)
	if r.Method == http.MethodHead {
		return nil
	}
	_, _ = w.Write(resp.body) // a failed write means the client went away
	return nil
}

// rendered is a maintenance response body, cached while the switch state and
// the Retry-After value stay the same (at most a second when an end time is
// set), so a site under load in maintenance does not render a page per request.
type rendered struct {
	state       *maint.State
	retry       int64
	contentType string
	length      string
	body        []byte
}

func (h *Handler) response(st *maint.State, retry int64, asJSON bool) *rendered {
	slot := &h.cache[0]
	if asJSON {
		slot = &h.cache[1]
	}
	if c := slot.Load(); c != nil && c.state == st && c.retry == retry {
		return c
	}

	data := maint.PageData{Name: h.Name, Message: st.Message, Until: st.Until, RetryAfter: retry}
	if data.Message == "" {
		data.Message = h.message
	}
	buf := maint.GetBuffer()
	defer maint.PutBuffer(buf)
	contentType := "text/html; charset=utf-8"
	var err error
	if asJSON {
		contentType = "application/json"
		err = maint.RenderJSON(buf, data)
	} else {
		err = h.page.RenderHTML(buf, data)
	}
	if err != nil {
		if c := h.logger.Check(zapcore.ErrorLevel, "rendering maintenance response failed; sending the message as text"); c != nil {
			c.Write(zap.String("name", h.Name), zap.Error(err))
		}
		buf.Reset()
		buf.WriteString(data.Message)
		buf.WriteByte('\n')
		contentType = "text/plain; charset=utf-8"
	}
	c := &rendered{
		state:       st,
		retry:       retry,
		contentType: contentType,
		length:      strconv.Itoa(buf.Len()),
		body:        bytes.Clone(buf.Bytes()),
	}
	slot.Store(c)
	return c
}

// grantBypass answers a request carrying the right secret: a redirect to the
// same URL without the secret, setting the bypass cookie. The request is kept
// out of the access log so the secret is never written anywhere.
func (h *Handler) grantBypass(w http.ResponseWriter, r *http.Request) error {
	caddyhttp.SetVar(r.Context(), caddyhttp.LogSkipVar, true)

	now := time.Now()
	expires := now.Add(time.Duration(h.BypassTTL))
	http.SetCookie(w, &http.Cookie{
		Name:     h.bypass.CookieName(),
		Value:    h.bypass.Issue(expires),
		Path:     "/",
		Expires:  expires,
		MaxAge:   int(time.Duration(h.BypassTTL) / time.Second),
		HttpOnly: true,
		Secure:   reqinfo.IsHTTPS(r),
		SameSite: http.SameSiteLaxMode,
	})
	if h.sw.State().Active(now) {
		inc(h.counters.bypassed)
	}

	location := bypassLocation(r)
	hdr := w.Header()
	hdr.Set("Location", location)
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusFound)

	client, _ := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string)
	h.logger.Info("maintenance bypass cookie issued",
		zap.String("name", h.Name),
		zap.String("client_ip", client),
		zap.String("host", r.Host),
		zap.Time("expires", expires))
	return nil
}

// bypassLocation is where a granted bypass sends the browser: the URL it
// asked for, without the secret. That is the original request's URL, not
// r.URL, which handle_path, uri strip_prefix or a rewrite may have changed
// before this handler ran.
func bypassLocation(r *http.Request) string {
	u := r.URL
	if orig, ok := r.Context().Value(caddyhttp.OriginalRequestCtxKey).(http.Request); ok && orig.URL != nil {
		u = orig.URL
	}
	location := maint.SafeLocalPath(u.EscapedPath())
	if q := maint.StripParam(u.RawQuery, BypassParam); q != "" {
		location += "?" + q
	}
	return location
}

// placeholderHint explains where the placeholders of a secret are read:
// in the running gateway, which is not the shell that ran `frontdoor
// reload`.
func placeholderHint(secret string) string {
	var env, files []string
	for rest := secret; ; {
		i := strings.Index(rest, "{")
		if i < 0 {
			break
		}
		j := strings.Index(rest[i:], "}")
		if j < 0 {
			break
		}
		name := rest[i+1 : i+j]
		rest = rest[i+j+1:]
		switch {
		case strings.HasPrefix(name, "env."):
			env = append(env, strings.TrimPrefix(name, "env."))
		case strings.HasPrefix(name, "file."):
			files = append(files, strings.TrimPrefix(name, "file."))
		}
	}
	var hints []string
	if len(env) > 0 {
		hints = append(hints, fmt.Sprintf("the environment variable %s is read by the running frontdoor process, not by the shell that ran `frontdoor reload`: set it where frontdoor runs (its service unit), or keep the secret in a file and write {file./path/to/secret}", strings.Join(env, ", ")))
	}
	if len(files) > 0 {
		hints = append(hints, fmt.Sprintf("the file %s is read by the running frontdoor process (its user and working directory)", strings.Join(files, ", ")))
	}
	if len(hints) == 0 {
		return ""
	}
	return ": " + strings.Join(hints, "; ")
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddy.CleanerUpper          = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)

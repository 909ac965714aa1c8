// Package throttle is the frontdoor rate-limiting handler
// (http.handlers.throttle): token buckets per client (or any key) grouped in
// named zones that several sites share and that survive config reloads,
// kept in memory or in Redis for several gateways.
package throttle

import (
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/accept"
	"github.com/frontdoor-gateway/frontdoor/modules/internal/limiter"
)

func init() {
	caddy.RegisterModule(Throttle{})
}

// Throttle limits the request rate of each client with a token bucket: a
// bucket holds up to Burst requests and refills at Rate. A request that
// finds its bucket empty is rejected with 429 Too Many Requests, a
// Retry-After header (whole seconds, at least 1) and a body chosen by the
// Accept header: JSON for a client that prefers JSON, an HTML page that
// shows the wait (see Page) for one that prefers text/html, as browsers
// do, else plain text (curl's */* included).
//
// Buckets belong to a zone. Every throttle handler that names the same zone
// (in any site) shares its buckets, like nginx's limit_req_zone. Zones live
// outside the config: a reload keeps every bucket as it is, and a changed
// rate or burst applies to the existing buckets, which keep their tokens.
//
// By default the key is the client IP resolved by Caddy (trusted_proxies
// decide whether a forwarded header counts), with IPv4-mapped IPv6
// addresses treated as IPv4 and IPv6 clients grouped per /64, so rotating
// addresses inside one allocation does not escape the limit.
//
// Allowed and rejected responses carry the RateLimit-Policy and RateLimit
// headers of the IETF httpapi ratelimit-headers draft:
//
//	RateLimit-Policy: "<zone>";q=<burst>;w=<seconds to refill the burst>
//	RateLimit: "<zone>";r=<requests left>;t=<seconds>
//
// where t is always the time until the bucket is full again (the quota
// resets), on allowed and rejected requests alike; on a rejection,
// Retry-After says when the next request can pass.
//
// With Store set, buckets live in Redis and every gateway that uses the same
// Redis shares them; each decision is one atomic round trip bounded by
// StoreTimeout. When Redis fails or is slow the request passes (or gets 503
// with OnStoreError "deny"); the failure is counted and logged at most once
// every 10 seconds, and Redis is skipped for a second before it is tried
// again.
//
// This handler sets no placeholders.
type Throttle struct {
	// Zone names the set of buckets. Handlers with the same zone share
	// buckets, and must agree on rate, burst and max_keys within one
	// config. Letters, digits, '.', '_' and '-'. Required.
	Zone string `json:"zone,omitempty"`

	// Key selects the bucket of a request; it may hold any placeholders.
	// Where it contains the client IP placeholder, the client's network
	// (see IPv4Prefix and IPv6Prefix) is used. Default: "{http.vars.client_ip}".
	Key string `json:"key,omitempty"`

	// Rate is how fast a bucket refills: "<n>r/s", "<n>r/m" or "<n>r/h".
	// Required.
	Rate string `json:"rate,omitempty"`

	// Burst is the bucket size: how many requests may arrive at once.
	// Default: 1.
	Burst int `json:"burst,omitempty"`

	// IPv4Prefix is the prefix length that groups IPv4 clients into one
	// bucket. Default: 32 (one bucket per address).
	IPv4Prefix int `json:"ipv4_prefix,omitempty"`

	// IPv6Prefix is the prefix length that groups IPv6 clients into one
	// bucket. Default: 64; 128 means one bucket per address.
	IPv6Prefix int `json:"ipv6_prefix,omitempty"`

	// MaxKeys bounds the number of buckets the zone keeps in memory; when
	// full, the least recently used bucket is evicted (and counted).
	// Buckets idle long enough to be full again are dropped. Default:
	// 100000. Not used with Store.
	MaxKeys int `json:"max_keys,omitempty"`

	// Allow lists client IP ranges (CIDR or single addresses) that are
	// never limited.
	Allow []string `json:"allow,omitempty"`

	// DryRun counts the requests that would be rejected but lets them
	// pass, and sends no RateLimit headers.
	DryRun bool `json:"dry_run,omitempty"`

	// StatusCode is the status of a rejected request. Default: 429.
	StatusCode int `json:"status_code,omitempty"`

	// DisableHeaders stops sending the RateLimit-Policy and RateLimit
	// headers (Retry-After is still sent on rejections).
	DisableHeaders bool `json:"disable_headers,omitempty"`

	// Store is the URL of a Redis server that holds the buckets
	// (redis://host:port/db, rediss://, unix://). Default: in memory.
	// Placeholders of the environment and of files, such as
	// {env.FD_REDIS_PASSWORD}, are replaced when the config loads, so
	// that a password stays out of the config.
	Store string `json:"store,omitempty"`

	// StoreTimeout bounds one round trip to the store. Default: 100ms.
	StoreTimeout caddy.Duration `json:"store_timeout,omitempty"`

	// OnStoreError says what happens to a request when the store fails:
	// "allow" lets it pass, "deny" rejects it with 503 and Retry-After.
	// Default: "allow".
	OnStoreError string `json:"on_store_error,omitempty"`

	// Page is the path of a Go html/template file for the HTML body of a
	// rejection, sent to clients whose Accept prefers text/html (browsers).
	// It is read and parsed at provision (at most 1 MiB) and rendered once
	// with sample data, so a broken template is a config error. The
	// template sees .Status (429, the status_code, or 503 on a store
	// failure), .StatusText ("Too Many Requests"), .Zone, .Message (the
	// plain-text body's words), .RetryAfter (the Retry-After seconds) and
	// .Wait (those seconds in words: "59 seconds", "2 minutes 5 seconds").
	// Default: a built-in page that shows the wait and the status.
	Page string `json:"page,omitempty"`

	limit    limiter.Limit
	prefixes limiter.Prefixes
	allow    []netip.Prefix
	keyParts []keyPart // nil: the key is the client's network
	policy   string    // RateLimit-Policy header value
	page     *template.Template
	pages    *pageCache
	zone     *zone
	poolKey  string
	logger   *zap.Logger
}

// keyPart is a piece of a key template: literal text with placeholders, or
// the client IP.
type keyPart struct {
	text     string
	clientIP bool
}

// CaddyModule returns the Caddy module information.
func (Throttle) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.throttle",
		New: func() caddy.Module { return new(Throttle) },
	}
}

var zoneName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// maxFillSeconds bounds how long an empty bucket may take to refill (ten
// years): the time must fit a time.Duration, and nothing longer is a limit
// anyone means.
const maxFillSeconds = 10 * 365 * 24 * 3600

// checkFill rejects a burst that takes longer than maxFillSeconds to refill
// at rate r (written as text).
func checkFill(r limiter.Rate, text string, burst int) error {
	if fill := float64(burst) / r.PerSecond(); fill > maxFillSeconds {
		return fmt.Errorf("burst %d at %s takes %.0f years to refill; use a smaller burst or a faster rate",
			burst, text, fill/(365*24*3600))
	}
	return nil
}

// clientIPPlaceholders are the spellings of the client IP in a key.
var clientIPPlaceholders = []string{"{http.vars.client_ip}", "{client_ip}"}

// Provision parses the configuration and joins the zone.
func (h *Throttle) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	if !zoneName.MatchString(h.Zone) {
		return fmt.Errorf("zone %q: want 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", h.Zone)
	}
	if h.Rate == "" {
		return fmt.Errorf("zone %s: rate is required", h.Zone)
	}
	r, err := limiter.ParseRate(h.Rate)
	if err != nil {
		return fmt.Errorf("zone %s: %w", h.Zone, err)
	}
	if h.Burst < 0 {
		return fmt.Errorf("zone %s: burst %d must be at least 1", h.Zone, h.Burst)
	}
	h.limit = limiter.Limit{Rate: r, Burst: max(h.Burst, 1)}
	if err := checkFill(r, h.Rate, h.limit.Burst); err != nil {
		return fmt.Errorf("zone %s: %w", h.Zone, err)
	}

	h.prefixes = limiter.DefaultPrefixes
	if h.IPv4Prefix != 0 {
		if h.IPv4Prefix < 1 || h.IPv4Prefix > 32 {
			return fmt.Errorf("zone %s: ipv4_prefix %d not in 1..32", h.Zone, h.IPv4Prefix)
		}
		h.prefixes.V4 = h.IPv4Prefix
	}
	if h.IPv6Prefix != 0 {
		if h.IPv6Prefix < 1 || h.IPv6Prefix > 128 {
			return fmt.Errorf("zone %s: ipv6_prefix %d not in 1..128", h.Zone, h.IPv6Prefix)
		}
		h.prefixes.V6 = h.IPv6Prefix
	}
	if h.MaxKeys < 0 {
		return fmt.Errorf("zone %s: max_keys %d is negative", h.Zone, h.MaxKeys)
	}
	for _, s := range h.Allow {
		p, err := caddyhttp.CIDRExpressionToPrefix(s)
		if err != nil {
			return fmt.Errorf("zone %s: allow %q: %w", h.Zone, s, err)
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
		}
		h.allow = append(h.allow, p.Masked())
	}
	if h.StatusCode == 0 {
		h.StatusCode = http.StatusTooManyRequests
	}
	if h.StatusCode < 400 || h.StatusCode > 599 {
		return fmt.Errorf("zone %s: status %d is not an error status (400-599)", h.Zone, h.StatusCode)
	}
	switch h.OnStoreError {
	case "", "allow", "deny":
	default:
		return fmt.Errorf(`zone %s: on_store_error %q: want "allow" or "deny"`, h.Zone, h.OnStoreError)
	}
	if h.StoreTimeout < 0 {
		return fmt.Errorf("zone %s: store_timeout is negative", h.Zone)
	}
	if h.StoreTimeout == 0 {
		h.StoreTimeout = caddy.Duration(limiter.DefaultStoreTimeout)
	}
	h.keyParts = parseKey(h.Key)
	if h.page, err = loadPage(h.Page); err != nil {
		return fmt.Errorf("zone %s: page: %w", h.Zone, err)
	}
	h.pages = new(pageCache)

	window := int64(math.Ceil(h.limit.FillTime().Seconds()))
	h.policy = fmt.Sprintf(`"%s";q=%d;w=%d`, h.Zone, h.limit.Burst, max(window, 1))

	store := h.Store
	if strings.Contains(store, "{") {
		store = caddy.NewReplacer().ReplaceKnown(store, "")
	}
	poolKey := h.Zone + "\x00" + store
	val, _, err := zones.LoadOrNew(poolKey, func() (caddy.Destructor, error) {
		return newZone(h.Zone, store, h.MaxKeys)
	})
	if err != nil {
		return fmt.Errorf("zone %s: %w", h.Zone, err)
	}
	h.poolKey = poolKey // from now on Cleanup releases it
	h.zone = val.(*zone)
	if h.zone.mem != nil {
		h.zone.mem.SetMaxKeys(h.MaxKeys)
	}
	return joinZoneSet(ctx, h)
}

// parseKey splits a key template around the client IP placeholder; it
// returns nil when the key is the client IP alone.
func parseKey(key string) []keyPart {
	if key == "" || key == clientIPPlaceholders[0] || key == clientIPPlaceholders[1] {
		return nil
	}
	var parts []keyPart
	for key != "" {
		i, n := -1, 0
		for _, ph := range clientIPPlaceholders {
			if j := strings.Index(key, ph); j >= 0 && (i < 0 || j < i) {
				i, n = j, len(ph)
			}
		}
		if i < 0 {
			parts = append(parts, keyPart{text: key})
			break
		}
		if i > 0 {
			parts = append(parts, keyPart{text: key[:i]})
		}
		parts = append(parts, keyPart{clientIP: true})
		key = key[i+n:]
	}
	return parts
}

// Cleanup leaves the zone; the last handler to leave frees it.
func (h *Throttle) Cleanup() error {
	if h.poolKey == "" {
		return nil
	}
	_, err := zones.Delete(h.poolKey)
	return err
}

// ServeHTTP takes a token from the request's bucket and either passes the
// request on or rejects it.
func (h *Throttle) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	ipText, _ := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string)
	addr, err := netip.ParseAddr(ipText)
	hasAddr := err == nil
	if hasAddr {
		addr = addr.Unmap()
		for _, p := range h.allow {
			if p.Contains(addr) {
				h.zone.allowed.Add(1)
				return next.ServeHTTP(w, r)
			}
		}
	}

	var buf [64]byte
	key := buf[:0]
	switch {
	case h.keyParts != nil:
		key = h.appendTemplateKey(key, r, addr, hasAddr, ipText)
	case hasAddr:
		key = h.prefixes.AppendAddrKey(key, addr)
	default:
		key = limiter.AppendTextKey(key, ipText)
	}

	var d limiter.Decision
	if h.zone.store != nil {
		d, err = h.zone.store.Allow(r.Context(), key, h.limit, time.Duration(h.StoreTimeout))
		if err != nil {
			return h.storeFailed(w, r, next, err)
		}
	} else {
		d = h.zone.mem.Allow(key, &h.limit, time.Now())
	}

	switch {
	case d.Allowed:
		h.zone.allowed.Add(1)
		if !h.DisableHeaders && !h.DryRun {
			h.setHeaders(w.Header(), d.Remaining, d.Reset)
		}
		return next.ServeHTTP(w, r)
	case h.DryRun:
		h.zone.dryRun.Add(1)
		if c := h.logger.Check(zap.DebugLevel, "request over the rate limit (dry run)"); c != nil {
			c.Write(zap.String("zone", h.Zone), zap.String("client_ip", ipText))
		}
		return next.ServeHTTP(w, r)
	}
	h.zone.limited.Add(1)
	if c := h.logger.Check(zap.DebugLevel, "request rate limited"); c != nil {
		c.Write(zap.String("zone", h.Zone), zap.String("client_ip", ipText), zap.Duration("retry_after", d.RetryAfter))
	}
	retry := wholeSeconds(d.RetryAfter)
	if !h.DisableHeaders {
		h.setHeaders(w.Header(), 0, max(d.Reset, time.Duration(retry)*time.Second))
	}
	h.reject(w, r, h.StatusCode, retry, "too many requests")
	return nil
}

// appendTemplateKey expands the key template for r.
func (h *Throttle) appendTemplateKey(dst []byte, r *http.Request, addr netip.Addr, hasAddr bool, ipText string) []byte {
	repl, _ := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	dst = append(dst, 't')
	for _, p := range h.keyParts {
		switch {
		case !p.clientIP:
			if repl != nil {
				dst = append(dst, repl.ReplaceKnown(p.text, "")...)
			} else {
				dst = append(dst, p.text...)
			}
		case hasAddr:
			dst = h.prefixes.Group(addr).AppendTo(dst)
		default:
			dst = append(dst, ipText...)
		}
	}
	return dst
}

// setHeaders adds the RateLimit-Policy and RateLimit headers.
func (h *Throttle) setHeaders(hdr http.Header, remaining int, reset time.Duration) {
	// One allocation for both values and the RateLimit text; each value
	// slice is capped so that an append by a later handler copies instead
	// of writing into the other.
	hv := new(headerValues)
	v := append(hv.text[:0], '"')
	v = append(v, h.Zone...)
	v = append(v, `";r=`...)
	v = strconv.AppendInt(v, int64(remaining), 10)
	v = append(v, ";t="...)
	v = strconv.AppendInt(v, int64(math.Ceil(reset.Seconds())), 10)
	hv.vals[0] = h.policy
	// The bytes are never written again: a string may share them.
	hv.vals[1] = unsafe.String(unsafe.SliceData(v), len(v))
	hdr["Ratelimit-Policy"] = hv.vals[0:1:1]
	hdr["Ratelimit"] = hv.vals[1:2:2]
}

// headerValues holds one response's RateLimit-Policy and RateLimit values.
// text fits the longest RateLimit value: a 64-byte zone name and two
// 20-digit numbers.
type headerValues struct {
	vals [2]string
	text [128]byte
}

// storeFailed handles a request whose bucket the store could not decide on.
func (h *Throttle) storeFailed(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, err error) error {
	h.zone.storeErrors.Add(1)
	h.zone.logStoreError(h.logger, err, h.OnStoreError == "deny")
	if h.OnStoreError == "deny" {
		h.zone.limited.Add(1)
		h.reject(w, r, http.StatusServiceUnavailable, 1, "rate limiter unavailable")
		return nil
	}
	h.zone.allowed.Add(1)
	return next.ServeHTTP(w, r)
}

// wholeSeconds rounds d up to whole seconds, at least 1.
func wholeSeconds(d time.Duration) int64 {
	return max(int64(math.Ceil(d.Seconds())), 1)
}

// reject writes a rejection, its body chosen by Accept: JSON, the HTML
// page, or plain text (the default, for */* and anything else).
func (h *Throttle) reject(w http.ResponseWriter, r *http.Request, status int, retry int64, msg string) {
	hdr := w.Header()
	hdr.Set("Retry-After", strconv.FormatInt(retry, 10))
	hdr.Set("Cache-Control", "no-store")
	hdr.Add("Vary", "Accept")
	switch accept.Negotiate(r.Header.Values("Accept"), accept.Text, accept.JSON, accept.HTML) {
	case accept.JSON:
		hdr.Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":%q,"status":%d,"zone":%q,"retry_after":%d}`+"\n", msg, status, h.Zone, retry)
		return
	case accept.HTML:
		body, err := h.pages.render(h.page, status, h.Zone, msg, retry)
		if err == nil {
			hdr.Set("Content-Type", "text/html; charset=utf-8")
			hdr.Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(status)
			_, _ = w.Write(body) // a failed write means the client went away
			return
		}
		if c := h.logger.Check(zap.ErrorLevel, "rendering the throttle page failed; sending plain text"); c != nil {
			c.Write(zap.String("zone", h.Zone), zap.String("page", h.Page), zap.Error(err))
		}
	}
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintf(w, "%d %s: %s, retry in %d s\n", status, http.StatusText(status), msg, retry)
}

// zones holds every zone in use, keyed by name and store, across configs.
var zones = caddy.NewUsagePool()

// sweepInterval is how often idle in-memory buckets are dropped.
const sweepInterval = 30 * time.Second

// storeErrorLogInterval bounds how often store failures are logged.
const storeErrorLogInterval = 10 * time.Second

// zone is a set of buckets and its counters. It outlives configs, so its
// sweeper goroutine is not tied to any config's context: it stops when the
// last handler using the zone is cleaned up (Caddy cleans up a handler when
// its config stops and when its provisioning fails) and the pool destructs
// the zone.
type zone struct {
	name  string
	mem   *limiter.Memory // in memory, or
	store *limiter.Redis  // in Redis
	stop  chan struct{}

	allowed, limited, dryRun, storeErrors atomic.Uint64

	lastErrLog atomic.Int64 // unix nanoseconds
	suppressed atomic.Uint64
}

func newZone(name, store string, maxKeys int) (*zone, error) {
	z := &zone{name: name, stop: make(chan struct{})}
	if store == "" {
		z.mem = limiter.NewMemory(maxKeys)
		go z.sweep()
		return z, nil
	}
	s, err := limiter.NewRedis(store, "frontdoor:throttle:"+name+":")
	if err != nil {
		return nil, err
	}
	z.store = s
	return z, nil
}

// sweep drops idle buckets until the zone is destructed.
func (z *zone) sweep() {
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	for {
		select {
		case <-z.stop:
			return
		case now := <-t.C:
			z.mem.Sweep(now)
		}
	}
}

// logStoreError logs err unless a store error was logged in the last
// storeErrorLogInterval; the count of errors not logged is attached.
func (z *zone) logStoreError(logger *zap.Logger, err error, deny bool) {
	now := time.Now().UnixNano()
	last := z.lastErrLog.Load()
	if now-last < int64(storeErrorLogInterval) || !z.lastErrLog.CompareAndSwap(last, now) {
		z.suppressed.Add(1)
		return
	}
	if errors.Is(err, limiter.ErrStoreDown) {
		err = fmt.Errorf("%w (it failed less than a second ago)", err)
	}
	msg := "rate-limit store failed; requests pass unlimited until it answers"
	if deny {
		msg = "rate-limit store failed; requests get 503 until it answers"
	}
	logger.Error(msg, zap.String("zone", z.name), zap.Error(err),
		zap.Uint64("errors_not_logged", z.suppressed.Swap(0)))
}

// Destruct stops the sweeper and closes the store.
func (z *zone) Destruct() error {
	close(z.stop)
	if z.store != nil {
		return z.store.Close()
	}
	return nil
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Throttle)(nil)
	_ caddy.CleanerUpper          = (*Throttle)(nil)
	_ caddyhttp.MiddlewareHandler = (*Throttle)(nil)
	_ caddy.Destructor            = (*zone)(nil)
)

// Package waitingroom is frontdoor's virtual waiting room: the
// http.handlers.waiting_room handler, the "waiting_room" app that follows
// the rooms of a config, the admin.api.waiting_room endpoints that change
// them at run time, and the `frontdoor waiting-room` command. The rules live
// in modules/internal/waitingroom.
package waitingroom

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/logfields"
	maint "github.com/frontdoor-gateway/frontdoor/modules/internal/maintenance"
	wr "github.com/frontdoor-gateway/frontdoor/modules/internal/waitingroom"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// SessionHeader carries an admitted visitor's session id upstream.
const SessionHeader = "X-Waiting-Room-Session"

// Handler is a virtual waiting room: at most ActiveUsers visitors are on the
// site at once (across every gateway sharing the Store) and at most
// NewUsersPerMinute are let in per minute; the others wait in line on a page
// that refreshes itself, and go on to the site, in order, as places free
// up. Only the requests the handler's matcher selects wait (the booking
// pages, not static files or health checks).
//
// A visitor holds the signed cookie fd_wr_<name> (HMAC-SHA256 over the room,
// the session id, the ticket number, and the issue and expiry times):
// HttpOnly, SameSite=Lax, Secure on HTTPS (or when a trusted proxy says
// X-Forwarded-Proto: https). A forged, expired or other-room cookie, or one
// issued before the room was reset, counts as no cookie (and is counted).
// Admitted requests carry X-Waiting-Room-Session: <session id> upstream;
// copies sent by the client (in any case, with '_' for '-', in the header
// or the trailer) are removed from every request the handler sees, the
// ones its Match leaves out too, so that an upstream can trust it; a
// request two rooms admit carries the last one's session id. Put the
// handler in a route without a matcher and give it Match: a route's
// matcher would keep the handler from seeing the other requests.
//
// Queued visitors get a page (html/template, see Page) with their place,
// the people ahead and the estimated wait, a Refresh header and a meta
// refresh (jittered), and Cache-Control: no-store; clients that ask for
// JSON (Accept, or a fetch or XMLHttpRequest) get
// {"status","position","ahead","eta_seconds","refresh_seconds","event_start"}
// with Retry-After.
//
// When the store fails, admitted visitors keep their place (the cookie is
// enough), visitors in line wait with their ticket, and new visitors are
// admitted or held by OnStoreError; the handler never answers 5xx itself.
//
// This handler sets the placeholders:
//
//	{waiting_room.status}    queued, admitted or passthrough
//	{waiting_room.position}  the place in line of a queued visitor (empty when not known)
//
// and adds the access-log fields waiting_room (the status) and
// waiting_room_position.
type Handler struct {
	// Name names the room: in the cookie, the admin API, the store and the
	// metrics. Handlers with the same name share one room. Required: 1 to
	// 64 letters, digits, '_', '.' or '-'.
	Name string `json:"name,omitempty"`

	// Match selects the requests that wait (the booking pages, not static
	// files or health checks), as a route's "match" does: any of the
	// matcher sets. The others go on to the site at once, without the
	// client's X-Waiting-Room-Session. Default: every request.
	MatchersRaw caddyhttp.RawMatcherSets `json:"match,omitempty" caddy:"namespace=http.matchers"`

	// ActiveUsers is how many visitors may be on the site at once.
	// Required.
	ActiveUsers int `json:"active_users,omitempty"`

	// NewUsersPerMinute is how many visitors may be let in per minute, at
	// most. Default: ActiveUsers.
	NewUsersPerMinute int `json:"new_users_per_minute,omitempty"`

	// SessionDuration is how long an admitted visitor keeps the place
	// without a request (each request starts it again). From 1s to 24h.
	// Default: 5m.
	SessionDuration caddy.Duration `json:"session_duration,omitempty"`

	// Queue is "fifo" (first come, first served) or "random" (a lottery
	// among those waiting). Default: fifo.
	Queue string `json:"queue,omitempty"`

	// Event is a sale that opens at a known time.
	Event *Event `json:"event,omitempty"`

	// Store is where the room's state lives: empty for this gateway's
	// memory, or a Redis shared by every gateway:
	// redis://[user:pass@]host:port/db, rediss://…, unix://…, or
	// redis-cluster://host:port[,host:port…]. Default: memory.
	Store string `json:"store,omitempty"`

	// StoreTimeout bounds one round trip to the store. Default: 100ms.
	StoreTimeout caddy.Duration `json:"store_timeout,omitempty"`

	// OnStoreError says what happens to new visitors (no cookie) when the
	// store fails: "admit" lets them in (with a session the store counts
	// once it is back, so the room may be over active_users for a while),
	// "hold" keeps them on the queue page. Admitted visitors always keep
	// their place; visitors in line keep their ticket and wait. Default:
	// admit.
	OnStoreError string `json:"on_store_error,omitempty"`

	// Secrets are the HMAC keys of the cookie; placeholders such as
	// {env.FD_WAITING_ROOM_SECRET} are replaced when the config loads.
	// Cookies are signed with the first and accepted with any (rotation).
	// Required with a Redis store (every gateway must share them); with
	// the memory store, a random one is made per process.
	Secrets []string `json:"secrets,omitempty"`

	// CookieDomain is the cookie's Domain, to share one room between a
	// site's subdomains (booking and API). Default: the request's host.
	CookieDomain string `json:"cookie_domain,omitempty"`

	// Page is the path of an html/template file for the queue page, read
	// when the config loads. It sees the fields of
	// modules/internal/waitingroom.PageData: .Room, .Site, .Status,
	// .Position (0 when not known), .Ahead, .AheadText ("12 people"),
	// .Waiting, .Wait ("3–5 minutes", empty when unknown), .WaitMin and
	// .WaitMax (seconds), .HasWait, .Progress (0-100), .Refresh (seconds),
	// .EventStart (a time.Time, zero without an event), .BeforeStart,
	// .Paused, .Random, .Full and .Unavailable. Default: a built-in page.
	Page string `json:"page,omitempty"`

	// Refresh is how often the queue page checks again (each response
	// picks a time between 80% and 100% of it). From 1s to 1h. Default:
	// 20s.
	Refresh caddy.Duration `json:"refresh,omitempty"`

	// Status is the HTTP status of the queue page. Default: 200.
	Status int `json:"status,omitempty"`

	// MaxQueued bounds how many visitors wait; one more gets the queue
	// page without a ticket and tries again at each refresh. Default:
	// 1000000.
	MaxQueued int `json:"max_queued,omitempty"`

	// SiteName is the site's name on the queue page. Default: the
	// request's host.
	SiteName string `json:"site_name,omitempty"`

	matchers   caddyhttp.MatcherSets
	settings   wr.Settings
	signer     *wr.Signer
	page       *wr.Page
	room       *room
	poolKey    string
	counters   counters
	cookieTail [2]string // the cookie's attributes after Max-Age: plain, Secure
	hold       bool
	logger     *zap.Logger
}

// Event is a sale that opens at a known time: from Prequeue, visitors wait;
// at Start, everyone who arrived since Prequeue is given a place in line at
// random and admissions begin; from End, the room lets everyone through (as
// it does before Prequeue). Times are RFC 3339.
type Event struct {
	// Prequeue is when visitors begin to wait. Default: Start.
	Prequeue time.Time `json:"prequeue,omitzero"`
	// Start is when admissions begin. Required.
	Start time.Time `json:"start,omitzero"`
	// End is when the room stops holding anyone back. Default: never.
	End time.Time `json:"end,omitzero"`
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.waiting_room",
		New: func() caddy.Module { return new(Handler) },
	}
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// ValidName reports whether name can name a room.
func ValidName(name string) bool { return nameRE.MatchString(name) }

var domainRE = regexp.MustCompile(`^\.?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)

// Provision compiles the configuration and joins the room.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	if err := h.compile(); err != nil {
		return err
	}
	if h.MatchersRaw != nil {
		mods, err := ctx.LoadModule(h, "MatchersRaw")
		if err != nil {
			return fmt.Errorf("waiting_room %s: match: %w", h.Name, err)
		}
		if err := h.matchers.FromInterface(mods); err != nil {
			return fmt.Errorf("waiting_room %s: match: %w", h.Name, err)
		}
	}
	app, err := getApp(ctx)
	if err != nil {
		return err
	}
	return h.provision(app)
}

// provision joins the room of app's config.
func (h *Handler) provision(app *App) error {
	poolKey := h.Name + "\x00" + h.Store
	val, loaded, err := rooms.LoadOrNew(poolKey, func() (caddy.Destructor, error) {
		return newRoom(h.Name, h.Store)
	})
	if err != nil {
		return fmt.Errorf("waiting_room %s: %w", h.Name, err)
	}
	h.poolKey = poolKey // from now on Cleanup releases it
	h.room = val.(*room)

	secrets := make([][]byte, 0, len(h.Secrets))
	repl := caddy.NewReplacer()
	for i, s := range h.Secrets {
		v := repl.ReplaceKnown(s, "")
		if v == "" {
			return fmt.Errorf("waiting_room %s: secret %d is empty once placeholders are replaced", h.Name, i+1)
		}
		if len(v) < 16 {
			h.logger.Warn("waiting_room secret is short; use at least 32 random characters", zap.String("room", h.Name))
		}
		secrets = append(secrets, []byte(v))
	}
	if len(secrets) == 0 {
		if h.Store != "" {
			return fmt.Errorf("waiting_room %s: store %s is shared by several gateways: set a secret, the same on every gateway, to sign the cookie", h.Name, wr.Redacted(h.Store))
		}
		secrets = append(secrets, h.room.secret)
		if !loaded {
			h.logger.Info("waiting_room has no secret: signing cookies with a random key made for this process (cookies do not survive a restart)",
				zap.String("room", h.Name))
		}
	}
	h.signer = wr.NewSigner(h.Name, secrets)
	h.counters = app.metrics.counters(h.Name)
	return app.add(h)
}

// compile checks the configuration and sets the defaults and the settings.
func (h *Handler) compile() error {
	if !ValidName(h.Name) {
		return fmt.Errorf("waiting_room: invalid name %q: use 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit", h.Name)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("waiting_room %s: %s", h.Name, fmt.Sprintf(format, args...))
	}
	if h.ActiveUsers < 1 || h.ActiveUsers > wr.MaxUsers {
		return bad("active_users %d: want 1 to %d (it is required)", h.ActiveUsers, wr.MaxUsers)
	}
	if h.NewUsersPerMinute < 0 || h.NewUsersPerMinute > wr.MaxUsers {
		return bad("new_users_per_minute %d: want 1 to %d", h.NewUsersPerMinute, wr.MaxUsers)
	}
	sd, err := duration(h.SessionDuration, wr.DefaultSessionDuration, wr.MaxSessionDuration)
	if err != nil {
		return bad("session_duration %s", err)
	}
	refresh, err := duration(h.Refresh, wr.DefaultRefresh, wr.MaxRefresh)
	if err != nil {
		return bad("refresh %s", err)
	}
	switch h.Queue {
	case "", "fifo", "random":
	default:
		return bad(`queue %q: want "fifo" or "random"`, h.Queue)
	}
	if h.Store != "" {
		if err := wr.CheckStore(h.Store); err != nil {
			return bad("%v", err)
		}
	}
	if h.StoreTimeout < 0 {
		return bad("store_timeout must not be negative")
	}
	if h.StoreTimeout == 0 {
		h.StoreTimeout = caddy.Duration(wr.DefaultStoreTimeout)
	}
	switch h.OnStoreError {
	case "", "admit":
	case "hold":
		h.hold = true
	default:
		return bad(`on_store_error %q: want "admit" or "hold"`, h.OnStoreError)
	}
	if h.Status == 0 {
		h.Status = http.StatusOK
	}
	if h.Status < 200 || h.Status > 599 || (h.Status >= 300 && h.Status < 400) {
		return bad("status %d: want 2xx, 4xx or 5xx", h.Status)
	}
	if h.MaxQueued < 0 {
		return bad("max_queued must not be negative")
	}
	if h.CookieDomain != "" && (!domainRE.MatchString(h.CookieDomain) || len(h.CookieDomain) > 253) {
		return bad("cookie_domain %q is not a domain name", h.CookieDomain)
	}
	if len(h.SiteName) > 200 {
		return bad("site_name is longer than 200 characters")
	}
	h.settings = wr.Settings{
		ActiveUsers:       h.ActiveUsers,
		NewUsersPerMinute: h.NewUsersPerMinute,
		SessionDuration:   sd,
		Refresh:           refresh,
		Random:            h.Queue == "random",
		MaxQueued:         h.MaxQueued,
		StoreTimeout:      time.Duration(h.StoreTimeout),
	}
	if h.settings.NewUsersPerMinute == 0 {
		h.settings.NewUsersPerMinute = h.ActiveUsers
	}
	if h.settings.MaxQueued == 0 {
		h.settings.MaxQueued = wr.DefaultMaxQueued
	}
	if e := h.Event; e != nil {
		if e.Start.IsZero() {
			return bad("event: start is required")
		}
		pre := e.Prequeue
		if pre.IsZero() {
			pre = e.Start
		}
		if pre.After(e.Start) {
			return bad("event: prequeue %s is after start %s", pre.Format(time.RFC3339), e.Start.Format(time.RFC3339))
		}
		if !e.End.IsZero() && !e.End.After(e.Start) {
			return bad("event: end %s is not after start %s", e.End.Format(time.RFC3339), e.Start.Format(time.RFC3339))
		}
		h.settings.Prequeue, h.settings.Start, h.settings.End = pre, e.Start, e.End
	}

	var text []byte
	if h.Page != "" {
		if text, err = os.ReadFile(h.Page); err != nil {
			return bad("reading page: %v", err)
		}
		if len(text) == 0 {
			return bad("page %s is empty", h.Page)
		}
	}
	if h.page, err = wr.ParsePage(h.Name, string(text)); err != nil {
		return bad("page %s: %v", h.Page, err)
	}

	tail := "; Path=/"
	if h.CookieDomain != "" {
		tail += "; Domain=" + h.CookieDomain
	}
	tail += "; HttpOnly; SameSite=Lax"
	h.cookieTail = [2]string{tail, tail + "; Secure"}
	return nil
}

func duration(d caddy.Duration, def, most time.Duration) (time.Duration, error) {
	v := time.Duration(d)
	if v == 0 {
		return def, nil
	}
	if v < time.Second || v > most {
		return 0, fmt.Errorf("%s: want 1s to %s", v, most)
	}
	return v, nil
}

// Cleanup leaves the room; the last handler to leave frees it.
func (h *Handler) Cleanup() error {
	if h.poolKey == "" {
		return nil
	}
	_, err := rooms.Delete(h.poolKey)
	return err
}

// ServeHTTP lets the request on to the site or answers with the queue page.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	keepRoomSession(r)
	if h.matchers != nil {
		selected, err := h.matchers.AnyMatchWithError(r)
		if err != nil {
			return caddyhttp.Error(http.StatusInternalServerError, err)
		}
		if !selected {
			return next.ServeHTTP(w, r)
		}
	}
	c, shown, cookie := h.readCookie(r)
	v := wr.Visit{Op: wr.OpArrive, Seed: rand.Uint64()}
	switch {
	case cookie == cookieValid && c.Admitted:
		v.Op, v.SID, v.Ticket, v.Issued, v.Expiry = wr.OpTouch, c.SID, c.Ticket, c.Issued, c.Expiry
	case cookie == cookieValid:
		v.Op, v.SID, v.Ticket, v.Issued, v.Expiry = wr.OpPoll, c.SID, c.Ticket, c.Issued, c.Expiry
	default:
		v.SID = wr.NewSID()
	}
	d, err := h.room.store.Decide(r.Context(), &h.settings, v)
	if err != nil {
		return h.storeFailed(w, r, next, err, c, shown, cookie)
	}
	bad := cookie == cookieBad || d.BadCookie
	switch d.Outcome {
	case wr.Admitted:
		h.count(h.counters.admitted, bad)
		switch {
		case d.Claimed:
			h.counters.wait.Observe(max(float64(d.Now-c.Issued), 0) / 1000)
		case v.Op == wr.OpArrive || d.BadCookie:
			h.counters.wait.Observe(0) // let in on arrival
		}
		if v.Op != wr.OpTouch || d.BadCookie || d.Now-c.Issued > h.settings.SessionDuration.Milliseconds()/4 {
			h.setCookie(w, r, wr.Cookie{Admitted: true, SID: v.SID, Ticket: d.Ticket, Issued: d.Now,
				Expiry: d.Now + h.settings.SessionDuration.Milliseconds()}, nil, "", d.Now)
		}
		return h.admit(w, r, next, v.SID)
	case wr.Passed:
		h.count(h.counters.passed, bad)
		h.mark(r, "passthrough", 0)
		return next.ServeHTTP(w, r)
	}
	h.count(h.counters.queued, bad)
	if d.BadCookie {
		shown = wr.NoShown
	}
	nextShown := wr.Estimate(&d, shown, h.settings.Random, h.settings.Refresh)
	switch {
	case d.Joined:
		h.setCookie(w, r, wr.Cookie{SID: v.SID, Ticket: d.Ticket, Issued: d.Now, Expiry: d.Now + queuedCookieLife}, &nextShown, "", d.Now)
	case cookie == cookieValid && nextShown != shown:
		h.setCookie(w, r, c, &nextShown, signedPart(r, h.signer.CookieName(), c), d.Now)
	}
	return h.queue(w, r, &d, nextShown)
}

// queuedCookieLife is how long a queued visitor's cookie is valid (the
// ticket itself lapses after three refresh intervals without a poll).
const queuedCookieLife = 24 * 3600 * 1000

// admit passes an admitted visitor's request on, with its session id.
func (h *Handler) admit(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, sid string) error {
	r.Header[SessionHeader] = []string{sid}
	caddyhttp.SetVar(r.Context(), sessionVar, roomSession(sid))
	h.mark(r, "admitted", 0)
	return next.ServeHTTP(w, r)
}

// sessionVar is the request variable holding the session id a room put in
// SessionHeader, as a roomSession: a value of that type cannot come from
// a config (Caddy's vars handler sets strings and JSON values).
const sessionVar = "waiting_room.session"

type roomSession string

// keepRoomSession leaves in SessionHeader only what a room that admitted
// this request (one before this handler: rooms can follow each other)
// put there. It removes the client's own, under every spelling that a
// backend may read as the same header (X_Waiting_Room_Session: CGI,
// FastCGI and WSGI turn '-' into '_'), from the header and the trailer.
func keepRoomSession(r *http.Request) {
	dropSessionHeader(r.Header)
	dropSessionHeader(r.Trailer)
	if sid, ok := caddyhttp.GetVar(r.Context(), sessionVar).(roomSession); ok {
		r.Header[SessionHeader] = []string{string(sid)}
	}
}

// dropSessionHeader removes from h every field named SessionHeader, in any
// case, with '_' for any '-'.
func dropSessionHeader(h http.Header) {
	for k := range h {
		if len(k) == len(SessionHeader) && sameSessionName(k) {
			delete(h, k)
		}
	}
}

func sameSessionName(k string) bool {
	for i := 0; i < len(k); i++ {
		c, want := k[i], SessionHeader[i]
		if c == '_' {
			c = '-'
		}
		if c|0x20 != want|0x20 || (c == '-') != (want == '-') {
			return false
		}
	}
	return true
}

func (h *Handler) count(c counter, bad bool) {
	if bad {
		h.counters.badCookie.Inc()
		return
	}
	c.Inc()
}

// mark sets the placeholders and the access-log fields.
func (h *Handler) mark(r *http.Request, status string, position int) {
	if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		repl.Set("waiting_room.status", status)
		if position > 0 {
			repl.Set("waiting_room.position", position)
		} else {
			repl.Set("waiting_room.position", "")
		}
	}
	if e := logfields.For(r.Context()); e != nil {
		e.SetWaitingRoom(status, position)
	}
}

// Cookie states of a request.
const (
	cookieNone = iota
	cookieValid
	cookieBad
)

// readCookie finds the room's cookie among the request's cookies; of
// several with the name, the first valid one counts.
func (h *Handler) readCookie(r *http.Request) (wr.Cookie, wr.Shown, int) {
	name := h.signer.CookieName()
	state := cookieNone
	for _, line := range r.Header["Cookie"] {
		for line != "" {
			var pair string
			pair, line, _ = strings.Cut(line, ";")
			pair = strings.TrimSpace(pair)
			k, val, ok := strings.Cut(pair, "=")
			if !ok || k != name {
				continue
			}
			if len(val) > 1 && val[0] == '"' && val[len(val)-1] == '"' {
				val = val[1 : len(val)-1]
			}
			c, sh, err := h.signer.Decode(val)
			if err == nil {
				return c, sh, cookieValid
			}
			state = cookieBad
		}
	}
	return wr.Cookie{}, wr.NoShown, state
}

// signedPart is the signed part of the request's cookie c, to send it back
// with a new unsigned part without signing it again.
func signedPart(r *http.Request, name string, c wr.Cookie) string {
	for _, line := range r.Header["Cookie"] {
		for part := range strings.SplitSeq(line, ";") {
			k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok || k != name {
				continue
			}
			val = strings.Trim(val, `"`)
			signed, _, _ := strings.Cut(val, "~")
			if strings.Contains(signed, "."+c.SID+".") {
				return signed
			}
		}
	}
	return ""
}

// setCookie sets the room's cookie: c signed (or its signed part as given)
// with what was shown, kept by the browser until c expires (now is the
// store's time).
func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, c wr.Cookie, sh *wr.Shown, signed string, now int64) {
	buf := getBuffer()
	defer putBuffer(buf)
	b := append(buf.AvailableBuffer(), h.signer.CookieName()...)
	b = append(b, '=')
	if signed != "" && sh != nil {
		b = append(b, signed...)
		b = appendShown(b, sh)
	} else {
		b = h.signer.AppendValue(b, c, sh)
	}
	b = append(b, "; Max-Age="...)
	b = strconv.AppendInt(b, max((c.Expiry-now)/1000, 1), 10)
	if isHTTPS(r) {
		b = append(b, h.cookieTail[1]...)
	} else {
		b = append(b, h.cookieTail[0]...)
	}
	w.Header()["Set-Cookie"] = append(w.Header()["Set-Cookie"], string(b))
}

func appendShown(b []byte, sh *wr.Shown) []byte {
	b = append(b, '~')
	for i, n := range [...]int64{int64(sh.FirstAhead), int64(sh.Ahead), int64(sh.Lo), int64(sh.Hi), sh.Moved} {
		if i > 0 {
			b = append(b, '.')
		}
		b = strconv.AppendInt(b, n, 10)
	}
	return b
}

// isHTTPS reports whether the client reached the site over HTTPS: directly,
// or through a trusted proxy that says so.
func isHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	trusted, _ := caddyhttp.GetVar(r.Context(), caddyhttp.TrustedProxyVarKey).(bool)
	return trusted && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// queue answers a visitor who waits: the queue page, or JSON.
func (h *Handler) queue(w http.ResponseWriter, r *http.Request, d *wr.Decision, sh wr.Shown) error {
	refresh := jitter(h.settings.Refresh)
	position := d.Position
	if d.Outcome == wr.Full {
		position = 0
	}
	h.mark(r, "queued", position)

	buf := getBuffer()
	defer putBuffer(buf)
	hdr := w.Header()
	if wantsJSON(r) {
		j := wr.JSON{Status: "queued", Position: position, Ahead: -1, ETA: sh.Hi, RefreshSeconds: refresh, EventStart: h.settings.Start}
		if position > 0 {
			j.Ahead = position - 1
		}
		buf.Write(wr.AppendJSON(buf.AvailableBuffer(), &j))
		hdr["Content-Type"] = jsonType
	} else {
		data := wr.PageData{
			Room: h.Name, Site: h.siteName(r), Status: "queued",
			Position: position, Waiting: d.Waiting, Ahead: max(position-1, 0),
			WaitMin: max(sh.Lo, 0), WaitMax: max(sh.Hi, 0), HasWait: sh.Hi >= 0,
			Progress: wr.Progress(sh), Refresh: refresh, EventStart: h.settings.Start,
			BeforeStart: d.BeforeStart, Paused: d.Paused, Random: h.settings.Random,
			Full: d.Outcome == wr.Full,
		}
		if !h.page.Derived() {
			data.Wait = wr.WaitText(sh.Lo, sh.Hi)
			data.AheadText = wr.AheadText(data.Ahead)
		}
		if err := h.page.Render(buf, &data); err != nil {
			if c := h.logger.Check(zap.ErrorLevel, "rendering the queue page failed; sending plain text"); c != nil {
				c.Write(zap.String("room", h.Name), zap.Error(err))
			}
			buf.Reset()
			fmt.Fprintf(buf, "You are in line (place %d). This page refreshes itself.\n", position)
			hdr["Content-Type"] = textType
		} else {
			hdr["Content-Type"] = htmlType
		}
	}
	setQueueHeaders(hdr, refresh, buf.Len())
	w.WriteHeader(h.Status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes()) // a failed write means the client went away
	}
	return nil
}

// setQueueHeaders sets the caching, refresh and length headers of a queue
// response, with one allocation for their values.
func setQueueHeaders(hdr http.Header, refresh, length int) {
	hv := new(queueHeaders)
	t := strconv.AppendInt(hv.text[:0], int64(refresh), 10)
	n := len(t)
	t = strconv.AppendInt(t, int64(length), 10)
	// The bytes are never written again: strings may share them.
	secs := unsafe.String(unsafe.SliceData(t), n)
	hv.vals = [3]string{secs, secs, unsafe.String(&t[n], len(t)-n)}
	hdr["Cache-Control"] = noStore
	hdr["Refresh"] = hv.vals[0:1:1]
	hdr["Retry-After"] = hv.vals[1:2:2]
	hdr["Content-Length"] = hv.vals[2:3:3]
}

// queueHeaders holds one queue response's header values.
type queueHeaders struct {
	vals [3]string
	text [40]byte
}

var (
	jsonType = []string{"application/json"}
	htmlType = []string{"text/html; charset=utf-8"}
	textType = []string{"text/plain; charset=utf-8"}
	noStore  = []string{"no-store"}
)

// jitter picks a refresh time between 80% and 100% of d, in whole seconds
// (at least 1): visitors do not come back in step, and never later than d,
// so that a reserved place waits for its visitor at most d.
func jitter(d time.Duration) int {
	f := d.Seconds() * (0.8 + 0.2*rand.Float64())
	return max(int(f+0.5), 1)
}

// wantsJSON reports whether the client asks for JSON: by Accept, or by
// being a script (fetch or XMLHttpRequest).
func wantsJSON(r *http.Request) bool {
	if m := r.Header.Get("Sec-Fetch-Mode"); m == "cors" || m == "same-origin" {
		return true
	}
	if r.Header.Get("X-Requested-With") != "" {
		return true
	}
	return maint.PrefersJSON(r.Header.Get("Accept"))
}

// siteName is the site's name on the page: site_name, else the host.
func (h *Handler) siteName(r *http.Request) string {
	if h.SiteName != "" {
		return h.SiteName
	}
	host := r.Host
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		host = strings.TrimSuffix(strings.TrimPrefix(host[:i], "["), "]")
	}
	if len(host) > 253 {
		host = host[:253]
	}
	return host
}

// storeFailed decides a request without the store: admitted visitors keep
// their place, visitors in line keep their ticket and wait, and new visitors
// are admitted or held by on_store_error.
func (h *Handler) storeFailed(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, err error, c wr.Cookie, shown wr.Shown, cookie int) error {
	h.counters.storeError.Inc()
	h.room.logStoreError(h.logger, err, h.hold)
	now := time.Now().UnixMilli()
	sd := h.settings.SessionDuration.Milliseconds()
	if cookie == cookieValid && c.Admitted && c.Expiry > now {
		if now-c.Issued > sd/4 {
			h.setCookie(w, r, wr.Cookie{Admitted: true, SID: c.SID, Ticket: c.Ticket, Issued: now, Expiry: now + sd}, nil, "", now)
		}
		return h.admit(w, r, next, c.SID)
	}
	// A visitor with a ticket keeps it (the store still has the line) and
	// waits; only those without one follow on_store_error.
	if !h.hold && cookie != cookieValid {
		sid := wr.NewSID()
		h.setCookie(w, r, wr.Cookie{Admitted: true, SID: sid, Issued: now, Expiry: now + sd}, nil, "", now)
		return h.admit(w, r, next, sid)
	}
	d := wr.Decision{Outcome: wr.Queued, Now: now}
	sh := wr.Shown{FirstAhead: shown.FirstAhead, Ahead: -1, Lo: -1, Hi: -1, Moved: shown.Moved}
	return h.queueUnavailable(w, r, &d, sh)
}

// queueUnavailable is the queue page when the store cannot say where the
// visitor stands.
func (h *Handler) queueUnavailable(w http.ResponseWriter, r *http.Request, d *wr.Decision, sh wr.Shown) error {
	if !wantsJSON(r) {
		refresh := jitter(h.settings.Refresh)
		h.mark(r, "queued", 0)
		data := wr.PageData{Room: h.Name, Site: h.siteName(r), Status: "queued", Refresh: refresh,
			EventStart: h.settings.Start, Random: h.settings.Random, Unavailable: true}
		buf := getBuffer()
		defer putBuffer(buf)
		if err := h.page.Render(buf, &data); err != nil {
			buf.Reset()
			buf.WriteString("You are in line. This page refreshes itself.\n")
		}
		hdr := w.Header()
		hdr["Content-Type"] = htmlType
		setQueueHeaders(hdr, refresh, buf.Len())
		w.WriteHeader(h.Status)
		if r.Method != http.MethodHead {
			_, _ = w.Write(buf.Bytes())
		}
		return nil
	}
	return h.queue(w, r, d, sh)
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuffer() *bytes.Buffer {
	b := bufPool.Get().(*bytes.Buffer)
	b.Reset()
	return b
}

func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= 64<<10 {
		bufPool.Put(b)
	}
}

// Validate checks the configuration.
func (h *Handler) Validate() error {
	if h.Event != nil && h.Event.Start.IsZero() {
		return errors.New("waiting_room: event without a start")
	}
	if slices.Contains(h.Secrets, "") {
		return fmt.Errorf("waiting_room %s: an empty secret", h.Name)
	}
	return nil
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddy.CleanerUpper          = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)

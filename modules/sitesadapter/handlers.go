package sitesadapter

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp/headers"
)

// The frontdoor modules' JSON, written from small structs that mirror each
// module's exported config. The adapter does not import the modules: a
// catalog that uses a feature whose module is not in the build is an
// error (see requireModule), never JSON that fails to load.

// maintenanceJSON mirrors http.handlers.maintenance.
type maintenanceJSON struct {
	Name         string         `json:"name,omitempty"`
	Enabled      bool           `json:"enabled,omitempty"`
	Page         string         `json:"page,omitempty"`
	Message      string         `json:"message,omitempty"`
	RetryAfter   caddy.Duration `json:"retry_after,omitempty"`
	Status       int            `json:"status,omitempty"`
	Allow        []string       `json:"allow,omitempty"`
	BypassSecret string         `json:"bypass_secret,omitempty"`
	BypassTTL    caddy.Duration `json:"bypass_ttl,omitempty"`
	OnStateError string         `json:"on_state_error,omitempty"`
}

// minBypassSecret is the shortest bypass_secret http.handlers.maintenance
// accepts, in characters.
const minBypassSecret = 16

// visitorInfoJSON mirrors http.handlers.visitor_info.
type visitorInfoJSON struct {
	CountryHeader      string `json:"country_header,omitempty"`
	DeviceHeader       string `json:"device_header,omitempty"`
	DisableHeaders     bool   `json:"disable_headers,omitempty"`
	DisableClientHints bool   `json:"disable_client_hints,omitempty"`
}

// traceIDJSON mirrors http.handlers.trace_id.
type traceIDJSON struct {
	TrustIncoming string `json:"trust_incoming,omitempty"`
}

// hostDispatchJSON mirrors http.handlers.host_dispatch, with its module
// name.
type hostDispatchJSON struct {
	Handler string             `json:"handler"`
	Sites   []dispatchSiteJSON `json:"sites,omitempty"`
}

type dispatchSiteJSON struct {
	Hosts  []string            `json:"hosts,omitempty"`
	Routes caddyhttp.RouteList `json:"routes,omitempty"`
}

// module is caddyconfig.JSONModuleObject(v, key, name), made once for
// each distinct value: most sites share most of their handlers' settings,
// and a catalog of 10,000 sites would otherwise encode the same JSON
// tens of thousands of times. The result must not be modified.
func (b *builder) module(v any, key, name string) json.RawMessage {
	settings, err := json.Marshal(v)
	if err != nil {
		return caddyconfig.JSONModuleObject(v, key, name, &b.warnings) // reports the error
	}
	id := key + "\x00" + name + "\x00" + string(settings)
	if m, ok := b.modules[id]; ok {
		return m
	}
	m := caddyconfig.JSONModuleObject(v, key, name, &b.warnings)
	b.modules[id] = m
	return m
}

// requireModule reports, at the place the feature was configured, when the
// module a feature needs is not in this build.
func requireModule(errs *errorList, where at, feature, id string) bool {
	if !moduleRegistered(id) {
		errs.add(where, "%s needs the module %s, which this frontdoor build does not include", feature, id)
		return false
	}
	return true
}

// moduleRegistered reports whether a module is in this build. Tests replace
// it to check the error a build without a module gives.
var moduleRegistered = func(id string) bool {
	_, err := caddy.GetModule(id)
	return err == nil
}

// handlers builds a site's handler chain in frontdoor's directive order
// (modules/internal/directives): access_log, trace_id, visitor_info, throttle,
// visitor_redirect, maintenance, waiting_room, then the site's own:
// headers, then reverse_proxy or a static response.
func (b *builder) handlers(s *site) []json.RawMessage {
	errs := b.errs
	var out []json.RawMessage
	add := func(v any, name string) {
		out = append(out, b.module(v, "handler", name))
	}

	if s.Log != nil {
		// First: every response is logged, a 429 or a redirect too.
		if h := b.accessLog(s); h != nil {
			out = append(out, h)
		}
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
	if th := s.Throttle; th != nil && requireModule(errs, th.At, "throttle", "http.handlers.throttle") {
		add(b.throttle(s, th), "throttle")
	}
	if r := s.Redirects; r != nil && requireModule(errs, r.At, "redirects", "http.handlers.visitor_redirect") {
		add(b.redirects(s, r), "visitor_redirect")
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
			OnStateError: m.OnStateError.v,
		}
		if j.Name == "" {
			j.Name = s.name
		} else if !stateNameRE.MatchString(j.Name) {
			errs.add(m.Name.at, "site %q: maintenance name %q: use 1 to 64 letters, digits, _, . or -, starting with a letter or digit", s.name, j.Name)
		}
		if m.Status != 0 && (m.Status < 400 || m.Status > 599) {
			errs.add(m.At, "site %q: maintenance status %d: expected a 4xx or 5xx status", s.name, m.Status)
		}
		// A secret with placeholders is checked when the config loads.
		if sec := j.BypassSecret; sec != "" && !strings.Contains(sec, "{") {
			if n := utf8.RuneCountInString(sec); n < minBypassSecret {
				errs.add(m.BypassSecret.at, "site %q: maintenance bypass_secret is too short (%d characters): use at least %d characters, random ones, best through a placeholder such as {env.FD_BYPASS}", s.name, n, minBypassSecret)
			}
		}
		switch j.OnStateError {
		case "", "keep", "closed", "open":
		default:
			errs.add(m.OnStateError.at, "site %q: maintenance on_state_error %q: expected keep, closed or open", s.name, j.OnStateError)
		}
		add(j, "maintenance")
	}
	if w := s.WaitingRoom; w != nil && requireModule(errs, w.At, "waiting_room", "http.handlers.waiting_room") {
		add(b.waitingRoom(s, w))
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

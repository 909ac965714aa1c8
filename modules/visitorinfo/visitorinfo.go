// Package visitorinfo is the visitor_info HTTP handler: it tells the rest of
// the route, the upstream and the access log where the client is and what
// device it uses.
package visitorinfo

import (
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zapcore"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/frontdoor-gateway/frontdoor/modules/geoipapp"
	"github.com/frontdoor-gateway/frontdoor/modules/internal/logfields"
	"github.com/frontdoor-gateway/frontdoor/modules/internal/visitor"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// Default upstream header names.
const (
	DefaultCountryHeader = "X-Geo-Country"
	DefaultDeviceHeader  = "X-Device-Type"
)

// Handler adds the visitor's country and device to the request. The country
// comes from the client IP that Caddy resolved (the connection's address, or
// the forwarded one only when the peer is a trusted proxy) looked up in the
// geoip app; the device from User-Agent Client Hints, else the User-Agent.
//
// It sets these placeholders, computed when first used and cached for the
// request:
//
//	{geo.country_code}  ISO 3166-1 alpha-2 code, empty when unknown
//	{geo.asn}           autonomous system number, empty without an ASN database
//	{geo.asn_org}       autonomous system organization
//	{device.type}       mobile, tablet, desktop, tv, bot or other
//	{device.os}         android, ios, ipados, windows, macos, linux, chromeos or other
//
// It removes any copies of the country and device headers the client sent
// (also spelled with underscores) and sends the real values upstream; the
// country header is left out when the country is unknown. It adds the fields
// "country" and "device" to the access log entry and counts the request in
// frontdoor_visitor_requests_total{country,device}.
//
// Responses ask browsers for the client hints the device classifier reads
// (Accept-CH: Sec-CH-UA-Form-Factors, Sec-CH-UA-Model, Sec-CH-UA-Platform,
// Sec-CH-UA-Mobile), merged into any Accept-CH the response already has
// without repeating a hint; Chromium browsers send Sec-CH-UA-Form-Factors
// and Sec-CH-UA-Model only to a site that asks.
type Handler struct {
	// CountryHeader is the request header that carries the country code to
	// the upstream. Default: X-Geo-Country.
	CountryHeader string `json:"country_header,omitempty"`

	// DeviceHeader is the request header that carries the device class to
	// the upstream. Default: X-Device-Type.
	DeviceHeader string `json:"device_header,omitempty"`

	// DisableHeaders leaves the request headers alone: nothing is stripped
	// or set. Placeholders, log fields and metrics still work. Default: false.
	DisableHeaders bool `json:"disable_headers,omitempty"`

	// DisableClientHints leaves the Accept-CH response header alone. By
	// default the handler adds Sec-CH-UA-Form-Factors, Sec-CH-UA-Model,
	// Sec-CH-UA-Platform and Sec-CH-UA-Mobile to it (keeping the hints
	// already listed, never listing one twice), so that browsers send those
	// hints on their next requests and tablets and phones are told apart
	// by what the browser says rather than by its User-Agent.
	// Default: false.
	DisableClientHints bool `json:"disable_client_hints,omitempty"`

	geo     *geoipapp.App
	metrics *metrics
	country string // canonical header names
	device  string
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.visitor_info",
		New: func() caddy.Module { return new(Handler) },
	}
}

// Provision sets defaults and obtains the geoip app.
func (h *Handler) Provision(ctx caddy.Context) error {
	geo, err := geoipapp.Get(ctx)
	if err != nil {
		return err
	}
	return h.provision(geo, ctx.GetMetricsRegistry())
}

func (h *Handler) provision(geo *geoipapp.App, reg prometheus.Registerer) error {
	if h.CountryHeader == "" {
		h.CountryHeader = DefaultCountryHeader
	}
	if h.DeviceHeader == "" {
		h.DeviceHeader = DefaultDeviceHeader
	}
	h.country = http.CanonicalHeaderKey(h.CountryHeader)
	h.device = http.CanonicalHeaderKey(h.DeviceHeader)
	h.geo = geo
	m, err := newMetrics(reg)
	if err != nil {
		return err
	}
	h.metrics = m
	return nil
}

// Validate checks the header names.
func (h *Handler) Validate() error {
	for _, name := range []string{h.CountryHeader, h.DeviceHeader} {
		if !validHeaderName(name) {
			return errBadHeader(name)
		}
	}
	if h.country == h.device {
		return errSameHeader(h.CountryHeader)
	}
	return nil
}

// ServeHTTP adds the visitor to the request and calls the next handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	ctx := r.Context()
	vars, _ := ctx.Value(caddyhttp.VarsCtxKey).(map[string]any)
	info := visitor.Of(vars, r.Header, h.geo)
	if repl, ok := ctx.Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		repl.Map(info.Placeholder)
	}

	country := info.Country()
	dev := info.Device().Type
	if !h.DisableHeaders {
		h.stripClientCopies(r.Header)
		// One backing array for both values, in the request's Info; each
		// slice is capped at its own element, so an append to one never
		// touches the other.
		vals := info.HeaderValues()
		vals[0], vals[1] = country, dev.String()
		if country != "" {
			r.Header[h.country] = vals[0:1:1]
		}
		r.Header[h.device] = vals[1:2:2]
	}
	if e := logfields.Of(ctx, info.LogSpare()); e != nil {
		e.SetVisitor(logFields{info})
	}
	h.metrics.observe(country, dev)
	if !h.DisableClientHints {
		w = info.AskHints(w)
	}
	return next.ServeHTTP(w, r)
}

// logFields adds "country" and "device" to a log entry.
type logFields struct{ info *visitor.Info }

// MarshalLogObject implements zapcore.ObjectMarshaler.
func (f logFields) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("country", f.info.Country())
	enc.AddString("device", f.info.Device().Type.String())
	return nil
}

// stripClientCopies removes the client's own country and device headers,
// including spellings with underscores, which some upstreams (CGI, PHP,
// nginx with underscores_in_headers) treat as the same header.
func (h *Handler) stripClientCopies(hdr http.Header) {
	delete(hdr, h.country)
	delete(hdr, h.device)
	for k := range hdr {
		if strings.IndexByte(k, '_') < 0 {
			continue
		}
		if sameHeader(k, h.country) || sameHeader(k, h.device) {
			delete(hdr, k)
		}
	}
}

// sameHeader compares header names case-insensitively, with '_' equal to '-'.
func sameHeader(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == '_' {
			x = '-'
		}
		if y == '_' {
			y = '-'
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
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

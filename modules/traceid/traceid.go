// Package traceid implements the trace_id HTTP handler: every request gets a
// W3C trace id (kept from a trusted proxy's traceparent, else a new random
// one) that travels upstream, comes back in X-Request-ID and tags the access
// log entry.
package traceid

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"unsafe"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/logfields"
	"github.com/frontdoor-gateway/frontdoor/modules/internal/traceparent"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// Values of Handler.TrustIncoming.
const (
	TrustTrustedProxies = "trusted_proxies"
	TrustAlways         = "always"
	TrustNever          = "never"
)

// VarName is the request variable that holds the trace id; it is the
// placeholder {http.vars.trace_id}.
const VarName = "trace_id"

// doneVar marks a request that a trace_id handler has tagged. It is not
// VarName: Caddy's tracing handler sets that one too.
const doneVar = "frontdoor.trace_id"

// LogField is the access log field that holds the trace id.
const LogField = logfields.TraceIDField

// RequestIDHeader is sent upstream and returned to the client.
const RequestIDHeader = "X-Request-Id"

// Handler gives every request a W3C trace id. A valid incoming
// `traceparent` header is kept when TrustIncoming allows it; otherwise (and
// whenever the header is malformed: wrong length, all-zero ids, version ff,
// upper-case or non-hex digits, or more than one header) a new trace with 16
// random bytes is started and any incoming `tracestate` is removed.
//
// Upstream requests carry `traceparent` (same trace id, a new span id) and
// `X-Request-ID` (the 32 hex digit trace id, replacing any incoming value).
// The response carries `X-Request-ID`, and the access log entry gains the
// field `trace_id`.
//
// Placeholders set by this handler:
//
// Placeholder | Description
// ------------|-------------
// `{http.vars.trace_id}` | The request's trace id: 32 lowercase hex digits
type Handler struct {
	// TrustIncoming decides when an incoming traceparent is kept:
	// "trusted_proxies" (default) keeps it only when the request came
	// from one of the server's trusted_proxies, "always" keeps any valid
	// one, "never" always starts a new trace.
	TrustIncoming string `json:"trust_incoming,omitempty"`

	trust trustMode
}

type trustMode uint8

const (
	trustProxies trustMode = iota
	trustAlways
	trustNever
)

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.trace_id",
		New: func() caddy.Module { return new(Handler) },
	}
}

// Provision sets up the handler.
func (h *Handler) Provision(caddy.Context) error {
	mode, err := parseTrust(h.TrustIncoming)
	if err != nil {
		return err
	}
	h.trust = mode
	return nil
}

func parseTrust(s string) (trustMode, error) {
	switch s {
	case "", TrustTrustedProxies:
		return trustProxies, nil
	case TrustAlways:
		return trustAlways, nil
	case TrustNever:
		return trustNever, nil
	}
	return 0, fmt.Errorf("trust_incoming: unknown value %q (want %s, %s or %s)",
		s, TrustTrustedProxies, TrustAlways, TrustNever)
}

// ServeHTTP tags the request with its trace id and calls next.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	ctx := r.Context()
	if done, _ := caddyhttp.GetVar(ctx, doneVar).(bool); done {
		// An earlier trace_id handler in this request already did the work.
		return next.ServeHTTP(w, r)
	}
	caddyhttp.SetVar(ctx, doneVar, true)

	rw := &requestIDWriter{ResponseWriterWrapper: caddyhttp.ResponseWriterWrapper{ResponseWriter: w}}
	if otel, ok := caddyhttp.GetVar(ctx, VarName).(string); ok && traceparent.ValidTraceID(otel) && h.trusts(r) {
		// Caddy's tracing handler ran first (in a route that puts it
		// there): its span is the trace, and it has sent its traceparent
		// upstream already. Use its trace id, but only where trace_id
		// would have kept the incoming traceparent itself: tracing
		// continues any client's trace, and this request's sender may not
		// choose the trace id. Otherwise a new trace starts below and
		// replaces tracing's traceparent upstream.
		rw.vals = [...]string{"", otel, otel}
		return h.tag(ctx, rw, r, next)
	}

	tp, keep := h.incoming(r)
	if !keep {
		tp = traceparent.TraceParent{TraceID: traceparent.NewTraceID(), Flags: 0x01}
		delete(r.Header, "Tracestate")
	}
	tp.SpanID = traceparent.NewSpanID()

	// The wrapper is the request's one allocation: it holds the traceparent
	// text (the trace id is its bytes 3..35), the three header values, each
	// capped at its own element so that an append to one never touches the
	// others, and the access-log fields.
	text := tp.AppendTo(rw.text[:0])
	// The bytes are never written again: a string may share them.
	header := unsafe.String(unsafe.SliceData(text), len(text))
	id := header[3:35]
	rw.vals = [...]string{header, id, id}
	r.Header["Traceparent"] = rw.vals[0:1:1]
	caddyhttp.SetVar(ctx, VarName, id)
	return h.tag(ctx, rw, r, next)
}

// tag sends the trace id in rw.vals upstream and back as X-Request-ID, puts
// it in the access log, and calls next.
func (h *Handler) tag(ctx context.Context, rw *requestIDWriter, r *http.Request, next caddyhttp.Handler) error {
	id := rw.vals[1]
	rw.id = rw.vals[2:3:3]
	r.Header[RequestIDHeader] = rw.vals[1:2:2]
	rw.ResponseWriter.Header()[RequestIDHeader] = rw.id
	if e := logfields.Of(ctx, &rw.log); e != nil {
		e.SetTraceID(id)
	}
	return next.ServeHTTP(rw, r)
}

// requestIDWriter sets X-Request-ID again when the response header is
// written, so that an upstream that echoes the header (reverse_proxy adds
// the upstream's values) does not leave two values.
type requestIDWriter struct {
	caddyhttp.ResponseWriterWrapper
	id          []string              // the header value, capped: appends copy it
	text        [traceparent.Len]byte // the traceparent header value
	vals        [3]string             // traceparent, request and response X-Request-ID
	wroteHeader bool
	log         logfields.Entry // the access-log fields, if trace_id is first
}

// WriteHeader replaces any X-Request-ID value with the request's trace id.
func (w *requestIDWriter) WriteHeader(status int) {
	if !w.wroteHeader {
		// Only when the value changed: an assignment can grow the map.
		if hdr := w.Header(); len(hdr[RequestIDHeader]) != 1 || hdr[RequestIDHeader][0] != w.id[0] {
			hdr[RequestIDHeader] = w.id
		}
		w.wroteHeader = status >= 200 || status == http.StatusSwitchingProtocols
	}
	w.ResponseWriterWrapper.WriteHeader(status)
}

// Write writes the header first, as an http.ResponseWriter does.
func (w *requestIDWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriterWrapper.Write(b)
}

// ReadFrom writes the header first, as an http.ResponseWriter does.
func (w *requestIDWriter) ReadFrom(r io.Reader) (int64, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriterWrapper.ReadFrom(r)
}

// trusts reports whether the request's sender may choose its trace id.
func (h *Handler) trusts(r *http.Request) bool {
	switch h.trust {
	case trustAlways:
		return true
	case trustNever:
		return false
	}
	trusted, _ := caddyhttp.GetVar(r.Context(), caddyhttp.TrustedProxyVarKey).(bool)
	return trusted
}

// incoming returns the request's traceparent when it may be kept.
func (h *Handler) incoming(r *http.Request) (traceparent.TraceParent, bool) {
	values := r.Header["Traceparent"]
	if len(values) != 1 || !h.trusts(r) {
		return traceparent.TraceParent{}, false
	}
	return traceparent.Parse(values[0])
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
	_ http.ResponseWriter         = (*requestIDWriter)(nil)
	_ io.ReaderFrom               = (*requestIDWriter)(nil)
	_ http.Pusher                 = (*requestIDWriter)(nil)
)

package traceid

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/traceparent"
)

const (
	incomingID = "4bf92f3577b34da6a3ce929d0e0e4736"
	incoming   = "00-" + incomingID + "-00f067aa0ba902b7-01"
)

var hexID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// upstream records what the next handler saw.
type upstream struct {
	header http.Header
	varID  string
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) error {
	u.header = r.Header.Clone()
	u.varID, _ = caddyhttp.GetVar(r.Context(), VarName).(string)
	return nil
}

func newRequest(trusted bool, headers map[string][]string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://example.com/", nil)
	for k, v := range headers {
		r.Header[k] = v
	}
	vars := map[string]any{caddyhttp.TrustedProxyVarKey: trusted}
	ctx := context.WithValue(r.Context(), caddyhttp.VarsCtxKey, vars)
	ctx = context.WithValue(ctx, caddyhttp.ExtraLogFieldsCtxKey, new(caddyhttp.ExtraLogFields))
	r = r.WithContext(ctx)
	caddyhttp.NewTestReplacer(r)
	return r
}

func TestServeHTTP(t *testing.T) {
	tests := []struct {
		name    string
		trust   string
		trusted bool
		headers map[string][]string
		keep    bool
	}{
		{"trusted proxy, valid", "", true, map[string][]string{"Traceparent": {incoming}, "Tracestate": {"a=b"}}, true},
		{"untrusted peer, valid", "", false, map[string][]string{"Traceparent": {incoming}, "Tracestate": {"a=b"}}, false},
		{"always, untrusted peer", TrustAlways, false, map[string][]string{"Traceparent": {incoming}}, true},
		{"never, trusted proxy", TrustNever, true, map[string][]string{"Traceparent": {incoming}}, false},
		{"no header", TrustAlways, true, nil, false},
		{"two headers", TrustAlways, true, map[string][]string{"Traceparent": {incoming, incoming}}, false},
		{"short", TrustAlways, true, map[string][]string{"Traceparent": {incoming[:54]}}, false},
		{"zero trace id", TrustAlways, true, map[string][]string{"Traceparent": {"00-00000000000000000000000000000000-00f067aa0ba902b7-01"}}, false},
		{"zero span id", TrustAlways, true, map[string][]string{"Traceparent": {"00-" + incomingID + "-0000000000000000-01"}}, false},
		{"version ff", TrustAlways, true, map[string][]string{"Traceparent": {"ff-" + incomingID + "-00f067aa0ba902b7-01"}}, false},
		{"non-hex", TrustAlways, true, map[string][]string{"Traceparent": {"00-" + incomingID[:31] + "g-00f067aa0ba902b7-01"}}, false},
		{"spoofed request id", TrustNever, false, map[string][]string{"X-Request-Id": {"attacker"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &Handler{TrustIncoming: tt.trust}
			if err := h.Provision(caddy.Context{}); err != nil {
				t.Fatal(err)
			}
			r := newRequest(tt.trusted, tt.headers)
			w := httptest.NewRecorder()
			next := new(upstream)
			if err := h.ServeHTTP(w, r, next); err != nil {
				t.Fatal(err)
			}

			id := w.Header().Get("X-Request-ID")
			if !hexID.MatchString(id) {
				t.Fatalf("X-Request-ID = %q, want 32 hex digits", id)
			}
			if got := next.header.Get("X-Request-ID"); got != id {
				t.Fatalf("upstream X-Request-ID = %q, want %q", got, id)
			}
			if next.varID != id {
				t.Fatalf("{http.vars.trace_id} = %q, want %q", next.varID, id)
			}
			if keep := id == incomingID; keep != tt.keep {
				t.Fatalf("trace id %s kept = %v, want %v", id, keep, tt.keep)
			}
			up := next.header.Values("Traceparent")
			if len(up) != 1 {
				t.Fatalf("upstream traceparent = %q, want one value", up)
			}
			tp, ok := traceparent.Parse(up[0])
			if !ok {
				t.Fatalf("upstream traceparent %q is not valid", up[0])
			}
			if tp.TraceID.String() != id {
				t.Fatalf("upstream traceparent %q does not carry trace id %s", up[0], id)
			}
			if up[0] == incoming {
				t.Fatal("upstream traceparent reuses the incoming span id, want a new one")
			}
			if !tt.keep && next.header.Get("Tracestate") != "" {
				t.Fatal("tracestate of a replaced traceparent was propagated")
			}
			if tt.keep && tt.headers["Tracestate"] != nil && next.header.Get("Tracestate") != "a=b" {
				t.Fatal("tracestate of a kept traceparent was dropped")
			}
		})
	}
}

func TestUpstreamEchoKeepsOneRequestID(t *testing.T) {
	h := &Handler{}
	if err := h.Provision(caddy.Context{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		write func(w http.ResponseWriter, id string)
	}{
		{"WriteHeader", func(w http.ResponseWriter, id string) {
			w.Header().Add("X-Request-Id", id)
			w.WriteHeader(http.StatusAccepted)
		}},
		{"Write", func(w http.ResponseWriter, id string) {
			w.Header().Add("X-Request-Id", "upstream-own-id")
			w.Write([]byte("body"))
		}},
		{"ReadFrom", func(w http.ResponseWriter, id string) {
			w.Header().Add("X-Request-Id", id)
			w.(io.ReaderFrom).ReadFrom(strings.NewReader("body"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRequest(false, nil)
			w := httptest.NewRecorder()
			next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
				tt.write(w, r.Header.Get("X-Request-Id"))
				return nil
			})
			if err := h.ServeHTTP(w, r, next); err != nil {
				t.Fatal(err)
			}
			got := w.Result().Header.Values("X-Request-Id")
			if len(got) != 1 || !hexID.MatchString(got[0]) {
				t.Fatalf("response X-Request-ID = %q, want the trace id once", got)
			}
		})
	}
}

func TestSecondHandlerKeepsID(t *testing.T) {
	h := &Handler{}
	if err := h.Provision(caddy.Context{}); err != nil {
		t.Fatal(err)
	}
	r := newRequest(false, nil)
	w := httptest.NewRecorder()
	next := new(upstream)
	inner := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		return h.ServeHTTP(w, r, next)
	})
	if err := h.ServeHTTP(w, r, inner); err != nil {
		t.Fatal(err)
	}
	if id := w.Header().Get("X-Request-ID"); next.varID != id || next.header.Get("X-Request-ID") != id {
		t.Fatalf("a second trace_id handler changed the id: response %s, upstream %s", id, next.header.Get("X-Request-ID"))
	}
}

// TestAfterCaddyTracing: Caddy's tracing handler, when a route runs it
// first, sets {http.vars.trace_id} and sends its own traceparent upstream,
// continuing any incoming trace. trace_id uses that trace id only where it
// would have kept the incoming traceparent itself (trust_incoming); for
// anyone else it starts a new trace, so a client never chooses the id.
func TestAfterCaddyTracing(t *testing.T) {
	const otelParent = "00-" + incomingID + "-b7ad6b7169203331-01"
	for _, tt := range []struct {
		name, trust, otelID string
		trusted             bool
		adopt               bool
		want                string // the trace id when not adopted; "" = a new one
	}{
		{"trusted proxy: tracing's id is used", "", incomingID, true, true, ""},
		{"trust always: tracing's id is used", TrustAlways, incomingID, false, true, ""},
		{"untrusted client: a new trace", "", incomingID, false, false, ""},
		{"trust never: a new trace", TrustNever, incomingID, true, false, ""},
		// From a trusted proxy the traceparent upstream is kept.
		{"an all-zero id is not used", "", "00000000000000000000000000000000", true, false, incomingID},
		{"nor a malformed one", "", "4BF92F3577B34DA6A3CE929D0E0E4736", true, false, incomingID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := &Handler{TrustIncoming: tt.trust}
			if err := h.Provision(caddy.Context{}); err != nil {
				t.Fatal(err)
			}
			r := newRequest(tt.trusted, map[string][]string{"Traceparent": {otelParent}})
			caddyhttp.SetVar(r.Context(), VarName, tt.otelID)
			w := httptest.NewRecorder()
			next := new(upstream)
			if err := h.ServeHTTP(w, r, next); err != nil {
				t.Fatal(err)
			}
			id := w.Header().Get("X-Request-ID")
			if next.header.Get("X-Request-ID") != id || next.varID != id {
				t.Fatalf("response id %q, upstream %q, var %q: want one id", id, next.header.Get("X-Request-ID"), next.varID)
			}
			if tt.adopt {
				if id != tt.otelID || next.header.Get("Traceparent") != otelParent {
					t.Fatalf("id %q, traceparent %q: want tracing's %s and its traceparent untouched", id, next.header.Get("Traceparent"), tt.otelID)
				}
				return
			}
			tp, ok := traceparent.Parse(next.header.Get("Traceparent"))
			if id == tt.otelID || !ok || tp.TraceID.String() != id {
				t.Fatalf("id %q, traceparent %q: want a valid trace, not tracing's %q", id, next.header.Get("Traceparent"), tt.otelID)
			}
			if (tt.want == "" && id == incomingID) || (tt.want != "" && id != tt.want) {
				t.Fatalf("id %q: want %q (empty: a new trace)", id, tt.want)
			}
		})
	}
}

func TestUniqueIDs(t *testing.T) {
	h := &Handler{}
	if err := h.Provision(caddy.Context{}); err != nil {
		t.Fatal(err)
	}
	seen := make(map[string]bool)
	for range 500 {
		w := httptest.NewRecorder()
		if err := h.ServeHTTP(w, newRequest(false, nil), new(upstream)); err != nil {
			t.Fatal(err)
		}
		id := w.Header().Get("X-Request-ID")
		if seen[id] {
			t.Fatalf("trace id %s repeated", id)
		}
		seen[id] = true
	}
}

func TestUnmarshalCaddyfile(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		want    string
		wantErr bool
	}{
		{"bare", "trace_id", "", false},
		{"always", "trace_id {\n trust_incoming always\n}", TrustAlways, false},
		{"never", "trace_id {\n trust_incoming never\n}", TrustNever, false},
		{"unknown mode", "trace_id {\n trust_incoming sometimes\n}", "", true},
		{"missing mode", "trace_id {\n trust_incoming\n}", "", true},
		{"argument", "trace_id now", "", true},
		{"unknown subdirective", "trace_id {\n header X-Trace\n}", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Handler
			err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.input))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && h.TrustIncoming != tt.want {
				t.Fatalf("trust_incoming = %q, want %q", h.TrustIncoming, tt.want)
			}
		})
	}
}

func TestProvisionRejectsUnknownTrust(t *testing.T) {
	h := &Handler{TrustIncoming: "sometimes"}
	if err := h.Provision(caddy.Context{}); err == nil {
		t.Fatal("Provision accepted trust_incoming sometimes")
	}
}

func BenchmarkServeHTTP(b *testing.B) {
	for _, bc := range []struct {
		name    string
		headers map[string][]string
	}{
		{"new trace", nil},
		{"kept trace", map[string][]string{"Traceparent": {incoming}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h := &Handler{TrustIncoming: TrustAlways}
			if err := h.Provision(caddy.Context{}); err != nil {
				b.Fatal(err)
			}
			next := caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil })
			r := newRequest(true, bc.headers)
			vars := r.Context().Value(caddyhttp.VarsCtxKey).(map[string]any)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				delete(vars, VarName)
				r.Header["Traceparent"] = bc.headers["Traceparent"]
				if err := h.ServeHTTP(w, r, next); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package fastjson

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/caddy/v2/modules/logging"
)

func ptr(s string) *string { return &s }

// configs are encoder settings as users write them in a log's format.
var configs = map[string]logging.LogEncoderConfig{
	"default":         {},
	"rfc3339 ms":      {TimeFormat: "rfc3339_nano", DurationFormat: "ms", LevelFormat: "upper"},
	"iso8601 string":  {TimeFormat: "iso8601", DurationFormat: "string", LevelFormat: "color"},
	"wall local ns":   {TimeFormat: "wall_milli", TimeLocal: true, DurationFormat: "ns"},
	"milli float":     {TimeFormat: "unix_milli_float", DurationFormat: "seconds", LevelFormat: "lower"},
	"nano custom":     {TimeFormat: "unix_nano", DurationFormat: "bogus", LevelFormat: "bogus"},
	"renamed keys":    {MessageKey: ptr("message"), LevelKey: ptr("severity"), TimeKey: ptr("time"), NameKey: ptr("name"), CallerKey: ptr("at"), StacktraceKey: ptr("trace"), LineEnding: ptr("\r\n")},
	"no keys":         {MessageKey: ptr(""), LevelKey: ptr(""), TimeKey: ptr(""), NameKey: ptr(""), CallerKey: ptr(""), StacktraceKey: ptr("")},
	"layout":          {TimeFormat: "2006-01-02 \"15:04\""},
	"common log, raw": {TimeFormat: "common_log", LineEnding: ptr("")},
}

type object struct {
	name string
	n    int
	ns   bool
}

func (o object) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("name", o.name)
	if o.ns {
		enc.OpenNamespace("inner")
		enc.AddInt("n", o.n)
		return enc.AddObject("deeper", object{name: "x"})
	}
	enc.AddInt("n", o.n)
	return nil
}

type array []any

func (a array) MarshalLogArray(enc zapcore.ArrayEncoder) error {
	for _, v := range a {
		switch v := v.(type) {
		case string:
			enc.AppendString(v)
		case int:
			enc.AppendInt(v)
		case float32:
			enc.AppendFloat32(v)
		case bool:
			enc.AppendBool(v)
		case time.Duration:
			enc.AppendDuration(v)
		case time.Time:
			enc.AppendTime(v)
		case complex64:
			enc.AppendComplex64(v)
		case []byte:
			enc.AppendByteString(v)
		case object:
			if err := enc.AppendObject(v); err != nil {
				return err
			}
		case array:
			if err := enc.AppendArray(v); err != nil {
				return err
			}
		default:
			if err := enc.AppendReflected(v); err != nil {
				return err
			}
		}
	}
	return nil
}

type stringer string

func (s stringer) String() string { return string(s) }

type verboseError struct{ msg string }

func (e verboseError) Error() string { return e.msg }
func (e verboseError) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('+') {
		fmt.Fprintf(f, "%s\nwith details", e.msg)
		return
	}
	fmt.Fprint(f, e.msg)
}

var when = time.Date(2026, 12, 1, 13, 14, 15, 123456789, time.UTC)

// fieldSets are fields of every kind zap has, and strings that need
// escaping.
var fieldSets = [][]zapcore.Field{
	nil,
	{zap.String("s", "plain"), zap.String("quote", `a"b\c`), zap.String("ctl", "a\nb\rc\td\x00e\x1f"), zap.String("bad", "a\xffb\xc3"), zap.String("uni", "héllo ☃ \u2028 <&>")},
	{zap.Int("i", -42), zap.Int64("i64", math.MinInt64), zap.Uint64("u64", math.MaxUint64), zap.Int8("i8", 8), zap.Uint16("u16", 16), zap.Uintptr("p", 0xdead)},
	{zap.Float64("f", 3.14159), zap.Float64("nan", math.NaN()), zap.Float64("inf", math.Inf(1)), zap.Float64("ninf", math.Inf(-1)), zap.Float32("f32", 1.5), zap.Float32("f32 tenth", 0.1), zap.Float64("big", 1e21), zap.Float64("tiny", 1e-7)},
	{zap.Complex128("c", complex(1, -2)), zap.Complex64("c64", complex(-1.5, 2.5)), zap.Bool("t", true), zap.Bool("f", false)},
	{zap.Duration("d", 1500*time.Millisecond), zap.Duration("neg", -time.Microsecond), zap.Time("t", when), zap.Time("zero", time.Time{})},
	{zap.Binary("bin", []byte{0, 1, 2, 250}), zap.ByteString("bs", []byte("byte \"string\"\n\xff"))},
	{zap.Strings("ss", []string{"a", "b\"", ""}), zap.Ints("is", []int{1, 2, 3}), zap.Array("mixed", array{"x", 1, float32(2.5), true, time.Second, when, complex64(1 + 1i), []byte("b"), object{name: "o", n: 1}, array{}, map[string]int{"b": 2, "a": 1}})},
	{zap.Object("obj", object{name: "n\"ame", n: 7}), zap.Object("ns obj", object{name: "with namespace", n: 1, ns: true}), zap.Inline(object{name: "inline", n: 2})},
	{zap.Namespace("outer"), zap.String("inside", "yes"), zap.Object("o", object{name: "o"}), zap.Namespace("outer2"), zap.Int("deep", 1)},
	{zap.Any("map", map[string]any{"z": 1, "a": []int{1}}), zap.Reflect("struct", struct {
		A string `json:"a"`
		B []int
	}{"<html>", []int{1}}), zap.Reflect("nil", nil), zap.Any("chan", make(chan int))},
	{zap.Error(errors.New("boom")), zap.NamedError("verbose", verboseError{"v"}), zap.Error(errors.Join(errors.New("one"), errors.New("two"))), zap.Stringer("str", stringer("stringer")), zap.Skip()},
	{zap.Any("any string", "s"), zap.Any("any int", 1), zap.Any("any dur", time.Second), zap.Any("any obj", object{name: "a"}), zap.Stack("stackfield")},
}

// entries cover the entry's own parts: level, time, logger, caller,
// message, stack.
var entries = []zapcore.Entry{
	{Level: zapcore.InfoLevel, Time: when, LoggerName: "http.log.access.log0", Message: "handled request"},
	{Level: zapcore.ErrorLevel, Time: when, Message: "msg with \"quotes\"\n"},
	{Level: zapcore.DebugLevel, LoggerName: "x", Message: ""},
	{Level: zapcore.WarnLevel, Time: when, Caller: zapcore.NewEntryCaller(0, "/src/github.com/x/y/file.go", 42, true), Stack: "goroutine 1\n\tmain.go:1"},
	{Level: zapcore.Level(42), Time: time.Unix(0, 1), Message: "odd level"},
}

func zapJSON(lec logging.LogEncoderConfig) zapcore.Encoder {
	return zapcore.NewJSONEncoder(lec.ZapcoreEncoderConfig())
}

// encode writes entry through enc after adding with to a clone, as a
// logger's With does.
func encode(t *testing.T, enc zapcore.Encoder, with [][]zapcore.Field, ent zapcore.Entry, fields []zapcore.Field) string {
	t.Helper()
	for _, w := range with {
		enc = enc.Clone()
		for _, f := range w {
			f.AddTo(enc)
		}
	}
	buf, err := enc.EncodeEntry(ent, fields)
	if err != nil {
		t.Fatalf("EncodeEntry: %v", err)
	}
	defer buf.Free()
	return buf.String()
}

// TestSameBytesAsCaddysJSON encodes entries with every kind of field,
// added with With and with the entry, through Caddy's json encoder (zap's
// JSON encoder with Caddy's settings) and fast_json: the bytes must be
// the same, for every configuration.
func TestSameBytesAsCaddysJSON(t *testing.T) {
	for name, lec := range configs {
		for ei, ent := range entries {
			for wi := range fieldSets {
				for fi := range fieldSets {
					with := [][]zapcore.Field{fieldSets[wi]}
					if wi%3 == 0 {
						with = append(with, fieldSets[(wi+1)%len(fieldSets)]) // two Withs
					}
					want := encode(t, zapJSON(lec), with, ent, fieldSets[fi])
					got := encode(t, newEncoder(lec), with, ent, fieldSets[fi])
					if got != want {
						t.Fatalf("%s, entry %d, with set %d, fields set %d:\nfast_json: %s\njson:      %s", name, ei, wi, fi, got, want)
					}
				}
			}
		}
	}
}

// A clone's fields are its own: adding to one does not change another
// made from the same parent.
func TestClonesIndependent(t *testing.T) {
	base := newEncoder(logging.LogEncoderConfig{}).Clone()
	zap.String("base", "b").AddTo(base)
	a, b := base.Clone(), base.Clone()
	zap.String("a", "1").AddTo(a)
	zap.String("b", "2").AddTo(b)
	ent := zapcore.Entry{Message: "m"}
	for enc, want := range map[zapcore.Encoder]string{
		base: `{"level":"info","msg":"m","base":"b"}` + "\n",
		a:    `{"level":"info","msg":"m","base":"b","a":"1"}` + "\n",
		b:    `{"level":"info","msg":"m","base":"b","b":"2"}` + "\n",
	} {
		if got := encode(t, enc, nil, ent, nil); got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}

// accessRequest is a request as Caddy's server holds it when it logs:
// with the client IP variable, and optionally TLS state, a chunked body
// and credentials.
func accessRequest(headers http.Header, withTLS bool) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "https://shop.example.com/p?q=%22x%22", nil)
	r.RemoteAddr = "203.0.113.9:51234"
	r.RequestURI = "/p?q=%22x%22"
	r.Header = headers
	r.TLS = nil
	if withTLS {
		r.TransferEncoding = []string{"chunked"}
		r.TLS = &tls.ConnectionState{
			Version: tls.VersionTLS13, CipherSuite: tls.TLS_AES_128_GCM_SHA256, NegotiatedProtocol: "h2",
			ServerName: "shop.example.com", DidResume: true,
			PeerCertificates: []*x509.Certificate{{Subject: pkix.Name{CommonName: "client \"one\""}, SerialNumber: big.NewInt(123456789)}},
		}
	}
	vars := map[string]any{caddyhttp.ClientIPVarKey: "198.51.100.7"}
	return r.WithContext(contextWithVars(r, vars))
}

// accessFields are the fields of Caddy's access entry (Server.logRequest)
// and frontdoor's.
func accessFields(resp http.Header, creds bool) []zapcore.Field {
	return []zapcore.Field{
		zap.Int("bytes_read", 12), zap.String("user_id", ""), zap.Duration("duration", 1234567*time.Nanosecond),
		zap.Int("size", 3), zap.Int("status", 200),
		zap.Object("resp_headers", caddyhttp.LoggableHTTPHeader{Header: resp, ShouldLogCredentials: creds}),
		zap.Inline(frontdoorFields{}),
	}
}

type frontdoorFields struct{}

func (frontdoorFields) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")
	enc.AddString("country", "KR")
	enc.AddString("device", "mobile")
	return nil
}

// TestAccessEntrySameAsCaddy writes Caddy's access-log entry (the request
// added with With, then the entry's fields) through Caddy's json encoder
// and fast_json, whose fast paths replace Caddy's marshalers: with one
// header per header map (Go's map order would differ otherwise), the bytes
// are the same; with many, the same keys in the same order and the same
// values.
func TestAccessEntrySameAsCaddy(t *testing.T) {
	ent := zapcore.Entry{Level: zapcore.InfoLevel, Time: when, LoggerName: "http.log.access.site_shop", Message: "handled request"}
	for _, tc := range []struct {
		name          string
		req, resp     http.Header
		tls, creds    bool
		byteIdentical bool
	}{
		{"one header", http.Header{"User-Agent": {"Mozilla/5.0 \"x\""}}, http.Header{"Content-Type": {"text/plain"}}, false, false, true},
		{"TLS, chunked, client certificate", http.Header{"Accept": {"*/*"}}, http.Header{"Server": {"Caddy"}}, true, false, true},
		{"cookie redacted", http.Header{"Cookie": {"session=secret"}}, http.Header{"Set-Cookie": {"a=b"}}, false, false, true},
		{"cookie logged", http.Header{"Cookie": {"session=secret"}}, http.Header{"Set-Cookie": {"a=b"}}, false, true, true},
		{"odd credential names", http.Header{"proxy-AUTHORIZATION": {"x"}}, http.Header{"Coo\u212aie": {"kelvin"}}, false, false, true},
		{"no headers", http.Header{}, nil, false, false, true},
		{"empty value list", http.Header{"X-Empty": nil}, http.Header{"X-Two": {"a", "b"}}, false, false, true},
		{"many headers", http.Header{
			"User-Agent": {"Mozilla/5.0"}, "Accept": {"text/html"}, "X-Forwarded-For": {"198.51.100.7"}, "Authorization": {"Bearer x"},
			"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, "X-Request-Id": {"4bf92f3577b34da6a3ce929d0e0e4736"},
		}, http.Header{"Content-Type": {"text/html"}, "Server": {"Caddy"}, "X-Request-Id": {"4bf9"}, "Via": {"1.1 Caddy"}}, true, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := accessRequest(tc.req, tc.tls)
			with := [][]zapcore.Field{{zap.Object("request", caddyhttp.LoggableHTTPRequest{Request: r, ShouldLogCredentials: tc.creds})}}
			want := encode(t, zapJSON(logging.LogEncoderConfig{}), with, ent, accessFields(tc.resp, tc.creds))
			got := encode(t, newEncoder(logging.LogEncoderConfig{}), with, ent, accessFields(tc.resp, tc.creds))
			// The same entry with the request and the response headers
			// given as pointers (as access_log gives them) and the
			// reverse proxy's debug fields kept by With.
			ptrWith := [][]zapcore.Field{{zap.String("upstream", "127.0.0.1:80"), zap.Duration("duration", time.Millisecond),
				zap.Object("request", &caddyhttp.LoggableHTTPRequest{Request: r, ShouldLogCredentials: tc.creds}), zap.Bool("b", true), zap.Int("n", -3)}}
			ptrFields := accessFields(tc.resp, tc.creds)
			ptrFields[5] = zap.Object("resp_headers", &caddyhttp.LoggableHTTPHeader{Header: tc.resp, ShouldLogCredentials: tc.creds})
			ptrWant := encode(t, zapJSON(logging.LogEncoderConfig{}), ptrWith, ent, ptrFields)
			ptrGot := encode(t, newEncoder(logging.LogEncoderConfig{}), ptrWith, ent, ptrFields)
			if tc.byteIdentical {
				if got != want {
					t.Fatalf("\nfast_json: %s\njson:      %s", got, want)
				}
				if ptrGot != ptrWant {
					t.Fatalf("pointers:\nfast_json: %s\njson:      %s", ptrGot, ptrWant)
				}
				return
			}
			sameJSON(t, got, want)
			sameJSON(t, ptrGot, ptrWant)
		})
	}
}

// sameJSON checks that two JSON objects have the same keys in the same
// order at the top level and the same values.
func sameJSON(t *testing.T, got, want string) {
	t.Helper()
	if k1, k2 := topKeys(t, got), topKeys(t, want); !reflect.DeepEqual(k1, k2) {
		t.Fatalf("keys %v, want %v", k1, k2)
	}
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("fast_json wrote invalid JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("values differ:\nfast_json: %s\njson:      %s", got, want)
	}
}

func topKeys(t *testing.T, s string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	var keys []string
	depth := 0
	expectKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' || v == '[' {
				depth++
			} else {
				depth--
			}
			expectKey = depth == 1 && v == '{'
			continue
		case string:
			if depth == 1 && expectKey {
				keys = append(keys, v)
				expectKey = false
				continue
			}
		}
		if depth == 1 {
			expectKey = true
		}
	}
	return keys
}

// The request kept by With is encoded when the entry is written; a log
// that drops the entry never encodes it.
func TestRequestEncodedOnlyWhenWritten(t *testing.T) {
	r := accessRequest(http.Header{"A": {"b"}}, false)
	enc := newEncoder(logging.LogEncoderConfig{}).Clone()
	if n := testing.AllocsPerRun(100, func() {
		c := enc.Clone()
		_ = c.AddObject("request", caddyhttp.LoggableHTTPRequest{Request: r})
	}); n > 2 {
		t.Errorf("With(request) costs %.0f allocations, want at most 2 (the clone and its field list)", n)
	}
	// reverse_proxy's debug line: With(upstream, duration, request).
	if n := testing.AllocsPerRun(100, func() {
		c := enc.Clone()
		c.AddString("upstream", "127.0.0.1:80")
		c.AddDuration("duration", time.Millisecond)
		_ = c.AddObject("request", &caddyhttp.LoggableHTTPRequest{Request: r})
	}); n > 3 {
		t.Errorf("reverse_proxy's With costs %.0f allocations, want at most 3", n)
	}
}

func BenchmarkAccessEntry(b *testing.B) {
	r := accessRequest(http.Header{
		"User-Agent": {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"},
		"Accept":     {"text/html,application/xhtml+xml"}, "X-Forwarded-For": {"81.2.69.160"},
		"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, "X-Request-Id": {"4bf92f3577b34da6a3ce929d0e0e4736"},
		"X-Geo-Country": {"GB"}, "X-Device-Type": {"desktop"},
	}, false)
	resp := http.Header{"Content-Type": {"text/plain"}, "Server": {"Caddy"}, "X-Request-Id": {"4bf92f3577b34da6a3ce929d0e0e4736"}, "Content-Length": {"3"}}
	ent := zapcore.Entry{Level: zapcore.InfoLevel, Time: when, LoggerName: "http.log.access.log0", Message: "handled request"}
	for _, logs := range []int{1, 2, 10} {
		for name, newEnc := range map[string]func() zapcore.Encoder{
			"json":      func() zapcore.Encoder { return zapJSON(logging.LogEncoderConfig{}) },
			"fast_json": func() zapcore.Encoder { return newEncoder(logging.LogEncoderConfig{}) },
		} {
			// logs encoders get the request (as every log of a config
			// does); one writes the entry.
			encs := make([]zapcore.Encoder, logs)
			for i := range encs {
				encs[i] = newEnc()
			}
			b.Run(fmt.Sprintf("logs=%d/%s", logs, name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					req := zap.Object("request", caddyhttp.LoggableHTTPRequest{Request: r})
					var writer zapcore.Encoder
					for _, e := range encs {
						c := e.Clone()
						req.AddTo(c)
						writer = c
					}
					buf, _ := writer.EncodeEntry(ent, accessFields(resp, false))
					buf.Free()
				}
			})
		}
	}
}

func contextWithVars(r *http.Request, vars map[string]any) context.Context {
	return context.WithValue(r.Context(), caddyhttp.VarsCtxKey, vars)
}

// TestPlainPrefix checks the eight-bytes-at-a-time scan against the
// byte-by-byte one: every byte value at every position of strings of
// several lengths, and mixed strings.
func TestPlainPrefix(t *testing.T) {
	slow := func(s string) int {
		i := 0
		for i < len(s) && plain[s[i]] {
			i++
		}
		return i
	}
	for _, n := range []int{0, 1, 7, 8, 9, 16, 23, 33} {
		base := strings.Repeat("a", n)
		if got := plainPrefix(base); got != n {
			t.Fatalf("plainPrefix(%q) = %d, want %d", base, got, n)
		}
		for p := 0; p < n; p++ {
			for c := 0; c < 256; c++ {
				s := base[:p] + string([]byte{byte(c)}) + base[p+1:]
				if got, want := plainPrefix(s), slow(s); got != want {
					t.Fatalf("plainPrefix(%q) = %d, want %d", s, got, want)
				}
			}
		}
	}
	// A byte just above a borrow (0x20 after a byte below it) and the
	// neighbours of the quote and the backslash.
	for _, s := range []string{"\x1f\x20aaaaaaaaaa", "aaaaaaa\x1f\x20aaa", "!#[]aaaaaaaa\"", "aaaaaaaa\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\\", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) \"q\""} {
		if got, want := plainPrefix(s), slow(s); got != want {
			t.Fatalf("plainPrefix(%q) = %d, want %d", s, got, want)
		}
	}
}

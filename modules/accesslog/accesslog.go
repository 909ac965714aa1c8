// Package accesslog implements the access_log HTTP handler: the access-log
// entry Caddy writes for a request (same keys, same order), written by the
// handler itself straight into a log writer, without Caddy's logging of
// the request on the way.
package accesslog

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/logfields"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// Handler writes an access-log entry for every request that passes
// through it, as Caddy's server does for a site with a `log`: the same
// message ("handled request", or "NOP" when nothing answered), the same
// level (INFO, ERROR for 5xx, or the log_level variable), the same fields
// in the same order ("request" with the request as it reached this
// handler, "bytes_read", "user_id", "duration" since the server received
// the request, "size", "status", "resp_headers"), and frontdoor's fields
// ("trace_id", "country", "device"). A request with the log_skip variable
// is not logged. The entry is encoded by the encoder (fast_json by
// default, Caddy's json byte for byte) and written to the writer (any
// Caddy log writer: file, stdout, net, loki; stderr by default).
//
// Put it first in the route, and give the site no `log` of Caddy's: the
// cost of Caddy's access logging is then not paid (the server no longer
// gives every request to every log of the config, which encodes it
// once per log). Writers are shared by every access_log (and across
// config reloads) that has the same writer settings.
//
// What Caddy's log has and this one has not: fields that other handlers
// add through Caddy's extra log fields (Caddy's tracing handler's traceID
// and spanID; frontdoor's own are kept), and "write_error". A handler
// error is logged with the error's status and size 0, which is what the
// client gets unless the server has error routes.
type Handler struct {
	// LoggerName is the entry's "logger" after "http.log.access.", as the
	// name of a Caddyfile `log <name>`. Default: none ("http.log.access").
	LoggerName string `json:"logger_name,omitempty"`

	// WriterRaw is the log writer. Default: stderr.
	WriterRaw json.RawMessage `json:"writer,omitempty" caddy:"namespace=caddy.logging.writers inline_key=output"`

	// EncoderRaw is the encoder. Default: fast_json.
	EncoderRaw json.RawMessage `json:"encoder,omitempty" caddy:"namespace=caddy.logging.encoders inline_key=format"`

	// Level is the lowest level written: DEBUG, INFO, WARN or ERROR.
	// Default: INFO.
	Level string `json:"level,omitempty"`

	// LogCredentials logs the Cookie, Set-Cookie, Authorization and
	// Proxy-Authorization headers, which are REDACTED otherwise (the
	// server's should_log_credentials for Caddy's log). Default: false.
	LogCredentials bool `json:"log_credentials,omitempty"`

	name     string
	level    zapcore.Level
	encoder  zapcore.Encoder
	writer   io.Writer
	key      string // the writer's key in writers
	discards bool   // the writer drops everything: nothing to encode
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.access_log",
		New: func() caddy.Module { return new(Handler) },
	}
}

// writers holds the open log writers, by writer key, across handlers and
// config reloads.
var writers = caddy.NewUsagePool()

type writerDestructor struct{ io.WriteCloser }

func (w writerDestructor) Destruct() error { return w.Close() }

// Provision loads the writer and the encoder.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.name = "http.log.access"
	if h.LoggerName != "" {
		h.name += "." + h.LoggerName
	}
	lvl := strings.ToUpper(h.Level)
	if lvl == "" {
		lvl = "INFO"
	}
	if err := h.level.UnmarshalText([]byte(lvl)); err != nil || h.level < zapcore.DebugLevel || h.level > zapcore.ErrorLevel {
		return fmt.Errorf("level %q: expected DEBUG, INFO, WARN or ERROR", h.Level)
	}

	var opener caddy.WriterOpener = caddy.StderrWriter{}
	if h.WriterRaw != nil {
		mod, err := ctx.LoadModule(h, "WriterRaw")
		if err != nil {
			return fmt.Errorf("loading log writer: %v", err)
		}
		opener = mod.(caddy.WriterOpener)
	}
	if _, ok := opener.(*caddy.DiscardWriter); ok {
		h.discards = true
	}
	if h.EncoderRaw != nil {
		mod, err := ctx.LoadModule(h, "EncoderRaw")
		if err != nil {
			return fmt.Errorf("loading log encoder: %v", err)
		}
		h.encoder = mod.(zapcore.Encoder)
		if cfd, ok := mod.(caddy.ConfiguresFormatterDefault); ok {
			if err := cfd.ConfigureDefaultFormat(opener); err != nil {
				return fmt.Errorf("configuring the encoder's default format: %v", err)
			}
		}
	} else {
		mod, err := ctx.LoadModuleByID("caddy.logging.encoders.fast_json", nil)
		if err != nil {
			return fmt.Errorf("loading the fast_json encoder: %v", err)
		}
		h.encoder = mod.(zapcore.Encoder)
	}

	h.key = opener.WriterKey()
	w, _, err := writers.LoadOrNew(h.key, func() (caddy.Destructor, error) {
		w, err := opener.OpenWriter()
		if err != nil {
			return nil, err
		}
		return writerDestructor{w}, nil
	})
	if err != nil {
		return fmt.Errorf("opening log writer %s: %v", opener, err)
	}
	h.writer = w.(writerDestructor)
	return nil
}

// Cleanup releases the writer.
func (h *Handler) Cleanup() error {
	if h.key != "" {
		_, err := writers.Delete(h.key)
		h.key = ""
		return err
	}
	return nil
}

// ServeHTTP serves the request with next and logs it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	ctx := r.Context()
	rec := recorders.Get().(*recorder)
	rec.ResponseWriter = w

	// The request as it arrived: handlers after this one change its
	// headers (trace_id, visitor_info add theirs for the upstream).
	rec.req = *r
	rec.req.Header = rec.snapshot(r.Header)
	// The body's counter is the request's own, never pooled: Go's HTTP
	// transport may still read or close a request body in its own
	// goroutine after reverse_proxy has returned (an upstream that answers
	// before reading an upload), when this recorder serves another request.
	body := r.Body
	var counted *lengthReader
	if body != nil && body != http.NoBody {
		counted = &lengthReader{ReadCloser: body}
		r.Body = counted
	}
	// frontdoor's fields are written into the recorder's memory, unless
	// Caddy's own log of the site wants them too, after this handler.
	fields := &rec.fields
	if srv, _ := ctx.Value(caddyhttp.ServerCtxKey).(*caddyhttp.Server); srv != nil && srv.Logs != nil {
		fields = logfields.Of(ctx, new(logfields.Entry))
	} else {
		fields = logfields.Provide(ctx, fields)
	}

	err := next.ServeHTTP(rec, r)
	var bytesRead int64
	if counted != nil {
		bytesRead = counted.n.Load()
	}
	h.log(rec, r, fields, bytesRead, err)

	r.Body = body
	logfields.Forget(ctx, &rec.fields)
	rec.release()
	return err
}

// log writes the request's entry.
func (h *Handler) log(rec *recorder, r *http.Request, extra *logfields.Entry, bytesRead int64, handlerErr error) {
	ctx := r.Context()
	if skip, _ := caddyhttp.GetVar(ctx, caddyhttp.LogSkipVar).(bool); skip || h.discards {
		return
	}
	status, size := rec.status, rec.size
	if handlerErr != nil && !rec.wroteHeader {
		// The server answers with the error's status after this handler
		// returns, as Caddy's log records it.
		status, size = http.StatusInternalServerError, 0
		var he caddyhttp.HandlerError
		if errors.As(handlerErr, &he) {
			status = he.StatusCode
		}
	}
	level := zapcore.InfoLevel
	if status >= 500 {
		level = zapcore.ErrorLevel
	}
	if name, ok := caddyhttp.GetVar(ctx, caddyhttp.LogLevelVar).(string); ok {
		if l, err := zapcore.ParseLevel(name); err == nil && l >= zapcore.DebugLevel && l <= zapcore.ErrorLevel {
			level = l
		}
	}
	if level < h.level {
		return
	}
	msg := "handled request"
	if unhandled, _ := caddyhttp.GetVar(ctx, "unhandled").(bool); unhandled {
		msg = "NOP"
	}
	var duration time.Duration
	now := time.Now()
	if start, ok := caddyhttp.GetVar(ctx, "start_time").(time.Time); ok {
		duration = now.Sub(start)
	}
	userID := ""
	if repl, ok := ctx.Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		userID, _ = repl.GetString("http.auth.user.id")
	}

	// Pointers into the recorder: no copy of the values in interfaces.
	rec.logReq = caddyhttp.LoggableHTTPRequest{Request: &rec.req, ShouldLogCredentials: h.LogCredentials}
	rec.logResp = caddyhttp.LoggableHTTPHeader{Header: rec.Header(), ShouldLogCredentials: h.LogCredentials}
	fields := append(rec.fieldBuf[:0],
		zap.Object("request", &rec.logReq),
		zap.Int64("bytes_read", bytesRead),
		zap.String("user_id", userID),
		zap.Duration("duration", duration),
		zap.Int("size", size),
		zap.Int("status", status),
		zap.Object("resp_headers", &rec.logResp),
	)
	if extra != nil {
		fields = append(fields, zap.Inline(extra))
	}
	ent := zapcore.Entry{Level: level, Time: now, LoggerName: h.name, Message: msg}
	buf, err := h.encoder.EncodeEntry(ent, fields)
	if err != nil {
		return
	}
	_, _ = h.writer.Write(buf.Bytes())
	buf.Free()
}

// recorder keeps what the entry needs: the request as it arrived, the
// status and size of the response, the bytes of the body read, frontdoor's
// log fields. One is taken from a pool for each request.
type recorder struct {
	caddyhttp.ResponseWriterWrapper
	status      int
	size        int
	wroteHeader bool
	req         http.Request
	fields      logfields.Entry
	fieldBuf    [8]zapcore.Field
	logReq      caddyhttp.LoggableHTTPRequest
	logResp     caddyhttp.LoggableHTTPHeader

	// The memory of the request header's copy, kept with the recorder
	// from one request to the next.
	header http.Header
	values []string
}

var recorders = sync.Pool{New: func() any { return new(recorder) }}

// A recorder whose header copy grew beyond these is not kept: the pool
// holds only the memory of ordinary requests.
const (
	maxKeptHeaders = 64
	maxKeptValues  = 128
)

// snapshot copies h as Header.Clone does (nil values stay nil, each
// value slice is capped so that an append copies it) into the
// recorder's own map and value memory.
func (w *recorder) snapshot(h http.Header) http.Header {
	n := 0
	for _, v := range h {
		n += len(v)
	}
	if w.header == nil {
		w.header = make(http.Header, len(h))
	}
	if cap(w.values) < n {
		w.values = make([]string, 0, n)
	}
	vals := w.values[:0]
	for k, v := range h {
		if v == nil {
			w.header[k] = nil
			continue
		}
		start := len(vals)
		vals = append(vals, v...)
		w.header[k] = vals[start:len(vals):len(vals)]
	}
	w.values = vals
	return w.header
}

// release resets w and puts it back in the pool.
func (w *recorder) release() {
	w.reset()
	recorders.Put(w)
}

// reset empties w for the next request, keeping the header copy's memory
// unless a request made it large.
func (w *recorder) reset() {
	header, values := w.header, w.values
	*w = recorder{}
	if len(header) <= maxKeptHeaders && cap(values) <= maxKeptValues {
		clear(header)
		clear(values) // the strings are the request's: do not hold them
		w.header, w.values = header, values[:0]
	}
}

// WriteHeader records the status, as Caddy's response recorder: the last
// one written, informational ones too.
func (w *recorder) WriteHeader(status int) {
	if w.wroteHeader {
		return
	}
	w.status = status
	if status < 100 || status > 199 {
		w.wroteHeader = true
	}
	w.ResponseWriterWrapper.WriteHeader(status)
}

func (w *recorder) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	n, err := w.ResponseWriterWrapper.Write(b)
	w.size += n
	return n, err
}

// ReadFrom counts what is copied through the wrapped writer's ReadFrom.
func (w *recorder) ReadFrom(r io.Reader) (int64, error) {
	w.WriteHeader(http.StatusOK)
	n, err := w.ResponseWriterWrapper.ReadFrom(r)
	w.size += int(n)
	return n, err
}

// lengthReader counts the bytes of the request body read; the count is
// read while the transport may still be reading.
type lengthReader struct {
	io.ReadCloser
	n atomic.Int64
}

func (r *lengthReader) Read(b []byte) (int, error) {
	n, err := r.ReadCloser.Read(b)
	r.n.Add(int64(n))
	return n, err
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.CleanerUpper          = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
	_ http.ResponseWriter         = (*recorder)(nil)
	_ io.ReaderFrom               = (*recorder)(nil)
)

package fastjson

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"go.uber.org/zap/buffer"
	"go.uber.org/zap/zapcore"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// This file is a JSON encoder that writes what zap's JSON encoder
// (zapcore.NewJSONEncoder) writes, byte for byte, for the same entry and
// configuration: same keys, same order, same escaping, same separators.
// The tests compare the two on every kind of field.

var bufferPool = buffer.NewPool()

// settings are an encoder's configuration, shared by its clones.
type settings struct {
	zapcore.EncoderConfig
	// What the configured encoders are, when they are zap's defaults (as
	// in Caddy's json format): they are then inlined.
	epochTime, secondsDuration, lowerLevel bool
}

// lazyEncoder is the zapcore.Encoder: fields added to it (a logger's
// With) are encoded at once, except an access-log request, which is kept
// and encoded only when an entry is written (see EncodeEntry).
type lazyEncoder struct {
	s              *settings
	parts          []part
	openNamespaces int
}

// part is what a With added: encoded fields, or a field kept for later
// (values, and a request that is Caddy's copy for the log).
type part struct {
	raw  []byte // encoded fields, as zap's JSON encoder writes them
	kind partKind
	key  string
	str  string
	num  int64
	req  caddyhttp.LoggableHTTPRequest
}

type partKind uint8

const (
	rawPart partKind = iota
	requestPart
	stringPart
	intPart
	durationPart
	boolPart
)

// keep adds a field to encode when an entry is written.
func (l *lazyEncoder) keep(p part) {
	if len(l.parts) == cap(l.parts) {
		// A clone shares its parent's parts: grow into a copy, with room
		// for the few fields a With has.
		parts := make([]part, len(l.parts), len(l.parts)+4)
		copy(parts, l.parts)
		l.parts = parts
	}
	l.parts = append(l.parts, p)
}

func (l *lazyEncoder) Clone() zapcore.Encoder {
	return &lazyEncoder{s: l.s, parts: l.parts[:len(l.parts):len(l.parts)], openNamespaces: l.openNamespaces}
}

// begin returns a working encoder holding the last part's fields, to add
// more to them.
func (l *lazyEncoder) begin() *enc {
	e := l.s.get()
	e.openNamespaces = l.openNamespaces
	if n := len(l.parts); n > 0 && l.parts[n-1].kind == rawPart {
		e.buf.Write(l.parts[n-1].raw)
		l.parts = l.parts[: n-1 : n-1]
	}
	return e
}

// end stores what e encoded as the last part.
func (l *lazyEncoder) end(e *enc) {
	raw := append(make([]byte, 0, e.buf.Len()), e.buf.Bytes()...)
	l.keep(part{raw: raw})
	l.openNamespaces = e.openNamespaces
	e.free()
}

// AddObject keeps an access-log request to encode when an entry is
// written: Caddy adds it to its access logger (WithLazy) on every logged
// request, and the logger hands it to every log of the config, those that
// drop the entry too. The request is Caddy's copy, made for the log.
func (l *lazyEncoder) AddObject(key string, obj zapcore.ObjectMarshaler) error {
	switch r := obj.(type) {
	case caddyhttp.LoggableHTTPRequest:
		if r.Request != nil {
			l.keep(part{kind: requestPart, key: key, req: r})
			return nil
		}
	case *caddyhttp.LoggableHTTPRequest:
		if r != nil && r.Request != nil {
			l.keep(part{kind: requestPart, key: key, req: *r})
			return nil
		}
	}
	e := l.begin()
	err := e.AddObject(key, obj)
	l.end(e)
	return err
}

func (l *lazyEncoder) AddArray(key string, arr zapcore.ArrayMarshaler) error {
	e := l.begin()
	err := e.AddArray(key, arr)
	l.end(e)
	return err
}

func (l *lazyEncoder) AddBinary(key string, val []byte) {
	e := l.begin()
	e.AddBinary(key, val)
	l.end(e)
}

func (l *lazyEncoder) AddByteString(key string, val []byte) {
	e := l.begin()
	e.AddByteString(key, val)
	l.end(e)
}

func (l *lazyEncoder) AddBool(key string, val bool) {
	l.keep(part{kind: boolPart, key: key, num: b2i(val)})
}

func (l *lazyEncoder) AddComplex128(key string, val complex128) {
	e := l.begin()
	e.AddComplex128(key, val)
	l.end(e)
}

func (l *lazyEncoder) AddComplex64(key string, val complex64) {
	e := l.begin()
	e.AddComplex64(key, val)
	l.end(e)
}

func (l *lazyEncoder) AddDuration(key string, val time.Duration) {
	l.keep(part{kind: durationPart, key: key, num: int64(val)})
}

func (l *lazyEncoder) AddFloat64(key string, val float64) {
	e := l.begin()
	e.AddFloat64(key, val)
	l.end(e)
}

func (l *lazyEncoder) AddFloat32(key string, val float32) {
	e := l.begin()
	e.AddFloat32(key, val)
	l.end(e)
}

func (l *lazyEncoder) AddInt64(key string, val int64) {
	l.keep(part{kind: intPart, key: key, num: val})
}

func (l *lazyEncoder) AddUint64(key string, val uint64) {
	e := l.begin()
	e.AddUint64(key, val)
	l.end(e)
}

func (l *lazyEncoder) AddString(key, val string) { l.keep(part{kind: stringPart, key: key, str: val}) }

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func (l *lazyEncoder) AddTime(key string, val time.Time) {
	e := l.begin()
	e.AddTime(key, val)
	l.end(e)
}

func (l *lazyEncoder) AddReflected(key string, obj any) error {
	e := l.begin()
	err := e.AddReflected(key, obj)
	l.end(e)
	return err
}

func (l *lazyEncoder) OpenNamespace(key string) {
	e := l.begin()
	e.OpenNamespace(key)
	l.end(e)
}

func (l *lazyEncoder) AddInt(k string, v int)         { l.AddInt64(k, int64(v)) }
func (l *lazyEncoder) AddInt32(k string, v int32)     { l.AddInt64(k, int64(v)) }
func (l *lazyEncoder) AddInt16(k string, v int16)     { l.AddInt64(k, int64(v)) }
func (l *lazyEncoder) AddInt8(k string, v int8)       { l.AddInt64(k, int64(v)) }
func (l *lazyEncoder) AddUint(k string, v uint)       { l.AddUint64(k, uint64(v)) }
func (l *lazyEncoder) AddUint32(k string, v uint32)   { l.AddUint64(k, uint64(v)) }
func (l *lazyEncoder) AddUint16(k string, v uint16)   { l.AddUint64(k, uint64(v)) }
func (l *lazyEncoder) AddUint8(k string, v uint8)     { l.AddUint64(k, uint64(v)) }
func (l *lazyEncoder) AddUintptr(k string, v uintptr) { l.AddUint64(k, uint64(v)) }

// EncodeEntry writes an entry as zap's JSON encoder does: level, time,
// logger, caller, message, the fields added with With (a kept request is
// encoded now), the entry's fields, the stack trace.
func (l *lazyEncoder) EncodeEntry(ent zapcore.Entry, fields []zapcore.Field) (*buffer.Buffer, error) {
	e := l.s.get()
	e.openNamespaces = l.openNamespaces
	s := l.s
	e.buf.AppendByte('{')

	if s.LevelKey != "" && s.EncodeLevel != nil {
		e.addKey(s.LevelKey)
		cur := e.buf.Len()
		if s.lowerLevel {
			e.AppendString(ent.Level.String())
		} else {
			s.EncodeLevel(ent.Level, e)
		}
		if cur == e.buf.Len() {
			e.AppendString(ent.Level.String())
		}
	}
	if s.TimeKey != "" && !ent.Time.IsZero() {
		e.AddTime(s.TimeKey, ent.Time)
	}
	if ent.LoggerName != "" && s.NameKey != "" {
		e.addKey(s.NameKey)
		cur := e.buf.Len()
		if s.EncodeName == nil {
			e.AppendString(ent.LoggerName)
		} else {
			s.EncodeName(ent.LoggerName, e)
		}
		if cur == e.buf.Len() {
			e.AppendString(ent.LoggerName)
		}
	}
	if ent.Caller.Defined {
		if s.CallerKey != "" {
			e.addKey(s.CallerKey)
			cur := e.buf.Len()
			s.EncodeCaller(ent.Caller, e)
			if cur == e.buf.Len() {
				e.AppendString(ent.Caller.String())
			}
		}
		if s.FunctionKey != "" {
			e.addKey(s.FunctionKey)
			e.AppendString(ent.Caller.Function)
		}
	}
	if s.MessageKey != "" {
		e.addKey(s.MessageKey)
		e.AppendString(ent.Message)
	}
	for i := range l.parts {
		switch p := &l.parts[i]; p.kind {
		case requestPart:
			_ = e.AddObject(p.key, p.req)
		case stringPart:
			e.AddString(p.key, p.str)
		case intPart:
			e.AddInt64(p.key, p.num)
		case durationPart:
			e.AddDuration(p.key, time.Duration(p.num))
		case boolPart:
			e.AddBool(p.key, p.num != 0)
		default:
			if len(p.raw) > 0 {
				e.addElementSeparator()
				e.buf.Write(p.raw)
			}
		}
	}
	for i := range fields {
		fields[i].AddTo(e)
	}
	e.closeOpenNamespaces()
	if ent.Stack != "" && s.StacktraceKey != "" {
		e.AddString(s.StacktraceKey, ent.Stack)
	}
	e.buf.AppendByte('}')
	e.buf.AppendString(s.LineEnding)

	ret := e.buf
	e.buf = nil
	e.free()
	return ret, nil
}

// enc is a working encoder: it writes into buf as zap's jsonEncoder does.
type enc struct {
	s              *settings
	buf            *buffer.Buffer
	openNamespaces int

	reflectBuf *buffer.Buffer
	reflectEnc zapcore.ReflectedEncoder
}

var encPool = sync.Pool{New: func() any { return new(enc) }}

func (s *settings) get() *enc {
	e := encPool.Get().(*enc)
	e.s = s
	e.buf = bufferPool.Get()
	return e
}

func (e *enc) free() {
	if e.buf != nil {
		e.buf.Free()
	}
	if e.reflectBuf != nil {
		e.reflectBuf.Free()
	}
	*e = enc{}
	encPool.Put(e)
}

func (e *enc) AddArray(key string, arr zapcore.ArrayMarshaler) error {
	e.addKey(key)
	return e.AppendArray(arr)
}

func (e *enc) AddObject(key string, obj zapcore.ObjectMarshaler) error {
	e.addKey(key)
	return e.AppendObject(obj)
}

func (e *enc) AddBinary(key string, val []byte) {
	e.AddString(key, base64.StdEncoding.EncodeToString(val))
}

func (e *enc) AddByteString(key string, val []byte) {
	e.addKey(key)
	e.AppendByteString(val)
}

func (e *enc) AddBool(key string, val bool) {
	e.addKey(key)
	e.AppendBool(val)
}

func (e *enc) AddComplex128(key string, val complex128) {
	e.addKey(key)
	e.AppendComplex128(val)
}

func (e *enc) AddComplex64(key string, val complex64) {
	e.addKey(key)
	e.AppendComplex64(val)
}

func (e *enc) AddDuration(key string, val time.Duration) {
	e.addKey(key)
	e.AppendDuration(val)
}

func (e *enc) AddFloat64(key string, val float64) {
	e.addKey(key)
	e.AppendFloat64(val)
}

func (e *enc) AddFloat32(key string, val float32) {
	e.addKey(key)
	e.AppendFloat32(val)
}

func (e *enc) AddInt64(key string, val int64) {
	e.addKey(key)
	e.AppendInt64(val)
}

func (e *enc) AddUint64(key string, val uint64) {
	e.addKey(key)
	e.AppendUint64(val)
}

func (e *enc) AddString(key, val string) {
	e.addKey(key)
	e.AppendString(val)
}

func (e *enc) AddTime(key string, val time.Time) {
	e.addKey(key)
	e.AppendTime(val)
}

var nullLiteral = []byte("null")

func (e *enc) encodeReflected(obj any) ([]byte, error) {
	if obj == nil {
		return nullLiteral, nil
	}
	if e.reflectBuf == nil {
		e.reflectBuf = bufferPool.Get()
		newEnc := e.s.NewReflectedEncoder
		if newEnc == nil {
			newEnc = defaultReflectedEncoder
		}
		e.reflectEnc = newEnc(e.reflectBuf)
	} else {
		e.reflectBuf.Reset()
	}
	if err := e.reflectEnc.Encode(obj); err != nil {
		return nil, err
	}
	e.reflectBuf.TrimNewline()
	return e.reflectBuf.Bytes(), nil
}

func (e *enc) AddReflected(key string, obj any) error {
	b, err := e.encodeReflected(obj)
	if err != nil {
		return err
	}
	e.addKey(key)
	_, err = e.buf.Write(b)
	return err
}

func (e *enc) OpenNamespace(key string) {
	e.addKey(key)
	e.buf.AppendByte('{')
	e.openNamespaces++
}

func (e *enc) AppendArray(arr zapcore.ArrayMarshaler) error {
	e.addElementSeparator()
	e.buf.AppendByte('[')
	var err error
	if sa, ok := arr.(caddyhttp.LoggableStringArray); ok {
		e.appendStrings(sa)
	} else {
		err = arr.MarshalLogArray(e)
	}
	e.buf.AppendByte(']')
	return err
}

func (e *enc) AppendObject(obj zapcore.ObjectMarshaler) error {
	old := e.beginObject()
	var err error
	switch m := obj.(type) {
	case caddyhttp.LoggableHTTPRequest:
		if m.Request == nil {
			err = obj.MarshalLogObject(e) // panics as Caddy's does
			break
		}
		e.request(m)
	case *caddyhttp.LoggableHTTPRequest:
		if m == nil || m.Request == nil {
			err = obj.MarshalLogObject(e)
			break
		}
		e.request(*m)
	case caddyhttp.LoggableHTTPHeader:
		e.header(m.Header, m.ShouldLogCredentials)
	case *caddyhttp.LoggableHTTPHeader:
		if m == nil {
			err = obj.MarshalLogObject(e)
			break
		}
		e.header(m.Header, m.ShouldLogCredentials)
	default:
		err = obj.MarshalLogObject(e)
	}
	e.endObject(old)
	return err
}

// beginObject and endObject write an object's braces as AppendObject
// does: namespaces opened inside it are closed with it.
func (e *enc) beginObject() (outerNamespaces int) {
	old := e.openNamespaces
	e.openNamespaces = 0
	e.addElementSeparator()
	e.buf.AppendByte('{')
	return old
}

func (e *enc) endObject(outerNamespaces int) {
	e.buf.AppendByte('}')
	e.closeOpenNamespaces()
	e.openNamespaces = outerNamespaces
}

func (e *enc) AppendBool(val bool) {
	e.addElementSeparator()
	e.buf.AppendBool(val)
}

func (e *enc) AppendByteString(val []byte) {
	e.addElementSeparator()
	e.buf.AppendByte('"')
	appendEscapedBytes(e.buf, val)
	e.buf.AppendByte('"')
}

func (e *enc) appendComplex(val complex128, precision int) {
	e.addElementSeparator()
	r, i := real(val), imag(val)
	e.buf.AppendByte('"')
	e.buf.AppendFloat(r, precision)
	if i >= 0 {
		e.buf.AppendByte('+')
	}
	e.buf.AppendFloat(i, precision)
	e.buf.AppendByte('i')
	e.buf.AppendByte('"')
}

func (e *enc) AppendDuration(val time.Duration) {
	if e.s.secondsDuration {
		e.AppendFloat64(float64(val) / float64(time.Second))
		return
	}
	cur := e.buf.Len()
	if f := e.s.EncodeDuration; f != nil {
		f(val, e)
	}
	if cur == e.buf.Len() {
		e.AppendInt64(int64(val))
	}
}

func (e *enc) AppendInt64(val int64) {
	e.addElementSeparator()
	e.buf.AppendInt(val)
}

func (e *enc) AppendReflected(val any) error {
	b, err := e.encodeReflected(val)
	if err != nil {
		return err
	}
	e.addElementSeparator()
	_, err = e.buf.Write(b)
	return err
}

func (e *enc) AppendString(val string) {
	e.addElementSeparator()
	e.buf.AppendByte('"')
	appendEscaped(e.buf, val)
	e.buf.AppendByte('"')
}

// AppendTimeLayout is what zap's time encoders with a layout use when the
// encoder has it.
func (e *enc) AppendTimeLayout(t time.Time, layout string) {
	e.addElementSeparator()
	e.buf.AppendByte('"')
	e.buf.AppendTime(t, layout)
	e.buf.AppendByte('"')
}

func (e *enc) AppendTime(val time.Time) {
	if e.s.epochTime {
		e.AppendFloat64(float64(val.UnixNano()) / float64(time.Second))
		return
	}
	cur := e.buf.Len()
	if f := e.s.EncodeTime; f != nil {
		f(val, e)
	}
	if cur == e.buf.Len() {
		e.AppendInt64(val.UnixNano())
	}
}

func (e *enc) AppendUint64(val uint64) {
	e.addElementSeparator()
	e.buf.AppendUint(val)
}

func (e *enc) AddInt(k string, v int)         { e.AddInt64(k, int64(v)) }
func (e *enc) AddInt32(k string, v int32)     { e.AddInt64(k, int64(v)) }
func (e *enc) AddInt16(k string, v int16)     { e.AddInt64(k, int64(v)) }
func (e *enc) AddInt8(k string, v int8)       { e.AddInt64(k, int64(v)) }
func (e *enc) AddUint(k string, v uint)       { e.AddUint64(k, uint64(v)) }
func (e *enc) AddUint32(k string, v uint32)   { e.AddUint64(k, uint64(v)) }
func (e *enc) AddUint16(k string, v uint16)   { e.AddUint64(k, uint64(v)) }
func (e *enc) AddUint8(k string, v uint8)     { e.AddUint64(k, uint64(v)) }
func (e *enc) AddUintptr(k string, v uintptr) { e.AddUint64(k, uint64(v)) }
func (e *enc) AppendComplex64(v complex64)    { e.appendComplex(complex128(v), 32) }
func (e *enc) AppendComplex128(v complex128)  { e.appendComplex(v, 64) }
func (e *enc) AppendFloat64(v float64)        { e.appendFloat(v, 64) }
func (e *enc) AppendFloat32(v float32)        { e.appendFloat(float64(v), 32) }
func (e *enc) AppendInt(v int)                { e.AppendInt64(int64(v)) }
func (e *enc) AppendInt32(v int32)            { e.AppendInt64(int64(v)) }
func (e *enc) AppendInt16(v int16)            { e.AppendInt64(int64(v)) }
func (e *enc) AppendInt8(v int8)              { e.AppendInt64(int64(v)) }
func (e *enc) AppendUint(v uint)              { e.AppendUint64(uint64(v)) }
func (e *enc) AppendUint32(v uint32)          { e.AppendUint64(uint64(v)) }
func (e *enc) AppendUint16(v uint16)          { e.AppendUint64(uint64(v)) }
func (e *enc) AppendUint8(v uint8)            { e.AppendUint64(uint64(v)) }
func (e *enc) AppendUintptr(v uintptr)        { e.AppendUint64(uint64(v)) }

func (e *enc) closeOpenNamespaces() {
	for range e.openNamespaces {
		e.buf.AppendByte('}')
	}
	e.openNamespaces = 0
}

func (e *enc) addKey(key string) {
	e.addElementSeparator()
	e.buf.AppendByte('"')
	appendEscaped(e.buf, key)
	e.buf.AppendByte('"')
	e.buf.AppendByte(':')
}

// addElementSeparator writes a comma unless the last byte opens an object
// or array or ends a key: zap's rule, kept for its corner cases.
func (e *enc) addElementSeparator() {
	b := e.buf.Bytes()
	if len(b) == 0 {
		return
	}
	switch b[len(b)-1] {
	case '{', '[', ':', ',', ' ':
		return
	}
	e.buf.AppendByte(',')
}

func (e *enc) appendFloat(val float64, bitSize int) {
	e.addElementSeparator()
	switch {
	case math.IsNaN(val):
		e.buf.AppendString(`"NaN"`)
	case math.IsInf(val, 1):
		e.buf.AppendString(`"+Inf"`)
	case math.IsInf(val, -1):
		e.buf.AppendString(`"-Inf"`)
	default:
		e.buf.AppendFloat(val, bitSize)
	}
}

const hexDigits = "0123456789abcdef"

// appendEscaped writes s as the inside of a JSON string, escaped as zap
// escapes: backslash, quote and control characters; invalid UTF-8 becomes
// \ufffd; nothing else (no HTML escaping, U+2028 left as is).
func appendEscaped(buf *buffer.Buffer, s string) {
	// Most strings need no escaping: find the first byte that does.
	i := plainPrefix(s)
	if i == len(s) {
		buf.AppendString(s)
		return
	}
	last := 0
	for i < len(s) {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			buf.AppendString(s[last:i])
			buf.AppendString(`\ufffd`)
			i++
			last = i
			continue
		}
		if c >= 0x20 && c != '\\' && c != '"' {
			i++
			continue
		}
		buf.AppendString(s[last:i])
		switch c {
		case '\\', '"':
			buf.AppendByte('\\')
			buf.AppendByte(c)
		case '\n':
			buf.AppendString(`\n`)
		case '\r':
			buf.AppendString(`\r`)
		case '\t':
			buf.AppendString(`\t`)
		default:
			buf.AppendString(`\u00`)
			buf.AppendByte(hexDigits[c>>4])
			buf.AppendByte(hexDigits[c&0xF])
		}
		i++
		last = i
	}
	buf.AppendString(s[last:])
}

// plain marks the bytes written as they are: printable ASCII but the
// quote and the backslash.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// plainPrefix returns the length of the longest prefix of s that is
// plain, reading eight bytes at a time while none of them can need an
// escape (a chunk that may is read byte by byte).
func plainPrefix(s string) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		quote := x ^ (ones * '"')
		backslash := x ^ (ones * '\\')
		// A byte below 0x20, a zero byte of quote or backslash, or a
		// byte of 0x80 or above sets its high bit here.
		if ((x-ones*0x20)&^x|(quote-ones)&^quote|(backslash-ones)&^backslash|x)&highs != 0 {
			break
		}
	}
	for i < len(b) && plain[b[i]] {
		i++
	}
	return i
}

// appendEscapedBytes is appendEscaped for bytes, which it only reads.
func appendEscapedBytes(buf *buffer.Buffer, b []byte) {
	appendEscaped(buf, unsafe.String(unsafe.SliceData(b), len(b)))
}

func defaultReflectedEncoder(w io.Writer) zapcore.ReflectedEncoder {
	e := json.NewEncoder(w)
	e.SetEscapeHTML(false) // as zap's
	return e
}

// Interface guards
var (
	_ zapcore.Encoder       = (*lazyEncoder)(nil)
	_ zapcore.ObjectEncoder = (*enc)(nil)
	_ zapcore.ArrayEncoder  = (*enc)(nil)
)

// Package traceparent parses and writes W3C Trace Context `traceparent`
// header values (https://www.w3.org/TR/trace-context/) and makes new trace
// and span ids. It has no Caddy dependency and allocates nothing.
package traceparent

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
)

// Header is the name of the W3C trace context header.
const Header = "Traceparent"

// Len is the length of a version 00 traceparent value:
// "00-" + 32 hex + "-" + 16 hex + "-" + 2 hex.
const Len = 55

// TraceID is a 16-byte W3C trace id.
type TraceID [16]byte

// SpanID is an 8-byte W3C parent (span) id.
type SpanID [8]byte

// TraceParent is a parsed traceparent value.
type TraceParent struct {
	TraceID TraceID
	SpanID  SpanID
	Flags   byte
}

// IsZero reports whether id is all zeros (invalid per the specification).
func (id TraceID) IsZero() bool { return id == TraceID{} }

// IsZero reports whether id is all zeros (invalid per the specification).
func (id SpanID) IsZero() bool { return id == SpanID{} }

// AppendHex appends the 32 lowercase hex digits of id to dst.
func (id TraceID) AppendHex(dst []byte) []byte { return hex.AppendEncode(dst, id[:]) }

// String is the 32 lowercase hex digits of id.
func (id TraceID) String() string {
	var b [32]byte
	hex.Encode(b[:], id[:])
	return string(b[:])
}

// Parse parses a traceparent header value. It accepts version 00 exactly
// as specified, and a later version (01 to fe) when it starts with a valid
// version 00 layout followed by nothing or by "-" and more data, as the
// specification asks of a version 00 parser. Upper-case hex, version ff,
// all-zero trace or span ids, and any other layout are rejected.
func Parse(s string) (TraceParent, bool) {
	var tp TraceParent
	if len(s) < Len {
		return tp, false
	}
	version, ok := hexByte(s[0], s[1])
	if !ok || version == 0xff {
		return tp, false
	}
	if version == 0 && len(s) != Len {
		return tp, false
	}
	if len(s) > Len && s[Len] != '-' {
		return tp, false
	}
	if s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return tp, false
	}
	for i := range tp.TraceID {
		b, ok := hexByte(s[3+2*i], s[4+2*i])
		if !ok {
			return tp, false
		}
		tp.TraceID[i] = b
	}
	for i := range tp.SpanID {
		b, ok := hexByte(s[36+2*i], s[37+2*i])
		if !ok {
			return tp, false
		}
		tp.SpanID[i] = b
	}
	if tp.Flags, ok = hexByte(s[53], s[54]); !ok {
		return tp, false
	}
	if tp.TraceID.IsZero() || tp.SpanID.IsZero() {
		return tp, false
	}
	return tp, true
}

// AppendTo appends tp as a version 00 traceparent value to dst.
func (tp TraceParent) AppendTo(dst []byte) []byte {
	dst = append(dst, "00-"...)
	dst = hex.AppendEncode(dst, tp.TraceID[:])
	dst = append(dst, '-')
	dst = hex.AppendEncode(dst, tp.SpanID[:])
	dst = append(dst, '-')
	return hex.AppendEncode(dst, []byte{tp.Flags})
}

// String is tp as a version 00 traceparent value.
func (tp TraceParent) String() string {
	var b [Len]byte
	return string(tp.AppendTo(b[:0]))
}

// NewTraceID returns a random, non-zero trace id. It uses math/rand/v2's
// goroutine-safe ChaCha8 generator, seeded from the operating system.
func NewTraceID() TraceID {
	var id TraceID
	for id.IsZero() {
		binary.LittleEndian.PutUint64(id[:8], rand.Uint64())
		binary.LittleEndian.PutUint64(id[8:], rand.Uint64())
	}
	return id
}

// NewSpanID returns a random, non-zero span id.
func NewSpanID() SpanID {
	var id SpanID
	for id.IsZero() {
		binary.LittleEndian.PutUint64(id[:], rand.Uint64())
	}
	return id
}

// hexByte decodes two lowercase hex digits.
func hexByte(hi, lo byte) (byte, bool) {
	h, ok1 := hexDigit(hi)
	l, ok2 := hexDigit(lo)
	return h<<4 | l, ok1 && ok2
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// ValidTraceID reports whether s is a trace id as the specification writes
// it: 32 lowercase hex digits, not all zero.
func ValidTraceID(s string) bool {
	if len(s) != 32 {
		return false
	}
	zero := true
	for i := 0; i < len(s); i++ {
		if _, ok := hexDigit(s[i]); !ok {
			return false
		}
		zero = zero && s[i] == '0'
	}
	return !zero
}

package waitingroom

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"strconv"
	"strings"
	"sync"
)

// CookiePrefix starts the name of a room's cookie: fd_wr_<room>.
const CookiePrefix = "fd_wr_"

// Cookie is what a room's cookie proves: a session id with a ticket in line
// (queued) or a place on the site (admitted), issued and valid until the
// given times (unix milliseconds, on the store's clock).
type Cookie struct {
	Admitted bool
	SID      string
	Ticket   int64
	Issued   int64
	Expiry   int64
}

// Shown is what the queue page last showed a visitor, carried unsigned in
// the cookie after the signed part: it only keeps the page consistent from
// one poll to the next (the estimate never goes up while the line moves),
// so a client that changes it only changes its own page.
type Shown struct {
	// FirstAhead is how many were ahead when a position was first known
	// (-1: not yet); the progress bar starts there.
	FirstAhead int
	// Ahead, Lo and Hi are the people ahead and the estimated wait range
	// in seconds (-1: unknown) last shown.
	Ahead, Lo, Hi int
	// Moved is when the line last moved for the visitor (unix ms).
	Moved int64
}

// NoShown is the Shown of a visitor who has seen no page yet.
var NoShown = Shown{FirstAhead: -1, Ahead: -1, Lo: -1, Hi: -1}

// Errors of Decode.
var (
	ErrMalformed = errors.New("malformed waiting-room cookie")
	ErrForged    = errors.New("waiting-room cookie with a bad signature")
)

// maxCookieLen bounds the values Decode reads.
const maxCookieLen = 256

// sidLen is the length of a session id: 16 random bytes, base64url.
const sidLen = 22

// NewSID returns a new random session id.
func NewSID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics if it cannot read)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Signer issues and checks the cookies of one room: HMAC-SHA256 over the
// room, the state, the session id, the ticket, and the issue and expiry
// times, with a key derived from the room and each secret. It signs with the
// first secret and accepts any, so secrets can be rotated: add the new one
// first, remove the old one once its cookies have expired.
type Signer struct {
	room  string
	name  string
	keys  []*sync.Pool // of *macState, one per secret
	label []byte
}

// macState is an HMAC and a buffer for its input, reused across cookies.
type macState struct {
	h   hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

// NewSigner returns the signer of room with secrets (at least one).
func NewSigner(room string, secrets [][]byte) *Signer {
	s := &Signer{room: room, name: CookiePrefix + room, label: []byte("frontdoor waiting room 1\x00" + room + "\x00")}
	for _, secret := range secrets {
		mac := hmac.New(sha256.New, secret)
		mac.Write([]byte("frontdoor waiting room cookie key\x00" + room))
		key := mac.Sum(nil)
		s.keys = append(s.keys, &sync.Pool{New: func() any {
			return &macState{h: hmac.New(sha256.New, key), buf: make([]byte, 0, maxCookieLen)}
		}})
	}
	return s
}

// CookieName is the name of the room's cookie.
func (s *Signer) CookieName() string { return s.name }

// AppendValue appends the cookie value of c (and of what was shown, when sh
// is not nil) to dst:
//
//	1.<q|a>.<session id>.<ticket>.<issued>.<expiry>.<signature>[~<first ahead>.<ahead>.<lo>.<hi>.<moved>]
func (s *Signer) AppendValue(dst []byte, c Cookie, sh *Shown) []byte {
	start := len(dst)
	dst = append(dst, "1."...)
	if c.Admitted {
		dst = append(dst, 'a')
	} else {
		dst = append(dst, 'q')
	}
	dst = append(dst, '.')
	dst = append(dst, c.SID...)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, c.Ticket, 10)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, c.Issued, 10)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, c.Expiry, 10)
	m := sign(s, 0, dst[start:])
	dst = append(dst, '.')
	dst = base64.RawURLEncoding.AppendEncode(dst, m.sum[:])
	s.keys[0].Put(m)
	if sh != nil {
		dst = append(dst, '~')
		dst = strconv.AppendInt(dst, int64(sh.FirstAhead), 10)
		dst = append(dst, '.')
		dst = strconv.AppendInt(dst, int64(sh.Ahead), 10)
		dst = append(dst, '.')
		dst = strconv.AppendInt(dst, int64(sh.Lo), 10)
		dst = append(dst, '.')
		dst = strconv.AppendInt(dst, int64(sh.Hi), 10)
		dst = append(dst, '.')
		dst = strconv.AppendInt(dst, sh.Moved, 10)
	}
	return dst
}

// sign computes the signature of msg with key i into the returned state's
// sum; give the state back to s.keys[i] once done with it.
func sign[T []byte | string](s *Signer, i int, msg T) *macState {
	m := s.keys[i].Get().(*macState)
	m.buf = append(append(m.buf[:0], s.label...), msg...)
	m.h.Reset()
	m.h.Write(m.buf)
	m.h.Sum(m.sum[:0])
	return m
}

// Decode checks a cookie value: its form and its signature under any of the
// secrets. It does not look at the times (the store does, on its clock).
// What was shown comes back as NoShown when absent or unreadable.
func (s *Signer) Decode(value string) (Cookie, Shown, error) {
	var c Cookie
	shown := NoShown
	if len(value) > maxCookieLen {
		return c, shown, ErrMalformed
	}
	signed, extra, _ := strings.Cut(value, "~")
	i := strings.LastIndexByte(signed, '.')
	if i < 0 {
		return c, shown, ErrMalformed
	}
	msg, sig := signed[:i], signed[i+1:]
	var got [sha256.Size]byte
	if !decodeSig(&got, sig) {
		return c, shown, ErrMalformed
	}
	var parts [6]string
	rest := msg
	for k := range parts {
		if k == len(parts)-1 {
			parts[k] = rest
			break
		}
		var ok bool
		parts[k], rest, ok = strings.Cut(rest, ".")
		if !ok {
			return c, shown, ErrMalformed
		}
	}
	if parts[0] != "1" || (parts[1] != "q" && parts[1] != "a") || !validSID(parts[2]) {
		return c, shown, ErrMalformed
	}
	c.Admitted = parts[1] == "a"
	c.SID = parts[2]
	var ok1, ok2, ok3 bool
	c.Ticket, ok1 = parseNonNeg(parts[3])
	c.Issued, ok2 = parseNonNeg(parts[4])
	c.Expiry, ok3 = parseNonNeg(parts[5])
	if !ok1 || !ok2 || !ok3 {
		return Cookie{}, shown, ErrMalformed
	}
	valid := false
	for k := range s.keys {
		m := sign(s, k, msg)
		valid = hmac.Equal(m.sum[:], got[:])
		s.keys[k].Put(m)
		if valid {
			break
		}
	}
	if !valid {
		return Cookie{}, shown, ErrForged
	}
	if extra != "" {
		shown = parseShown(extra)
	}
	return c, shown, nil
}

// decodeSig decodes 43 characters of unpadded base64url into 32 bytes,
// rejecting any other form (as base64's Strict mode does).
func decodeSig(dst *[sha256.Size]byte, s string) bool {
	if len(s) != 43 {
		return false
	}
	var acc uint32
	bits, n := 0, 0
	for i := 0; i < len(s); i++ {
		v := b64val(s[i])
		if v < 0 {
			return false
		}
		acc = acc<<6 | uint32(v)
		bits += 6
		if bits >= 8 {
			bits -= 8
			dst[n] = byte(acc >> bits)
			n++
		}
	}
	// The two bits left over must be zero, as in a canonical encoding.
	return acc&(1<<bits-1) == 0
}

func b64val(c byte) int {
	switch {
	case 'A' <= c && c <= 'Z':
		return int(c - 'A')
	case 'a' <= c && c <= 'z':
		return int(c-'a') + 26
	case '0' <= c && c <= '9':
		return int(c-'0') + 52
	case c == '-':
		return 62
	case c == '_':
		return 63
	}
	return -1
}

func parseShown(s string) Shown {
	var v [5]int64
	for k := range v {
		part, rest, ok := strings.Cut(s, ".")
		if ok != (k < len(v)-1) {
			return NoShown
		}
		n, err := strconv.ParseInt(part, 10, 64)
		if err != nil || n < -1 || (k < 4 && n > MaxUsers*10) {
			return NoShown
		}
		v[k] = n
		s = rest
	}
	return Shown{FirstAhead: int(v[0]), Ahead: int(v[1]), Lo: int(v[2]), Hi: int(v[3]), Moved: v[4]}
}

func parseNonNeg(s string) (int64, bool) {
	if s == "" || len(s) > 18 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0
}

// ValidSID reports whether s has the form of a session id.
func ValidSID(s string) bool { return validSID(s) }

func validSID(s string) bool {
	if len(s) != sidLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

package maintenance

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Bypass checks bypass secrets and issues and verifies the signed cookies
// that let the team through a maintenance. Cookies are bound to the
// maintenance name and expire; changing the secret invalidates them all.
type Bypass struct {
	name       string
	cookieName string
	secretHash [sha256.Size]byte
	key        []byte
}

// NewBypass returns the bypass of the maintenance name with secret.
func NewBypass(name, secret string) *Bypass {
	// Derive the signing key, so the cookie never carries anything that
	// could be compared with the secret itself.
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("frontdoor maintenance bypass cookie\x00" + name))
	return &Bypass{
		name:       name,
		cookieName: "fd_maintenance_" + name,
		secretHash: sha256.Sum256([]byte(secret)),
		key:        mac.Sum(nil),
	}
}

// CookieName is the name of the bypass cookie of the maintenance.
func (b *Bypass) CookieName() string { return b.cookieName }

// MatchSecret reports whether given is the secret, in constant time (lengths
// included: both sides are hashed first).
func (b *Bypass) MatchSecret(given string) bool {
	h := sha256.Sum256([]byte(given))
	return subtle.ConstantTimeCompare(h[:], b.secretHash[:]) == 1
}

// Issue returns a cookie value valid until expires.
func (b *Bypass) Issue(expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	return exp + "." + base64.RawURLEncoding.EncodeToString(b.sign(exp))
}

// Valid reports whether value is a cookie issued by Issue that has not
// expired at now. Tampered, truncated and foreign values are invalid.
func (b *Bypass) Valid(value string, now time.Time) bool {
	exp, sig, ok := strings.Cut(value, ".")
	if !ok || len(exp) == 0 || len(exp) > 19 {
		return false
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || unix <= now.Unix() {
		return false
	}
	got, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err != nil {
		return false
	}
	return hmac.Equal(got, b.sign(exp))
}

func (b *Bypass) sign(exp string) []byte {
	mac := hmac.New(sha256.New, b.key)
	mac.Write([]byte(exp))
	return mac.Sum(nil)
}

// StripParam returns rawQuery without every parameter named param, keeping
// the order and the encoding of the others.
func StripParam(rawQuery, param string) string {
	if rawQuery == "" {
		return ""
	}
	var kept []string
	for part := range strings.SplitSeq(rawQuery, "&") {
		key, _, _ := strings.Cut(part, "=")
		if k, err := url.QueryUnescape(key); err == nil && k == param {
			continue
		}
		if part != "" {
			kept = append(kept, part)
		}
	}
	return strings.Join(kept, "&")
}

// QueryParam returns the first value of param in rawQuery.
func QueryParam(rawQuery, param string) (string, bool) {
	for part := range strings.SplitSeq(rawQuery, "&") {
		key, val, _ := strings.Cut(part, "=")
		if k, err := url.QueryUnescape(key); err != nil || k != param {
			continue
		}
		v, err := url.QueryUnescape(val)
		if err != nil {
			return "", false
		}
		return v, true
	}
	return "", false
}

// SafeLocalPath makes an escaped request path safe to use as a relative
// Location: it always starts with exactly one '/', so it can never be read as
// another host ("//evil.example", "/\evil.example").
func SafeLocalPath(escapedPath string) string {
	p := strings.TrimLeft(escapedPath, `/\`)
	return "/" + p
}

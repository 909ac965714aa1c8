// Package hostmatch finds which of many host patterns a request's Host
// matches, in a time that does not grow with the number of patterns, and
// with the semantics of Caddy's host matcher (caddyhttp.MatchHost) for a
// list without placeholders:
//
//   - the request's host is its Host with any port removed, and the
//     brackets of an IPv6 literal; it is not converted from Unicode to
//     punycode, and a trailing dot is kept (so "shop.example.com." does not
//     match "shop.example.com", as in Caddy);
//   - a pattern is converted to ASCII (punycode) once, as Caddy does;
//   - names compare as strings.EqualFold does (Unicode simple case folding,
//     so the Kelvin sign matches k);
//   - a label "*" matches exactly one label, any label, also an empty one;
//     the number of labels must be equal ("*.example.com" matches
//     "a.example.com", not "example.com" or "a.b.example.com").
//
// Exact names are found in a hash table; wildcard patterns in one more
// hash table per distinct shape (number of labels and positions of the
// "*" labels: "*.example.com" and "*.shop.com" share a shape). A host that
// matches an exact name gets it; else, of the wildcard patterns it
// matches, the one added with the lowest value wins (patterns added in
// config order with their index as value: the first listed, as a list of
// Caddy routes would choose).
package hostmatch

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// maxWildcardLabels is the most labels a wildcard pattern may have.
const maxWildcardLabels = 64

// Table maps host patterns to values (small non-negative integers, such as
// the index of a site in a list). The zero Table is empty and ready to
// use; Add must not be called concurrently with Lookup.
type Table struct {
	exact  map[string]int
	wild   map[string]int
	shapes []shape
}

// shape is the form of wildcard patterns: how many labels, and which are
// "*".
type shape struct {
	labels int
	stars  uint64 // bit i set: label i (from the left) is "*"
}

// Add maps pattern to value. A pattern is a host name, an IP address, or
// a name with "*" labels; placeholders ({...}) are not allowed (they
// cannot be looked up in a table). Adding a pattern twice, even in another
// case, is an error naming the value it has.
func (t *Table) Add(pattern string, value int) error {
	if value < 0 {
		return errors.New("negative value")
	}
	if strings.Contains(pattern, "{") {
		return fmt.Errorf("host %q: placeholders are not supported here", pattern)
	}
	ascii, err := idna.ToASCII(pattern)
	if err != nil {
		return fmt.Errorf("converting host %q to ASCII: %v", pattern, err)
	}
	key := Fold(ascii)
	sh, wildcard, err := shapeOf(key)
	if err != nil {
		return fmt.Errorf("host %q: %v", pattern, err)
	}
	m := &t.exact
	if wildcard {
		m = &t.wild
	}
	if *m == nil {
		*m = make(map[string]int)
	}
	if v, dup := (*m)[key]; dup {
		return &DuplicateError{Host: pattern, Value: v}
	}
	(*m)[key] = value
	if wildcard && !containsShape(t.shapes, sh) {
		t.shapes = append(t.shapes, sh)
	}
	return nil
}

// DuplicateError reports a pattern added twice.
type DuplicateError struct {
	Host  string
	Value int // the value the pattern was added with first
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("host %q is listed twice", e.Host)
}

// Len is the number of patterns in the table.
func (t *Table) Len() int { return len(t.exact) + len(t.wild) }

func shapeOf(key string) (shape, bool, error) {
	var sh shape
	wildcard := false
	for label := range strings.SplitSeq(key, ".") {
		if label == "*" && sh.labels < maxWildcardLabels {
			sh.stars |= 1 << sh.labels
		}
		wildcard = wildcard || label == "*"
		sh.labels++
	}
	if wildcard && sh.labels > maxWildcardLabels {
		return sh, false, fmt.Errorf("a wildcard pattern has at most %d labels", maxWildcardLabels)
	}
	return sh, wildcard, nil
}

func containsShape(shapes []shape, sh shape) bool {
	for _, s := range shapes {
		if s == sh {
			return true
		}
	}
	return false
}

// Lookup returns the value of the pattern that host matches (a host
// without port, see HostOf), and whether one does.
func (t *Table) Lookup(host string) (int, bool) {
	var buf [256]byte
	key := host
	if !folded(host) {
		b := AppendFold(buf[:0], host)
		// The conversion does not allocate in a map index expression.
		if v, ok := t.exact[string(b)]; ok {
			return v, true
		}
		return t.lookupWild(b)
	}
	if v, ok := t.exact[key]; ok {
		return v, true
	}
	if len(t.shapes) == 0 {
		return 0, false
	}
	return t.lookupWild(append(buf[:0], key...))
}

// lookupWild finds the wildcard pattern that the folded host key matches
// with the lowest value.
func (t *Table) lookupWild(key []byte) (int, bool) {
	if len(t.shapes) == 0 {
		return 0, false
	}
	// The starts of the labels.
	var starts [maxWildcardLabels + 1]int
	labels := 1
	for i, c := range key {
		if c == '.' {
			if labels == maxWildcardLabels {
				return 0, false // longer than any wildcard pattern
			}
			starts[labels] = i + 1
			labels++
		}
	}
	starts[labels] = len(key) + 1

	best, found := 0, false
	var buf [256]byte
	for _, sh := range t.shapes {
		if sh.labels != labels {
			continue
		}
		b := buf[:0]
		for i := range labels {
			if i > 0 {
				b = append(b, '.')
			}
			if sh.stars&(1<<i) != 0 {
				b = append(b, '*')
			} else {
				b = append(b, key[starts[i]:starts[i+1]-1]...)
			}
		}
		if v, ok := t.wild[string(b)]; ok && (!found || v < best) {
			best, found = v, true
		}
	}
	return best, found
}

// HostOf returns the host part of a request's Host value as Caddy's host
// matcher sees it: without the port, and without the brackets of an IPv6
// literal.
func HostOf(hostport string) string {
	if strings.IndexByte(hostport, ':') >= 0 {
		if host, _, err := net.SplitHostPort(hostport); err == nil {
			return host
		}
	}
	// No port (or not host:port): as MatchHost, strip the brackets.
	return strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
}

// Fold returns s in a canonical case: Fold(a) == Fold(b) exactly when
// strings.EqualFold(a, b). ASCII letters become lower case.
func Fold(s string) string {
	if folded(s) {
		return s
	}
	return string(AppendFold(nil, s))
}

// AppendFold appends Fold(s) to dst.
func AppendFold(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		// strings.EqualFold reads each invalid byte as utf8.RuneError.
		r, size := utf8.DecodeRuneInString(s[i:])
		dst = utf8.AppendRune(dst, foldRune(r))
		i += size
	}
	return dst
}

// folded reports whether s is ASCII without upper-case letters, so that
// Fold(s) == s.
func folded(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// foldRune returns the representative of r's simple case folding orbit
// (the runes strings.EqualFold takes for r): its ASCII member in lower
// case if it has one (the Kelvin sign is k), else its smallest rune.
func foldRune(r rune) rune {
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < utf8.RuneSelf {
			return unicode.ToLower(f)
		}
		least = min(least, f)
	}
	return least
}

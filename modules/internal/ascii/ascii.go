// Package ascii holds byte-wise string helpers for the request path:
// no allocation, no Unicode tables.
package ascii

// EqualLower reports whether s, lower-cased in ASCII, is lower (which is
// written in lower case): EqualLower("Set-Cookie", "set-cookie").
func EqualLower(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

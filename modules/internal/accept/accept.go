// Package accept chooses the body of a response that frontdoor writes
// itself (a rate-limit rejection, a maintenance page) from the request's
// Accept header, as RFC 9110 section 12.5.1 describes: media ranges with
// wildcards (*/*, text/*), parameters and q-values, the most specific range
// deciding for each media type, q=0 meaning "not acceptable".
//
// It knows three bodies: plain text, HTML and JSON. A handler lists the ones
// it can write, in its own order of preference, and Negotiate returns the
// one the client prefers. It allocates nothing, and any input, however
// malformed, gives an answer: a malformed element is ignored.
package accept

import "strings"

// Type is a kind of body a handler can write.
type Type uint8

// The bodies a handler can offer.
const (
	// None means that the client accepts none of the offers.
	None Type = iota
	// Text is text/plain; charset=utf-8.
	Text
	// HTML is text/html; charset=utf-8. A client that names
	// application/xhtml+xml asks for it too (browsers send both).
	HTML
	// JSON is application/json. A client that names a structured-syntax
	// JSON type (application/problem+json, any application/<x>+json) asks
	// for it too, less specifically than one that names application/json.
	JSON

	numTypes
)

// String returns the media type of t.
func (t Type) String() string {
	switch t {
	case Text:
		return "text/plain"
	case HTML:
		return "text/html"
	case JSON:
		return "application/json"
	}
	return "none"
}

// Specificity of a media range for a type, lowest first. A range with
// parameters (only charset=utf-8 can match: frontdoor's bodies are UTF-8
// and have no other parameter) is one step more specific than the same
// range without.
const (
	specNone     = 0
	specAny      = 2 // */*
	specTypeAny  = 4 // text/*, application/*
	specRelated  = 6 // application/xhtml+xml for HTML, application/x+json for JSON
	specExact    = 8 // text/plain, text/html, application/json
	specWithArgs = 1
)

// choice is what the ranges of an Accept header say about one type.
type choice struct {
	spec  int8 // of the most specific range that matched; specNone if none
	q     int  // its weight in thousandths; the highest among equally specific ranges
	index int  // position of that range in the header
}

// Negotiate returns the offer the client prefers. values are the Accept
// field lines of the request (http.Header.Values("Accept")); offers are the
// bodies the handler can write, in its order of preference.
//
// Each offer gets the weight of the most specific range that matches it (0
// when none does: not acceptable). The offer with the highest weight wins;
// on a tie, the one matched by the more specific range (the client named
// it), then the one named earlier in the header, then the earlier offer.
// So "*/*" gets the first offer, a browser's
// "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" gets
// HTML, and "application/json, text/plain, */*" gets JSON.
//
// With no Accept header, or one without a single well-formed element, the
// first offer is returned (the client expressed no preference). None is
// returned when the client accepts none of the offers, or offers is empty.
func Negotiate(values []string, offers ...Type) Type {
	if len(offers) == 0 {
		return None
	}
	var choices [numTypes]choice
	valid := false
	index := 0
	for _, v := range values {
		for v != "" {
			var elem string
			elem, v = nextElement(v)
			r, ok := parseRange(elem)
			if !ok {
				continue
			}
			valid = true
			r.cls = r.class()
			if r.foreign || r.cls == otherType {
				index++
				continue // matches none of the offers
			}
			for t := Text; t < numTypes; t++ {
				spec := r.specFor(t)
				if spec == specNone {
					continue
				}
				c := &choices[t]
				if spec > c.spec || (spec == c.spec && r.q > c.q) {
					*c = choice{spec: spec, q: r.q, index: index}
				}
			}
			index++
		}
	}
	if !valid {
		return offers[0]
	}
	best := None
	var bc choice
	for _, o := range offers {
		if o == None || o >= numTypes {
			continue
		}
		c := choices[o]
		if c.q == 0 {
			continue
		}
		if best == None || c.q > bc.q || (c.q == bc.q && (c.spec > bc.spec || (c.spec == bc.spec && c.index < bc.index))) {
			best, bc = o, c
		}
	}
	return best
}

// mediaRange is one well-formed element of an Accept header.
type mediaRange struct {
	typ, sub string // lower or upper case as sent; "*" for a wildcard
	q        int    // weight in thousandths, 0 to 1000
	params   bool   // has media-type parameters, all of them charset=utf-8
	foreign  bool   // has a parameter none of the offers has: matches none
	cls      int    // class of typ/sub (set by Negotiate)
}

// specFor returns how specifically r names t, or specNone.
func (r *mediaRange) specFor(t Type) int8 {
	if r.foreign {
		return specNone
	}
	var spec int8
	switch r.cls {
	case anyType:
		spec = specAny
	case textAny:
		if t == Text || t == HTML {
			spec = specTypeAny
		}
	case applicationAny:
		if t == JSON {
			spec = specTypeAny
		}
	case textPlain:
		if t == Text {
			spec = specExact
		}
	case textHTML:
		if t == HTML {
			spec = specExact
		}
	case xhtml:
		if t == HTML {
			spec = specRelated
		}
	case applicationJSON:
		if t == JSON {
			spec = specExact
		}
	case jsonSuffix:
		if t == JSON {
			spec = specRelated
		}
	}
	if spec != specNone && r.params {
		spec += specWithArgs
	}
	return spec
}

// Classes of media ranges, by what they can match.
const (
	otherType = iota
	anyType
	textAny
	applicationAny
	textPlain
	textHTML
	xhtml
	applicationJSON
	jsonSuffix
)

// class sorts r by the offers it can match.
func (r *mediaRange) class() int {
	switch {
	case r.typ == "*":
		return anyType
	case strings.EqualFold(r.typ, "text"):
		switch {
		case r.sub == "*":
			return textAny
		case strings.EqualFold(r.sub, "plain"):
			return textPlain
		case strings.EqualFold(r.sub, "html"):
			return textHTML
		}
	case strings.EqualFold(r.typ, "application"):
		switch {
		case r.sub == "*":
			return applicationAny
		case strings.EqualFold(r.sub, "json"):
			return applicationJSON
		case strings.EqualFold(r.sub, "xhtml+xml"):
			return xhtml
		case len(r.sub) > len("+json") && strings.EqualFold(r.sub[len(r.sub)-len("+json"):], "+json"):
			return jsonSuffix
		}
	}
	return otherType
}

// nextElement splits s at its first comma outside a quoted string. An
// unterminated quoted string runs to the end of s.
func nextElement(s string) (elem, rest string) {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++ // the escaped byte, whatever it is
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

// parseRange parses one list element:
//
//	media-range [ weight ] = ( "*/*" / type "/*" / type "/" subtype )
//	                         *( OWS ";" OWS [ parameter ] )
//	parameter              = token "=" ( token / quoted-string )
//
// where the parameter named q (any case, wherever it is, as RFC 9110 asks
// recipients to treat it) is the weight: "0" to "1" with up to three
// decimals. It reports false for an empty or malformed element: a missing or
// invalid type, "*/subtype", a bad parameter or weight, or two weights.
func parseRange(s string) (mediaRange, bool) {
	r := mediaRange{q: 1000}
	s = trimOWS(s)
	n := tokenLen(s)
	if n == 0 || n == len(s) || s[n] != '/' {
		return r, false
	}
	r.typ, s = s[:n], s[n+1:]
	n = tokenLen(s)
	if n == 0 {
		return r, false
	}
	r.sub, s = s[:n], s[n:]
	if r.typ == "*" && r.sub != "*" {
		return r, false
	}
	haveQ := false
	for {
		s = trimLeftOWS(s)
		if s == "" {
			return r, true
		}
		if s[0] != ';' {
			return r, false
		}
		s = trimLeftOWS(s[1:])
		if s == "" || s[0] == ';' {
			continue // an empty parameter
		}
		n = tokenLen(s)
		if n == 0 || n == len(s) || s[n] != '=' {
			return r, false
		}
		name := s[:n]
		s = s[n+1:]
		var value string
		quoted := s != "" && s[0] == '"'
		if quoted {
			n = quotedLen(s)
		} else {
			n = tokenLen(s)
		}
		if n == 0 {
			return r, false
		}
		value, s = s[:n], s[n:]
		switch {
		case strings.EqualFold(name, "q"):
			q, ok := parseQ(value)
			if !ok || haveQ {
				return r, false
			}
			r.q, haveQ = q, true
		case strings.EqualFold(name, "charset"):
			if quoted {
				value = value[1 : len(value)-1] // an escape makes it foreign
			}
			if strings.EqualFold(value, "utf-8") {
				r.params = true
			} else {
				r.foreign = true
			}
		default:
			r.foreign = true
		}
	}
}

// parseQ parses a qvalue into thousandths:
//
//	qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
func parseQ(s string) (int, bool) {
	if s == "" || len(s) > 5 || (s[0] != '0' && s[0] != '1') {
		return 0, false
	}
	q := int(s[0]-'0') * 1000
	if len(s) == 1 {
		return q, true
	}
	if s[1] != '.' {
		return 0, false
	}
	scale := 100
	for i := 2; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' || (q == 1000 && c != '0') {
			return 0, false
		}
		q += int(c-'0') * scale
		scale /= 10
	}
	return q, true
}

// tokenLen returns the length of the token at the start of s.
func tokenLen(s string) int {
	for i := 0; i < len(s); i++ {
		if !isTchar(s[i]) {
			return i
		}
	}
	return len(s)
}

// quotedLen returns the length of the quoted-string at the start of s
// (which starts with a double quote), or 0 when it is malformed.
func quotedLen(s string) int {
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return i + 1
		case c == '\\':
			i++
			if i == len(s) || !(s[i] == '\t' || s[i] >= ' ' && s[i] != 0x7f) {
				return 0
			}
		case c == '\t' || c >= ' ' && c != 0x7f:
		default:
			return 0
		}
	}
	return 0
}

// isTchar reports whether c may appear in a token (RFC 9110 section 5.6.2).
func isTchar(c byte) bool { return tchars[c] }

// tchars is the table of isTchar, never written after init.
var tchars = func() (t [256]bool) {
	for c := range t {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", byte(c)) >= 0
	}
	return t
}()

func trimOWS(s string) string {
	s = trimLeftOWS(s)
	for s != "" && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

func trimLeftOWS(s string) string {
	for s != "" && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	return s
}

package accept

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Accept headers that real clients send.
const (
	chromeNav  = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
	firefoxNav = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	chromeImg  = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
	chromeCSS  = "text/css,*/*;q=0.1"
	axios      = "application/json, text/plain, */*"
	jquery     = "application/json, text/javascript, */*; q=0.01"
	httpie     = "application/json, */*;q=0.5"
)

func TestNegotiate(t *testing.T) {
	throttle := []Type{Text, JSON, HTML}
	maintenance := []Type{HTML, JSON}
	tests := []struct {
		accept      []string // nil: no Accept header
		throttle    Type
		maintenance Type
	}{
		// Clients.
		{nil, Text, HTML},
		{[]string{"*/*"}, Text, HTML}, // curl, wget, fetch()
		{[]string{chromeNav}, HTML, HTML},
		{[]string{firefoxNav}, HTML, HTML},
		{[]string{chromeImg}, Text, HTML},
		{[]string{chromeCSS}, Text, HTML},
		{[]string{axios}, JSON, JSON},
		{[]string{jquery}, JSON, JSON},
		{[]string{httpie}, JSON, JSON},
		{[]string{"application/json"}, JSON, JSON},
		{[]string{"text/html"}, HTML, HTML},
		{[]string{"text/plain"}, Text, None},
		// q=0 is "not acceptable", wherever the weight is.
		{[]string{"application/json;q=0"}, None, None},
		{[]string{"application/json;q=0;level=1"}, None, None},
		{[]string{"application/json;level=1;q=0"}, None, None},
		{[]string{"application/json;Q=0.000"}, None, None},
		{[]string{"application/json;q=0, text/plain"}, Text, None},
		{[]string{"application/json;q=0, */*"}, Text, HTML},
		{[]string{"*/*, application/json;q=0"}, Text, HTML},
		{[]string{"text/html;q=0, */*"}, Text, JSON},
		{[]string{"text/*;q=0, */*"}, JSON, JSON},
		{[]string{"*/*;q=0"}, None, None},
		// The most specific range decides.
		{[]string{"application/*;q=0.1, application/json;q=0.9, text/*;q=0.5"}, JSON, JSON},
		{[]string{"application/json;q=0.1, application/*"}, JSON, JSON}, // 0.1 from the exact range; no text at all
		{[]string{"application/json;q=0.4, text/*;q=0.5"}, Text, HTML},
		{[]string{"application/problem+json"}, JSON, JSON},
		{[]string{"application/json;q=0, application/problem+json"}, None, None},
		{[]string{"application/xhtml+xml"}, HTML, HTML},
		{[]string{"text/html;q=0, application/xhtml+xml"}, None, None},
		{[]string{"Application/JSON; charset=utf-8"}, JSON, JSON},
		{[]string{`application/json; charset="UTF-8"`}, JSON, JSON},
		{[]string{"application/json;charset=iso-8859-1"}, None, None},
		{[]string{"text/html;level=1, application/json;q=0.5"}, JSON, JSON}, // our page is not level=1
		{[]string{"text/html;level=1;q=0, text/html"}, HTML, HTML},
		{[]string{"text/plain;charset=utf-8;q=0, text/plain"}, None, None}, // the more specific q=0 wins
		// Equal weights: the range that names the type, then its place.
		{[]string{"application/json, text/html"}, JSON, JSON},
		{[]string{"text/html, application/json"}, HTML, HTML},
		{[]string{"text/html, application/problem+json;q=0.9"}, HTML, HTML},
		{[]string{"text/html;q=0.5, application/problem+json"}, JSON, JSON},
		{[]string{"text/plain, application/json;q=0.1"}, Text, JSON},
		{[]string{"text/*"}, Text, HTML},
		{[]string{"application/json, */*"}, JSON, JSON},
		{[]string{"*/*, application/json"}, JSON, JSON},
		{[]string{"*/*;q=0.9, application/json;q=0.5"}, Text, HTML},
		// Several Accept lines are one list.
		{[]string{"text/html;q=0.5", "application/json"}, JSON, JSON},
		{[]string{"application/json;q=0", "*/*"}, Text, HTML},
		// Malformed elements are ignored; without a well-formed one, no
		// preference.
		{[]string{""}, Text, HTML},
		{[]string{"garbage"}, Text, HTML},
		{[]string{"application/json;q=bogus"}, Text, HTML},
		{[]string{"application/json;q=2"}, Text, HTML},
		{[]string{"application/json;q=1.5"}, Text, HTML},
		{[]string{"application/json;q=0.5;q=0.6"}, Text, HTML},
		{[]string{"application/json;q=0.1234"}, Text, HTML},
		{[]string{"application/json;q="}, Text, HTML},
		{[]string{"application/json;q"}, Text, HTML},
		{[]string{"application/json;q = 0"}, Text, HTML},
		{[]string{"*/json"}, Text, HTML},
		{[]string{"application/"}, Text, HTML},
		{[]string{"/json"}, Text, HTML},
		{[]string{"application/json/x"}, Text, HTML},
		{[]string{"app lication/json"}, Text, HTML},
		{[]string{"application/json;charset=\"utf-8"}, Text, HTML},
		{[]string{"garbage, application/json;q=bogus, text/html;q=0.1"}, HTML, HTML},
		{[]string{`text/plain;x="a,b;q=0", application/json`}, JSON, JSON}, // the comma is quoted
		{[]string{`text/plain;x="a\"b", application/json;q=0.5`}, JSON, JSON},
		{[]string{",,, application/json ,,"}, JSON, JSON},
		{[]string{"application/json;;q=0.5;"}, JSON, JSON},
		{[]string{"\tapplication/json\t;\tq=0.5\t"}, JSON, JSON},
		{[]string{"application/json;q=0.5 garbage"}, Text, HTML},
	}
	for _, tt := range tests {
		name := strings.Join(tt.accept, " | ")
		if tt.accept == nil {
			name = "no header"
		}
		t.Run(name, func(t *testing.T) {
			if got := Negotiate(tt.accept, throttle...); got != tt.throttle {
				t.Errorf("offers text, json, html: %v, want %v", got, tt.throttle)
			}
			if got := Negotiate(tt.accept, maintenance...); got != tt.maintenance {
				t.Errorf("offers html, json: %v, want %v", got, tt.maintenance)
			}
			if got, want := Negotiate(tt.accept, throttle...), refNegotiate(tt.accept, throttle); got != want {
				t.Errorf("offers text, json, html: %v, the reference says %v", got, want)
			}
		})
	}
}

// TestRFC9110Example is the weights example of RFC 9110 section 12.5.1.
func TestRFC9110Example(t *testing.T) {
	accept := []string{"text/*;q=0.3, text/plain;q=0.7, text/plain;format=flowed, text/plain;format=fixed;q=0.4, */*;q=0.5"}
	// text/plain (no format) 0.7, text/html 0.3, application/json 0.5.
	for _, tt := range []struct {
		offers []Type
		want   Type
	}{
		{[]Type{Text, HTML, JSON}, Text},
		{[]Type{HTML, JSON, Text}, Text},
		{[]Type{HTML, JSON}, JSON},
		{[]Type{HTML}, HTML},
		{nil, None},
	} {
		if got := Negotiate(accept, tt.offers...); got != tt.want {
			t.Errorf("offers %v: %v, want %v", tt.offers, got, tt.want)
		}
	}
}

func TestNegotiateAllocs(t *testing.T) {
	h := http.Header{}
	for _, a := range []string{chromeNav, axios, "*/*", `text/plain;x="a,b", application/json;q=0;level=1`} {
		h.Set("Accept", a)
		if n := testing.AllocsPerRun(100, func() { Negotiate(h.Values("Accept"), Text, JSON, HTML) }); n != 0 {
			t.Errorf("Negotiate(%q) allocates %v times", a, n)
		}
	}
}

func BenchmarkNegotiate(b *testing.B) {
	for _, a := range []struct{ name, accept string }{{"browser", chromeNav}, {"curl", "*/*"}, {"api", axios}} {
		b.Run(a.name, func(b *testing.B) {
			values := []string{a.accept}
			b.ReportAllocs()
			for b.Loop() {
				Negotiate(values, Text, JSON, HTML)
			}
		})
	}
}

// FuzzNegotiate checks, on any input, that Negotiate does not panic, returns
// one of the offers or None, agrees with refNegotiate (a second, simpler
// implementation built on regular expressions), and ignores a malformed
// element put in front.
func FuzzNegotiate(f *testing.F) {
	for _, s := range []string{chromeNav, firefoxNav, chromeImg, axios, jquery, httpie, "*/*", "",
		"application/json;q=0;level=1", `text/plain;x="a,b\"c";q=0.5, */*;q=0.1`, "text/*;q=0.3, text/plain;q=0.7",
		"application/problem+json, text/html;q=1.000", "\"", "a/b;c=\"\\", "*/*;q=0.", "text/html;charset=UTF-8"} {
		f.Add(s, uint8(0b100100))
	}
	f.Fuzz(func(t *testing.T, accept string, order uint8) {
		// order picks up to three offers, two bits each.
		var offers []Type
		for i := range 3 {
			if o := Type(order >> (2 * i) & 3); o != None {
				offers = append(offers, o)
			}
		}
		values := []string{accept}
		got := Negotiate(values, offers...)
		if got != None && !contains(offers, got) {
			t.Fatalf("Negotiate(%q, %v) = %v, not an offer", accept, offers, got)
		}
		if want := refNegotiate(values, offers); got != want {
			t.Fatalf("Negotiate(%q, %v) = %v, the reference says %v", accept, offers, got, want)
		}
		if again := Negotiate([]string{"x/;q=0,", accept}, offers...); again != got {
			t.Fatalf("a malformed line before %q changed %v to %v", accept, got, again)
		}
	})
}

func contains(offers []Type, t Type) bool {
	for _, o := range offers {
		if o == t {
			return true
		}
	}
	return false
}

// The reference: the same rules, written for clarity rather than speed.
var (
	token    = "[!#$%&'*+.^_`|~0-9A-Za-z-]+"
	quoted   = `"(?:[\t !\x23-\x5b\x5d-\x7e]|[^\x00-\x7f]|\\(?:[\t \x21-\x7e]|[^\x00-\x7f]))*"`
	elemRE   = regexp.MustCompile(`^(` + token + `)/(` + token + `)((?:[ \t]*;[ \t]*(?:` + token + `=(?:` + token + `|` + quoted + `))?)*)$`)
	paramRE  = regexp.MustCompile(`;[ \t]*(?:(` + token + `)=(` + token + `|` + quoted + `))?`)
	qvalueRE = regexp.MustCompile(`^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$`)
	splitRE  = regexp.MustCompile(`^(?s:[^,"]|"(?:[^"\\]|\\.|\\$)*(?:"|$))*`)
)

type refRange struct {
	typ, sub string
	q        float64
	params   int // charset=utf-8 parameters
	foreign  bool
}

func refParse(elem string) (refRange, bool) {
	elem = strings.Trim(elem, " \t")
	m := elemRE.FindStringSubmatch(elem)
	if m == nil || (m[1] == "*" && m[2] != "*") {
		return refRange{}, false
	}
	r := refRange{typ: strings.ToLower(m[1]), sub: strings.ToLower(m[2]), q: 1}
	seenQ := false
	for _, p := range paramRE.FindAllStringSubmatch(m[3], -1) {
		name, value := strings.ToLower(p[1]), p[2]
		switch {
		case name == "":
		case name == "q":
			if seenQ || !qvalueRE.MatchString(value) {
				return refRange{}, false
			}
			seenQ = true
			r.q, _ = strconv.ParseFloat(value, 64)
		case name == "charset" && strings.EqualFold(strings.Trim(value, `"`), "utf-8") && !strings.Contains(value, `\`):
			r.params++
		default:
			r.foreign = true
		}
	}
	return r, true
}

// refSpec returns how specifically r names t: 0 (not at all) to 9.
func refSpec(r refRange, t Type) int {
	if r.foreign {
		return 0
	}
	full := r.typ + "/" + r.sub
	spec := 0
	switch {
	case full == "*/*":
		spec = 2
	case r.sub == "*" && r.typ == strings.Split(t.String(), "/")[0]:
		spec = 4
	case full == t.String():
		spec = 8
	case t == HTML && full == "application/xhtml+xml",
		t == JSON && r.typ == "application" && strings.HasSuffix(r.sub, "+json") && r.sub != "+json":
		spec = 6
	}
	if spec > 0 && r.params > 0 {
		spec++
	}
	return spec
}

func refNegotiate(values []string, offers []Type) Type {
	if len(offers) == 0 {
		return None
	}
	var ranges []refRange
	for _, v := range values {
		for v != "" {
			elem := splitRE.FindString(v)
			v = strings.TrimPrefix(v[len(elem):], ",")
			if r, ok := refParse(elem); ok {
				ranges = append(ranges, r)
			}
		}
	}
	if len(ranges) == 0 {
		return offers[0]
	}
	type score struct {
		q          float64
		spec, last int
	}
	scoreOf := func(t Type) score {
		s := score{last: len(ranges)}
		for i, r := range ranges {
			sp := refSpec(r, t)
			if sp > s.spec || (sp == s.spec && sp > 0 && r.q > s.q) {
				s = score{q: r.q, spec: sp, last: i}
			}
		}
		return s
	}
	best, bs := None, score{}
	for _, o := range offers {
		s := scoreOf(o)
		if s.q == 0 {
			continue
		}
		if best == None || s.q > bs.q || s.q == bs.q && (s.spec > bs.spec || s.spec == bs.spec && s.last < bs.last) {
			best, bs = o, s
		}
	}
	return best
}

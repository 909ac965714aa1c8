package hostmatch

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// Fold(a) == Fold(b) must hold exactly when strings.EqualFold(a, b): every
// rune folds to a member of its own simple folding orbit, the same one
// for the whole orbit.
func TestFoldRuneIsOrbitRepresentative(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue // surrogates are not valid runes
		}
		f := foldRune(r)
		if !strings.EqualFold(string(r), string(f)) {
			t.Fatalf("foldRune(%U) = %U, which EqualFold does not take for it", r, f)
		}
		for o := unicode.SimpleFold(r); o != r; o = unicode.SimpleFold(o) {
			if foldRune(o) != f {
				t.Fatalf("%U folds to %U but %U of its orbit to %U", r, f, o, foldRune(o))
			}
		}
	}
}

func TestFoldMatchesEqualFold(t *testing.T) {
	pairs := [][2]string{
		{"Shop.Example.COM", "shop.example.com"},
		{"\u212aelvin.example", "kelvin.example"}, // Kelvin sign
		{"\u017fhop.example", "shop.example"},     // long s
		{"\xff.example", "\xfe.example"},          // invalid bytes read as U+FFFD
		{"\xff.example", "\ufffd.example"},
		{"İ.example", "i.example"},
		{"ı.example", "i.example"},
		{"ÉCOLE.example", "école.example"},
		{"a", "ab"},
		{"", ""},
	}
	for _, p := range pairs {
		if got, want := Fold(p[0]) == Fold(p[1]), strings.EqualFold(p[0], p[1]); got != want {
			t.Errorf("Fold(%q) == Fold(%q) is %v, EqualFold says %v", p[0], p[1], got, want)
		}
	}
}

func FuzzFold(f *testing.F) {
	f.Add("Shop.Example.com", "shop.example.COM")
	f.Add("\u212a", "k")
	f.Add("\xff", "\ufffd")
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := Fold(a) == Fold(b), strings.EqualFold(a, b); got != want {
			t.Fatalf("Fold(%q) == Fold(%q) is %v, EqualFold says %v", a, b, got, want)
		}
		if !utf8.ValidString(a) {
			return
		}
		if Fold(Fold(a)) != Fold(a) {
			t.Fatalf("Fold is not idempotent on %q", a)
		}
	})
}

// HostOf strips what caddyhttp.MatchHost strips.
func TestHostOf(t *testing.T) {
	matchHostView := func(h string) string {
		host, _, err := net.SplitHostPort(h)
		if err != nil {
			host = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
		}
		return host
	}
	for _, h := range []string{
		"shop.example.com", "shop.example.com:8443", "shop.example.com:", "[::1]", "[::1]:443",
		"::1", "1.2.3.4:80", "", ":80", "[", "]", "[]", "a:b:c", "shop.example.com.", "[shop]:1",
	} {
		if got, want := HostOf(h), matchHostView(h); got != want {
			t.Errorf("HostOf(%q) = %q, MatchHost compares %q", h, got, want)
		}
	}
}

func TestLookup(t *testing.T) {
	var tab Table
	for i, p := range []string{"shop.example.com", "*.events.example.com", "*.example.com", "*", "a.*.example.org", "*.*.example.org"} {
		if err := tab.Add(p, i); err != nil {
			t.Fatal(err)
		}
	}
	for host, want := range map[string]int{
		"shop.example.com":       0,
		"SHOP.example.com":       0,
		"x.events.example.com":   1,
		"X.Events.Example.Com":   1,
		".events.example.com":    1,
		"other.example.com":      2,
		"localhost":              3,
		"a.b.example.org":        4, // both a.* and *.* match: the lower value
		"b.b.example.org":        5,
		"shop.example.com.":      -1,
		"example.com":            -1,
		"a.b.events.example.com": -1,
	} {
		got, ok := tab.Lookup(host)
		if !ok {
			got = -1
		}
		if got != want {
			t.Errorf("Lookup(%q) = %d, want %d", host, got, want)
		}
	}
}

func TestAddErrors(t *testing.T) {
	var tab Table
	if err := tab.Add("shop.example.com", 0); err != nil {
		t.Fatal(err)
	}
	err := tab.Add("SHOP.example.com", 1)
	if dup, ok := err.(*DuplicateError); !ok || dup.Value != 0 {
		t.Errorf("adding a host twice: %v, want a DuplicateError naming value 0", err)
	}
	if err := tab.Add("{http.request.host}", 2); err == nil || !strings.Contains(err.Error(), "placeholder") {
		t.Errorf("a placeholder: %v, want an error", err)
	}
	if err := tab.Add("*"+strings.Repeat(".a", maxWildcardLabels), 3); err == nil {
		t.Errorf("a wildcard pattern with %d labels: no error", maxWildcardLabels+1)
	}
}

func TestLookupAllocatesNothing(t *testing.T) {
	var tab Table
	for i, p := range []string{"shop.example.com", "*.events.example.com"} {
		if err := tab.Add(p, i); err != nil {
			t.Fatal(err)
		}
	}
	for _, host := range []string{"shop.example.com", "Shop.Example.com", "x.events.example.com", "unknown.example"} {
		if n := testing.AllocsPerRun(100, func() { tab.Lookup(host) }); n != 0 {
			t.Errorf("Lookup(%q): %.0f allocations", host, n)
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	var tab Table
	for i := range 10000 {
		p := "s" + strconv.Itoa(i) + ".example.com"
		if i%10 == 9 {
			p = "*.e" + strconv.Itoa(i) + ".example.com"
		}
		if err := tab.Add(p, i); err != nil {
			b.Fatal(err)
		}
	}
	for _, host := range []string{"s0.example.com", "s9998.example.com", "x.e9999.example.com", "unknown.example.com"} {
		b.Run(host, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tab.Lookup(host)
			}
		})
	}
}

package visitor

import (
	"net/http"
	"net/netip"
	"testing"

	"github.com/frontdoor-gateway/frontdoor/geoip"
)

// fakeGeo knows a few addresses and counts lookups.
type fakeGeo struct{ lookups int }

func (g *fakeGeo) Lookup(ip netip.Addr) geoip.Record {
	g.lookups++
	switch ip.String() {
	case "168.126.63.1":
		return geoip.Record{Country: "KR", ASN: 4766, ASNOrg: "Korea Telecom"}
	case "8.8.8.8":
		return geoip.Record{Country: "US"}
	}
	return geoip.Record{}
}

const iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"

func TestOfCachesPerRequest(t *testing.T) {
	geo := new(fakeGeo)
	vars := map[string]any{ClientIPVar: "168.126.63.1"}
	h := http.Header{"User-Agent": {iphone}}

	a := Of(vars, h, geo)
	if a.Country() != "KR" || a.Device().Type.String() != "mobile" {
		t.Fatalf("got %s", a)
	}
	b := Of(vars, h, geo)
	if a != b {
		t.Fatal("second Of returned a different Info")
	}
	b.Country()
	b.ASN()
	if geo.lookups != 1 {
		t.Fatalf("%d lookups, want 1 per request", geo.lookups)
	}
}

func TestDeviceFirstThenCountry(t *testing.T) {
	vars := map[string]any{ClientIPVar: "168.126.63.1"}
	h := http.Header{"User-Agent": {iphone}}
	if Of(vars, h, nil).Device().Type.String() != "mobile" {
		t.Fatal("device")
	}
	if c := Of(vars, h, new(fakeGeo)).Country(); c != "KR" {
		t.Fatalf("country after a device-only first use = %q, want KR", c)
	}
}

func TestCountry(t *testing.T) {
	tests := []struct {
		name, ip, want, label string
	}{
		{"korea", "168.126.63.1", "KR", "KR"},
		{"ipv4-mapped ipv6", "::ffff:168.126.63.1", "KR", "KR"},
		{"loopback", "127.0.0.1", "", UnknownCountry},
		{"private", "10.1.2.3", "", UnknownCountry},
		{"not an address", "not-an-ip", "", UnknownCountry},
		{"empty", "", "", UnknownCountry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Of(map[string]any{ClientIPVar: tt.ip}, http.Header{}, new(fakeGeo))
			if in.Country() != tt.want || in.CountryLabel() != tt.label {
				t.Fatalf("Country = %q, label %q; want %q, %q", in.Country(), in.CountryLabel(), tt.want, tt.label)
			}
		})
	}
}

func TestNoVarsNoGeo(t *testing.T) {
	in := Of(nil, http.Header{"User-Agent": {iphone}}, nil)
	if in.Country() != "" || in.Device().Type.String() != "mobile" {
		t.Fatalf("got %s", in)
	}
	in = New(netip.MustParseAddr("8.8.8.8"), http.Header{}, new(fakeGeo))
	if in.Country() != "US" || in.IP().String() != "8.8.8.8" {
		t.Fatalf("got %s", in)
	}
}

func TestPlaceholder(t *testing.T) {
	in := Of(map[string]any{ClientIPVar: "168.126.63.1"}, http.Header{
		"User-Agent":         {"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"},
		"Sec-Ch-Ua-Mobile":   {"?1"},
		"Sec-Ch-Ua-Platform": {`"Android"`},
	}, new(fakeGeo))
	want := map[string]string{
		"geo.country_code": "KR",
		"geo.asn":          "4766",
		"geo.asn_org":      "Korea Telecom",
		"device.type":      "mobile",
		"device.os":        "android",
	}
	for key, w := range want {
		t.Run(key, func(t *testing.T) {
			v, ok := in.Placeholder(key)
			if !ok || v != w {
				t.Fatalf("Placeholder(%q) = %v, %v; want %q", key, v, ok, w)
			}
		})
	}
	if _, ok := in.Placeholder("geo.city"); ok {
		t.Fatal("unknown placeholder resolved")
	}
	unknown := Of(map[string]any{ClientIPVar: "10.0.0.1"}, http.Header{}, new(fakeGeo))
	if v, _ := unknown.Placeholder("geo.asn"); v != "" {
		t.Fatalf("geo.asn of an unknown address = %q, want empty", v)
	}
}

func BenchmarkOf(b *testing.B) {
	geo := new(fakeGeo)
	h := http.Header{"User-Agent": {iphone}}
	b.ReportAllocs()
	for b.Loop() {
		vars := map[string]any{ClientIPVar: "168.126.63.1"}
		in := Of(vars, h, geo)
		_ = in.Country()
		_ = in.Device()
	}
}

func TestDeviceFormFactorsHint(t *testing.T) {
	h := http.Header{}
	h.Set("User-Agent", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36")
	h.Set("Sec-CH-UA-Mobile", "?1")
	h.Set("Sec-CH-UA-Platform", `"Android"`)
	if got := New(netip.Addr{}, h, nil).Device().Type.String(); got != "mobile" {
		t.Fatalf("without form factors: %s, want mobile", got)
	}
	h.Set("Sec-CH-UA-Form-Factors", `"Tablet"`)
	if got := New(netip.Addr{}, h, nil).Device().Type.String(); got != "tablet" {
		t.Fatalf("with Sec-CH-UA-Form-Factors \"Tablet\": %s, want tablet", got)
	}
}

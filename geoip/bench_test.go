package geoip

import (
	"net/netip"
	"testing"

	geoip2 "github.com/oschwald/geoip2-golang/v2"
)

var sinkRecord Record

func benchmarkEmbedded(b *testing.B, addrs []string) {
	db, err := Embedded()
	if err != nil {
		b.Fatal(err)
	}
	ips := make([]netip.Addr, len(addrs))
	for i, a := range addrs {
		ips[i] = netip.MustParseAddr(a)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sinkRecord = db.Lookup(ips[i%len(ips)])
	}
}

func BenchmarkLookupEmbeddedIPv4(b *testing.B) {
	benchmarkEmbedded(b, []string{"8.8.8.8", "211.234.1.1", "1.1.1.1", "81.2.69.142", "202.12.27.33"})
}

func BenchmarkLookupEmbeddedIPv6(b *testing.B) {
	benchmarkEmbedded(b, []string{"2001:4860:4860::8888", "2404:6800:4004:80a::200e", "2a00:1450:4001:82a::200e"})
}

func BenchmarkLookupEmbeddedParallel(b *testing.B) {
	db, err := Embedded()
	if err != nil {
		b.Fatal(err)
	}
	ip := netip.MustParseAddr("211.234.1.1")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if db.Lookup(ip).Country == "" {
				b.Error("no country")
				return
			}
		}
	})
}

// The choice between geoip2-golang and maxminddb-golang: the same GeoIP2
// Country database, looked up through geoip2-golang's Country (which decodes
// the full record with its localized names) and through this package.
func BenchmarkGeoIP2CountryRecord(b *testing.B) {
	data := buildDB(b, "GeoLite2-Country", 1700000000, []testNet{
		{"1.2.3.0/24", geoip2Record("KR", "KR")},
		{"2001:db8:1::/48", geoip2Record("DE", "DE")},
	})
	ip := netip.MustParseAddr("1.2.3.4")
	b.Run("geoip2-golang", func(b *testing.B) {
		r, err := geoip2.OpenBytes(data)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			c, err := r.Country(ip)
			if err != nil || c.Country.ISOCode != "KR" {
				b.Fatal(c, err)
			}
		}
	})
	b.Run("frontdoor-geoip", func(b *testing.B) {
		db, err := OpenBytes("bench", data)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if db.Lookup(ip).Country != "KR" {
				b.Fatal("wrong country")
			}
		}
	})
}

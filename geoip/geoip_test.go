package geoip

import (
	"net/netip"
	"testing"
	"time"
)

func TestSchemaFor(t *testing.T) {
	tests := []struct {
		dbType string
		want   Schema
	}{
		{"country ipvAll", SchemaCountryCode},
		{"GeoLite2-Country", SchemaGeoIP2},
		{"GeoIP2-Country", SchemaGeoIP2},
		{"GeoLite2-City", SchemaGeoIP2},
		{"GeoIP2-Enterprise", SchemaGeoIP2},
		{"DBIP-Country-Lite", SchemaGeoIP2},
		{"GeoLite2-ASN", SchemaASN},
		{"GeoIP2-ISP", SchemaASN},
		{"something-else", SchemaAuto},
	}
	for _, tt := range tests {
		t.Run(tt.dbType, func(t *testing.T) {
			if got := SchemaFor(tt.dbType); got != tt.want {
				t.Fatalf("SchemaFor(%q) = %v, want %v", tt.dbType, got, tt.want)
			}
		})
	}
}

func TestLookupSchemas(t *testing.T) {
	countryCode := buildDB(t, "country ipvAll", 1700000000, []testNet{
		{"1.2.3.0/24", countryCodeRecord("KR")},
		{"5.6.0.0/16", countryCodeRecord("jp")}, // lower case is normalized
		{"2001:db8:1::/48", countryCodeRecord("DE")},
		{"9.9.9.0/24", countryCodeRecord("XYZ")}, // not a code: unknown
	})
	geoip2DB := buildDB(t, "GeoLite2-Country", 1700000000, []testNet{
		{"1.2.3.0/24", geoip2Record("KR", "KR")},
		{"5.6.0.0/16", geoip2Record("", "JP")}, // registered country only
		{"2001:db8:1::/48", geoip2Record("DE", "FR")},
	})
	cityDB := buildDB(t, "GeoLite2-City", 1700000000, []testNet{
		{"1.2.3.0/24", geoip2Record("KR", "")},
		{"5.6.0.0/16", geoip2Record("", "JP")},
		{"2001:db8:1::/48", geoip2Record("DE", "")},
	})
	asnDB := buildDB(t, "GeoLite2-ASN", 1700000000, []testNet{
		{"1.2.3.0/24", asnRecord(4766, "Korea Telecom")},
		{"2001:db8:1::/48", asnRecord(3320, "Deutsche Telekom AG")},
	})
	autoDB := buildDB(t, "custom-type", 1700000000, []testNet{
		{"1.2.3.0/24", countryCodeRecord("KR")},
		{"5.6.0.0/16", geoip2Record("", "JP")},
		{"2001:db8:1::/48", asnRecord(3320, "Deutsche Telekom AG")},
	})

	type probe struct {
		ip   string
		want Record
	}
	countries := []probe{
		{"1.2.3.4", Record{Country: "KR"}},
		{"5.6.7.8", Record{Country: "JP"}},
		{"::ffff:1.2.3.4", Record{Country: "KR"}}, // IPv4-mapped IPv6
		{"2001:db8:1:2::1", Record{Country: "DE"}},
		{"8.8.8.8", Record{}},       // not in the database
		{"127.0.0.1", Record{}},     // loopback
		{"10.1.2.3", Record{}},      // private
		{"2001:db8:2::1", Record{}}, // other IPv6 network
	}
	tests := []struct {
		name   string
		data   []byte
		schema Schema
		probes []probe
	}{
		{"country_code", countryCode, SchemaCountryCode, append(countries, probe{"9.9.9.9", Record{}})},
		{"geoip2 country", geoip2DB, SchemaGeoIP2, countries},
		{"geoip2 city", cityDB, SchemaGeoIP2, countries},
		{"asn", asnDB, SchemaASN, []probe{
			{"1.2.3.4", Record{ASN: 4766, ASNOrg: "Korea Telecom"}},
			{"::ffff:1.2.3.4", Record{ASN: 4766, ASNOrg: "Korea Telecom"}},
			{"2001:db8:1::9", Record{ASN: 3320, ASNOrg: "Deutsche Telekom AG"}},
			{"5.6.7.8", Record{}},
		}},
		{"auto", autoDB, SchemaAuto, []probe{
			{"1.2.3.4", Record{Country: "KR"}},
			{"5.6.7.8", Record{Country: "JP"}},
			{"2001:db8:1::9", Record{ASN: 3320, ASNOrg: "Deutsche Telekom AG"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := OpenBytes(tt.name, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if db.Schema() != tt.schema {
				t.Fatalf("schema = %v, want %v", db.Schema(), tt.schema)
			}
			if got := db.BuildTime(); !got.Equal(time.Unix(1700000000, 0)) {
				t.Fatalf("build time = %v", got)
			}
			for _, p := range tt.probes {
				// Twice: the second answer comes from the record cache.
				for i := 0; i < 2; i++ {
					if got := db.Lookup(netip.MustParseAddr(p.ip)); got != p.want {
						t.Fatalf("Lookup(%s) #%d = %+v, want %+v", p.ip, i+1, got, p.want)
					}
				}
			}
		})
	}
}

func TestLookupInvalidAddress(t *testing.T) {
	db, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if got := db.Lookup(netip.Addr{}); got != (Record{}) {
		t.Fatalf("Lookup(invalid) = %+v, want zero", got)
	}
}

func TestOpenBytesRejectsBadData(t *testing.T) {
	good := buildDB(t, "GeoLite2-Country", 1700000000, []testNet{{"1.2.3.0/24", geoip2Record("KR", "")}})
	tests := map[string][]byte{
		"empty":     nil,
		"garbage":   []byte("this is not a MaxMind database"),
		"truncated": good[:len(good)/2],
		"no tail":   good[:len(good)-20],
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := OpenBytes(name, data); err == nil {
				t.Fatal("OpenBytes accepted a bad database")
			}
		})
	}
	// Corrupt the search tree: verification must catch it.
	corrupt := append([]byte(nil), good...)
	for i := 0; i < 64 && i < len(corrupt); i++ {
		corrupt[i] = 0xff
	}
	if _, err := OpenBytes("corrupt tree", corrupt); err == nil {
		t.Fatal("OpenBytes accepted a database with a corrupt search tree")
	}
}

// Well-known addresses in the embedded database (ip-location-db
// geo-whois-asn-country): public resolvers and large networks whose country
// does not change.
func TestEmbeddedWellKnown(t *testing.T) {
	db, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if db.Schema() != SchemaCountryCode {
		t.Fatalf("embedded schema = %v, want country_code", db.Schema())
	}
	if db.BuildTime().Year() < 2024 {
		t.Fatalf("embedded database built %v, looks wrong", db.BuildTime())
	}
	tests := []struct{ ip, want string }{
		{"8.8.8.8", "US"},              // Google
		{"1.1.1.1", "AU"},              // APNIC/Cloudflare research prefix
		{"211.234.1.1", "KR"},          // SK Broadband
		{"::ffff:211.234.1.1", "KR"},   // the same, IPv4-mapped
		{"2001:4860:4860::8888", "US"}, // Google IPv6
		{"127.0.0.1", ""},
		{"192.168.1.1", ""}, // the database itself claims a country for it
		{"100.64.1.1", ""},
		{"169.254.1.1", ""},
		{"fe80::1", ""},
		{"fd00::1", ""},
		{"::1", ""},
	}
	for _, tt := range tests {
		if got := db.Lookup(netip.MustParseAddr(tt.ip)).Country; got != tt.want {
			t.Errorf("embedded Lookup(%s) = %q, want %q", tt.ip, got, tt.want)
		}
	}
}

// The embedded database is not verified when it is opened: verify it here.
func TestEmbeddedVerifies(t *testing.T) {
	data, err := embeddedData()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenBytes(EmbeddedName, data); err != nil {
		t.Fatalf("the embedded database does not verify: %v", err)
	}
}

func TestEmbeddedIsShared(t *testing.T) {
	a, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Embedded()
	if a != b {
		t.Fatal("Embedded returned two different databases")
	}
}

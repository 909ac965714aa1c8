// Package geoip looks up the country and autonomous system of an IP address
// in MaxMind DB (.mmdb) files. It is free of Caddy: the frontdoor geoip app
// wraps it.
//
// Three record layouts are understood, chosen from the database's metadata:
// the top-level country_code of the ip-location-db databases (the embedded
// default), the country.iso_code / registered_country.iso_code of MaxMind's
// GeoIP2 and GeoLite2 Country, City and Enterprise databases (and DB-IP's
// compatible ones), and the autonomous_system_number /
// autonomous_system_organization of ASN and ISP databases.
//
// Lookups do not allocate once a record has been seen: decoded records are
// cached by their offset in the database's data section, which networks of
// the same country share.
package geoip

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Schema says where a database keeps the fields frontdoor reads.
type Schema uint8

const (
	// SchemaAuto reads every known field; used for unknown database types.
	SchemaAuto Schema = iota
	// SchemaCountryCode is a top-level "country_code" string (ip-location-db).
	SchemaCountryCode
	// SchemaGeoIP2 is "country.iso_code", falling back to
	// "registered_country.iso_code" (GeoIP2/GeoLite2 Country, City, Enterprise).
	SchemaGeoIP2
	// SchemaASN is "autonomous_system_number" and
	// "autonomous_system_organization" (GeoLite2-ASN, GeoIP2-ISP).
	SchemaASN
)

func (s Schema) String() string {
	switch s {
	case SchemaCountryCode:
		return "country_code"
	case SchemaGeoIP2:
		return "geoip2"
	case SchemaASN:
		return "asn"
	default:
		return "auto"
	}
}

// HasCountry reports whether databases of this schema hold countries.
func (s Schema) HasCountry() bool { return s != SchemaASN }

// HasASN reports whether databases of this schema hold autonomous systems.
func (s Schema) HasASN() bool { return s == SchemaASN || s == SchemaAuto }

// SchemaFor picks the schema for a database_type metadata value.
func SchemaFor(databaseType string) Schema {
	t := strings.ToLower(databaseType)
	switch {
	case strings.Contains(t, "asn") || strings.Contains(t, "isp"):
		return SchemaASN
	case strings.HasPrefix(t, "geoip2-") || strings.HasPrefix(t, "geolite2-") ||
		strings.HasPrefix(t, "geoip-") || strings.HasPrefix(t, "dbip-"):
		return SchemaGeoIP2
	case strings.HasPrefix(t, "country"):
		return SchemaCountryCode
	default:
		return SchemaAuto
	}
}

// Record is what frontdoor knows of an address. The zero value means unknown.
type Record struct {
	// Country is the ISO 3166-1 alpha-2 code in upper case, or "".
	Country string
	// ASN is the autonomous system number, or 0.
	ASN uint32
	// ASNOrg is the autonomous system's organization, or "".
	ASNOrg string
}

// maxCachedRecords bounds the per-database record cache. Country databases
// hold a few hundred distinct records; City databases hold many more, and
// records past the bound are decoded on every lookup.
const maxCachedRecords = 1 << 16

// Database is one opened, verified database. It is safe for concurrent use
// and is never closed: it holds its data in memory, so a replaced file can
// neither change nor unmap it while lookups run.
type Database struct {
	name   string
	schema Schema
	meta   maxminddb.Metadata
	reader *maxminddb.Reader

	mu    sync.RWMutex
	cache map[uintptr]Record
}

// OpenBytes opens and verifies a database held in data, which must not be
// modified afterwards. Name identifies it in errors and metrics.
func OpenBytes(name string, data []byte) (*Database, error) {
	return openBytes(name, data, true)
}

func openBytes(name string, data []byte, verify bool) (*Database, error) {
	r, err := maxminddb.OpenBytes(data)
	if err != nil {
		return nil, fmt.Errorf("geoip: %s: %w", name, err)
	}
	// Verify insists on a description, which is informational and which some
	// publishers (ip-location-db among them) leave empty.
	if len(r.Metadata.Description) == 0 {
		r.Metadata.Description = map[string]string{"en": r.Metadata.DatabaseType}
	}
	if verify {
		if err := r.Verify(); err != nil {
			return nil, fmt.Errorf("geoip: %s: invalid database: %w", name, err)
		}
	}
	return &Database{
		name:   name,
		schema: SchemaFor(r.Metadata.DatabaseType),
		meta:   r.Metadata,
		reader: r,
		cache:  make(map[uintptr]Record),
	}, nil
}

// Name identifies the database (its path, or "embedded").
func (d *Database) Name() string { return d.name }

// Schema is the layout chosen from the database's metadata.
func (d *Database) Schema() Schema { return d.schema }

// Type is the database_type from the metadata.
func (d *Database) Type() string { return d.meta.DatabaseType }

// BuildTime is when the database was built, from its metadata.
func (d *Database) BuildTime() time.Time { return d.meta.BuildTime() }

// Lookup returns the record for ip; the zero Record when the address is not
// in the database or is not a public address (private, loopback, link-local,
// shared CGNAT space, multicast: these are never looked up, whatever a
// database says of them). IPv4-mapped IPv6 addresses are looked up as IPv4.
func (d *Database) Lookup(ip netip.Addr) Record {
	ip = ip.Unmap()
	if !IsPublic(ip) {
		return Record{}
	}
	res := d.reader.Lookup(ip)
	if !res.Found() {
		return Record{}
	}
	off := res.Offset()
	d.mu.RLock()
	rec, ok := d.cache[off]
	d.mu.RUnlock()
	if ok {
		return rec
	}
	rec, err := d.decode(res)
	if err != nil {
		// A verified database does not fail here; treat it as unknown.
		return Record{}
	}
	d.mu.Lock()
	if len(d.cache) < maxCachedRecords {
		d.cache[off] = rec
	}
	d.mu.Unlock()
	return rec
}

// cgnat is the shared address space of RFC 6598.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// IsPublic reports whether ip is a valid global unicast address outside the
// private and shared ranges: the only addresses that have a country.
func IsPublic(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsValid() && ip.IsGlobalUnicast() && !ip.IsPrivate() && !cgnat.Contains(ip)
}

type isoCode struct {
	ISOCode string `maxminddb:"iso_code"`
}

type anyRecord struct {
	CountryCode       string  `maxminddb:"country_code"`
	Country           isoCode `maxminddb:"country"`
	RegisteredCountry isoCode `maxminddb:"registered_country"`
	ASN               uint32  `maxminddb:"autonomous_system_number"`
	ASNOrg            string  `maxminddb:"autonomous_system_organization"`
}

func (d *Database) decode(res maxminddb.Result) (Record, error) {
	var rec Record
	switch d.schema {
	case SchemaCountryCode:
		var v struct {
			CountryCode string `maxminddb:"country_code"`
		}
		if err := res.Decode(&v); err != nil {
			return rec, err
		}
		rec.Country = v.CountryCode
	case SchemaGeoIP2:
		var v struct {
			Country           isoCode `maxminddb:"country"`
			RegisteredCountry isoCode `maxminddb:"registered_country"`
		}
		if err := res.Decode(&v); err != nil {
			return rec, err
		}
		rec.Country = firstNonEmpty(v.Country.ISOCode, v.RegisteredCountry.ISOCode)
	case SchemaASN:
		var v struct {
			ASN    uint32 `maxminddb:"autonomous_system_number"`
			ASNOrg string `maxminddb:"autonomous_system_organization"`
		}
		if err := res.Decode(&v); err != nil {
			return rec, err
		}
		rec.ASN, rec.ASNOrg = v.ASN, v.ASNOrg
	default:
		var v anyRecord
		if err := res.Decode(&v); err != nil {
			return rec, err
		}
		rec.Country = firstNonEmpty(v.CountryCode, v.Country.ISOCode, v.RegisteredCountry.ISOCode)
		rec.ASN, rec.ASNOrg = v.ASN, v.ASNOrg
	}
	rec.Country = normalizeCountry(rec.Country)
	return rec, nil
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// normalizeCountry keeps two ASCII letters in upper case and drops anything
// else, so a code is always safe to use as a header value or metric label.
func normalizeCountry(c string) string {
	if len(c) != 2 {
		return ""
	}
	b := [2]byte{c[0], c[1]}
	for i, ch := range b {
		switch {
		case ch >= 'A' && ch <= 'Z':
		case ch >= 'a' && ch <= 'z':
			b[i] = ch - 'a' + 'A'
		default:
			return ""
		}
	}
	if b[0] == c[0] && b[1] == c[1] {
		return c
	}
	return string(b[:])
}

// ErrEmpty is returned for an empty database file.
var ErrEmpty = errors.New("empty file")

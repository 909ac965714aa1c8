package geoip

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// testNet is one network and the record the test database stores for it.
type testNet struct {
	cidr   string
	record mmdbtype.Map
}

// buildDB writes a MaxMind DB of the given type holding nets.
func buildDB(t testing.TB, dbType string, epoch int64, nets []testNet) []byte {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType:            dbType,
		Description:             map[string]string{"en": "frontdoor test database"},
		IPVersion:               6,
		RecordSize:              24,
		BuildEpoch:              epoch,
		IncludeReservedNetworks: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nets {
		_, ipnet, err := net.ParseCIDR(n.cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(ipnet, n.record); err != nil {
			t.Fatalf("insert %s: %v", n.cidr, err)
		}
	}
	var buf bytes.Buffer
	if _, err := tree.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func countryCodeRecord(cc string) mmdbtype.Map {
	return mmdbtype.Map{"country_code": mmdbtype.String(cc)}
}

func geoip2Record(country, registered string) mmdbtype.Map {
	m := mmdbtype.Map{
		"continent": mmdbtype.Map{"code": mmdbtype.String("AS")},
	}
	if country != "" {
		m["country"] = mmdbtype.Map{
			"iso_code":   mmdbtype.String(country),
			"geoname_id": mmdbtype.Uint32(1835841),
			"names": mmdbtype.Map{
				"en": mmdbtype.String("Country " + country),
				"de": mmdbtype.String("Land " + country),
				"ja": mmdbtype.String("国 " + country),
			},
		}
	}
	if registered != "" {
		m["registered_country"] = mmdbtype.Map{"iso_code": mmdbtype.String(registered)}
	}
	return m
}

func asnRecord(asn uint32, org string) mmdbtype.Map {
	return mmdbtype.Map{
		"autonomous_system_number":       mmdbtype.Uint32(asn),
		"autonomous_system_organization": mmdbtype.String(org),
	}
}

// writeFileAtomic writes data to path through a temporary file and a rename,
// the way geoipupdate replaces databases.
func writeFileAtomic(t testing.TB, path string, data []byte) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

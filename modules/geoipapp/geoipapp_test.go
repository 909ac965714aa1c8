package geoipapp

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func writeDB(t *testing.T, path, dbType string, nets map[string]mmdbtype.Map) {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType: dbType, Description: map[string]string{"en": "test"},
		IPVersion: 6, RecordSize: 24, BuildEpoch: 1700000000,
	})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, rec := range nets {
		_, n, _ := net.ParseCIDR(cidr)
		if err := tree.Insert(n, rec); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := tree.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func country(cc string) mmdbtype.Map {
	return mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(cc)}}
}

func provision(t *testing.T, app *App) (caddy.Context, func()) {
	t.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	if err := app.Provision(ctx); err != nil {
		cancel()
		t.Fatalf("Provision: %v", err)
	}
	return ctx, cancel
}

func TestEmbeddedByDefault(t *testing.T) {
	app := new(App)
	_, cancel := provision(t, app)
	defer cancel()
	if got := app.Country(netip.MustParseAddr("211.234.1.1")); got != "KR" {
		t.Fatalf("Country = %q, want KR from the embedded database", got)
	}
	if app.HasASN() {
		t.Fatal("HasASN with only the embedded country database")
	}
	if time := app.ReloadInterval; time != caddy.Duration(DefaultReloadInterval) {
		t.Fatalf("default reload interval = %v", time)
	}
}

func TestCountryAndASNDatabases(t *testing.T) {
	dir := t.TempDir()
	countryPath := filepath.Join(dir, "GeoLite2-Country.mmdb")
	asnPath := filepath.Join(dir, "GeoLite2-ASN.mmdb")
	writeDB(t, countryPath, "GeoLite2-Country", map[string]mmdbtype.Map{"1.2.3.0/24": country("JP")})
	writeDB(t, asnPath, "GeoLite2-ASN", map[string]mmdbtype.Map{"1.2.3.0/24": {
		"autonomous_system_number":       mmdbtype.Uint32(64500),
		"autonomous_system_organization": mmdbtype.String("Example Net"),
	}})

	app := &App{Databases: []string{countryPath, asnPath}}
	_, cancel := provision(t, app)
	defer cancel()
	rec := app.Lookup(netip.MustParseAddr("1.2.3.4"))
	if rec.Country != "JP" || rec.ASN != 64500 || rec.ASNOrg != "Example Net" {
		t.Fatalf("Lookup = %+v", rec)
	}
	// Not in the configured country file: no fallback to the embedded one
	// when a configured file holds countries.
	if got := app.Country(netip.MustParseAddr("8.8.8.8")); got != "" {
		t.Fatalf("Country(8.8.8.8) = %q, want empty", got)
	}
}

func TestASNOnlyFallsBackToEmbeddedCountries(t *testing.T) {
	asnPath := filepath.Join(t.TempDir(), "GeoLite2-ASN.mmdb")
	writeDB(t, asnPath, "GeoLite2-ASN", map[string]mmdbtype.Map{"8.8.8.0/24": {
		"autonomous_system_number": mmdbtype.Uint32(15169),
	}})
	app := &App{Databases: []string{asnPath}}
	_, cancel := provision(t, app)
	defer cancel()
	rec := app.Lookup(netip.MustParseAddr("8.8.8.8"))
	if rec.Country != "US" || rec.ASN != 15169 {
		t.Fatalf("Lookup = %+v, want US from the embedded database and AS15169", rec)
	}
}

func TestProvisionErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.mmdb")
	if err := os.WriteFile(bad, []byte("not a database"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{
		"missing": filepath.Join(dir, "missing.mmdb"),
		"corrupt": bad,
		"empty":   "",
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
			defer cancel()
			app := &App{Databases: []string{path}}
			err := app.Provision(ctx)
			if err == nil {
				t.Fatal("Provision succeeded")
			}
			if path != "" && !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not name the file", err)
			}
		})
	}
}

func TestReloadCountsResults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "GeoLite2-Country.mmdb")
	writeDB(t, path, "GeoLite2-Country", map[string]mmdbtype.Map{"1.2.3.0/24": country("KR")})
	app := &App{Databases: []string{path}}
	_, cancel := provision(t, app)
	defer cancel()
	ip := netip.MustParseAddr("1.2.3.4")

	writeDB(t, path, "GeoLite2-Country", map[string]mmdbtype.Map{"1.2.3.0/24": country("JP")})
	app.ReloadNow()
	if got := app.Country(ip); got != "JP" {
		t.Fatalf("after reload: %q, want JP", got)
	}
	if err := os.WriteFile(path, []byte("truncated"), 0o644); err != nil {
		t.Fatal(err)
	}
	app.ReloadNow()
	if got := app.Country(ip); got != "JP" {
		t.Fatalf("after a bad file: %q, want JP kept", got)
	}
	if got := testutil.ToFloat64(app.metrics.reloads.WithLabelValues("success")); got != 1 {
		t.Fatalf("success reloads = %v, want 1", got)
	}
	if got := testutil.ToFloat64(app.metrics.reloads.WithLabelValues("error")); got != 1 {
		t.Fatalf("error reloads = %v, want 1", got)
	}
}

// Two configs (a reload) share the opened file and the metrics registry
// reuses collectors: no panic, no second read.
func TestSharedAcrossConfigs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "GeoLite2-Country.mmdb")
	writeDB(t, path, "GeoLite2-Country", map[string]mmdbtype.Map{"1.2.3.0/24": country("KR")})
	a, b := &App{Databases: []string{path}}, &App{Databases: []string{path}}
	_, cancelA := provision(t, a)
	_, cancelB := provision(t, b)
	defer cancelB()
	if a.sources[0] != b.sources[0] {
		t.Fatal("two configs opened the same file twice")
	}
	cancelA() // the old config goes away
	if got := b.Country(netip.MustParseAddr("1.2.3.4")); got != "KR" {
		t.Fatalf("after the old config's cleanup: %q", got)
	}
}

func TestUnmarshalCaddyfile(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		want    App
		wantErr string
	}{
		{name: "bare", input: `geoip`, want: App{}},
		{name: "full", input: `geoip {
			database /a.mmdb
			database /b.mmdb
			reload_interval 5m
		}`, want: App{Databases: []string{"/a.mmdb", "/b.mmdb"}, ReloadInterval: caddy.Duration(5 * 60e9)}},
		{name: "off", input: `geoip {
			reload_interval off
		}`, want: App{ReloadInterval: -1}},
		{name: "unknown", input: "geoip {\n\tdatabse /a.mmdb\n}", wantErr: `geoip: unrecognized subdirective "databse", at Testfile:2`},
		{name: "bad duration", input: "geoip {\n\treload_interval soon\n}", wantErr: "Testfile:2"},
		{name: "too short", input: "geoip {\n\treload_interval 10ms\n}", wantErr: "below the 1s minimum"},
		{name: "missing path", input: "geoip {\n\tdatabase\n}", wantErr: "Testfile:2"},
		{name: "extra arg", input: "geoip {\n\tdatabase /a /b\n}", wantErr: "Testfile:2"},
		{name: "inline arg", input: "geoip /a.mmdb", wantErr: "Testfile:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var app App
			err := app.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.input))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(app.Databases, ",") != strings.Join(tt.want.Databases, ",") || app.ReloadInterval != tt.want.ReloadInterval {
				t.Fatalf("got %+v, want %+v", app, tt.want)
			}
		})
	}
}

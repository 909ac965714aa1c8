package visitorinfo

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/caddyserver/caddy/v2"

	"github.com/frontdoor-gateway/frontdoor/modules/geoipapp"
)

// writeASNDatabase writes a one-network GeoLite2-ASN style database.
func writeASNDatabase(t *testing.T) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-ASN", RecordSize: 24})
	if err != nil {
		t.Fatal(err)
	}
	_, network, _ := net.ParseCIDR("168.126.0.0/16")
	if err := tree.Insert(network, mmdbtype.Map{
		"autonomous_system_number":       mmdbtype.Uint32(4766),
		"autonomous_system_organization": mmdbtype.String("Korea Telecom"),
	}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "asn.mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestASNPlaceholders: with an ASN database loaded next to the embedded
// country database, {geo.asn} and {geo.asn_org} are set; without one they
// are empty.
func TestASNPlaceholders(t *testing.T) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	app := &geoipapp.App{Databases: []string{writeASNDatabase(t)}, ReloadInterval: -1}
	if err := app.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	defer app.Cleanup()
	h := new(Handler)
	if err := h.provision(app, nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ ip, want string }{
		{ipKR, "KR|4766|Korea Telecom"},
		{"8.8.8.8", "US||"},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			r, repl, _ := request(tt.ip, http.Header{})
			if err := h.ServeHTTP(httptest.NewRecorder(), r, new(recorder)); err != nil {
				t.Fatal(err)
			}
			if got := repl.ReplaceAll("{geo.country_code}|{geo.asn}|{geo.asn_org}", ""); got != tt.want {
				t.Fatalf("placeholders = %q, want %q", got, tt.want)
			}
		})
	}
}

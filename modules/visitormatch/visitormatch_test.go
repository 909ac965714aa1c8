package visitormatch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/frontdoor-gateway/frontdoor/modules/geoipapp"
	"github.com/frontdoor-gateway/frontdoor/modules/internal/visitor"
)

const (
	ipKR      = "168.126.63.1"
	ipUS      = "8.8.8.8"
	uaIPhone  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	uaDesktop = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
	uaBot     = "Mozilla/5.0 (compatible; Yeti/1.1; +https://naver.me/spd)"
)

func geoApp(t testing.TB) *geoipapp.App {
	t.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	app := new(geoipapp.App)
	if err := app.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	return app
}

func request(clientIP, ua string) (*http.Request, map[string]any) {
	r := httptest.NewRequest(http.MethodGet, "http://shop.example/", nil)
	r.Header.Set("User-Agent", ua)
	r.Header.Set("X-Forwarded-For", ipKR) // never read: only Caddy's client_ip counts
	vars := map[string]any{caddyhttp.ClientIPVarKey: clientIP}
	return r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, vars)), vars
}

func TestMatchCountry(t *testing.T) {
	geo := geoApp(t)
	tests := []struct {
		name      string
		countries []string
		ip        string
		want      bool
	}{
		{"in list", []string{"JP", "KR"}, ipKR, true},
		{"lower case config", []string{"kr"}, ipKR, true},
		{"not in list", []string{"KR"}, ipUS, false},
		{"loopback is unknown", []string{"KR"}, "127.0.0.1", false},
		{"private is unknown", []string{"KR"}, "10.0.0.1", false},
		{"X-Forwarded-For is not the client IP", []string{"KR"}, "192.168.0.1", false},
		{"garbage client IP", []string{"KR"}, "garbage", false},
		{"ipv6", []string{"US"}, "2001:4860:4860::8888", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &MatchCountry{Countries: tt.countries}
			if err := m.provision(geo); err != nil {
				t.Fatal(err)
			}
			r, _ := request(tt.ip, uaDesktop)
			got, err := m.MatchWithError(r)
			if err != nil || got != tt.want {
				t.Fatalf("MatchWithError = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestMatchDevice(t *testing.T) {
	tests := []struct {
		name  string
		types []string
		ua    string
		want  bool
	}{
		{"mobile", []string{"mobile", "tablet"}, uaIPhone, true},
		{"desktop not in list", []string{"mobile"}, uaDesktop, false},
		{"bot", []string{"bot"}, uaBot, true},
		{"upper case config", []string{"MOBILE"}, uaIPhone, true},
		{"empty User-Agent is other", []string{"other"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &MatchDevice{Types: tt.types}
			if err := m.Provision(caddy.Context{}); err != nil {
				t.Fatal(err)
			}
			r, _ := request(ipKR, tt.ua)
			got, err := m.MatchWithError(r)
			if err != nil || got != tt.want {
				t.Fatalf("MatchWithError = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	if err := (&MatchDevice{Types: []string{"phone"}}).Provision(caddy.Context{}); err == nil {
		t.Fatal("unknown device class accepted")
	}
}

// TestSharedLookup: the device matcher runs first (without GeoIP), then the
// country matcher; both use the one cached visitor of the request.
func TestSharedLookup(t *testing.T) {
	dev := &MatchDevice{Types: []string{"mobile"}}
	_ = dev.Provision(caddy.Context{})
	country := &MatchCountry{Countries: []string{"KR"}}
	if err := country.provision(geoApp(t)); err != nil {
		t.Fatal(err)
	}
	r, vars := request(ipKR, uaIPhone)
	if ok, _ := dev.MatchWithError(r); !ok {
		t.Fatal("device")
	}
	first := vars[visitor.VarKey]
	if ok, _ := country.MatchWithError(r); !ok {
		t.Fatal("country after device")
	}
	if vars[visitor.VarKey] != first {
		t.Fatal("the country matcher replaced the cached visitor")
	}
}

func TestUnmarshalCaddyfile(t *testing.T) {
	tests := []struct {
		name, input string
		want        []string
		wantErr     string
	}{
		{"country", "country KR jp", []string{"KR", "JP"}, ""},
		{"country repeated", "country KR\ncountry US", []string{"KR", "US"}, ""},
		{"country none", "country", nil, "wrong argument count"},
		{"country three letters", "country KOR", nil, "two-letter"},
		{"country digits", "country K1", nil, "two-letter"},
		{"device", "device mobile tablet", []string{"mobile", "tablet"}, ""},
		{"device unknown", "device phone", nil, "unknown device class"},
		{"device none", "device", nil, "wrong argument count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			var err error
			d := caddyfile.NewTestDispenser(tt.input)
			if strings.HasPrefix(tt.input, "country") {
				var m MatchCountry
				err = m.UnmarshalCaddyfile(d)
				got = m.Countries
			} else {
				var m MatchDevice
				err = m.UnmarshalCaddyfile(d)
				got = m.Types
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func FuzzUnmarshalCaddyfile(f *testing.F) {
	f.Add("country KR jp")
	f.Add("device mobile tablet")
	f.Fuzz(func(t *testing.T, input string) {
		var c MatchCountry
		if c.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input)) == nil {
			for _, code := range c.Countries {
				if len(code) != 2 {
					t.Fatalf("accepted country %q", code)
				}
			}
		}
		var d MatchDevice
		_ = d.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input))
	})
}

var sinkBool bool

// BenchmarkMatch is one country and one device match on a new request (the
// cached visitor is dropped each time, so each iteration does the GeoIP
// lookup and the classification).
func BenchmarkMatch(b *testing.B) {
	country := &MatchCountry{Countries: []string{"JP", "KR"}}
	if err := country.provision(geoApp(b)); err != nil {
		b.Fatal(err)
	}
	dev := &MatchDevice{Types: []string{"mobile"}}
	_ = dev.Provision(caddy.Context{})
	r, vars := request(ipKR, uaIPhone)
	b.ReportAllocs()
	for b.Loop() {
		delete(vars, visitor.VarKey)
		a, _ := country.MatchWithError(r)
		c, _ := dev.MatchWithError(r)
		sinkBool = a && c
	}
}

// Package visitormatch provides the country and device request matchers.
package visitormatch

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types/ref"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/frontdoor-gateway/frontdoor/modules/geoipapp"
	"github.com/frontdoor-gateway/frontdoor/modules/internal/device"
	"github.com/frontdoor-gateway/frontdoor/modules/internal/visitor"
)

func init() {
	caddy.RegisterModule(MatchCountry{})
	caddy.RegisterModule(MatchDevice{})
}

// MatchCountry matches requests whose client is in one of the listed
// countries. The country is looked up from the client IP Caddy resolved
// (forwarded headers count only from trusted proxies); a client whose
// country is unknown (private or loopback address, not in the database)
// matches no list. It works with or without visitor_info and shares its
// per-request lookup.
//
// Caddyfile: `country KR JP`. CEL: `country('KR', 'JP')`.
type MatchCountry struct {
	// Countries are ISO 3166-1 alpha-2 codes, case-insensitive.
	Countries []string `json:"countries,omitempty"`

	geo   *geoipapp.App
	codes []string
}

// CaddyModule returns the Caddy module information.
func (MatchCountry) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.matchers.country",
		New: func() caddy.Module { return new(MatchCountry) },
	}
}

// Provision normalizes the codes and obtains the geoip app.
func (m *MatchCountry) Provision(ctx caddy.Context) error {
	geo, err := geoipapp.Get(ctx)
	if err != nil {
		return err
	}
	return m.provision(geo)
}

func (m *MatchCountry) provision(geo *geoipapp.App) error {
	m.geo = geo
	m.codes = m.codes[:0]
	for _, c := range m.Countries {
		code, err := normalizeCountry(c)
		if err != nil {
			return err
		}
		m.codes = append(m.codes, code)
	}
	return nil
}

// Validate checks that there is at least one country.
func (m *MatchCountry) Validate() error {
	if len(m.Countries) == 0 {
		return fmt.Errorf("country matcher: no countries")
	}
	return nil
}

// MatchWithError reports whether the client's country is in the list.
func (m *MatchCountry) MatchWithError(r *http.Request) (bool, error) {
	c := info(r, m.geo).Country()
	if c == "" {
		return false, nil
	}
	for _, code := range m.codes {
		if code == c {
			return true, nil
		}
	}
	return false, nil
}

// CELLibrary exposes the matcher to CEL expressions: country('KR', 'JP').
func (MatchCountry) CELLibrary(ctx caddy.Context) (cel.Library, error) {
	return caddyhttp.CELMatcherImpl(
		"country",
		"country_match_request_list",
		[]*cel.Type{cel.ListType(cel.StringType)},
		func(data ref.Val) (caddyhttp.RequestMatcherWithError, error) {
			list, err := data.ConvertToNative(reflect.TypeFor[[]string]())
			if err != nil {
				return nil, err
			}
			m := &MatchCountry{Countries: list.([]string)}
			if err := m.Provision(ctx); err != nil {
				return nil, err
			}
			return m, m.Validate()
		},
	)
}

// MatchDevice matches requests whose device class is in the list: mobile,
// tablet, desktop, tv, bot, other. The class comes from User-Agent Client
// Hints, else the User-Agent. It works with or without visitor_info and
// shares its per-request classification.
//
// Caddyfile: `device mobile tablet`. CEL: `device('mobile', 'tablet')`.
type MatchDevice struct {
	// Types are device classes: mobile, tablet, desktop, tv, bot, other.
	Types []string `json:"types,omitempty"`

	set typeSet
}

// typeSet holds, for each device class, whether it is in the list.
type typeSet [int(device.Bot) + 1]bool

func parseTypes(names []string) (typeSet, error) {
	var set typeSet
	for _, name := range names {
		t, ok := device.ParseType(strings.ToLower(name))
		if !ok {
			return set, fmt.Errorf("device matcher: unknown device class %q (want one of %s)",
				name, strings.Join(device.TypeNames(), ", "))
		}
		set[t] = true
	}
	return set, nil
}

// CaddyModule returns the Caddy module information.
func (MatchDevice) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.matchers.device",
		New: func() caddy.Module { return new(MatchDevice) },
	}
}

// Provision parses the classes.
func (m *MatchDevice) Provision(caddy.Context) error {
	set, err := parseTypes(m.Types)
	m.set = set
	return err
}

// Validate checks that there is at least one class.
func (m *MatchDevice) Validate() error {
	if len(m.Types) == 0 {
		return fmt.Errorf("device matcher: no device classes")
	}
	return nil
}

// MatchWithError reports whether the request's device class is in the list.
func (m *MatchDevice) MatchWithError(r *http.Request) (bool, error) {
	return m.set[info(r, nil).Device().Type], nil
}

// CELLibrary exposes the matcher to CEL expressions: device('mobile').
func (MatchDevice) CELLibrary(ctx caddy.Context) (cel.Library, error) {
	return caddyhttp.CELMatcherImpl(
		"device",
		"device_match_request_list",
		[]*cel.Type{cel.ListType(cel.StringType)},
		func(data ref.Val) (caddyhttp.RequestMatcherWithError, error) {
			list, err := data.ConvertToNative(reflect.TypeFor[[]string]())
			if err != nil {
				return nil, err
			}
			m := &MatchDevice{Types: list.([]string)}
			if err := m.Provision(ctx); err != nil {
				return nil, err
			}
			return m, m.Validate()
		},
	)
}

// info returns the request's cached visitor. geo may be nil when only the
// device is needed: the device does not depend on it, and a cached Info
// created by visitor_info or a country matcher already has it.
func info(r *http.Request, geo *geoipapp.App) *visitor.Info {
	vars, _ := r.Context().Value(caddyhttp.VarsCtxKey).(map[string]any)
	var g visitor.Geo
	if geo != nil {
		g = geo
	}
	return visitor.Of(vars, r.Header, g)
}

// normalizeCountry returns c as an upper-case ISO 3166-1 alpha-2 code.
func normalizeCountry(c string) (string, error) {
	u := strings.ToUpper(c)
	if len(u) != 2 || u[0] < 'A' || u[0] > 'Z' || u[1] < 'A' || u[1] > 'Z' {
		return "", fmt.Errorf("country matcher: %q is not a two-letter country code", c)
	}
	return u, nil
}

// Interface guards
var (
	_ caddy.Provisioner                 = (*MatchCountry)(nil)
	_ caddy.Validator                   = (*MatchCountry)(nil)
	_ caddyhttp.RequestMatcherWithError = (*MatchCountry)(nil)
	_ caddyhttp.CELLibraryProducer      = (*MatchCountry)(nil)
	_ caddy.Provisioner                 = (*MatchDevice)(nil)
	_ caddy.Validator                   = (*MatchDevice)(nil)
	_ caddyhttp.RequestMatcherWithError = (*MatchDevice)(nil)
	_ caddyhttp.CELLibraryProducer      = (*MatchDevice)(nil)
)

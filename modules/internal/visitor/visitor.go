// Package visitor holds what is known of one request's visitor (country,
// autonomous system, device), computed on first use and cached for the rest
// of the request, so the visitor_info handler, the country and device
// matchers and visitor_redirect do the work once per request between them.
//
// It is Caddy-free: the cache lives in the per-request variables map the
// caller passes in (Caddy's vars), next to the client IP Caddy resolved.
package visitor

import (
	"net/http"
	"net/netip"
	"strconv"

	"github.com/frontdoor-gateway/frontdoor/geoip"
	"github.com/frontdoor-gateway/frontdoor/modules/internal/device"
	"github.com/frontdoor-gateway/frontdoor/modules/internal/logfields"
)

// VarKey is the per-request variable under which the request's *Info is
// cached.
const VarKey = "frontdoor.visitor"

// ClientIPVar is the per-request variable holding the client IP as a string:
// the value of caddyhttp.ClientIPVarKey, set by Caddy from the connection or,
// for a trusted proxy, from the forwarded header.
const ClientIPVar = "client_ip"

// UnknownCountry is the metric label for a visitor whose country is unknown.
const UnknownCountry = "XX"

// Geo answers GeoIP lookups; *geoipapp.App is one.
type Geo interface {
	Lookup(netip.Addr) geoip.Record
}

// Info is one request's visitor. Its methods compute on first call.
type Info struct {
	geo    Geo
	header http.Header
	ip     netip.Addr

	geoDone bool
	devDone bool
	rec     geoip.Record
	dev     device.Result

	log     logfields.Entry // the request's access-log fields, if this Info is first
	headers [2]string       // memory for the upstream header values
	hints   hintsWriter     // the response writer AskHints returns

	hintsValue [1]string // the Accept-CH field line AskHints sets
}

// Of returns the request's Info, creating and caching it in vars on first
// use. The client IP is read from vars[ClientIPVar]; the device from header.
// A nil vars (no per-request variables) returns an uncached Info. geo may be
// nil for callers that need only the device; a later caller's geo is then
// used for the country.
func Of(vars map[string]any, header http.Header, geo Geo) *Info {
	if in, ok := vars[VarKey].(*Info); ok {
		if in.geo == nil && geo != nil {
			in.geo, in.geoDone = geo, false
		}
		return in
	}
	in := &Info{geo: geo, header: header}
	if s, ok := vars[ClientIPVar].(string); ok {
		if ip, err := netip.ParseAddr(s); err == nil {
			in.ip = ip.Unmap()
		}
	}
	if vars != nil {
		vars[VarKey] = in
	}
	return in
}

// New returns an uncached Info for the given client IP and headers.
func New(ip netip.Addr, header http.Header, geo Geo) *Info {
	return &Info{geo: geo, header: header, ip: ip.Unmap()}
}

// IP returns the client IP the Info is for (invalid when unknown).
func (in *Info) IP() netip.Addr { return in.ip }

func (in *Info) lookup() {
	if in.geoDone {
		return
	}
	in.geoDone = true
	if in.geo != nil && in.ip.IsValid() {
		in.rec = in.geo.Lookup(in.ip)
	}
}

// Country returns the ISO 3166-1 alpha-2 code of the client, or "" when it
// is unknown (private, loopback, or not in the database).
func (in *Info) Country() string {
	in.lookup()
	return in.rec.Country
}

// CountryLabel returns the country as a metric label: the code, or
// UnknownCountry.
func (in *Info) CountryLabel() string {
	if c := in.Country(); c != "" {
		return c
	}
	return UnknownCountry
}

// ASN returns the client's autonomous system number and organization, or
// 0 and "" when no ASN database knows it.
func (in *Info) ASN() (uint32, string) {
	in.lookup()
	return in.rec.ASN, in.rec.ASNOrg
}

// Device returns the client's device class and OS.
func (in *Info) Device() device.Result {
	if !in.devDone {
		in.devDone = true
		in.dev = device.Classify(first(in.header["User-Agent"]), device.Hints{
			Mobile:      first(in.header["Sec-Ch-Ua-Mobile"]),
			Platform:    first(in.header["Sec-Ch-Ua-Platform"]),
			FormFactors: first(in.header["Sec-Ch-Ua-Form-Factors"]),
			Model:       first(in.header["Sec-Ch-Ua-Model"]),
		})
	}
	return in.dev
}

// HeaderValues returns memory for two upstream header values, valid for as
// long as the Info: the request's visitor_info headers cost no allocation
// of their own.
func (in *Info) HeaderValues() *[2]string { return &in.headers }

// AskHints returns w wrapped so that the response asks the browser for the
// client hints Device reads (see AcceptCH), merged into any Accept-CH the
// response already has when its header is written. The wrapper lives in
// the Info: it costs no allocation. Calling it again with its own result
// returns that result.
func (in *Info) AskHints(w http.ResponseWriter) http.ResponseWriter {
	if w == http.ResponseWriter(&in.hints) {
		return w
	}
	in.hints = hintsWriter{ResponseWriter: w, value: &in.hintsValue}
	return &in.hints
}

// LogSpare is memory for the request's access-log fields (see
// logfields.Of), valid for as long as the Info.
func (in *Info) LogSpare() *logfields.Entry { return &in.log }

// Placeholder resolves the visitor placeholders; its signature is that of a
// Caddy replacer function:
//
//	geo.country_code  geo.asn  geo.asn_org  device.type  device.os
func (in *Info) Placeholder(key string) (any, bool) {
	switch key {
	case "geo.country_code":
		return in.Country(), true
	case "geo.asn":
		if asn, _ := in.ASN(); asn != 0 {
			return strconv.FormatUint(uint64(asn), 10), true
		}
		return "", true
	case "geo.asn_org":
		_, org := in.ASN()
		return org, true
	case "device.type":
		return in.Device().Type.String(), true
	case "device.os":
		return in.Device().OS.String(), true
	}
	return nil, false
}

// String describes the visitor (it is what {http.vars.frontdoor.visitor}
// prints).
func (in *Info) String() string {
	return "country=" + in.Country() + " device=" + in.Device().Type.String()
}

func first(vals []string) string {
	if len(vals) == 0 {
		return ""
	}
	return vals[0]
}

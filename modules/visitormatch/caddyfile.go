package visitormatch

import (
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// UnmarshalCaddyfile sets up the matcher from Caddyfile tokens. Syntax:
//
//	country <code>...
//
// Repeated country lines in one named matcher add to the list.
func (m *MatchCountry) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	for d.Next() {
		if !d.NextArg() {
			return d.ArgErr()
		}
		for {
			code, err := normalizeCountry(d.Val())
			if err != nil {
				return d.Err(err.Error())
			}
			m.Countries = append(m.Countries, code)
			if !d.NextArg() {
				break
			}
		}
		if d.NextBlock(0) {
			return d.Err("country matcher: blocks are not supported")
		}
	}
	return nil
}

// UnmarshalCaddyfile sets up the matcher from Caddyfile tokens. Syntax:
//
//	device <mobile|tablet|desktop|tv|bot|other>...
//
// Repeated device lines in one named matcher add to the list.
func (m *MatchDevice) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	for d.Next() {
		if !d.NextArg() {
			return d.ArgErr()
		}
		for {
			m.Types = append(m.Types, d.Val())
			if !d.NextArg() {
				break
			}
		}
		if d.NextBlock(0) {
			return d.Err("device matcher: blocks are not supported")
		}
	}
	if _, err := parseTypes(m.Types); err != nil {
		return d.Err(err.Error())
	}
	return nil
}

// Interface guards
var (
	_ caddyfile.Unmarshaler = (*MatchCountry)(nil)
	_ caddyfile.Unmarshaler = (*MatchDevice)(nil)
)

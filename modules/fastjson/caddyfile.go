package fastjson

import (
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// UnmarshalCaddyfile sets up the encoder from Caddyfile tokens:
//
//	log {
//		format fast_json {
//			message_key <key>
//			level_key   <key>
//			time_key    <key>
//			name_key    <key>
//			caller_key  <key>
//			stacktrace_key <key>
//			line_ending  <char>
//			time_format  <format>
//			time_local
//			duration_format <format>
//			level_format    <format>
//		}
//	}
//
// The options are those of Caddy's json format.
func (e *Encoder) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the encoder's name
	if d.NextArg() {
		return d.ArgErr()
	}
	return e.LogEncoderConfig.UnmarshalCaddyfile(d)
}

// Interface guards
var (
	_ caddyfile.Unmarshaler = (*Encoder)(nil)
)

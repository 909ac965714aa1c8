package lokiwriter

import (
	"strconv"

	"github.com/dustin/go-humanize"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// UnmarshalCaddyfile sets up the writer from Caddyfile tokens. Syntax:
//
//	output loki <url> {
//	    label <name> <value>          # repeatable; default job frontdoor
//	    tenant <id>
//	    basic_auth <username> <password>
//	    bearer_token <token>
//	    batch_wait <duration>         # default 1s
//	    batch_size <size>             # default 1MiB
//	    buffer <entries>              # default 10000
//	    timeout <duration>            # default 10s
//	    max_line_size <size>          # default 256KiB
//	}
func (w *Writer) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // consume writer name
	if !d.NextArg() {
		return d.ArgErr()
	}
	w.URL = d.Val()
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		switch d.Val() {
		case "label":
			var name, value string
			if !d.AllArgs(&name, &value) {
				return d.ArgErr()
			}
			if w.Labels == nil {
				w.Labels = make(map[string]string)
			}
			if _, dup := w.Labels[name]; dup {
				return d.Errf("label %s set twice", name)
			}
			w.Labels[name] = value

		case "tenant":
			if !d.AllArgs(&w.Tenant) {
				return d.ArgErr()
			}

		case "basic_auth":
			var ba BasicAuth
			if !d.AllArgs(&ba.Username, &ba.Password) {
				return d.ArgErr()
			}
			w.BasicAuth = &ba

		case "bearer_token":
			if !d.AllArgs(&w.BearerToken) {
				return d.ArgErr()
			}

		case "batch_wait", "timeout":
			name := d.Val()
			var s string
			if !d.AllArgs(&s) {
				return d.ArgErr()
			}
			dur, err := caddy.ParseDuration(s)
			if err != nil || dur <= 0 {
				return d.Errf("%s: invalid duration %q", name, s)
			}
			if name == "timeout" {
				w.Timeout = caddy.Duration(dur)
			} else {
				w.BatchWait = caddy.Duration(dur)
			}

		case "batch_size", "max_line_size":
			name := d.Val()
			var s string
			if !d.AllArgs(&s) {
				return d.ArgErr()
			}
			size, err := humanize.ParseBytes(s)
			if err != nil || size == 0 || size > 1<<30 {
				return d.Errf("%s: invalid size %q", name, s)
			}
			if name == "batch_size" {
				w.BatchSize = int(size)
			} else {
				w.MaxLineSize = int(size)
			}

		case "buffer":
			var s string
			if !d.AllArgs(&s) {
				return d.ArgErr()
			}
			n, err := strconv.Atoi(s)
			if err != nil || n <= 0 || n > 10_000_000 {
				return d.Errf("buffer: invalid number of entries %q", s)
			}
			w.Buffer = n

		default:
			return d.Errf("unrecognized subdirective '%s'", d.Val())
		}
	}
	if w.BasicAuth != nil && w.BearerToken != "" {
		return d.Err("basic_auth and bearer_token are mutually exclusive")
	}
	return nil
}

// Interface guards
var (
	_ caddyfile.Unmarshaler = (*Writer)(nil)
)

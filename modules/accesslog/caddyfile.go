package accesslog

import (
	"go.uber.org/zap/zapcore"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	_ "github.com/frontdoor-gateway/frontdoor/modules/internal/directives"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("access_log", parseCaddyfile)
}

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	handler := new(Handler)
	err := handler.UnmarshalCaddyfile(h.Dispenser)
	return handler, err
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	access_log [<logger_name>] {
//	    output <writer_module> ...   # as in Caddy's log; default stderr
//	    format <encoder_module> ...  # as in Caddy's log; default fast_json
//	    level  DEBUG|INFO|WARN|ERROR # lowest level written; default INFO
//	    log_credentials              # Cookie, Authorization... not REDACTED
//	}
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	if d.NextArg() {
		h.LoggerName = d.Val()
	}
	if d.NextArg() {
		return d.ArgErr()
	}
	seen := map[string]bool{}
	for d.NextBlock(0) {
		sub := d.Val()
		if seen[sub] {
			return d.Errf("%s specified more than once", sub)
		}
		seen[sub] = true
		switch sub {
		case "output":
			if !d.NextArg() {
				return d.ArgErr()
			}
			name := d.Val()
			var wo caddy.WriterOpener
			switch name {
			case "stdout":
				wo = caddy.StdoutWriter{}
			case "stderr":
				wo = caddy.StderrWriter{}
			case "discard":
				wo = caddy.DiscardWriter{}
			default:
				unm, err := caddyfile.UnmarshalModule(d, "caddy.logging.writers."+name)
				if err != nil {
					return err
				}
				var ok bool
				if wo, ok = unm.(caddy.WriterOpener); !ok {
					return d.Errf("module caddy.logging.writers.%s (%T) is not a log writer", name, unm)
				}
			}
			h.WriterRaw = caddyconfig.JSONModuleObject(wo, "output", name, nil)
		case "format":
			if !d.NextArg() {
				return d.ArgErr()
			}
			name := d.Val()
			unm, err := caddyfile.UnmarshalModule(d, "caddy.logging.encoders."+name)
			if err != nil {
				return err
			}
			if _, ok := unm.(zapcore.Encoder); !ok {
				return d.Errf("module caddy.logging.encoders.%s (%T) is not a log encoder", name, unm)
			}
			h.EncoderRaw = caddyconfig.JSONModuleObject(unm, "format", name, nil)
		case "level":
			if !d.NextArg() {
				return d.ArgErr()
			}
			h.Level = d.Val()
			if d.NextArg() {
				return d.ArgErr()
			}
		case "log_credentials":
			if d.NextArg() {
				return d.ArgErr()
			}
			h.LogCredentials = true
		default:
			return d.Errf("unrecognized subdirective '%s'", sub)
		}
	}
	return nil
}

// Interface guards
var (
	_ caddyfile.Unmarshaler = (*Handler)(nil)
)

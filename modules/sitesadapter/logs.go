package sitesadapter

import (
	"encoding/json"
	"net/url"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/loki"
)

// accessLogJSON mirrors http.handlers.access_log, with its module name.
type accessLogJSON struct {
	Handler    string          `json:"handler"`
	LoggerName string          `json:"logger_name,omitempty"`
	WriterRaw  json.RawMessage `json:"writer,omitempty"`
	EncoderRaw json.RawMessage `json:"encoder,omitempty"`
	Level      string          `json:"level,omitempty"`
}

// accessLog is the site's access_log handler: its requests' entries, in
// Caddy's shape, written to the site's output by the handler itself. (As
// a Caddy log per site, each logged request would be handed to every
// site's log: a cost that grows with the number of sites.)
func (b *builder) accessLog(s *site) json.RawMessage {
	errs := b.errs
	l := s.Log
	if !requireModule(errs, l.At, "log", "http.handlers.access_log") {
		return nil
	}
	cl := accessLogJSON{Handler: "access_log", LoggerName: "site_" + s.name}
	switch strings.ToLower(l.Format.v) {
	case "", "json":
		// Caddy's json, byte for byte, faster.
		cl.EncoderRaw = json.RawMessage(`{"format":"fast_json"}`)
	case "console":
		cl.EncoderRaw = json.RawMessage(`{"format":"console"}`)
	default:
		errs.add(l.Format.at, "site %q: log format %q: expected json or console", s.name, l.Format.v)
	}
	switch strings.ToUpper(l.Level.v) {
	case "", "DEBUG", "INFO", "WARN", "ERROR":
		cl.Level = strings.ToUpper(l.Level.v)
	default:
		errs.add(l.Level.at, "site %q: log level %q: expected debug, info, warn or error", s.name, l.Level.v)
	}
	lokiOnly := l.Tenant.v != "" || l.Token.v != "" || l.Timeout.v != "" || l.BatchWait.v != "" || l.BatchSize.v != "" || l.Buffer != 0 || len(l.Labels) > 0
	switch {
	case l.Loki.v != "" && l.Output.v != "":
		errs.add(l.Output.at, "site %q: log has both output and loki: choose one", s.name)
	case l.Loki.v != "":
		if !requireModule(errs, l.Loki.at, "log.loki", "caddy.logging.writers.loki") {
			return nil
		}
		if !strings.Contains(l.Loki.v, "{") {
			if u, err := url.Parse(l.Loki.v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				errs.add(l.Loki.at, "site %q: log.loki %q: expected the Loki base URL, like http://127.0.0.1:3100", s.name, l.Loki.v)
			}
		}
		if l.Buffer < 0 {
			errs.add(l.At, "site %q: log.buffer %d must be zero or more", s.name, l.Buffer)
		}
		labels := map[string]string{"site": s.name}
		for k, v := range l.Labels {
			if !loki.ValidLabelName(k) {
				errs.add(l.At, "site %q: log label name %q: expected letters, digits and _, not starting with a digit or __", s.name, k)
			}
			if k == "trace_id" {
				errs.add(l.At, "site %q: trace_id cannot be a log label (it travels as structured metadata)", s.name)
			}
			if k != "site" {
				labels[k] = v
			}
		}
		j := lokiJSON{
			URL:         l.Loki.v,
			Labels:      labels,
			Tenant:      l.Tenant.v,
			BearerToken: l.Token.v,
			BatchWait:   b.duration(s, "log.batch_wait", l.BatchWait),
			Buffer:      l.Buffer,
			Timeout:     b.duration(s, "log.timeout", l.Timeout),
		}
		if l.BatchSize.v != "" {
			n, err := humanize.ParseBytes(l.BatchSize.v)
			if err != nil || n == 0 || n > 1<<40 {
				errs.add(l.BatchSize.at, "site %q: log.batch_size %q: expected a size like 1MiB", s.name, l.BatchSize.v)
			}
			j.BatchSize = int(n & (1<<40 - 1))
		}
		cl.WriterRaw = caddyconfig.JSONModuleObject(j, "output", "loki", &b.warnings)
	case lokiOnly:
		errs.add(l.At, "site %q: log labels, tenant, batch_wait, batch_size and buffer apply to loki: set log.loki to the Loki URL", s.name)
	default:
		switch out := l.Output.v; out {
		case "", "stdout", "stderr", "discard":
			if out == "" {
				out = "stdout"
			}
			cl.WriterRaw = json.RawMessage(`{"output":"` + out + `"}`)
		default:
			if !strings.HasPrefix(out, "/") && !strings.HasPrefix(out, ".") {
				errs.add(l.Output.at, "site %q: log output %q: expected stdout, stderr, discard or a file path", s.name, out)
			}
			cl.WriterRaw = caddyconfig.JSON(map[string]string{"output": "file", "filename": out}, &b.warnings)
		}
	}
	return caddyconfig.JSON(cl, &b.warnings)
}

// lokiJSON mirrors caddy.logging.writers.loki.
type lokiJSON struct {
	URL         string            `json:"url,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Tenant      string            `json:"tenant,omitempty"`
	BearerToken string            `json:"bearer_token,omitempty"`
	BatchWait   caddy.Duration    `json:"batch_wait,omitempty"`
	BatchSize   int               `json:"batch_size,omitempty"`
	Buffer      int               `json:"buffer,omitempty"`
	Timeout     caddy.Duration    `json:"timeout,omitempty"`
}

// Package fastjson implements the fast_json log encoder
// (caddy.logging.encoders.fast_json): the entries Caddy's json format
// writes, byte for byte, with the same options, at a fraction of the
// cost for access logs.
package fastjson

import (
	"go.uber.org/zap/zapcore"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/logging"
)

func init() {
	caddy.RegisterModule(Encoder{})
}

// Encoder writes log entries as JSON, exactly as Caddy's json encoder
// does (the same keys in the same order, the same escaping, the same
// options: message_key, level_key, time_key, name_key, caller_key,
// stacktrace_key, line_ending, time_format, time_local, duration_format,
// level_format), so that dashboards and queries written for Caddy's
// access log keep working. Two things make it cheaper:
//
//   - Caddy adds the request to its access logger once per request, and
//     the logger hands it to every log of the config, each of which
//     encodes it with Caddy's encoders, also the logs that then drop the
//     entry (the default log, other sites' logs). fast_json keeps the
//     request and encodes it only when it writes the entry.
//   - It writes the request, its headers, the response headers and the
//     TLS state directly, without the allocations of Caddy's marshalers
//     (an interface value per header, a lower-cased copy of each header
//     name, a copy of the TLS state).
//
// Header order within "headers" and "resp_headers" follows Go's map
// iteration, as with Caddy's encoder.
type Encoder struct {
	zapcore.Encoder `json:"-"`
	logging.LogEncoderConfig
}

// CaddyModule returns the Caddy module information.
func (Encoder) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "caddy.logging.encoders.fast_json",
		New: func() caddy.Module { return new(Encoder) },
	}
}

// Provision sets up the encoder.
func (e *Encoder) Provision(caddy.Context) error {
	e.Encoder = newEncoder(e.LogEncoderConfig)
	return nil
}

// newEncoder is the zapcore.Encoder for a configuration: Caddy's json
// encoder's, from the same options.
func newEncoder(lec logging.LogEncoderConfig) *lazyEncoder {
	s := &settings{EncoderConfig: lec.ZapcoreEncoderConfig()}
	if s.SkipLineEnding {
		s.LineEnding = ""
	} else if s.LineEnding == "" {
		s.LineEnding = zapcore.DefaultLineEnding
	}
	// The encoders Caddy picks for these values are zap's
	// EpochTimeEncoder, SecondsDurationEncoder and LowercaseLevelEncoder,
	// written inline here.
	s.epochTime = lec.TimeFormat == "" || lec.TimeFormat == "unix_seconds_float"
	switch lec.DurationFormat {
	case "ns", "nano", "nanos", "ms", "milli", "millis", "string":
	default:
		s.secondsDuration = true
	}
	s.lowerLevel = lec.LevelFormat == "" || lec.LevelFormat == "lower"
	return &lazyEncoder{s: s}
}

// Interface guards
var (
	_ zapcore.Encoder   = (*Encoder)(nil)
	_ caddy.Provisioner = (*Encoder)(nil)
)

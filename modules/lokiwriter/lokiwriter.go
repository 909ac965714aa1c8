// Package lokiwriter implements the caddy.logging.writers.loki log writer:
// Caddy log entries shipped to Grafana Loki through a bounded, non-blocking
// queue (see modules/internal/loki).
package lokiwriter

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/loki"
	"github.com/frontdoor-gateway/frontdoor/modules/internal/metrics"
)

func init() {
	caddy.RegisterModule(Writer{})
}

// PushPath is appended to a Loki URL given without a path.
const PushPath = "/loki/api/v1/push"

// Writer sends log entries to Grafana Loki. Write never waits on the
// network: an entry is copied into a queue of at most Buffer entries and
// shipped in batches by a background goroutine; when the queue is full the
// entry is dropped and counted. Batches answered with 429 or 5xx are retried
// with capped, jittered backoff; other 4xx answers drop the batch and count
// it. Lines longer than MaxLineSize are truncated.
//
// Streams carry only the static Labels. With `format json`, a `trace_id`
// field (set by the trace_id handler) travels as Loki structured metadata.
//
// The queue is shared by every config that uses the same writer settings,
// so a config reload loses no entry; when the writer is closed (shutdown, or
// a reload that changes its settings) queued entries are flushed for at most
// 5 s.
//
// Metrics: frontdoor_loki_entries_total{result="sent|dropped|failed"} and
// frontdoor_loki_queue_entries, for all Loki writers of the process.
type Writer struct {
	// URL of Loki. A URL without a path gets /loki/api/v1/push appended;
	// a URL with a path is used as is. Placeholders such as {env.LOKI_URL}
	// are replaced when the config loads.
	URL string `json:"url,omitempty"`

	// Labels are static stream labels, the same for every entry: keep
	// them few and low-cardinality (job, site, env). Values may use
	// global placeholders such as {env.X} or {system.hostname}. Default:
	// job=frontdoor (job is added when missing). trace_id is not allowed:
	// it travels as structured metadata.
	Labels map[string]string `json:"labels,omitempty"`

	// Tenant is sent as the X-Scope-OrgID header (multi-tenant Loki).
	// Placeholders such as {env.LOKI_TENANT} are replaced.
	Tenant string `json:"tenant,omitempty"`

	// BasicAuth authenticates pushes with HTTP basic auth. Placeholders
	// such as {env.LOKI_PASSWORD} are replaced.
	BasicAuth *BasicAuth `json:"basic_auth,omitempty"`

	// BearerToken authenticates pushes with an Authorization: Bearer
	// header. Placeholders such as {env.LOKI_TOKEN} are replaced.
	BearerToken string `json:"bearer_token,omitempty"`

	// BatchWait is the longest time an entry waits for its batch to fill
	// before the batch is pushed. Default: 1s.
	BatchWait caddy.Duration `json:"batch_wait,omitempty"`

	// BatchSize is the size in bytes of log lines that makes a batch be
	// pushed at once. Default: 1 MiB.
	BatchSize int `json:"batch_size,omitempty"`

	// Buffer is the number of entries held while Loki is slow or down,
	// queued and in the batch being pushed together; it bounds the
	// writer's memory, with 64 MiB of line buffers at most. Default: 10000.
	Buffer int `json:"buffer,omitempty"`

	// Timeout limits one push request. Default: 10s.
	Timeout caddy.Duration `json:"timeout,omitempty"`

	// MaxLineSize is the size in bytes above which a line is truncated,
	// to stay within Loki's max_line_size. Default: 256 KiB.
	MaxLineSize int `json:"max_line_size,omitempty"`

	cfg     loki.Config
	display string
	key     string
	release func()
}

// BasicAuth holds HTTP basic auth credentials.
type BasicAuth struct {
	// Username for basic auth.
	Username string `json:"username,omitempty"`
	// Password for basic auth.
	Password string `json:"password,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (Writer) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "caddy.logging.writers.loki",
		New: func() caddy.Module { return new(Writer) },
	}
}

// Provision replaces placeholders, checks the settings and registers the
// writer's metrics on the config's registry.
func (w *Writer) Provision(ctx caddy.Context) error {
	if _, err := metrics.Register(ctx.GetMetricsRegistry(), collector{stats: &stats}); err != nil {
		return fmt.Errorf("registering metrics: %v", err)
	}

	repl := caddy.NewReplacer()
	replace := func(what, s string) (string, error) {
		out, err := repl.ReplaceOrErr(s, false, true)
		if err != nil {
			return "", fmt.Errorf("%s: %v (only global placeholders such as {env.X} are allowed)", what, err)
		}
		if out == "" {
			return "", fmt.Errorf("%s: empty value", what)
		}
		return out, nil
	}

	rawURL, err := replace("url", w.URL)
	if err != nil {
		return err
	}
	pushURL, err := parseURL(rawURL)
	if err != nil {
		return err
	}

	labels := map[string]string{"job": "frontdoor"}
	for k, v := range w.Labels {
		if !loki.ValidLabelName(k) {
			return fmt.Errorf("label %q: not a valid Loki label name", k)
		}
		if k == loki.TraceIDKey {
			return fmt.Errorf("label %q: trace ids are sent as structured metadata, never as a label", k)
		}
		if labels[k], err = replace("label "+k, v); err != nil {
			return err
		}
	}

	header := make(http.Header)
	if w.Tenant != "" {
		tenant, err := replace("tenant", w.Tenant)
		if err != nil {
			return err
		}
		header.Set("X-Scope-OrgID", tenant)
	}
	if w.BasicAuth != nil && w.BearerToken != "" {
		return errors.New("basic_auth and bearer_token are mutually exclusive")
	}
	if w.BasicAuth != nil {
		user, err := replace("basic_auth username", w.BasicAuth.Username)
		if err != nil {
			return err
		}
		pass, err := replace("basic_auth password", w.BasicAuth.Password)
		if err != nil {
			return err
		}
		req := http.Request{Header: header}
		req.SetBasicAuth(user, pass)
	}
	if w.BearerToken != "" {
		token, err := replace("bearer_token", w.BearerToken)
		if err != nil {
			return err
		}
		header.Set("Authorization", "Bearer "+token)
	}

	for _, v := range []struct {
		name string
		n    int64
	}{
		{"batch_wait", int64(w.BatchWait)}, {"batch_size", int64(w.BatchSize)}, {"buffer", int64(w.Buffer)},
		{"timeout", int64(w.Timeout)}, {"max_line_size", int64(w.MaxLineSize)},
	} {
		if v.n < 0 {
			return fmt.Errorf("%s: must not be negative", v.name)
		}
	}

	w.cfg = loki.Config{
		URL:         pushURL.String(),
		Labels:      selector(labels),
		Header:      header,
		BatchWait:   time.Duration(w.BatchWait),
		BatchSize:   w.BatchSize,
		Buffer:      w.Buffer,
		Timeout:     time.Duration(w.Timeout),
		MaxLineSize: w.MaxLineSize,
		Stats:       &stats,
	}
	redacted := *pushURL
	redacted.User = nil
	w.display = "loki " + redacted.String() + " " + w.cfg.Labels
	w.key = writerKey(w.cfg)

	cfg := w.cfg
	display := w.display
	cfg.OnError = failureLog(display).report
	w.release, err = acquire(w.key, cfg)
	if err != nil {
		return err
	}
	// Cleanup releases the queue; so does the end of the config context,
	// in case Cleanup is not called.
	if ctx.Context != nil {
		go func() {
			<-ctx.Done()
			w.release()
		}()
	}
	return nil
}

// Cleanup releases the writer's queue; the last config to release it
// flushes and closes it (within 5 s).
func (w *Writer) Cleanup() error {
	if w.release != nil {
		w.release()
	}
	return nil
}

func parseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("url: missing Loki URL")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("url: %v", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("url %q: want http:// or https:// and a host", raw)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = PushPath
	}
	return u, nil
}

// selector renders labels as a Loki stream selector, sorted by name.
func selector(labels map[string]string) string {
	names := make([]string, 0, len(labels))
	for k := range labels {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strconv.Quote(labels[k]))
	}
	b.WriteByte('}')
	return b.String()
}

// writerKey identifies the writer's effective settings: configs with the
// same key share one queue. Credentials are hashed, never kept in clear.
func writerKey(c loki.Config) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", c.URL, c.Labels)
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range c.Header {
			if !yield(k) {
				return
			}
		}
	}) {
		fmt.Fprintf(h, "%s=%q\n", k, c.Header[k])
	}
	fmt.Fprintf(h, "%d %d %d %d %d", c.BatchWait, c.BatchSize, c.Buffer, c.Timeout, c.MaxLineSize)
	return "loki:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// String describes the writer for humans (without credentials).
func (w *Writer) String() string { return w.display }

// WriterKey identifies the writer's settings; Caddy keeps one open writer
// per key across config reloads.
func (w *Writer) WriterKey() string { return w.key }

// OpenWriter returns the writer for this writer's settings. Entries go to
// the queue shared by every config with the same settings (see pool.go).
func (w *Writer) OpenWriter() (io.WriteCloser, error) {
	return routeFor(w.key), nil
}

// Interface guards
var (
	_ caddy.Provisioner  = (*Writer)(nil)
	_ caddy.CleanerUpper = (*Writer)(nil)
	_ caddy.WriterOpener = (*Writer)(nil)
)

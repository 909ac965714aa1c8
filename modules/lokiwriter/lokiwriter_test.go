package lokiwriter

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

func TestUnmarshalCaddyfile(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		want    Writer
		wantErr string
	}{
		{"url only", `loki http://127.0.0.1:3100`, Writer{URL: "http://127.0.0.1:3100"}, ""},
		{"everything", `loki https://loki.example.com {
			label job frontdoor
			label site shop
			tenant {env.TENANT}
			bearer_token {env.TOKEN}
			batch_wait 500ms
			batch_size 512KiB
			buffer 20000
			timeout 5s
			max_line_size 64KiB
		}`, Writer{
			URL: "https://loki.example.com", Labels: map[string]string{"job": "frontdoor", "site": "shop"},
			Tenant: "{env.TENANT}", BearerToken: "{env.TOKEN}", BatchWait: caddy.Duration(500 * time.Millisecond),
			BatchSize: 512 << 10, Buffer: 20000, Timeout: caddy.Duration(5 * time.Second), MaxLineSize: 64 << 10,
		}, ""},
		{"basic auth", "loki http://l:3100 {\n basic_auth fd {env.PASS}\n}", Writer{URL: "http://l:3100", BasicAuth: &BasicAuth{"fd", "{env.PASS}"}}, ""},
		{"no url", `loki`, Writer{}, "wrong argument count"},
		{"two urls", `loki http://a http://b`, Writer{}, "wrong argument count"},
		{"label without value", "loki http://a {\n label job\n}", Writer{}, "wrong argument count"},
		{"duplicate label", "loki http://a {\n label job a\n label job b\n}", Writer{}, "set twice"},
		{"bad duration", "loki http://a {\n batch_wait soon\n}", Writer{}, "invalid duration"},
		{"zero duration", "loki http://a {\n timeout 0s\n}", Writer{}, "invalid duration"},
		{"bad size", "loki http://a {\n batch_size big\n}", Writer{}, "invalid size"},
		{"bad buffer", "loki http://a {\n buffer -1\n}", Writer{}, "invalid number"},
		{"both auths", "loki http://a {\n basic_auth a b\n bearer_token c\n}", Writer{}, "mutually exclusive"},
		{"unknown", "loki http://a {\n labels x\n}", Writer{}, "unrecognized subdirective"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w Writer
			err := w.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.input))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w.URL != tt.want.URL || w.Tenant != tt.want.Tenant || w.BearerToken != tt.want.BearerToken ||
				w.BatchWait != tt.want.BatchWait || w.BatchSize != tt.want.BatchSize || w.Buffer != tt.want.Buffer ||
				w.Timeout != tt.want.Timeout || w.MaxLineSize != tt.want.MaxLineSize || len(w.Labels) != len(tt.want.Labels) {
				t.Fatalf("got %+v, want %+v", w, tt.want)
			}
			for k, v := range tt.want.Labels {
				if w.Labels[k] != v {
					t.Fatalf("label %s = %q, want %q", k, w.Labels[k], v)
				}
			}
			if (w.BasicAuth == nil) != (tt.want.BasicAuth == nil) || (w.BasicAuth != nil && *w.BasicAuth != *tt.want.BasicAuth) {
				t.Fatalf("basic auth = %+v, want %+v", w.BasicAuth, tt.want.BasicAuth)
			}
		})
	}
}

func provision(t *testing.T, w *Writer) error {
	t.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: t.Context()})
	t.Cleanup(cancel)
	return w.Provision(ctx)
}

func TestProvision(t *testing.T) {
	t.Setenv("FD_TEST_TOKEN", "s3cret")
	t.Setenv("FD_TEST_SITE", "shop")

	w := &Writer{
		URL:         "http://user:pw@127.0.0.1:3100",
		Labels:      map[string]string{"site": "{env.FD_TEST_SITE}", "env": "prod"},
		Tenant:      "team-a",
		BearerToken: "{env.FD_TEST_TOKEN}",
	}
	if err := provision(t, w); err != nil {
		t.Fatal(err)
	}
	if w.cfg.URL != "http://user:pw@127.0.0.1:3100/loki/api/v1/push" {
		t.Fatalf("push URL = %s", w.cfg.URL)
	}
	if want := `{env="prod", job="frontdoor", site="shop"}`; w.cfg.Labels != want {
		t.Fatalf("labels = %s, want %s", w.cfg.Labels, want)
	}
	if got := w.cfg.Header.Get("Authorization"); got != "Bearer s3cret" {
		t.Fatalf("Authorization = %q", got)
	}
	if got := w.cfg.Header.Get("X-Scope-OrgID"); got != "team-a" {
		t.Fatalf("X-Scope-OrgID = %q", got)
	}
	for _, s := range []string{w.String(), w.WriterKey()} {
		if strings.Contains(s, "s3cret") || strings.Contains(s, "pw") {
			t.Fatalf("%q reveals a credential", s)
		}
	}

	basic := &Writer{URL: "http://127.0.0.1:3100/custom/push", BasicAuth: &BasicAuth{"fd", "{env.FD_TEST_TOKEN}"}}
	if err := provision(t, basic); err != nil {
		t.Fatal(err)
	}
	if got := basic.cfg.Header.Get("Authorization"); got != "Basic ZmQ6czNjcmV0" {
		t.Fatalf("basic Authorization = %q", got)
	}
	if basic.cfg.URL != "http://127.0.0.1:3100/custom/push" || basic.cfg.Labels != `{job="frontdoor"}` {
		t.Fatalf("url %s labels %s", basic.cfg.URL, basic.cfg.Labels)
	}
}

func TestProvisionErrors(t *testing.T) {
	tests := []struct {
		name string
		w    Writer
		want string
	}{
		{"no url", Writer{}, "url: empty value"},
		{"bad scheme", Writer{URL: "ftp://x"}, "want http"},
		{"no host", Writer{URL: "http://"}, "want http"},
		{"trace_id label", Writer{URL: "http://a", Labels: map[string]string{"trace_id": "x"}}, "structured metadata"},
		{"bad label name", Writer{URL: "http://a", Labels: map[string]string{"site-name": "x"}}, "not a valid"},
		{"reserved label name", Writer{URL: "http://a", Labels: map[string]string{"__name__": "x"}}, "not a valid"},
		{"per-request label", Writer{URL: "http://a", Labels: map[string]string{"host": "{http.request.host}"}}, "only global placeholders"},
		{"empty label", Writer{URL: "http://a", Labels: map[string]string{"site": "{env.FD_TEST_UNSET_VAR}"}}, "label site: empty value"},
		{"both auths", Writer{URL: "http://a", BearerToken: "x", BasicAuth: &BasicAuth{"a", "b"}}, "mutually exclusive"},
		{"negative buffer", Writer{URL: "http://a", Buffer: -1}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := provision(t, &tt.w)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestWriterKey(t *testing.T) {
	base := func() *Writer {
		return &Writer{URL: "http://127.0.0.1:3100", Labels: map[string]string{"site": "shop"}}
	}
	a, b := base(), base()
	if err := provision(t, a); err != nil {
		t.Fatal(err)
	}
	if err := provision(t, b); err != nil {
		t.Fatal(err)
	}
	if a.WriterKey() != b.WriterKey() {
		t.Fatal("equal settings gave different writer keys: a reload would not share the queue")
	}
	changes := map[string]func(*Writer){
		"url":    func(w *Writer) { w.URL = "http://127.0.0.1:3101" },
		"label":  func(w *Writer) { w.Labels["site"] = "brand" },
		"tenant": func(w *Writer) { w.Tenant = "x" },
		"token":  func(w *Writer) { w.BearerToken = "x" },
		"buffer": func(w *Writer) { w.Buffer = 5 },
		"batch":  func(w *Writer) { w.BatchWait = caddy.Duration(time.Minute) },
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			c := base()
			change(c)
			if err := provision(t, c); err != nil {
				t.Fatal(err)
			}
			if c.WriterKey() == a.WriterKey() {
				t.Fatalf("changing %s kept the writer key", name)
			}
		})
	}
}

func TestMetricsRegisterTwice(t *testing.T) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: t.Context()})
	defer cancel()
	for range 2 {
		w := &Writer{URL: "http://127.0.0.1:3100"}
		if err := w.Provision(ctx); err != nil {
			t.Fatalf("second writer in one config: %v", err)
		}
	}
	reg := ctx.GetMetricsRegistry()
	n, err := testutil.GatherAndCount(reg, "frontdoor_loki_entries_total", "frontdoor_loki_queue_entries")
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Fatalf("%d series, want 4 (sent, dropped, failed, queue)", n)
	}
	var _ prometheus.Gatherer = reg
}

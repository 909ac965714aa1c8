package throttle

import (
	"bytes"
	"html/template"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

func TestWaitText(t *testing.T) {
	tests := []struct {
		secs int64
		want string
	}{
		{-5, "1 second"},
		{0, "1 second"},
		{1, "1 second"},
		{2, "2 seconds"},
		{59, "59 seconds"},
		{60, "1 minute"},
		{61, "1 minute 1 second"},
		{125, "2 minutes 5 seconds"},
		{3599, "59 minutes 59 seconds"},
		{3600, "1 hour"},
		{3601, "1 hour 1 minute"}, // rounded up, never shorter than the wait
		{5400, "1 hour 30 minutes"},
		{7141, "2 hours"},
		{86400, "1 day"},
		{86401, "1 day 1 hour"},
		{2*86400 + 3600, "2 days 1 hour"},
		{maxFillSeconds, "3650 days"},
	}
	for _, tt := range tests {
		if got := waitText(tt.secs); got != tt.want {
			t.Errorf("waitText(%d) = %q, want %q", tt.secs, got, tt.want)
		}
	}
}

// TestDefaultPage checks the built-in page a browser gets: the wait in
// seconds or minutes and in the markup, the status, nothing fetched from
// elsewhere, and the headers of every rejection.
func TestDefaultPage(t *testing.T) {
	ctx, _ := newContext(t)
	for _, tt := range []struct {
		rate, wait string
		retry      int64
	}{
		{"1r/m", "(59|60) seconds|1 minute", 60},
		{"1r/h", "59 minutes 5[0-9] seconds|1 hour", 3600},
	} {
		t.Run(tt.rate, func(t *testing.T) {
			h := provision(t, &ctx, &Throttle{Zone: "t_page_" + tt.rate[3:], Rate: tt.rate})
			serve(t, h, request("192.0.2.1"))
			w := serve(t, h, request("192.0.2.1", "Accept", browserAccept))
			if w.Code != http.StatusTooManyRequests {
				t.Fatalf("status %d, want 429", w.Code)
			}
			hdr := w.Header()
			ra, _ := strconv.ParseInt(hdr.Get("Retry-After"), 10, 64)
			if ra < tt.retry-10 || ra > tt.retry {
				t.Fatalf("Retry-After %q, want about %d", hdr.Get("Retry-After"), tt.retry)
			}
			if hdr.Get("Content-Type") != "text/html; charset=utf-8" || hdr.Get("Cache-Control") != "no-store" ||
				hdr.Get("Content-Length") != strconv.Itoa(w.Body.Len()) || hdr.Get("Ratelimit") == "" {
				t.Fatalf("headers %v", hdr)
			}
			body := w.Body.String()
			for _, want := range []string{
				`<time datetime="PT` + strconv.FormatInt(ra, 10) + `S">` + waitText(ra) + `</time>`,
				"429 Too Many Requests",
				"<title>Too Many Requests</title>",
			} {
				if !strings.Contains(body, want) {
					t.Errorf("page lacks %q:\n%s", want, body)
				}
			}
			if !regexp.MustCompile(`Please wait <strong><time[^>]*>(` + tt.wait + `)</time></strong>`).MatchString(body) {
				t.Errorf("page does not show a wait of %s:\n%s", tt.wait, body)
			}
			for _, external := range []string{"src=", "href=", "url(", "@import", "<script", "<link"} {
				if strings.Contains(body, external) {
					t.Errorf("the built-in page has %q: it must not fetch anything", external)
				}
			}
		})
	}
}

// TestStoreFailurePage: a store failure with on_store_error deny gets the
// page too, with its own status and words.
func TestStoreFailurePage(t *testing.T) {
	ctx, _ := newContext(t)
	h := provision(t, &ctx, &Throttle{Zone: "t_page_store", Rate: "1r/s", Store: "redis://127.0.0.1:1/0",
		OnStoreError: "deny", StoreTimeout: 50_000_000})
	w := serve(t, h, request("192.0.2.1", "Accept", browserAccept))
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("status %d, Retry-After %q; want 503 and 1", w.Code, w.Header().Get("Retry-After"))
	}
	body := w.Body.String()
	if !strings.Contains(body, "503 Service Unavailable") || !strings.Contains(body, ">1 second</time>") ||
		strings.Contains(body, "Too many requests") {
		t.Fatalf("store failure page:\n%s", body)
	}
}

func writePage(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "429.html")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCustomPage renders a page template that uses every field.
func TestCustomPage(t *testing.T) {
	path := writePage(t, `<p>{{.Status}}|{{.StatusText}}|{{.Zone}}|{{.Message}}|{{.RetryAfter}}|{{.Wait}}|{{"<b>"}}</p>`)
	ctx, _ := newContext(t)
	h := provision(t, &ctx, &Throttle{Zone: "t_custom", Rate: "1r/m", StatusCode: 418, Page: path})
	serve(t, h, request("192.0.2.1"))
	w := serve(t, h, request("192.0.2.1", "Accept", "text/html"))
	ra := w.Header().Get("Retry-After")
	n, _ := strconv.ParseInt(ra, 10, 64)
	want := "<p>418|I&#39;m a teapot|t_custom|too many requests|" + ra + "|" + waitText(n) + "|&lt;b&gt;</p>"
	if w.Code != 418 || w.Body.String() != want {
		t.Fatalf("status %d, body %q; want 418 and %q", w.Code, w.Body, want)
	}
	// API clients and curl still get JSON and plain text.
	if w := serve(t, h, request("192.0.2.1", "Accept", "application/json")); w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("JSON client got %q", w.Header().Get("Content-Type"))
	}
	if w := serve(t, h, request("192.0.2.1", "Accept", "*/*")); !strings.HasPrefix(w.Body.String(), "418 I'm a teapot: too many requests") {
		t.Fatalf("curl got %q", w.Body)
	}
}

// TestPageRenderFailure: a template that renders at provision but fails on
// a request falls back to the plain-text body.
func TestPageRenderFailure(t *testing.T) {
	path := writePage(t, `{{if eq .RetryAfter 59}}ok{{else}}{{index .Zone 99}}{{end}}`)
	ctx, _ := newContext(t)
	h := provision(t, &ctx, &Throttle{Zone: "t_render_fail", Rate: "1r/h", Page: path})
	serve(t, h, request("192.0.2.1"))
	w := serve(t, h, request("192.0.2.1", "Accept", "text/html"))
	if w.Code != 429 || w.Header().Get("Content-Type") != "text/plain; charset=utf-8" ||
		!strings.HasPrefix(w.Body.String(), "429 Too Many Requests: too many requests, retry in ") {
		t.Fatalf("status %d, Content-Type %q, body %q; want the plain-text rejection", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
}

func TestPageErrors(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.html")
	if err := os.WriteFile(big, bytes.Repeat([]byte("x"), maxPageSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, page, want string
	}{
		{"missing file", filepath.Join(dir, "none.html"), "no such file"},
		{"directory", dir, "not a regular file"},
		{"too large", big, "larger than"},
		{"syntax", writePage(t, "{{if .Status}}"), "unexpected EOF"},
		{"unknown field", writePage(t, "{{.Until}}"), "can't evaluate field Until"},
		{"unknown function", writePage(t, "{{env \"HOME\"}}"), `function "env" not defined`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, _ := newContext(t)
			h := &Throttle{Zone: "t_page_err", Rate: "1r/s", Page: tt.page}
			err := h.Provision(ctx)
			h.Cleanup()
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "zone t_page_err: page") {
				t.Fatalf("Provision: %v, want an error about the page containing %q", err, tt.want)
			}
			var c Throttle
			err = c.UnmarshalCaddyfile(caddyfile.NewTestDispenser("throttle z {\n\trate 1r/s\n\tpage " + tt.page + "\n}"))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "Testfile:3") {
				t.Fatalf("Caddyfile: %v, want an error at Testfile:3 containing %q", err, tt.want)
			}
		})
	}
}

// TestPageCache: a page is rendered once per status, message and wait.
func TestPageCache(t *testing.T) {
	a := template.Must(template.New("a").Parse("a{{.RetryAfter}}"))
	b := template.Must(template.New("b").Parse("b{{.RetryAfter}}"))
	var c pageCache
	render := func(tmpl *template.Template, status int, msg string, retry int64) string {
		t.Helper()
		body, err := c.render(tmpl, status, "z", msg, retry)
		if err != nil {
			t.Fatal(err)
		}
		return string(body)
	}
	if got := render(a, 429, "too many requests", 7); got != "a7" {
		t.Fatalf("first render %q", got)
	}
	if got := render(b, 429, "too many requests", 7); got != "a7" {
		t.Fatalf("same page rendered again (%q), want the cached one", got)
	}
	if got := render(b, 503, "too many requests", 7); got != "b7" {
		t.Fatalf("another status: %q, want a new render", got)
	}
	if got := render(a, 503, "rate limiter unavailable", 7); got != "a7" {
		t.Fatalf("another message: %q, want a new render", got)
	}
	if got := render(b, 503, "rate limiter unavailable", 7+pageCacheSlots); got != "b71" {
		t.Fatalf("another wait in the same slot: %q, want a new render", got)
	}
}

// BenchmarkReject measures a rejection for a browser (the built-in page,
// rendered once per wait, then cached), for curl and for an API client.
func BenchmarkReject(b *testing.B) {
	for _, c := range []struct{ name, accept string }{{"html", browserAccept}, {"text", "*/*"}, {"json", "application/json"}} {
		b.Run(c.name, func(b *testing.B) {
			ctx, _ := newContext(b)
			h := provision(b, &ctx, &Throttle{Zone: "b_reject_" + c.name, Rate: "1r/h"})
			r := request("192.0.2.1", "Accept", c.accept)
			w := &nopWriter{h: make(http.Header)}
			h.ServeHTTP(w, r, okHandler)
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, r, okHandler)
			}
		})
	}
}

func TestUnmarshalCaddyfilePage(t *testing.T) {
	var c Throttle
	if err := c.UnmarshalCaddyfile(caddyfile.NewTestDispenser("throttle z {\n\trate 1r/s\n\tpage testdata/page.html\n}")); err != nil {
		t.Fatal(err)
	}
	if c.Page != "testdata/page.html" {
		t.Fatalf("Page = %q", c.Page)
	}
	for _, bad := range []string{"page", "page a b"} {
		err := c.UnmarshalCaddyfile(caddyfile.NewTestDispenser("throttle z {\n\trate 1r/s\n\t" + bad + "\n}"))
		if err == nil || !strings.Contains(err.Error(), "wrong argument count") || !strings.Contains(err.Error(), "Testfile:3") {
			t.Fatalf("%q: %v, want an argument error at Testfile:3", bad, err)
		}
	}
}

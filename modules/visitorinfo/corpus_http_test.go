package visitorinfo

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/http/httpguts"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/device"
	"github.com/frontdoor-gateway/frontdoor/modules/internal/device/corpus"
	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// TestCorpusOverHTTP sends every labelled User-Agent of the device corpus,
// with its client hints, through a real HTTP connection to a site with
// visitor_info, and checks that {device.type} and {device.os} are what the
// classifier says for the same header values: the way the headers travel
// and are read loses nothing the classifier uses. (The corpus tests in
// modules/internal/device measure the classifier itself.)
func TestCorpusOverHTTP(t *testing.T) {
	files, err := filepath.Glob("../internal/device/testdata/*.tsv")
	if err != nil || len(files) < 5 {
		t.Fatalf("corpus files: %v %v", files, err)
	}
	read, err := corpus.Read(files...)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		where string
		ua    string
		hints device.Hints
	}
	rows := make([]row, 0, len(read))
	for _, r := range read {
		rows = append(rows, row{fmt.Sprintf("%s:%d", filepath.Base(r.File), r.Line), r.UA,
			device.Hints{Mobile: r.Mobile, Platform: r.Platform, FormFactors: r.FormFactors, Model: r.Model}})
	}

	port := harness.FreePort(t)
	cf := fmt.Sprintf(`{
	admin off
	auto_https off
	persist_config off
	geoip
}
http://127.0.0.1:%d {
	bind 127.0.0.1
	route {
		visitor_info
		respond "{device.type} {device.os}"
	}
}
`, port)
	cfg, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cf), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := caddy.Load(cfg, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = caddy.Stop() })

	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	var (
		mu       sync.Mutex
		wrong    []string
		unsent   int
		checked  int
		next     = make(chan row)
		wg       sync.WaitGroup
		valueFor = map[string]func(device.Hints) string{
			"Sec-CH-UA-Mobile":       func(h device.Hints) string { return h.Mobile },
			"Sec-CH-UA-Platform":     func(h device.Hints) string { return h.Platform },
			"Sec-CH-UA-Form-Factors": func(h device.Hints) string { return h.FormFactors },
			"Sec-CH-UA-Model":        func(h device.Hints) string { return h.Model },
		}
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range next {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				sent := r.hints
				ok := httpguts.ValidHeaderFieldValue(r.ua)
				if r.ua != "" {
					req.Header.Set("User-Agent", r.ua)
				}
				for name, get := range valueFor {
					if v := get(r.hints); v != "" {
						ok = ok && httpguts.ValidHeaderFieldValue(v)
						req.Header.Set(name, v)
					}
				}
				if !ok {
					// Control characters: no HTTP client sends these.
					mu.Lock()
					unsent++
					mu.Unlock()
					continue
				}
				resp, err := client.Do(req)
				if err != nil {
					mu.Lock()
					wrong = append(wrong, fmt.Sprintf("%s: %v", r.where, err))
					mu.Unlock()
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				// A server trims the whitespace around a field value.
				sent = device.Hints{Mobile: strings.TrimSpace(sent.Mobile), Platform: strings.TrimSpace(sent.Platform),
					FormFactors: strings.TrimSpace(sent.FormFactors), Model: strings.TrimSpace(sent.Model)}
				want := device.Classify(strings.TrimSpace(r.ua), sent)
				mu.Lock()
				checked++
				if got := string(body); got != want.Type.String()+" "+want.OS.String() {
					wrong = append(wrong, fmt.Sprintf("%s: over HTTP %q, classifier %s %s: %q", r.where, got, want.Type, want.OS, r.ua))
				}
				mu.Unlock()
			}
		}()
	}
	for _, r := range rows {
		next <- r
	}
	close(next)
	wg.Wait()

	t.Logf("%d rows: %d checked over HTTP, %d not sendable (control characters)", len(rows), checked, unsent)
	for i, w := range wrong {
		if i == 20 {
			t.Errorf("... and %d more", len(wrong)-20)
			break
		}
		t.Error(w)
	}
	if unsent > len(rows)/100 {
		t.Errorf("%d of %d rows could not be sent", unsent, len(rows))
	}
}

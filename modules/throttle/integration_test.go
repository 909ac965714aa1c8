package throttle

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// Ports of this package's in-process Caddy: admin 2312, sites 19200-19209.
const (
	adminPort  = 2312
	adminURL   = "http://localhost:2312"
	burstURL   = "http://127.0.0.1:19200" // zone it_burst, 5r/s burst 5
	untrustURL = "http://127.0.0.1:19201" // no trusted proxies
	trustURL   = "http://127.0.0.1:19202" // trusts 127.0.0.1 as a proxy
	reloadURL  = "http://127.0.0.1:19203" // zone it_reload
	genURL     = "http://127.0.0.1:19204" // answers the config generation
	metricsURL = "http://127.0.0.1:19205/metrics"
	pageURL    = "http://127.0.0.1:19208" // zone it_page, 1r/m, the built-in page
	customURL  = "http://127.0.0.1:19209" // zone it_page_custom, 1r/m, testdata/page.html
)

// integrationConfig is the Caddyfile of the in-process Caddy. %[1]s is the
// config generation, %[2]s the rate of zone it_reload.
const integrationConfig = `{
	admin localhost:2312
	auto_https off
	servers :19202 {
		trusted_proxies static 127.0.0.1/32
	}
}

http://127.0.0.1:19200 {
	throttle it_burst {
		rate 5r/s
		burst 5
	}
	respond "ok"
}

http://127.0.0.1:19201 {
	throttle it_untrusted {
		rate 1r/m
		burst 2
	}
	respond "ok"
}

http://127.0.0.1:19202 {
	handle /v6 {
		throttle it_v6 {
			rate 1r/m
			burst 5
		}
		respond "ok"
	}
	handle /flood {
		throttle it_flood {
			rate 1r/m
			burst 1
			max_keys 1000
		}
		respond "ok"
	}
	handle {
		throttle it_trusted {
			rate 1r/m
			burst 2
		}
		respond "ok"
	}
}

http://127.0.0.1:19203 {
	throttle it_reload {
		rate %[2]s
		burst 3
	}
	respond "ok"
}

http://127.0.0.1:19204 {
	respond "generation %[1]s"
}

http://127.0.0.1:19205 {
	metrics /metrics
}

http://127.0.0.1:19208 {
	throttle it_page {
		rate 1r/m
	}
	respond "ok"
}

http://127.0.0.1:19209 {
	throttle it_page_custom {
		rate 1r/m
		page testdata/page.html
	}
	respond "ok"
}
`

func config(gen, rate string) string { return fmt.Sprintf(integrationConfig, gen, rate) }

var (
	testerOnce sync.Once
	tester     *caddytest.Tester
)

// startCaddy loads the integration config once for the package.
func startCaddy(t *testing.T) *caddytest.Tester {
	t.Helper()
	harness.Long(t, "integration test")
	testerOnce.Do(func() {
		tester = caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{AdminPort: adminPort})
		tester.InitServer(config("0", "1r/m"), "caddyfile")
	})
	if tester == nil {
		t.Fatal("Caddy did not start")
	}
	return tester
}

var client = &http.Client{Timeout: 5 * time.Second}

func get(t testing.TB, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
		// An idle keep-alive connection that the old server closed as a
		// reload replaced it: the request never reached a handler.
		resp, err = client.Do(req)
	}
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

func TestHTTPBurst(t *testing.T) {
	startCaddy(t)
	for i := 1; i <= 5; i++ {
		if resp, _ := get(t, burstURL); resp.StatusCode != 200 {
			t.Fatalf("request %d: %s, want 200", i, resp.Status)
		}
	}
	resp, body := get(t, burstURL, "Accept", "application/json")
	if resp.StatusCode != 429 {
		t.Fatalf("6th immediate request: %s, want 429", resp.Status)
	}
	if got := resp.Header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After %q, want 1", got)
	}
	if got := resp.Header.Get("RateLimit-Policy"); got != `"it_burst";q=5;w=1` {
		t.Errorf("RateLimit-Policy %q", got)
	}
	if got := resp.Header.Get("RateLimit"); got != `"it_burst";r=0;t=1` {
		t.Errorf("RateLimit %q", got)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || !strings.Contains(body, `"retry_after":1`) {
		t.Errorf("JSON rejection: %s %q", resp.Header.Get("Content-Type"), body)
	}
	time.Sleep(200 * time.Millisecond)
	if resp, _ := get(t, burstURL); resp.StatusCode != 200 {
		t.Fatalf("request after 200 ms: %s, want 200", resp.Status)
	}
}

func TestHTTPForwardedFor(t *testing.T) {
	startCaddy(t)
	t.Run("untrusted peer", func(t *testing.T) {
		codes := []int{}
		for i := range 4 {
			resp, _ := get(t, untrustURL, "X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i+1))
			codes = append(codes, resp.StatusCode)
		}
		if fmt.Sprint(codes) != "[200 200 429 429]" {
			t.Fatalf("spoofed X-Forwarded-For from an untrusted peer: %v, want [200 200 429 429] (one bucket for 127.0.0.1)", codes)
		}
	})
	t.Run("trusted peer", func(t *testing.T) {
		codes := []int{}
		for _, ip := range []string{"203.0.113.1", "203.0.113.1", "203.0.113.1", "203.0.113.2", "198.51.100.7", "::ffff:198.51.100.7", "::ffff:198.51.100.7"} {
			resp, _ := get(t, trustURL, "X-Forwarded-For", ip)
			codes = append(codes, resp.StatusCode)
		}
		if fmt.Sprint(codes) != "[200 200 429 200 200 200 429]" {
			t.Fatalf("X-Forwarded-For from a trusted proxy: %v, want [200 200 429 200 200 200 429]", codes)
		}
	})
}

// TestHTTPIPv6Rotation sends 10,000 requests from distinct addresses of one
// IPv6 /64: they share one bucket of 5.
func TestHTTPIPv6Rotation(t *testing.T) {
	startCaddy(t)
	const n, workers = 10_000, 4
	var allowed, limited, other atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				ip := fmt.Sprintf("2001:db8:aa:bb:%x:%x:%x:%x", i>>12, (i*7919)&0xffff, i&0xfff, (i*31)&0xffff)
				resp, _ := get(t, trustURL+"/v6", "X-Forwarded-For", ip)
				switch resp.StatusCode {
				case 200:
					allowed.Add(1)
				case 429:
					limited.Add(1)
				default:
					other.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if allowed.Load() != 5 || limited.Load() != n-5 || other.Load() != 0 {
		t.Fatalf("10,000 addresses of one /64: %d allowed, %d limited, %d other; want 5, %d, 0",
			allowed.Load(), limited.Load(), other.Load(), n-5)
	}
	if resp, _ := get(t, trustURL+"/v6", "X-Forwarded-For", "2001:db8:aa:bc::1"); resp.StatusCode != 200 {
		t.Fatalf("another /64: %s, want 200", resp.Status)
	}
}

// TestHTTPReloads reloads the config 50 times through the admin API while a
// key is exhausted, then changes the rate.
func TestHTTPReloads(t *testing.T) {
	startCaddy(t)
	for i := range 3 {
		if resp, _ := get(t, reloadURL); resp.StatusCode != 200 {
			t.Fatalf("request %d: %s", i, resp.Status)
		}
	}
	if resp, _ := get(t, reloadURL); resp.StatusCode != 429 {
		t.Fatalf("4th request: %s, want 429", resp.Status)
	}
	for gen := 1; gen <= 50; gen++ {
		load(t, config(fmt.Sprint(gen), "1r/m"))
		if _, body := get(t, genURL); body != fmt.Sprintf("generation %d", gen) {
			t.Fatalf("reload %d not applied: %q", gen, body)
		}
		if resp, _ := get(t, reloadURL); resp.StatusCode != 429 {
			t.Fatalf("after reload %d: %s, want 429 (a reload must not refill the bucket)", gen, resp.Status)
		}
	}
	// A faster rate applies to the exhausted key without refilling it.
	load(t, config("51", "2r/s"))
	if resp, _ := get(t, reloadURL); resp.StatusCode != 429 {
		t.Fatalf("right after changing the rate: %s, want 429", resp.Status)
	}
	time.Sleep(600 * time.Millisecond)
	if resp, _ := get(t, reloadURL); resp.StatusCode != 200 {
		t.Fatalf("600 ms after changing to 2r/s: %s, want 200", resp.Status)
	}
	if resp, _ := get(t, reloadURL); resp.StatusCode != 429 {
		t.Fatalf("then: %s, want 429 (only one token came back)", resp.Status)
	}
	load(t, config("52", "1r/m"))
}

func load(t testing.TB, caddyfile string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, adminURL+"/load", bytes.NewBufferString(caddyfile))
	req.Header.Set("Content-Type", "text/caddyfile")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST /load: %s %s", resp.Status, body)
	}
	// The old config's server closes its idle connections (these test
	// configs do not hand them over): the next request opens a new one
	// rather than race that close.
	client.CloseIdleConnections()
}

// TestHTTPKeyFloodAndMetrics floods a zone capped at 1,000 keys with 5,000
// client addresses and reads the Prometheus endpoint.
func TestHTTPKeyFloodAndMetrics(t *testing.T) {
	startCaddy(t)
	const n = 5000
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				ip := fmt.Sprintf("198.18.%d.%d", i>>8, i&255)
				if resp, _ := get(t, trustURL+"/flood", "X-Forwarded-For", ip); resp.StatusCode != 200 {
					t.Errorf("first request of %s: %s", ip, resp.Status)
					return
				}
			}
		}()
	}
	wg.Wait()
	_, body := get(t, metricsURL)
	for _, want := range []string{
		`frontdoor_throttle_keys{zone="it_flood"} 1000`,
		fmt.Sprintf(`frontdoor_throttle_evictions_total{zone="it_flood"} %d`, n-1000),
		fmt.Sprintf(`frontdoor_throttle_requests_total{result="allowed",zone="it_flood"} %d`, n),
		`frontdoor_throttle_requests_total{result="dry_run",zone="it_flood"} 0`,
		`frontdoor_throttle_store_errors_total{zone="it_flood"} 0`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
	for line := range strings.SplitSeq(body, "\n") {
		if strings.HasPrefix(line, "frontdoor_throttle") && (strings.Contains(line, "198.18.") || strings.Contains(line, "127.0.0.1")) {
			t.Errorf("a client address is a label: %s", line)
		}
	}
}

func TestHTTPZoneConflict(t *testing.T) {
	startCaddy(t)
	bad := `{
	admin localhost:2312
	auto_https off
}
http://127.0.0.1:19206 {
	throttle it_conflict {
		rate 1r/s
	}
	respond "a"
}
http://127.0.0.1:19207 {
	throttle it_conflict {
		rate 2r/s
	}
	respond "b"
}
`
	req, _ := http.NewRequest(http.MethodPost, adminURL+"/load", strings.NewReader(bad))
	req.Header.Set("Content-Type", "text/caddyfile")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == 200 || !strings.Contains(string(body), "different settings") {
		t.Fatalf("loading one zone with two rates: %s %s, want an error", resp.Status, body)
	}
	// The running config is untouched.
	if resp, _ := get(t, genURL); resp.StatusCode != 200 {
		t.Fatalf("running config after the failed load: %s", resp.Status)
	}
}

// TestHTTPBrowserPage is what a person sees once the bucket of their
// network is empty (many phones behind one carrier NAT during a sale):
// headless Chromium loads the page from a real Caddy, its DOM shows the
// wait, and its screenshot is a rendered page, not a blank one. curl and
// API clients keep their plain-text and JSON bodies.
func TestHTTPBrowserPage(t *testing.T) {
	startCaddy(t)
	browser := harness.Chromium(t)
	if resp, _ := get(t, pageURL); resp.StatusCode != 200 {
		t.Fatalf("first request: %s, want 200", resp.Status)
	}
	resp, body := get(t, pageURL, "Accept", "*/*")
	if resp.StatusCode != 429 || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" ||
		!strings.HasPrefix(body, "429 Too Many Requests: too many requests, retry in ") {
		t.Fatalf("curl: %s %q %q, want the plain-text line", resp.Status, resp.Header.Get("Content-Type"), body)
	}
	if resp, body := get(t, pageURL, "Accept", "application/json"); resp.StatusCode != 429 || !strings.Contains(body, `"zone":"it_page"`) {
		t.Fatalf("API client: %s %q, want the JSON body", resp.Status, body)
	}
	resp, body = get(t, pageURL, "Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	if resp.StatusCode != 429 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
		resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("browser Accept: %s %v", resp.Status, resp.Header)
	}

	if err := browser.Navigate(pageURL + "/"); err != nil {
		t.Fatal(err)
	}
	var dom string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var err error
		dom, err = browser.Eval(`document.readyState == "complete" ? document.documentElement.outerHTML : ""`)
		if err != nil {
			t.Fatal(err)
		}
		if dom != "" || time.Now().After(deadline) {
			break
		}
	}
	m := regexp.MustCompile(`<time datetime="PT([0-9]+)S">([^<]*)</time>`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("Chromium's DOM shows no wait:\n%s", dom)
	}
	secs, _ := strconv.ParseInt(m[1], 10, 64)
	if secs < 1 || secs > 60 || m[2] != waitText(secs) {
		t.Fatalf("Chromium's DOM shows a wait of %q (%s s), want 1 to 60 s in words", m[2], m[1])
	}
	for _, want := range []string{"<title>Too Many Requests</title>", "Too many requests", "429 Too Many Requests"} {
		if !strings.Contains(dom, want) {
			t.Errorf("Chromium's DOM lacks %q:\n%s", want, dom)
		}
	}
	t.Logf("Chromium shows: Please wait %s (Retry-After %d)", m[2], secs)

	raw, err := browser.Screenshot()
	if err != nil {
		t.Fatal(err)
	}
	shot, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("Chromium's screenshot: %v", err)
	}
	b := shot.Bounds()
	colours := map[color.RGBA]int{}
	ink := 0 // text: dark pixels
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(shot.At(x, y)).(color.RGBA)
			colours[c]++
			if int(c.R)+int(c.G)+int(c.B) < 3*128 {
				ink++
			}
		}
	}
	t.Logf("screenshot %dx%d: %d colours, %d dark pixels", b.Dx(), b.Dy(), len(colours), ink)
	if b.Dx() < 640 || b.Dy() < 480 || len(colours) < 16 || ink < 500 {
		t.Fatalf("screenshot %dx%d with %d colours and %d dark pixels: want a window-sized page with text on it",
			b.Dx(), b.Dy(), len(colours), ink)
	}
}

// TestHTTPCustomPage: a site's page template replaces the built-in page.
func TestHTTPCustomPage(t *testing.T) {
	startCaddy(t)
	get(t, customURL)
	resp, body := get(t, customURL, "Accept", "text/html")
	m := regexp.MustCompile(`<p id="wait">Zone it_page_custom: try again in ([^(]*) \(([0-9]+) s, status 429\)\.</p>`).FindStringSubmatch(body)
	if resp.StatusCode != 429 || m == nil {
		t.Fatalf("%s %q, want testdata/page.html rendered", resp.Status, body)
	}
	if secs, _ := strconv.ParseInt(m[2], 10, 64); m[1] != waitText(secs) || m[2] != resp.Header.Get("Retry-After") {
		t.Fatalf("page says %q and %s s, Retry-After %s", m[1], m[2], resp.Header.Get("Retry-After"))
	}
}

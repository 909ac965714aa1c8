package maintenance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	maint "github.com/frontdoor-gateway/frontdoor/modules/internal/maintenance"
	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// Ports of this package's in-process Caddy: admin 2313, sites 19310-19319.
const (
	adminPort   = 2313
	adminURL    = "http://localhost:2313"
	shopURL     = "http://127.0.0.1:19310" // trusts 127.0.0.1 as a proxy
	shopUntrust = "http://127.0.0.1:19311" // same maintenance, no trusted proxies
	brandURL    = "http://127.0.0.1:19312" // another maintenance
	metricsURL  = "http://127.0.0.1:19313/metrics"
	prefixURL   = "http://127.0.0.1:19315" // shop again, under handle_path and uri strip_prefix
	testSecret  = "integration-bypass-secret-0123456789"
)

const integrationConfig = `{
	admin localhost:2313
	auto_https off
	storage file_system %[1]s
	log {
		output file %[1]s/caddy.log
		format json
	}
	maintenance {
		poll_interval 1s
	}
	servers :19310 {
		trusted_proxies static 127.0.0.1/32
	}
}

http://127.0.0.1:19310 {
	log {
		output file %[1]s/access.log
		format json
	}
	maintenance shop {
		allow 10.0.0.0/8
		bypass_secret {env.FD_TEST_BYPASS}
		retry_after 10m
	}
	respond /echo-cookie "cookie=[{http.request.header.Cookie}]"
	respond "shop %[2]s"
}

http://127.0.0.1:19311 {
	maintenance shop {
		allow 10.0.0.0/8
		bypass_secret {env.FD_TEST_BYPASS}
	}
	respond "shop untrusted"
}

http://127.0.0.1:19312 {
	maintenance brand
	respond "brand"
}

http://127.0.0.1:19313 {
	metrics /metrics
}

http://127.0.0.1:19315 {
	handle_path /app/* {
		maintenance shop {
			bypass_secret {env.FD_TEST_BYPASS}
		}
		respond "app {path}"
	}
	route /r/* {
		uri strip_prefix /r
		maintenance shop {
			bypass_secret {env.FD_TEST_BYPASS}
		}
		respond "r {path}"
	}
}
`

// startGateway loads the test config over a fresh storage directory (or dir,
// when given) and returns the directory.
func startGateway(t *testing.T, dir, version string) (*caddytest.Tester, string) {
	t.Helper()
	t.Setenv("FD_TEST_BYPASS", testSecret)
	if dir == "" {
		dir = gatewayDir(t)
	}
	harness.Long(t, "starts a Caddy server in the test process")
	tc := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{AdminPort: adminPort})
	tc.InitServer(fmt.Sprintf(integrationConfig, dir, version), "caddyfile")
	if t.Failed() {
		t.FailNow()
	}
	return tc, dir
}

// gatewayDir makes the storage and log directory of a test gateway. When the
// test ends the gateway is given an empty config first, so that nothing
// writes into the directory (access log, storage cleaning) as it is removed.
func gatewayDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "frontdoor-maintenance-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		req, _ := http.NewRequest("POST", adminURL+"/load", strings.NewReader(`{"admin":{"listen":"localhost:2313"}}`))
		req.Header.Set("Content-Type", "application/json")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		for range 20 {
			if err := os.RemoveAll(dir); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("could not remove %s", dir)
	})
	return dir
}

var noRedirect = &http.Client{
	Timeout:       5 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func do(t *testing.T, method, url string, body string, header ...string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func wantStatus(t *testing.T, resp *http.Response, body string, status int) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d; body: %.300s", resp.Request.Method, resp.Request.URL, resp.StatusCode, status, body)
	}
}

func TestSwitchThroughAdminAPI(t *testing.T) {
	_, _ = startGateway(t, "", "v1")
	_, configBefore := do(t, "GET", adminURL+"/config/", "")
	blockedBefore := metricValue(t, `frontdoor_maintenance_responses_total{name="shop",result="blocked"}`)

	resp, body := do(t, "GET", shopURL+"/", "")
	wantStatus(t, resp, body, 200)

	t.Run("on blocks within the same second", func(t *testing.T) {
		start := time.Now()
		resp, body := do(t, "PUT", adminURL+"/maintenance/shop", `{"enabled":true,"message":"Deploying v2"}`)
		wantStatus(t, resp, body, 200)
		var doc maint.Document
		if err := json.Unmarshal([]byte(body), &doc); err != nil || !doc.Enabled || !doc.Active || doc.Name != "shop" {
			t.Fatalf("PUT answer %s (%v)", body, err)
		}
		for _, path := range []string{"/", "/static/app.css", "/favicon.ico", "/api/items?x=1"} {
			resp, body := do(t, "GET", shopURL+path, "", "Accept", "text/html")
			wantStatus(t, resp, body, 503)
			if resp.Header.Get("Retry-After") != "600" || resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: headers %v", path, resp.Header)
			}
			if !strings.Contains(body, "Deploying v2") || !strings.Contains(body, "<html") {
				t.Errorf("%s: body %.200s", path, body)
			}
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("switching on took %s", d)
		}
	})

	t.Run("other site unaffected", func(t *testing.T) {
		resp, body := do(t, "GET", brandURL+"/", "")
		wantStatus(t, resp, body, 200)
		if body != "brand" {
			t.Fatalf("body %q", body)
		}
	})

	t.Run("json for clients that prefer it", func(t *testing.T) {
		resp, body := do(t, "GET", shopURL+"/api", "", "Accept", "application/json")
		wantStatus(t, resp, body, 503)
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"status": "maintenance", "message": "Deploying v2", "until": nil}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("JSON body %v, want %v", got, want)
		}
	})

	t.Run("status and list", func(t *testing.T) {
		resp, body := do(t, "GET", adminURL+"/maintenance", "")
		wantStatus(t, resp, body, 200)
		var docs []maint.Document
		if err := json.Unmarshal([]byte(body), &docs); err != nil {
			t.Fatal(err)
		}
		if len(docs) != 2 || docs[0].Name != "brand" || docs[0].Enabled || docs[1].Name != "shop" || !docs[1].Active {
			t.Fatalf("list %s", body)
		}
	})

	t.Run("metrics", func(t *testing.T) {
		_, body := do(t, "GET", metricsURL, "")
		for _, line := range []string{
			`frontdoor_maintenance_enabled{name="shop"} 1`,
			`frontdoor_maintenance_enabled{name="brand"} 0`,
		} {
			if !strings.Contains(body, line) {
				t.Errorf("metrics lack %s", line)
			}
		}
		// Counters continue across config loads: this test counts its own.
		if got := metricValue(t, `frontdoor_maintenance_responses_total{name="shop",result="blocked"}`); got != blockedBefore+5 {
			t.Errorf("blocked responses counted %v, want %v + 5", got, blockedBefore)
		}
	})

	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			method, path, body string
			status             int
			msg                string
		}{
			{"GET", "/maintenance/nope", "", 404, "unknown maintenance"},
			{"PUT", "/maintenance/nope", `{"enabled":true}`, 404, "unknown maintenance"},
			{"PUT", "/maintenance/shop", `{"enabled":`, 400, "invalid JSON"},
			{"PUT", "/maintenance/shop", `{"enabled":true,"from":"2030-01-02T00:00:00Z","until":"2030-01-01T00:00:00Z"}`, 400, "must be after from"},
			{"PUT", "/maintenance/shop", `{"until":"2001-01-01T00:00:00Z"}`, 400, "in the past"},
			{"PUT", "/maintenance/shop", `{"enabled":true,"colour":"red"}`, 400, "unknown field"},
			{"POST", "/maintenance/shop", `{}`, 405, "not allowed"},
			{"DELETE", "/maintenance", "", 405, "not allowed"},
		}
		for _, tt := range tests {
			t.Run(tt.method+" "+tt.path+" "+tt.body, func(t *testing.T) {
				resp, body := do(t, tt.method, adminURL+tt.path, tt.body)
				wantStatus(t, resp, body, tt.status)
				if !strings.Contains(body, tt.msg) {
					t.Errorf("body %s lacks %q", body, tt.msg)
				}
			})
		}
		// Failed requests changed nothing.
		resp, body := do(t, "GET", shopURL+"/", "")
		wantStatus(t, resp, body, 503)
	})

	t.Run("delete turns off", func(t *testing.T) {
		resp, body := do(t, "DELETE", adminURL+"/maintenance/shop", "")
		wantStatus(t, resp, body, 200)
		resp, body = do(t, "GET", shopURL+"/", "")
		wantStatus(t, resp, body, 200)
		if body != "shop v1" {
			t.Fatalf("body %q", body)
		}
		_, metrics := do(t, "GET", metricsURL, "")
		if !strings.Contains(metrics, `frontdoor_maintenance_enabled{name="shop"} 0`) {
			t.Error("enabled gauge still 1 after DELETE")
		}
	})

	_, configAfter := do(t, "GET", adminURL+"/config/", "")
	if configAfter != configBefore {
		t.Errorf("switching changed the config:\nbefore %s\nafter  %s", configBefore, configAfter)
	}
}

func TestAllowThroughTrustedProxyOnly(t *testing.T) {
	startGateway(t, "", "v1")
	allowedBefore := metricValue(t, `frontdoor_maintenance_responses_total{name="shop",result="allowed"}`)
	resp, body := do(t, "PUT", adminURL+"/maintenance/shop", `{}`)
	wantStatus(t, resp, body, 200)

	tests := []struct {
		name   string
		url    string
		xff    string
		status int
	}{
		{"allowed client via trusted proxy", shopURL, "10.9.8.7", 200},
		{"other client via trusted proxy", shopURL, "192.0.2.10", 503},
		{"proxy itself", shopURL, "", 503},
		{"same header from untrusted peer", shopUntrust, "10.9.8.7", 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.xff != "" {
				hdr = []string{"X-Forwarded-For", tt.xff}
			}
			resp, body := do(t, "GET", tt.url+"/", "", hdr...)
			wantStatus(t, resp, body, tt.status)
		})
	}
	if got := metricValue(t, `frontdoor_maintenance_responses_total{name="shop",result="allowed"}`); got != allowedBefore+1 {
		_, metrics := do(t, "GET", metricsURL, "")
		t.Errorf("allowed responses counted %v, want %v + 1:\n%s", got, allowedBefore, grepLines(metrics, "frontdoor_maintenance"))
	}
}

func TestBypassCookie(t *testing.T) {
	_, dir := startGateway(t, "", "v1")
	resp, body := do(t, "PUT", adminURL+"/maintenance/shop", `{"enabled":true}`)
	wantStatus(t, resp, body, 200)

	// The secret answers with a redirect to the same URL without it.
	resp, body = do(t, "GET", shopURL+"/cart?item=7&fd_bypass="+testSecret+"&q=a%20b", "")
	wantStatus(t, resp, body, http.StatusFound)
	if loc := resp.Header.Get("Location"); loc != "/cart?item=7&q=a%20b" {
		t.Fatalf("Location %q", loc)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "fd_maintenance_shop" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure {
		t.Fatalf("bypass cookie %+v", cookie)
	}
	if strings.Contains(strings.Join(resp.Header.Values("Set-Cookie"), ""), testSecret) {
		t.Fatal("the secret is in the cookie")
	}

	tests := []struct {
		name   string
		cookie string
		status int
	}{
		{"issued cookie passes", cookie.Value, 200},
		{"no cookie", "", 503},
		{"tampered cookie", flipLast(cookie.Value), 503},
		{"expired cookie", maint.NewBypass("shop", testSecret).Issue(time.Now().Add(-time.Minute)), 503},
		{"cookie signed with another secret", maint.NewBypass("shop", "not-the-secret-at-all").Issue(time.Now().Add(time.Hour)), 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.cookie != "" {
				hdr = []string{"Cookie", "fd_maintenance_shop=" + tt.cookie}
			}
			resp, body := do(t, "GET", shopURL+"/cart?item=7", "", hdr...)
			wantStatus(t, resp, body, tt.status)
		})
	}

	t.Run("the site never sees the bypass cookie", func(t *testing.T) {
		resp, body := do(t, "GET", shopURL+"/echo-cookie", "",
			"Cookie", "a=1; fd_maintenance_shop="+cookie.Value+"; b=2")
		wantStatus(t, resp, body, 200)
		if body != "cookie=[a=1; b=2]" {
			t.Fatalf("the site saw %q, want the other cookies only", body)
		}
	})

	t.Run("wrong secret", func(t *testing.T) {
		resp, body := do(t, "GET", shopURL+"/?fd_bypass=guess", "")
		wantStatus(t, resp, body, 503)
	})

	t.Run("secret never logged", func(t *testing.T) {
		var log []byte
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			log, _ = os.ReadFile(filepath.Join(dir, "access.log"))
			if bytes.Count(log, []byte("\n")) >= len(tests)+1 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if bytes.Count(log, []byte("\n")) < len(tests)+1 {
			t.Fatalf("access log has too few entries:\n%s", log)
		}
		if bytes.Contains(log, []byte(testSecret)) {
			t.Fatalf("the bypass secret is in the access log:\n%s", log)
		}
		if !bytes.Contains(log, []byte("fd_bypass=guess")) {
			t.Errorf("the wrong-secret request is missing from the access log")
		}
	})
}

func flipLast(s string) string {
	last := s[len(s)-1]
	repl := byte('A')
	if last == 'A' {
		repl = 'B'
	}
	return s[:len(s)-1] + string(repl)
}

func TestScheduledWindow(t *testing.T) {
	startGateway(t, "", "v1")
	from := time.Now().Add(1500 * time.Millisecond)
	until := from.Add(2 * time.Second)
	body := fmt.Sprintf(`{"enabled":true,"from":%q,"until":%q}`, from.Format(time.RFC3339Nano), until.Format(time.RFC3339Nano))
	resp, out := do(t, "PUT", adminURL+"/maintenance/shop", body)
	wantStatus(t, resp, out, 200)

	statusAt := func(at time.Time) (int, string) {
		time.Sleep(time.Until(at))
		resp, _ := do(t, "GET", shopURL+"/", "")
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	if code, _ := statusAt(time.Now()); code != 200 {
		t.Fatalf("before from: %d", code)
	}
	code, retry := statusAt(from.Add(300 * time.Millisecond))
	if code != 503 {
		t.Fatalf("inside the window: %d", code)
	}
	if retry != "2" && retry != "1" {
		t.Errorf("Retry-After %q inside the window, want the time left (1-2 s)", retry)
	}
	if code, _ := statusAt(until.Add(300 * time.Millisecond)); code != 200 {
		t.Fatalf("after until: %d (maintenance did not switch itself off)", code)
	}
}

func TestReloadAndRestartKeepState(t *testing.T) {
	_, dir := startGateway(t, "", "v1")
	resp, body := do(t, "PUT", adminURL+"/maintenance/brand", `{"message":"kept"}`)
	wantStatus(t, resp, body, 200)

	// A config reload (a changed site) keeps the switch.
	startGateway(t, dir, "v2")
	resp, body = do(t, "GET", brandURL+"/", "", "Accept", "application/json")
	wantStatus(t, resp, body, 503)
	if !strings.Contains(body, `"kept"`) {
		t.Fatalf("message lost across reload: %s", body)
	}
	resp, body = do(t, "GET", adminURL+"/maintenance/brand", "")
	if !strings.Contains(body, `"enabled":true`) {
		t.Fatalf("admin API lost the state across reload: %s", body)
	}
	resp, body = do(t, "GET", shopURL+"/", "")
	wantStatus(t, resp, body, 200)
	if body != "shop v2" {
		t.Fatalf("reload not applied: %q", body)
	}

	// The state is in the configured storage.
	stored, err := os.ReadFile(filepath.Join(dir, "frontdoor", "maintenance", "brand.json"))
	if err != nil || !bytes.Contains(stored, []byte(`"enabled":true`)) {
		t.Fatalf("storage: %s (%v)", stored, err)
	}
}

// TestConcurrentSwitching flips the switch from 100 goroutines while traffic
// flows; the last write must be the state that stays, everywhere.
func TestConcurrentSwitching(t *testing.T) {
	_, dir := startGateway(t, "", "v1")

	stop := make(chan struct{})
	var traffic sync.WaitGroup
	var served, bad atomic.Int64
	for range 4 {
		traffic.Go(func() {
			client := &http.Client{Timeout: 5 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Get(shopURL + "/")
				if err != nil {
					bad.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 && resp.StatusCode != 503 {
					bad.Add(1)
				}
				served.Add(1)
			}
		})
	}

	var writes sync.WaitGroup
	var mu sync.Mutex
	var last maint.Document
	for i := range 100 {
		writes.Go(func() {
			method, body := "PUT", fmt.Sprintf(`{"enabled":true,"message":"write %d"}`, i)
			if i%2 == 1 {
				method, body = "DELETE", ""
			}
			req, _ := http.NewRequest(method, adminURL+"/maintenance/shop", strings.NewReader(body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var doc maint.Document
			if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&doc) != nil || doc.Updated == nil {
				t.Errorf("%s: status %d", method, resp.StatusCode)
				return
			}
			mu.Lock()
			if last.Updated == nil || doc.Updated.After(*last.Updated) {
				last = doc
			}
			mu.Unlock()
		})
	}
	writes.Wait()
	time.Sleep(100 * time.Millisecond)
	close(stop)
	traffic.Wait()
	if bad.Load() > 0 || served.Load() == 0 {
		t.Fatalf("traffic: %d served, %d failed", served.Load(), bad.Load())
	}

	_, body := do(t, "GET", adminURL+"/maintenance/shop", "")
	var final maint.Document
	if err := json.Unmarshal([]byte(body), &final); err != nil {
		t.Fatal(err)
	}
	if final.Enabled != last.Enabled || final.Message != last.Message || !final.Updated.Equal(*last.Updated) {
		t.Fatalf("final state %s is not the last write %+v", body, last)
	}
	stored, _ := os.ReadFile(filepath.Join(dir, "frontdoor", "maintenance", "shop.json"))
	st, err := maint.UnmarshalState(stored)
	if err != nil || st.Enabled != last.Enabled || st.Message != last.Message {
		t.Fatalf("stored state %s is not the last write %+v", stored, last)
	}
	resp, _ := do(t, "GET", shopURL+"/", "")
	if want := map[bool]int{true: 503, false: 200}[last.Enabled]; resp.StatusCode != want {
		t.Fatalf("site answers %d, want %d for the last write", resp.StatusCode, want)
	}
	// And it stays so once storage is polled again.
	time.Sleep(1500 * time.Millisecond)
	resp, _ = do(t, "GET", shopURL+"/", "")
	if want := map[bool]int{true: 503, false: 200}[last.Enabled]; resp.StatusCode != want {
		t.Fatalf("after a poll the site answers %d, want %d", resp.StatusCode, want)
	}
}

// metricValue reads one series from the metrics endpoint; absent is 0.
func metricValue(t *testing.T, series string) float64 {
	t.Helper()
	_, body := do(t, "GET", metricsURL, "")
	for line := range strings.SplitSeq(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metrics line %q: %v", line, err)
			}
			return f
		}
	}
	return 0
}

func grepLines(text, substr string) string {
	var out []string
	for line := range strings.SplitSeq(text, "\n") {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// TestAdminWithoutHandlers: a config with no maintenance handler lists none
// and knows no name.
func TestAdminWithoutHandlers(t *testing.T) {
	harness.Long(t, "starts a Caddy server in the test process")
	tc := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{AdminPort: adminPort})
	tc.InitServer(`{
	admin localhost:2313
	auto_https off
}

http://127.0.0.1:19314 {
	respond "plain"
}
`, "caddyfile")
	resp, body := do(t, "GET", adminURL+"/maintenance", "")
	wantStatus(t, resp, body, 200)
	if strings.TrimSpace(body) != "[]" {
		t.Fatalf("list %s, want []", body)
	}
	resp, body = do(t, "PUT", adminURL+"/maintenance/shop", `{}`)
	wantStatus(t, resp, body, 404)
}

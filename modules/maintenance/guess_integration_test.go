package maintenance

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// TestBypassGuessesLimited: a client that sends wrong secrets is cut off
// after five failures; further guesses, even the right one, are not checked
// and get the maintenance page with Retry-After. Other clients are not
// affected; an IPv6 client's whole /64 counts as one.
func TestBypassGuessesLimited(t *testing.T) {
	startGateway(t, "", "v1")
	resp, body := do(t, "PUT", adminURL+"/maintenance/shop", `{}`)
	wantStatus(t, resp, body, 200)
	limitedBefore := metricValue(t, `frontdoor_maintenance_responses_total{name="shop",result="bypass_limited"}`)

	guess := func(t *testing.T, client, secret string) *http.Response {
		t.Helper()
		resp, _ := do(t, "GET", shopURL+"/cart?fd_bypass="+url.QueryEscape(secret), "",
			"X-Forwarded-For", client, "Accept", "text/html")
		return resp
	}
	fail := func(t *testing.T, client string, n int) {
		t.Helper()
		for i := range n {
			if resp := guess(t, client, "wrong-guess-"+strconv.Itoa(i)); resp.StatusCode != 503 {
				t.Fatalf("wrong guess %d from %s: %d, want 503", i+1, client, resp.StatusCode)
			}
		}
	}
	wantLimited := func(t *testing.T, resp *http.Response) {
		t.Helper()
		if resp.StatusCode != 503 || bypassCookie(resp) != nil {
			t.Fatalf("a limited client's right secret was checked: %d %v", resp.StatusCode, resp.Header)
		}
		ra, err := strconv.Atoi(resp.Header.Get("Retry-After"))
		if err != nil || ra < 1 {
			t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
		}
	}

	t.Run("ipv4 client", func(t *testing.T) {
		fail(t, "203.0.113.7", 5)
		wantLimited(t, guess(t, "203.0.113.7", testSecret))
		if resp := guess(t, "203.0.113.8", testSecret); resp.StatusCode != http.StatusFound {
			t.Fatalf("another client with the right secret: %d, want 302", resp.StatusCode)
		}
	})
	t.Run("four failures leave the right secret working", func(t *testing.T) {
		fail(t, "203.0.113.9", 4)
		if resp := guess(t, "203.0.113.9", testSecret); resp.StatusCode != http.StatusFound {
			t.Fatalf("right secret after four failures: %d, want 302", resp.StatusCode)
		}
	})
	t.Run("ipv6 /64", func(t *testing.T) {
		fail(t, "2001:db8:1:2::1", 3)
		fail(t, "2001:db8:1:2:ffff::2", 2)
		wantLimited(t, guess(t, "2001:db8:1:2::99", testSecret))
		if resp := guess(t, "2001:db8:1:3::1", testSecret); resp.StatusCode != http.StatusFound {
			t.Fatalf("the next /64 with the right secret: %d, want 302", resp.StatusCode)
		}
	})

	if got := metricValue(t, `frontdoor_maintenance_responses_total{name="shop",result="bypass_limited"}`); got != limitedBefore+2 {
		_, metrics := do(t, "GET", metricsURL, "")
		t.Errorf("bypass_limited counted %v, want %v + 2:\n%s", got, limitedBefore, grepLines(metrics, "frontdoor_maintenance_responses"))
	}
}

// TestShortBypassSecretRefused: a bypass_secret under 16 characters is a
// config error, also when it comes from a placeholder (checked when the
// config loads) — a real /load through the admin API.
func TestShortBypassSecretRefused(t *testing.T) {
	startGateway(t, "", "v1")
	t.Setenv("FD_TEST_SHORT_BYPASS", "hunter2")
	for _, secret := range []string{"{env.FD_TEST_SHORT_BYPASS}", "hunter2"} {
		t.Run(secret, func(t *testing.T) {
			cfg := `{
	admin localhost:2313
	auto_https off
}
http://127.0.0.1:19316 {
	maintenance weak {
		bypass_secret ` + secret + `
	}
	respond "weak"
}
`
			req, _ := http.NewRequest("POST", adminURL+"/load", strings.NewReader(cfg))
			req.Header.Set("Content-Type", "text/caddyfile")
			// A refused config rolls back to the running one, and Caddy
			// restarts the admin endpoint with it: a kept-alive connection
			// to it may be reset, so each load has its own.
			req.Close = true
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode == 200 {
				t.Fatalf("a config with bypass_secret %s loaded", secret)
			}
			if !strings.Contains(string(b), "at least 16 characters") {
				t.Fatalf("error %q does not say what is wrong", b)
			}
		})
	}
	// The running config is still the test gateway's.
	resp, body := do(t, "GET", shopURL+"/", "")
	wantStatus(t, resp, body, 200)
}

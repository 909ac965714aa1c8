package maintenance

import (
	"net/http"
	"strconv"
	"testing"
)

func bypassCookie(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == "fd_maintenance_shop" {
			return c
		}
	}
	return nil
}

// TestBypassRedirectKeepsPathPrefix: a maintenance inside handle_path or
// after uri strip_prefix sees a shortened path; the redirect that drops the
// secret must go back to the URL the browser asked for.
func TestBypassRedirectKeepsPathPrefix(t *testing.T) {
	startGateway(t, "", "v1")
	resp, body := do(t, "PUT", adminURL+"/maintenance/shop", `{}`)
	wantStatus(t, resp, body, 200)

	tests := []struct {
		name, path, want string
	}{
		{"handle_path", "/app/orders/42?fd_bypass=" + testSecret + "&x=1", "/app/orders/42?x=1"},
		{"handle_path, secret alone", "/app/orders/42?fd_bypass=" + testSecret, "/app/orders/42"},
		{"uri strip_prefix", "/r/orders/42?x=1&fd_bypass=" + testSecret, "/r/orders/42?x=1"},
		{"escaped path", "/app/a%2Fb/c%20d?fd_bypass=" + testSecret, "/app/a%2Fb/c%20d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, "GET", prefixURL+tt.path, "")
			wantStatus(t, resp, body, http.StatusFound)
			if loc := resp.Header.Get("Location"); loc != tt.want {
				t.Fatalf("Location %q, want %q", loc, tt.want)
			}
			c := bypassCookie(resp)
			if c == nil {
				t.Fatal("no bypass cookie")
			}
			// The cookie lets the browser through at the URL it is sent back to.
			resp, body = do(t, "GET", prefixURL+tt.want, "", "Cookie", c.Name+"="+c.Value)
			wantStatus(t, resp, body, 200)
		})
	}
}

// TestBypassCookieSecureBehindTrustedProxy: behind a load balancer that
// terminates TLS, the bypass cookie is Secure when a trusted proxy says
// X-Forwarded-Proto: https, and never on an untrusted client's word.
func TestBypassCookieSecureBehindTrustedProxy(t *testing.T) {
	startGateway(t, "", "v1")
	tests := []struct {
		name, url, proto string
		secure           bool
	}{
		{"trusted proxy says https", shopURL, "https", true},
		{"trusted proxy says http", shopURL, "http", false},
		{"trusted proxy says nothing", shopURL, "", false},
		{"untrusted client says https", shopUntrust, "https", false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A client address of its own, so no guess limit is shared.
			hdr := []string{"X-Forwarded-For", "198.51.100." + strconv.Itoa(100+i)}
			if tt.proto != "" {
				hdr = append(hdr, "X-Forwarded-Proto", tt.proto)
			}
			resp, body := do(t, "GET", tt.url+"/?fd_bypass="+testSecret, "", hdr...)
			wantStatus(t, resp, body, http.StatusFound)
			c := bypassCookie(resp)
			if c == nil {
				t.Fatalf("no bypass cookie: %v", resp.Header)
			}
			if c.Secure != tt.secure {
				t.Fatalf("cookie Secure = %v, want %v (%s)", c.Secure, tt.secure, resp.Header.Get("Set-Cookie"))
			}
		})
	}
}

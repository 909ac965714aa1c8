package visitorredirect_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/frontdoor-gateway/frontdoor/modules/visitorinfo"
	_ "github.com/frontdoor-gateway/frontdoor/modules/visitormatch"
	_ "github.com/frontdoor-gateway/frontdoor/modules/visitorredirect"
	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// This package's caddytest admin port and HTTP ports (19100-19199).
const (
	adminPort     = 2311
	trustedAddr   = "127.0.0.1:19101" // trusts 127.0.0.1 as a proxy
	untrustedAddr = "127.0.0.1:19102" // trusts nobody
	upstreamAddr  = "127.0.0.1:19103" // echoes what it received
	redirectAddr  = "127.0.0.1:19104" // visitor_redirect without visitor_info
	metricsAddr   = "127.0.0.1:19105"
	botsAddr      = "127.0.0.1:19106" // visitor_redirect with redirect_bots
	matchAddr     = "127.0.0.1:19107" // matchers only, trusts 127.0.0.1
)

// Addresses whose country the embedded database knows.
const (
	ipKR = "168.126.63.1" // KT DNS
	ipJP = "133.242.0.3"
	ipUS = "8.8.8.8"
)

const (
	uaIPhone    = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	uaDesktop   = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
	uaGooglebot = "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.118 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)

const config = `{
	admin localhost:%[1]d
	auto_https off
	http_port 19100
	servers 127.0.0.1:19101 {
		trusted_proxies static 127.0.0.1/32
	}
	servers 127.0.0.1:19104 {
		trusted_proxies static 127.0.0.1/32
	}
	servers 127.0.0.1:19106 {
		trusted_proxies static 127.0.0.1/32
	}
	servers 127.0.0.1:19107 {
		trusted_proxies static 127.0.0.1/32
	}
}

http://127.0.0.1:19101 {
	bind 127.0.0.1
	log {
		output file %[2]s
		format json
	}
	visitor_info
	reverse_proxy 127.0.0.1:19103
}

http://127.0.0.1:19102 {
	bind 127.0.0.1
	visitor_info
	reverse_proxy 127.0.0.1:19103
}

http://127.0.0.1:19103 {
	bind 127.0.0.1
	respond "country=[{header.X-Geo-Country}] device=[{header.X-Device-Type}] underscore=[{header.X_Geo_Country}]"
}

# Any Host: the Host header must not be able to steer the redirect.
http://:19104 {
	bind 127.0.0.1
	visitor_redirect {
		country KR https://kr.example.com{uri}
		device mobile tablet https://m.example.com{uri}
	}
	respond "global"
}

http://127.0.0.1:19105 {
	bind 127.0.0.1
	metrics /metrics
}

http://127.0.0.1:19106 {
	bind 127.0.0.1
	visitor_info
	visitor_redirect {
		country JP https://jp.example.com/{geo.country_code}/{device.type}{uri}
		status 307
		redirect_bots
		stay_cookie off
	}
	respond "global"
}

http://127.0.0.1:19107 {
	bind 127.0.0.1
	@kr country kr
	@notkr_mobile {
		not country KR
		device mobile
	}
	@cel_jp expression country('JP') && !device('bot')
	route {
		respond @kr "kr {geo.country_code}|{device.type}"
		respond @notkr_mobile "not-kr mobile"
		respond @cel_jp "jp by cel"
	}
	visitor_info
	respond "other {geo.country_code}|{device.type}|{device.os}|{geo.asn}"
}
`

func startGateway(t *testing.T) (logPath string) {
	t.Helper()
	logPath = filepath.Join(t.TempDir(), "access.log")
	harness.Long(t, "starts a Caddy server in the test process")
	tc := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{AdminPort: adminPort, LoadRequestTimeout: time.Minute})
	tc.InitServer(fmt.Sprintf(config, adminPort, logPath), "caddyfile")
	if t.Failed() {
		t.FailNow()
	}
	return logPath
}

// rawGet sends a request with exactly the given request target and headers
// (so paths such as "/\evil" and Host headers reach the server unchanged).
func rawGet(t *testing.T, addr, target string, header ...string) *http.Response {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\n", target)
	host := addr
	for i := 0; i+1 < len(header); i += 2 {
		if strings.EqualFold(header[i], "Host") {
			host = header[i+1]
			continue
		}
		fmt.Fprintf(&b, "%s: %s\r\n", header[i], header[i+1])
	}
	fmt.Fprintf(&b, "Host: %s\r\nConnection: close\r\n\r\n", host)
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(strings.NewReader(string(body)))
	return resp
}

func bodyOf(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestVisitor(t *testing.T) {
	logPath := startGateway(t)

	t.Run("upstream headers", func(t *testing.T) {
		tests := []struct {
			name   string
			addr   string
			header []string
			want   string
		}{
			{"trusted proxy forwards a Korean client", trustedAddr,
				[]string{"X-Forwarded-For", ipKR, "User-Agent", uaIPhone},
				"country=[KR] device=[mobile] underscore=[]"},
			{"client copies are replaced", trustedAddr,
				[]string{"X-Forwarded-For", ipKR, "User-Agent", uaDesktop, "X-Geo-Country", "US", "X-Device-Type", "bot", "X_Geo_Country", "US"},
				"country=[KR] device=[desktop] underscore=[]"},
			{"first forwarded address counts (Caddy's default client_ip)", trustedAddr,
				[]string{"X-Forwarded-For", ipUS + ", " + ipJP, "User-Agent", uaDesktop},
				"country=[US] device=[desktop] underscore=[]"},
			{"untrusted peer: X-Forwarded-For ignored", untrustedAddr,
				[]string{"X-Forwarded-For", ipKR, "User-Agent", uaIPhone, "X-Geo-Country", "KR"},
				"country=[] device=[mobile] underscore=[]"},
			{"private forwarded address is unknown", trustedAddr,
				[]string{"X-Forwarded-For", "10.1.2.3", "User-Agent", uaIPhone},
				"country=[] device=[mobile] underscore=[]"},
			{"garbage forwarded address", trustedAddr,
				[]string{"X-Forwarded-For", "not-an-ip", "User-Agent", "\xff\xfe garbage"},
				"country=[] device=[other] underscore=[]"},
			{"client hints beat the User-Agent", trustedAddr,
				[]string{"X-Forwarded-For", ipUS, "User-Agent", uaDesktop, "Sec-CH-UA-Mobile", "?1", "Sec-CH-UA-Platform", `"Android"`},
				"country=[US] device=[mobile] underscore=[]"},
			{"10 KiB User-Agent", trustedAddr,
				[]string{"X-Forwarded-For", ipUS, "User-Agent", strings.Repeat("x", 10<<10)},
				"country=[US] device=[other] underscore=[]"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp := rawGet(t, tt.addr, "/", tt.header...)
				if got := bodyOf(t, resp); got != tt.want {
					t.Fatalf("upstream saw %q, want %q", got, tt.want)
				}
			})
		}
	})

	t.Run("matchers and placeholders", func(t *testing.T) {
		tests := []struct {
			name   string
			header []string
			want   string
		}{
			{"country KR", []string{"X-Forwarded-For", ipKR, "User-Agent", uaIPhone}, "kr KR|mobile"},
			{"not country KR and device mobile", []string{"X-Forwarded-For", ipUS, "User-Agent", uaIPhone}, "not-kr mobile"},
			{"CEL country and not device", []string{"X-Forwarded-For", ipJP, "User-Agent", uaDesktop}, "jp by cel"},
			{"CEL not device bot", []string{"X-Forwarded-For", ipJP, "User-Agent", uaGooglebot}, "other JP|bot|android|"},
			{"unknown country matches no country", []string{"X-Forwarded-For", "192.168.1.1", "User-Agent", uaDesktop}, "other |desktop|windows|"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp := rawGet(t, matchAddr, "/", tt.header...)
				if got := bodyOf(t, resp); got != tt.want {
					t.Fatalf("got %q, want %q", got, tt.want)
				}
			})
		}
	})

	t.Run("redirects", func(t *testing.T) {
		tests := []struct {
			name     string
			addr     string
			target   string
			header   []string
			status   int
			location string
		}{
			{"korean desktop", redirectAddr, "/shop?id=1",
				[]string{"X-Forwarded-For", ipKR, "User-Agent", uaDesktop}, 302, "https://kr.example.com/shop?id=1"},
			{"country rule first", redirectAddr, "/",
				[]string{"X-Forwarded-For", ipKR, "User-Agent", uaIPhone}, 302, "https://kr.example.com/"},
			{"us mobile", redirectAddr, "/a",
				[]string{"X-Forwarded-For", ipUS, "User-Agent", uaIPhone}, 302, "https://m.example.com/a"},
			{"us desktop stays", redirectAddr, "/",
				[]string{"X-Forwarded-For", ipUS, "User-Agent", uaDesktop}, 200, ""},
			{"bots are not redirected", redirectAddr, "/",
				[]string{"X-Forwarded-For", ipKR, "User-Agent", uaGooglebot}, 200, ""},
			{"spoofed X-Forwarded-For from an untrusted peer", untrustedAddr, "/",
				[]string{"X-Forwarded-For", ipKR, "User-Agent", uaDesktop}, 200, ""},
			{"unknown country", redirectAddr, "/",
				[]string{"X-Forwarded-For", "127.0.0.1", "User-Agent", uaDesktop}, 200, ""},
			{"stay cookie", redirectAddr, "/",
				[]string{"X-Forwarded-For", ipKR, "User-Agent", uaDesktop, "Cookie", "a=b; fd_stay=1"}, 200, ""},
			{"empty stay cookie does not count", redirectAddr, "/",
				[]string{"X-Forwarded-For", ipKR, "User-Agent", uaDesktop, "Cookie", "fd_stay="}, 302, "https://kr.example.com/"},
			{"no loop: already on the target", redirectAddr, "/x",
				[]string{"Host", "kr.example.com", "X-Forwarded-For", ipKR, "User-Agent", uaDesktop}, 200, ""},
			{"redirect_bots and placeholders", botsAddr, "/p?q=1",
				[]string{"X-Forwarded-For", ipJP, "User-Agent", uaGooglebot}, 307, "https://jp.example.com/JP/bot/p?q=1"},
			{"stay cookie off", botsAddr, "/",
				[]string{"X-Forwarded-For", ipJP, "User-Agent", uaDesktop, "Cookie", "fd_stay=1"}, 307, "https://jp.example.com/JP/desktop/"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp := rawGet(t, tt.addr, tt.target, tt.header...)
				if resp.StatusCode != tt.status {
					t.Fatalf("status %d, want %d (Location %q)", resp.StatusCode, tt.status, resp.Header.Get("Location"))
				}
				if got := resp.Header.Get("Location"); got != tt.location {
					t.Fatalf("Location %q, want %q", got, tt.location)
				}
				if tt.location == "" {
					return
				}
				if cc := resp.Header.Get("Cache-Control"); cc != "private" {
					t.Errorf("Cache-Control %q, want private", cc)
				}
				vary := strings.Join(resp.Header.Values("Vary"), ", ")
				if !strings.Contains(vary, "User-Agent") || !strings.Contains(vary, "Sec-CH-UA-Mobile") {
					t.Errorf("Vary %q lacks the device headers", vary)
				}
				if tt.addr == redirectAddr && !strings.Contains(vary, "Cookie") {
					t.Errorf("Vary %q lacks Cookie", vary)
				}
			})
		}
	})

	t.Run("stay parameter", func(t *testing.T) {
		h := []string{"X-Forwarded-For", ipKR, "User-Agent", uaDesktop}
		resp := rawGet(t, redirectAddr, "/?stay=1", h...)
		if resp.StatusCode != 200 {
			t.Fatalf("?stay=1: status %d, want 200", resp.StatusCode)
		}
		c := resp.Cookies()
		if len(c) != 1 || c[0].Name != "fd_stay" || c[0].Value != "1" || c[0].MaxAge <= 0 || !c[0].HttpOnly || c[0].Path != "/" {
			t.Fatalf("?stay=1 cookies %v", resp.Header.Values("Set-Cookie"))
		}
		resp = rawGet(t, redirectAddr, "/?stay=0", append(h, "Cookie", "fd_stay=1")...)
		if resp.StatusCode != 302 {
			t.Fatalf("?stay=0: status %d, want 302", resp.StatusCode)
		}
		if c := resp.Cookies(); len(c) != 1 || c[0].Name != "fd_stay" || c[0].MaxAge >= 0 {
			t.Fatalf("?stay=0 must delete the cookie: %v", resp.Header.Values("Set-Cookie"))
		}
	})

	t.Run("no open redirect", func(t *testing.T) {
		tests := []struct {
			name, target string
			header       []string
		}{
			{"Host header", "/", []string{"Host", "evil.example"}},
			{"double slash", "//evil.example", nil},
			{"backslash", `/\evil.example`, nil},
			{"encoded slashes", "/%2F%2Fevil.example", nil},
			{"triple slash", "///evil.example", nil},
			{"encoded backslash", "/%5Cevil.example", nil},
			{"absolute-form request target", "http://evil.example/x", nil},
			{"user info lookalike", "/@evil.example", nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h := append([]string{"X-Forwarded-For", ipKR, "User-Agent", uaDesktop}, tt.header...)
				resp := rawGet(t, redirectAddr, tt.target, h...)
				loc := resp.Header.Get("Location")
				if resp.StatusCode != 302 {
					t.Fatalf("status %d, want 302", resp.StatusCode)
				}
				u, err := url.Parse(loc)
				if err != nil || u.Scheme != "https" || u.Host != "kr.example.com" || u.User != nil {
					t.Fatalf("Location %q is not on https://kr.example.com", loc)
				}
				// What a browser does with it: resolve it against the
				// requested page, treating backslashes as slashes.
				base, _ := url.Parse("http://" + redirectAddr + "/")
				abs, err := base.Parse(strings.ReplaceAll(loc, `\`, "/"))
				if err != nil || abs.Host != "kr.example.com" {
					t.Fatalf("Location %q resolves to host %v", loc, abs)
				}
			})
		}
	})

	t.Run("access log fields", func(t *testing.T) {
		rawGet(t, trustedAddr, "/logged", "X-Forwarded-For", ipKR, "User-Agent", uaIPhone)
		var entry map[string]any
		deadline := time.Now().Add(5 * time.Second)
		for entry == nil && time.Now().Before(deadline) {
			data, _ := os.ReadFile(logPath)
			for _, line := range strings.Split(string(data), "\n") {
				var e map[string]any
				if json.Unmarshal([]byte(line), &e) != nil {
					continue
				}
				if req, ok := e["request"].(map[string]any); ok && req["uri"] == "/logged" {
					entry = e
				}
			}
			if entry == nil {
				time.Sleep(50 * time.Millisecond)
			}
		}
		if entry == nil {
			t.Fatal("no access log entry for /logged")
		}
		if entry["country"] != "KR" || entry["device"] != "mobile" {
			t.Fatalf("access log country=%v device=%v, want KR mobile", entry["country"], entry["device"])
		}
	})

	t.Run("metrics", func(t *testing.T) {
		resp := rawGet(t, metricsAddr, "/metrics")
		body := bodyOf(t, resp)
		for _, want := range []string{
			`frontdoor_visitor_requests_total{country="KR",device="mobile"}`,
			`frontdoor_visitor_requests_total{country="XX",device="mobile"}`,
			`frontdoor_redirects_total{rule="country:KR",status="302"}`,
			`frontdoor_redirects_total{rule="device:mobile,tablet",status="302"}`,
			`frontdoor_redirects_total{rule="country:JP",status="307"}`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
		for _, line := range strings.Split(body, "\n") {
			if strings.HasPrefix(line, "frontdoor_visitor_requests_total{") {
				if strings.Contains(line, "evil") || strings.Contains(line, "10.1.2.3") || strings.Contains(line, `country=""`) {
					t.Errorf("client input in a label: %s", line)
				}
			}
		}
	})
}

// TestReload loads the config twice into the same process: the metrics are
// registered again without a panic and keep counting.
func TestReload(t *testing.T) {
	const series = `frontdoor_visitor_requests_total{country="KR",device="mobile"}`
	count := func() float64 {
		t.Helper()
		body := bodyOf(t, rawGet(t, metricsAddr, "/metrics"))
		for _, line := range strings.Split(body, "\n") {
			if v, ok := strings.CutPrefix(line, series+" "); ok {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					t.Fatalf("metrics line %q: %v", line, err)
				}
				return f
			}
		}
		t.Fatalf("metrics lack %s", series)
		return 0
	}
	startGateway(t)
	rawGet(t, trustedAddr, "/", "X-Forwarded-For", ipKR, "User-Agent", uaIPhone)
	before := count()
	startGateway(t)
	resp := rawGet(t, trustedAddr, "/", "X-Forwarded-For", ipKR, "User-Agent", uaIPhone)
	if got := bodyOf(t, resp); !strings.Contains(got, "country=[KR]") {
		t.Fatalf("after reload the upstream saw %q", got)
	}
	if after := count(); after != before+1 {
		t.Fatalf("%s = %v after the reload and one more request, want %v: the counter did not keep counting", series, after, before+1)
	}
}

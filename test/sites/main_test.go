// Package sites runs the frontdoor binary on sites catalogs: adapt, run,
// real HTTP checks per site, bad catalogs rejected, and reloads under load.
// It uses the admin port 2316 and HTTP ports 19600-19699.
package sites

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

const (
	adminAddr = "localhost:2316"
	adminURL  = "http://" + adminAddr
)

func frontdoorBinary(t *testing.T) string { return harness.FrontdoorBinary(t) }

func TestMain(m *testing.M) { harness.Main(m) }

// writeFile writes a file under dir and returns its path.
func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// runFrontdoor starts `frontdoor run --config catalog --adapter sites` and
// waits for the admin API.
func runFrontdoor(t *testing.T, catalog string) *harness.Process {
	t.Helper()
	bin := frontdoorBinary(t)
	cmd := exec.Command(bin, "run", "--config", catalog, "--adapter", "sites")
	cmd.Dir = filepath.Dir(catalog)
	cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir())
	p := harness.Start(t, "frontdoor", "127.0.0.1:2316", cmd)
	harness.WaitHTTP(t, p, adminURL+"/config/", 30*time.Second)
	return p
}

// frontdoorCmd runs a frontdoor command and returns its combined output.
func frontdoorCmd(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(frontdoorBinary(t), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// postLoad sends a catalog to POST /load as text/sites.
func postLoad(body []byte) (int, string, error) {
	req, err := http.NewRequest(http.MethodPost, adminURL+"/load", bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "text/sites")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// get sends one request for host to addr with optional headers.
func get(t *testing.T, client *http.Client, addr, host, path string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s%s (Host %s): %v", addr, path, host, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// upstreamsSite is a catch-all site answering as the named upstream on
// each listen address: "upstream <port> <uri>".
func upstreamsSite(ports ...int) string {
	var listen []string
	for _, p := range ports {
		listen = append(listen, fmt.Sprintf("127.0.0.1:%d", p))
	}
	return fmt.Sprintf(`  upstreams:
    hosts: ["*"]
    listen: [%s]
    respond:
      body: "upstream {http.request.local.port} {http.request.uri} host={http.request.host} rid={http.request.header.X-Request-Id}"
    log: off
    throttle: off
    trace_id: off
    visitor_info: off
    headers: off
    maintenance: off
    redirects: off
`, strings.Join(listen, ", "))
}

// waitHost waits until a request for host on addr answers 200.
func waitHost(t *testing.T, addr, host string, timeout time.Duration) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
		req.Host = host
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s on %s not ready within %s (last: %s)", host, addr, timeout, last)
}

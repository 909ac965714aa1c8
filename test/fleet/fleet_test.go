// Package fleet runs several real frontdoor processes — a fleet behind a
// load balancer — that share one real Redis: Caddy's storage (certificates
// from a real ACME server, ACME locks, maintenance switches) and throttle
// zones; and keeps them under load while gateways, Redis and configs
// change. Every port is a free loopback port.
package fleet

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

// gateway is one frontdoor process of the fleet, run on its own catalog
// with its own ports, data and config directories: it shares only what
// its catalog points at (Redis).
type gateway struct {
	name    string
	bin     string
	dir     string
	catalog string
	env     []string
	proc    *harness.Process
	past    []string // output of the runs before proc

	// Ports, for the catalog template.
	Admin, Site, HTTP, HTTPS, Metrics int
}

// newGateway allocates a gateway's ports and directories; its catalog is
// written by writeCatalog.
func newGateway(t *testing.T, name string, env ...string) *gateway {
	t.Helper()
	g := &gateway{
		name: name,
		bin:  harness.FrontdoorBinary(t),
		dir:  t.TempDir(),
		env:  env,
	}
	g.Admin, g.Site, g.HTTP, g.HTTPS, g.Metrics = harness.FreePort(t), harness.FreePort(t), harness.FreePort(t), harness.FreePort(t), harness.FreePort(t)
	g.catalog = filepath.Join(g.dir, "sites.yaml")
	return g
}

// writeCatalog renders tmpl (text/template over the gateway's fields and
// vars as .V) into the gateway's catalog file.
func (g *gateway) writeCatalog(t *testing.T, tmpl string, vars map[string]any) {
	t.Helper()
	tp, err := template.New("catalog").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := tp.Execute(&b, struct {
		*gateway
		V map[string]any
	}{g, vars}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(g.catalog, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (g *gateway) adminURL() string { return "http://127.0.0.1:" + strconv.Itoa(g.Admin) }
func (g *gateway) siteURL() string  { return "http://127.0.0.1:" + strconv.Itoa(g.Site) + "/" }
func (g *gateway) metricsURL() string {
	return "http://127.0.0.1:" + strconv.Itoa(g.Metrics) + "/metrics"
}

// start runs `frontdoor run --config sites.yaml --adapter sites` and waits
// for the admin API.
func (g *gateway) start(t *testing.T) {
	t.Helper()
	g.launch(t)
	g.waitReady(t)
}

// waitReady waits for the admin API of a launched gateway.
func (g *gateway) waitReady(t *testing.T) {
	t.Helper()
	harness.WaitHTTP(t, g.proc, g.adminURL()+"/config/", 60*time.Second)
}

// launch runs the gateway without waiting for it.
func (g *gateway) launch(t *testing.T) {
	t.Helper()
	if g.proc != nil {
		g.past = append(g.past, g.proc.Output())
	}
	cmd := exec.Command(g.bin, "run", "--config", g.catalog, "--adapter", "sites")
	cmd.Dir = g.dir
	home := filepath.Join(g.dir, "home")
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_DATA_HOME="+filepath.Join(home, "data"), "XDG_CONFIG_HOME="+filepath.Join(home, "config"))
	cmd.Env = append(cmd.Env, g.env...)
	g.proc = harness.Start(t, "frontdoor "+g.name, "127.0.0.1:"+strconv.Itoa(g.Admin), cmd)
}

// stop ends the gateway gracefully, as a service manager would.
func (g *gateway) stop() {
	if g.proc != nil {
		g.proc.Stop()
	}
}

// output is everything the gateway printed, over all its runs.
func (g *gateway) output() string {
	out := strings.Join(g.past, "")
	if g.proc != nil {
		out += g.proc.Output()
	}
	return out
}

// reload sends the gateway's catalog to it with `frontdoor reload`.
func (g *gateway) reload(t *testing.T) {
	t.Helper()
	cmd := exec.Command(g.bin, "reload", "--config", g.catalog, "--adapter", "sites", "--address", "127.0.0.1:"+strconv.Itoa(g.Admin))
	cmd.Dir = g.dir
	cmd.Env = append(os.Environ(), g.env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("frontdoor reload %s: %v\n%s", g.name, err, out)
	}
}

var client = &http.Client{Timeout: 5 * time.Second}

// admin calls the gateway's admin API and returns the status and body.
func (g *gateway) admin(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, g.adminURL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s %s: %v", g.name, method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// switchDoc is the admin API's document of a maintenance.
type switchDoc struct {
	Name     string `json:"name"`
	Enabled  bool   `json:"enabled"`
	Active   bool   `json:"active"`
	Readable bool   `json:"readable"`
	Error    string `json:"error"`
}

func (g *gateway) maintenance(t *testing.T, name string) switchDoc {
	t.Helper()
	code, body := g.admin(t, "GET", "/maintenance/"+name, "")
	if code != http.StatusOK {
		t.Fatalf("%s GET /maintenance/%s: %d %s", g.name, name, code, body)
	}
	var d switchDoc
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatalf("%s: %s: %v", g.name, body, err)
	}
	return d
}

// status sends GET / for host to the gateway's site port.
func (g *gateway) status(host string) (int, error) {
	req, _ := http.NewRequest("GET", g.siteURL(), nil)
	req.Host = host
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// metric returns the value of the sample of name whose labels contain
// labels (like `name="shop"`), or -1 when there is none.
func (g *gateway) metric(t *testing.T, name, labels string) float64 {
	t.Helper()
	resp, err := client.Get(g.metricsURL())
	if err != nil {
		t.Fatalf("%s metrics: %v", g.name, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\{([^}]*)\} (\S+)$`)
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		if strings.Contains(m[1], labels) {
			v, _ := strconv.ParseFloat(m[2], 64)
			return v
		}
	}
	return -1
}

// waitFor polls cond every 50 ms until it holds or timeout passes, and
// returns how long it took; cond's message says what it saw last.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		ok, last := cond()
		if ok {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			t.Fatalf("%s: not within %s (last: %s)", what, timeout, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// count is how many times substr occurs in s.
func count(s, substr string) int { return strings.Count(s, substr) }

// tlsState connects to addr with SNI name and returns the connection's
// state (the certificate the gateway serves for name).
func tlsState(ctx context.Context, addr, name string, cfg *tls.Config) (tls.ConnectionState, error) {
	c := cfg.Clone()
	c.ServerName = name
	d := tls.Dialer{Config: c}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer conn.Close()
	return conn.(*tls.Conn).ConnectionState(), nil
}

// must fails the test on err.
func must(t *testing.T, err error, what string, args ...any) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", fmt.Sprintf(what, args...), err)
	}
}

// startAll starts gateways at once, as a fleet comes up, and waits for
// each.
func startAll(t *testing.T, fleet []*gateway) {
	t.Helper()
	for _, g := range fleet {
		g.launch(t)
	}
	for _, g := range fleet {
		g.waitReady(t)
	}
}

package fleet

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// TestFleetExample runs configs/fleet as its README says, on free ports
// instead of its own: one Redis with a password, gw1 first, then gw2 and
// gw3, and Prometheus on its prometheus.yml. The gateways serve one
// certificate (from the local CA they share through Redis), follow one
// maintenance switch flipped with `frontdoor maintenance`, and Prometheus
// scrapes each as its own instance, which the dashboards' instance
// variable lists.
func TestFleetExample(t *testing.T) {
	harness.Long(t, "runs the fleet example: three frontdoor processes, Redis and Prometheus")
	src := filepath.Join(harness.RepoRoot(t), "configs", "fleet")
	redis := harness.RedisStore(t, redisPassword)
	_, redisPort, _ := strings.Cut(redis.Addr, ":")

	// Each of the example's ports, moved to a free one.
	ports := map[string]string{"6379": redisPort}
	for i := 1; i <= 3; i++ {
		for _, p := range []string{"202", "800", "844", "918"} {
			ports[p+strconv.Itoa(i)] = strconv.Itoa(harness.FreePort(t))
		}
	}
	move := func(s string) string {
		for from, to := range ports {
			s = strings.ReplaceAll(s, ":"+from, ":"+to)
			s = strings.ReplaceAll(s, "port: "+from, "port: "+to)
		}
		return s
	}
	dir := t.TempDir()
	for _, f := range []string{"gw1.yaml", "gw2.yaml", "gw3.yaml", "sites.yaml"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		must(t, err, "reading %s", f)
		must(t, os.WriteFile(filepath.Join(dir, f), []byte(move(string(b))), 0o644), "writing %s", f)
	}

	var fleet []*gateway
	for i := 1; i <= 3; i++ {
		g := newGateway(t, "gw"+strconv.Itoa(i), "FD_REDIS_PASSWORD="+redisPassword)
		g.catalog = filepath.Join(dir, fmt.Sprintf("gw%d.yaml", i))
		g.Admin, _ = strconv.Atoi(ports["202"+strconv.Itoa(i)])
		g.HTTPS, _ = strconv.Atoi(ports["844"+strconv.Itoa(i)])
		g.Metrics, _ = strconv.Atoi(ports["918"+strconv.Itoa(i)])
		fleet = append(fleet, g)
	}
	// gw1 first: it makes the local CA, which the others then load.
	fleet[0].start(t)
	startAll(t, fleet[1:])

	// One certificate for the fleet.
	insecure := &tls.Config{InsecureSkipVerify: true} // the local CA is not in the system's store
	var serials []string
	for _, g := range fleet {
		var serial string
		waitFor(t, 30*time.Second, g.name+" serves shop.localhost over TLS", func() (bool, string) {
			st, err := tlsState(harness.Context(t, 3*time.Second), "127.0.0.1:"+strconv.Itoa(g.HTTPS), "shop.localhost", insecure)
			if err != nil {
				return false, err.Error()
			}
			serial = hexSerial(st.PeerCertificates[0].SerialNumber)
			return true, ""
		})
		serials = append(serials, serial)
	}
	if serials[1] != serials[0] || serials[2] != serials[0] {
		t.Fatalf("the gateways serve different certificates for shop.localhost: serials %v", serials)
	}
	t.Logf("shop.localhost: every gateway serves serial %s", serials[0])

	// One maintenance switch, flipped with the CLI through gw1.
	httpsClient := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true, ServerName: "shop.localhost"},
	}}
	siteStatus := func(g *gateway) (int, error) {
		req, _ := http.NewRequest("GET", "https://127.0.0.1:"+strconv.Itoa(g.HTTPS)+"/", nil)
		req.Host = "shop.localhost"
		resp, err := httpsClient.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	// One rate-limit bucket: each gateway's answer takes from it.
	var left []int
	for _, g := range fleet {
		req, _ := http.NewRequest("GET", "https://127.0.0.1:"+strconv.Itoa(g.HTTPS)+"/", nil)
		req.Host = "shop.localhost"
		resp, err := httpsClient.Do(req)
		must(t, err, "%s shop", g.name)
		resp.Body.Close()
		_, r, _ := strings.Cut(resp.Header.Get("RateLimit"), ";r=")
		r, _, _ = strings.Cut(r, ";")
		n, err := strconv.Atoi(r)
		must(t, err, "%s RateLimit %q", g.name, resp.Header.Get("RateLimit"))
		left = append(left, n)
	}
	if left[2] >= left[0] || left[1] > left[0] || left[2] > left[1] {
		t.Errorf("what the gateways say is left of the shop bucket: %v, want it to go down from one gateway to the next (one bucket in Redis)", left)
	}
	t.Logf("shop bucket left after one request to each gateway: %v", left)

	cli := func(args ...string) {
		t.Helper()
		cmd := exec.Command(fleet[0].bin, append([]string{"maintenance"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("frontdoor maintenance %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	for _, step := range []struct {
		args []string
		want int
	}{
		{[]string{"on", "shop", "--message", "Back soon", "--address", "127.0.0.1:" + strconv.Itoa(fleet[0].Admin)}, 503},
		{[]string{"off", "shop", "--address", "127.0.0.1:" + strconv.Itoa(fleet[0].Admin)}, 200},
	} {
		begin := time.Now()
		cli(step.args...)
		for _, g := range fleet {
			waitFor(t, 2*time.Second-time.Since(begin), g.name+" follows `maintenance "+step.args[0]+"`", func() (bool, string) {
				code, err := siteStatus(g)
				return err == nil && code == step.want, fmt.Sprint(code, err)
			})
		}
		t.Logf("maintenance %s shop through gw1: every gateway answered %d within %s", step.args[0], step.want, time.Since(begin).Round(time.Millisecond))
	}

	// Prometheus on the example's prometheus.yml: one instance per gateway.
	b, err := os.ReadFile(filepath.Join(src, "prometheus.yml"))
	must(t, err, "reading prometheus.yml")
	prom := move(string(b))
	prom = strings.ReplaceAll(prom, "../prometheus/alerts.yml", filepath.Join(harness.RepoRoot(t), "configs", "prometheus", "alerts.yml"))
	p := harness.Prometheus(t, prom)
	var instances []string
	waitFor(t, 30*time.Second, "Prometheus scrapes every gateway", func() (bool, string) {
		// The dashboards' variable: label_values(up{job="frontdoor"},instance), up.
		resp, err := http.Get("http://" + p.Addr + "/api/v1/query?query=" + url.QueryEscape(`up{job="frontdoor"} == 1`))
		if err != nil {
			return false, err.Error()
		}
		defer resp.Body.Close()
		var r struct {
			Data struct {
				Result []struct {
					Metric map[string]string `json:"metric"`
				} `json:"result"`
			} `json:"data"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			return false, err.Error()
		}
		instances = nil
		for _, s := range r.Data.Result {
			instances = append(instances, s.Metric["instance"])
		}
		slices.Sort(instances)
		return slices.Equal(instances, []string{"gw1", "gw2", "gw3"}), fmt.Sprint(instances)
	})
	t.Logf("Prometheus: instances %v up", instances)

	for _, g := range fleet {
		for _, line := range strings.Split(g.output(), "\n") {
			accessLog := strings.Contains(line, `"logger":"http.log.access`) // 503s while in maintenance
			if strings.Contains(line, `"level":"error"`) && !accessLog || strings.Contains(line, redisPassword) {
				t.Errorf("%s: %s", g.name, line)
			}
		}
	}
}

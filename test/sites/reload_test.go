package sites

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

const (
	reloadAddr = "127.0.0.1:19621"
	reloads    = 20
)

// stableHosts are the sites no reload changes: they must not see a single
// failed request.
var stableHosts = []string{"s1.localhost", "s2.localhost", "s3.localhost"}

// reloadCatalog is generation gen of the catalog: the stable sites, a
// throttled and a maintenance site (unchanged, their state must survive),
// a site whose settings change each time, and sites added and removed.
func reloadCatalog(dir string, gen int, handover bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, `admin: %s
reload_handover: %v
storage: %s
trusted_proxies: [127.0.0.1/32]
defaults:
  tls: off
  listen: [%s]
  trace_id: true
  visitor_info: true
sites:
  s1: {hosts: [s1.localhost], upstreams: [127.0.0.1:19631]}
  s2: {hosts: [s2.localhost], upstreams: [127.0.0.1:19632, 127.0.0.1:19633], }
  s3:
    hosts: [s3.localhost]
    upstreams: {to: [127.0.0.1:19633], lb_policy: first}
    throttle: {rate: 100000r/s, burst: 100000}
  limited:
    hosts: [limited.localhost]
    upstreams: [127.0.0.1:19631]
    throttle: {rate: 1r/h, burst: 3}
  maint:
    hosts: [maint.localhost]
    upstreams: [127.0.0.1:19632]
    maintenance: {retry_after: 1m}
  changing:
    hosts: [changing.localhost]
    upstreams: [127.0.0.1:%d]
    headers: {response: {set: {X-Generation: "%d"}}}
`, adminAddr, handover, filepath.Join(dir, "storage"), reloadAddr, 19631+gen%3, gen)
	// Each generation adds site new<gen> and drops new<gen-2>.
	for g := max(0, gen-1); g <= gen; g++ {
		fmt.Fprintf(&b, "  new%d: {hosts: [new%d.localhost], upstreams: [127.0.0.1:19632]}\n", g, g)
	}
	return b.String()
}

// startUpstreams serves the applications behind the gateway from the test
// process, answering like upstreamsSite, until the test ends.
func startUpstreams(t *testing.T, ports ...int) {
	t.Helper()
	for _, port := range ports {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatalf("upstream %d: %v", port, err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "upstream %d %s host=%s rid=%s", port, r.RequestURI, r.Host, r.Header.Get("X-Request-Id"))
		})}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
	}
}

// loadResult is what the browser-like client saw.
type loadResult struct {
	mu        sync.Mutex
	ok        int
	failed    int
	newConn   int // failures on connections opened for the request
	failures  []string
	latencies []time.Duration
}

func (r *loadResult) add(d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.failed++
		if errors.As(err, new(errNewConn)) {
			r.newConn++
		}
		if len(r.failures) < 10 {
			r.failures = append(r.failures, err.Error())
		}
		return
	}
	r.ok++
	r.latencies = append(r.latencies, d)
}

func (r *loadResult) p99() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.latencies) == 0 {
		return 0
	}
	l := slices.Clone(r.latencies)
	slices.Sort(l)
	return l[len(l)*99/100]
}

// browserLoad sends GETs to the stable sites from workers that share one
// keep-alive connection pool, as a browser does; Go's transport retries an
// idempotent request once when the server had closed an idle connection.
func browserLoad(ctx context.Context, workers int, res *loadResult) *sync.WaitGroup {
	tr := &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			defer tr.CloseIdleConnections()
			for i := w; ctx.Err() == nil; i++ {
				host := stableHosts[i%len(stableHosts)]
				start := time.Now()
				err := fetch(client, host)
				if ctx.Err() != nil && err != nil {
					return
				}
				res.add(time.Since(start), err)
			}
		})
	}
	return &wg
}

// errNewConn marks a failure on a connection opened for the request (not
// a kept-alive one).
type errNewConn struct{ error }

func fetch(client *http.Client, host string) error {
	// The transport may retry on a new connection after a kept-alive one
	// failed: what counts is the connection of the last attempt.
	var reused bool
	trace := &httptrace.ClientTrace{
		GetConn: func(string) { reused = false },
		GotConn: func(info httptrace.GotConnInfo) { reused = info.Reused },
	}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodGet, "http://"+reloadAddr+"/", nil)
	req.Host = host
	resp, err := client.Do(req)
	if err != nil {
		if !reused {
			return errNewConn{fmt.Errorf("%s (new connection): %v", host, err)}
		}
		return fmt.Errorf("%s (kept-alive connection): %v", host, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s: reading body: %v", host, err)
	}
	if resp.StatusCode != 200 || !strings.Contains(string(body), "host="+host) {
		return fmt.Errorf("%s: %d %q", host, resp.StatusCode, body)
	}
	return nil
}

// status returns the status of one fresh request for host.
func status(t *testing.T, host string) int {
	t.Helper()
	code, err := statusOnce(host)
	if err != nil {
		t.Fatalf("%s: %v", host, err)
	}
	return code
}

// statusDuringReload is status for a request sent right after a reload: a
// new connection that the kernel resets because it was queued on the old
// config's listening socket as that closed is tried again (up to 3 times)
// and recorded in res as a failure on a new connection.
func statusDuringReload(t *testing.T, host string, res *loadResult) int {
	t.Helper()
	var err error
	for range 3 {
		var code int
		if code, err = statusOnce(host); err == nil {
			return code
		}
		res.add(0, errNewConn{fmt.Errorf("%s (new connection, right after the reload): %v", host, err)})
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: %v", host, err)
	return 0
}

func statusOnce(host string) (int, error) {
	req, _ := http.NewRequest(http.MethodGet, "http://"+reloadAddr+"/", nil)
	req.Host = host
	req.Close = true
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

var wrkSocketErrors = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)

// TestReloadUnderLoad applies 20 catalog changes (sites added, changed and
// removed), alternating `frontdoor reload` and POST /load, while clients
// send constant traffic to the unchanged sites: the browser-like client
// must see zero failures, and throttle buckets and maintenance state must
// survive. It runs with reload_handover on (the default: keep-alive
// connections move to the new config) and off (Caddy's own behaviour:
// they are closed), and reports wrk's and hey's raw errors and the p99
// latency with and without reloads; the handover must cut wrk's read
// errors to at most a quarter of Caddy's own.
func TestReloadUnderLoad(t *testing.T) {
	harness.Long(t, "load test")
	readErrors := map[bool]int{}
	for _, tc := range []struct {
		name     string
		handover bool
	}{
		{"reload_handover on", true},
		{"reload_handover off", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			readErrors[tc.handover] = reloadUnderLoad(t, tc.handover)
		})
	}
	on, off := readErrors[true], readErrors[false]
	t.Logf("wrk read errors over %d reloads: %d with reload_handover, %d without", reloads, on, off)
	if off > 0 && on*4 > off {
		t.Errorf("the connection handover did not cut wrk's read errors: %d with it, %d without", on, off)
	}
}

func reloadUnderLoad(t *testing.T, handover bool) (wrkReadErrors int) {
	dir := t.TempDir()
	startUpstreams(t, 19631, 19632, 19633)
	catalog := writeFile(t, dir, "sites.yaml", reloadCatalog(dir, 0, handover))
	fd := runFrontdoor(t, catalog)
	harness.WaitTCP(t, &harness.Process{Name: "frontdoor", Addr: reloadAddr, Cmd: fd.Cmd}, 10*time.Second)
	for _, h := range stableHosts {
		waitHost(t, reloadAddr, h, 10*time.Second)
	}

	// State that must survive: an empty bucket and a maintenance switch.
	for i := range 4 {
		want := http.StatusOK
		if i == 3 {
			want = http.StatusTooManyRequests
		}
		if got := status(t, "limited.localhost"); got != want {
			t.Fatalf("limited request %d: %d, want %d", i+1, got, want)
		}
	}
	req, _ := http.NewRequest(http.MethodPut, adminURL+"/maintenance/maint", strings.NewReader(`{"enabled":true}`))
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("PUT /maintenance/maint: %v %v", err, resp)
	}
	if got := status(t, "maint.localhost"); got != http.StatusServiceUnavailable {
		t.Fatalf("maint: %d, want 503", got)
	}

	// Baseline: load without reloads.
	base := &loadResult{}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	browserLoad(ctx, 8, base).Wait()
	cancel()

	// Reloads under load: the browser-like client, wrk and hey together.
	during := &loadResult{}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	wg := browserLoad(ctx, 8, during)
	var wrkOut, heyOut []byte
	var tools sync.WaitGroup
	const toolSeconds = 12
	if wrk, err := exec.LookPath("wrk"); err == nil {
		tools.Go(func() {
			wrkOut, _ = exec.Command(wrk, "-t1", "-c8", "-d"+strconv.Itoa(toolSeconds)+"s", "-H", "Host: s1.localhost", "http://"+reloadAddr+"/").CombinedOutput()
		})
	} else {
		harness.Missing(t, "wrk is not installed")
	}
	if hey, err := exec.LookPath("hey"); err == nil {
		tools.Go(func() {
			heyOut, _ = exec.Command(hey, "-z", strconv.Itoa(toolSeconds)+"s", "-c", "8", "-host", "s2.localhost", "http://"+reloadAddr+"/").CombinedOutput()
		})
	} else {
		harness.Missing(t, "hey is not installed")
	}
	time.Sleep(time.Second)

	var reloadTimes []time.Duration
	for gen := 1; gen <= reloads; gen++ {
		body := reloadCatalog(dir, gen, handover)
		start := time.Now()
		if gen%2 == 1 {
			writeFile(t, dir, "sites.yaml", body)
			if out, err := frontdoorCmd(t, dir, "reload", "--config", catalog, "--adapter", "sites", "--address", adminAddr); err != nil {
				t.Fatalf("reload %d: %v\n%s", gen, err, out)
			}
		} else {
			if code, msg, err := postLoad([]byte(body)); err != nil || code != 200 {
				t.Fatalf("POST /load %d: %d %v %s", gen, code, err, msg)
			}
		}
		reloadTimes = append(reloadTimes, time.Since(start))
		// The new site serves at once; the one dropped is gone.
		if got := statusDuringReload(t, fmt.Sprintf("new%d.localhost", gen), during); got != 200 {
			t.Errorf("generation %d: new site: %d", gen, got)
		}
		time.Sleep(300 * time.Millisecond)
	}
	tools.Wait()
	cancel()
	wg.Wait()

	// Unchanged sites: not one failed request on a kept-alive connection
	// (Caddy's own behaviour, with the handover off, is only reported).
	// A connection opened during a reload can still be reset by the kernel
	// when Caddy closes the old config's listening socket with it queued
	// (SO_REUSEPORT: each config has its own socket); those are counted
	// and reported, not hidden.
	if base.failed != 0 {
		t.Errorf("browser-like client: %d failed without reloads: %v", base.failed, base.failures)
	}
	if handover && during.failed != during.newConn {
		t.Errorf("browser-like client: %d failed on kept-alive connections during reloads: %v", during.failed-during.newConn, during.failures)
	}
	if during.ok < 1000 {
		t.Errorf("only %d requests during the reloads: the load did not run", during.ok)
	}
	// The last generation's sites and headers are live; removed sites are gone.
	resp, body := get(t, http.DefaultClient, reloadAddr, "changing.localhost", "/")
	if resp.Header.Get("X-Generation") != strconv.Itoa(reloads) {
		t.Errorf("changing site: X-Generation %q, want %d", resp.Header.Get("X-Generation"), reloads)
	}
	if resp, body = get(t, http.DefaultClient, reloadAddr, "new1.localhost", "/"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("removed site new1 still served: %d %q, want the 404 for unknown hosts", resp.StatusCode, body)
	}
	// State survived 20 reloads: no refill, no reset.
	if got := status(t, "limited.localhost"); got != http.StatusTooManyRequests {
		t.Errorf("throttle bucket refilled by the reloads: %d", got)
	}
	if got := status(t, "maint.localhost"); got != http.StatusServiceUnavailable {
		t.Errorf("maintenance reset by the reloads: %d", got)
	}

	wrkErr := "wrk: no output"
	if m := wrkSocketErrors.FindStringSubmatch(string(wrkOut)); m != nil {
		wrkErr = "wrk " + m[0]
		wrkReadErrors, _ = strconv.Atoi(m[2])
	} else if strings.Contains(string(wrkOut), "requests in") {
		wrkErr = "wrk socket errors: none"
	} else {
		t.Errorf("wrk did not run:\n%s", wrkOut)
	}
	slices.Sort(reloadTimes)
	t.Logf("browser-like client: %d requests without reloads (p99 %v), %d during %d reloads (p99 %v), %d failed (%d on new connections) %v; reload time median %v, max %v",
		base.ok, base.p99(), during.ok, reloads, during.p99(), during.failed+base.failed, during.newConn, during.failures,
		reloadTimes[len(reloadTimes)/2], reloadTimes[len(reloadTimes)-1])
	t.Logf("%s\nwrk output:\n%s", wrkErr, wrkOut)
	t.Logf("hey output (errors are listed under \"Error distribution\"):\n%s", heySummary(string(heyOut)))
	return wrkReadErrors
}

// heySummary keeps hey's totals, latency distribution, status codes and
// errors.
func heySummary(out string) string {
	var keep []string
	for _, line := range strings.Split(out, "\n") {
		l := strings.TrimSpace(line)
		if strings.HasPrefix(l, "Requests/sec") || strings.HasPrefix(l, "99%") || strings.HasPrefix(l, "[") ||
			strings.HasPrefix(l, "Status code") || strings.HasPrefix(l, "Error distribution") || strings.HasPrefix(l, "Total:") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

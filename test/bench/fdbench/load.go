package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/frontdoor-gateway/frontdoor/test/bench/openloop"
)

// The requests every target gets: a desktop browser behind a load balancer
// (127.0.0.1, trusted) that forwards a public client address, so the geoip
// lookup, the device classification and the throttle key do real work.
var (
	clientIP  = "81.2.69.160"
	userAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	headers   = []string{
		"X-Forwarded-For: " + clientIP,
		"User-Agent: " + userAgent,
		"Accept: text/html,application/xhtml+xml",
	}
)

func requestHeader() http.Header {
	h := http.Header{}
	for _, l := range headers {
		k, v, _ := strings.Cut(l, ": ")
		h.Set(k, v)
	}
	return h
}

// wrkHeaders are the request headers wrk sends to t.
func (t *target) wrkHeaders() []string {
	return append(slices.Clip(headers), t.Headers...)
}

// target is one server the load goes to.
type target struct {
	Key   string // a, b, b_loki_down, c, upstream
	Label string
	URL   string
	Admin string // frontdoor admin address; empty for nginx
	// Headers are sent by wrk besides the common ones.
	Headers []string
	proc    *process
}

// alive reports an error, with the end of its output, when the target's
// process has exited.
func (t *target) alive() error {
	if t.proc.exited() {
		return fmt.Errorf("%s exited (%v); its output ends:\n%s", t.Label, t.proc.cmd.ProcessState, t.proc.output())
	}
	return nil
}

// run is one recorded wrk run.
type run struct {
	Target       string
	Round        int
	Wrk          wrkResult
	CPUPer10k    float64 // CPU seconds of the target per 10k requests
	AllocsPerReq float64 // Go heap allocations per request; NaN for nginx
	// LokiCPUPer10k is Loki's CPU seconds during the run per 10k requests;
	// NaN without Loki.
	LokiCPUPer10k float64
}

// fixedRun is one recorded open-loop run.
type fixedRun struct {
	Target         string
	Round          int
	P50, P99, P999 time.Duration
	Sent, Errors   int
	Non2xx         int
}

// loadReport holds everything the load benchmark measured.
type loadReport struct {
	Started   time.Time
	Options   loadOptions
	Missing   []string // frontdoor modules the binary lacks
	Notes     []string
	Echo      map[string]string // target -> what the upstream saw
	Targets   []*target
	Runs      []run
	Fixed     []fixedRun
	PeakRSS   map[string]int64 // KiB
	LokiLines int64            // lines Loki holds for (b), -1 when unknown
	// SentToB counts the requests (b) answered: wrk's completed requests
	// (a run may end with up to -connections more in flight) and the
	// open-loop ones.
	SentToB   int64
	Profile   *profileReport
	LoadStart string // load average when the run started
}

func runLoad(ctx context.Context, o loadOptions) error {
	repo, err := filepath.Abs(o.Repo)
	if err != nil {
		return err
	}
	bin := o.Bin
	if !filepath.IsAbs(bin) {
		bin = filepath.Join(repo, bin)
	}
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		return errors.New("wrk is not installed (make test-deps)")
	}
	nginx, err := lookSbin("nginx")
	if err != nil {
		return errors.New("nginx is not installed (make test-deps)")
	}
	if _, err := os.Stat("/usr/lib/nginx/modules/ngx_http_geoip2_module.so"); err != nil {
		return errors.New("libnginx-mod-http-geoip2 is not installed (make test-deps)")
	}
	dir, err := os.MkdirTemp("", "fdbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	configDir := filepath.Join(repo, "test", "bench", "configs")

	rep := &loadReport{Started: time.Now().UTC(), Options: o, Echo: map[string]string{}, PeakRSS: map[string]int64{}, LokiLines: -1, LoadStart: loadAverage()}
	var procs []*process
	defer func() {
		for i := len(procs) - 1; i >= 0; i-- {
			procs[i].stop()
		}
	}()
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "fdbench: "+format+"\n", args...)
	}

	// Ports.
	port := func(i int) int { return o.BasePort + i }
	upstreamPort, lokiPort, deadPort, sinkPort := port(1), port(2), port(4), port(5)
	aPort, bPort, bDownPort, cPort, bExactPort, bDevNullPort, bSinkPort := port(10), port(11), port(12), port(13), port(14), port(15), port(16)
	aGCPort, aIdlePort, bCaddyPort, bFastPort, aFastPort := port(17), port(18), port(19), port(20), port(21)
	bNoLogPort, aHeadersPort, upstreamHeadersPort, bRawPort := port(22), port(23), port(6), port(24)

	// The country database nginx reads: the one frontdoor embeds.
	db := filepath.Join(dir, "country.mmdb")
	if err := gunzipTo(filepath.Join(repo, "geoip", "data", "geo-whois-asn-country.mmdb.gz"), db); err != nil {
		return fmt.Errorf("country database: %w", err)
	}

	mods, err := frontdoorModules(bin)
	if err != nil {
		return err
	}
	has, missing := featureSet(mods)
	rep.Missing = missing
	for _, m := range missing {
		logf("module %s is not in %s: (b) runs without it", m, bin)
	}

	root := os.Geteuid() == 0
	start := func(name string, cmd *exec.Cmd) (*process, error) {
		p, err := startProcess(name, filepath.Join(dir, name+".log"), cmd)
		if err == nil {
			procs = append(procs, p)
		}
		return p, err
	}

	// Upstream.
	conf, err := renderTemplate(configDir, "upstream.nginx.conf", dir, "upstream.conf",
		map[string]any{"Dir": dir, "Port": upstreamPort, "HeadersPort": upstreamHeadersPort, "Root": root})
	if err != nil {
		return err
	}
	upstream, err := start("upstream", exec.Command(nginx, "-p", dir, "-e", filepath.Join(dir, "upstream-error.log"), "-c", conf))
	if err != nil {
		return err
	}

	// The log receiver, when the binary has the Loki writer: VictoriaLogs,
	// a real receiver of the Loki push protocol (Loki itself is AGPL and
	// is not run here).
	var loki *process
	if has["loki"] {
		vbin, err := victoriaLogsBinary()
		if err != nil {
			return err
		}
		cmd := exec.Command(vbin, "-httpListenAddr=127.0.0.1:"+itoa(lokiPort),
			"-storageDataPath="+filepath.Join(dir, "victoria-logs"), "-loggerLevel=WARN")
		if loki, err = start("victoria-logs", cmd); err != nil {
			return err
		}
	}

	// frontdoor: (a), (b), (b) with Loki unreachable, (b) logging to
	// /dev/null, and the variants that show what the defaults and the
	// log path change.
	fd := func(key, label string, sitePort, adminPort int, full bool, log string, lokiAt int, env ...string) (*target, error) {
		if key != "a" && key != "b" && key != "b_exact" && len(o.Targets) > 0 && !o.Targets[key] {
			return nil, nil // a variant left out (-variants)
		}
		tuned := !o.Untuned
		if key == "a_idle32" {
			tuned = false
		}
		// (b) as an operator configures it, following the README: the
		// global log in fast_json too; (b) with Caddy's log in json as
		// before; (a) bare, but for a_fastjson.
		fastGlobal := has["fast_json"] && (full && log != "caddy_json" || key == "a_fastjson")
		data := map[string]any{
			"Admin": adminPort, "Port": sitePort, "Upstream": upstreamPort,
			"Dir": filepath.Join(dir, key), "Full": full, "Has": has,
			"Log": log, "LokiPort": lokiAt, "Tuned": tuned, "FastGlobal": fastGlobal,
		}
		if key == "a_headers" {
			data["Upstream"] = upstreamHeadersPort
		}
		conf, err := renderTemplate(configDir, "frontdoor.Caddyfile", dir, key+".Caddyfile", data)
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(bin, "run", "--config", conf, "--adapter", "caddyfile")
		cmd.Env = withoutGOGC(os.Environ())
		if o.GOGC != "" {
			cmd.Env = append(cmd.Env, "GOGC="+o.GOGC)
		}
		cmd.Env = append(cmd.Env, env...) // the target's own settings win
		p, err := start("frontdoor-"+key, cmd)
		if err != nil {
			return nil, err
		}
		return &target{Key: key, Label: label, URL: fmt.Sprintf("http://127.0.0.1:%d/", sitePort),
			Admin: fmt.Sprintf("127.0.0.1:%d", adminPort), proc: p}, nil
	}
	bLog, bLabel := "devnull", "(b) frontdoor, all features, log to /dev/null"
	if has["loki"] {
		bLog, bLabel = "loki", "(b) frontdoor, all features, log shipped (VictoriaLogs)"
	}
	ta, err := fd("a", "(a) frontdoor, bare reverse_proxy", aPort, o.AdminBasePort, false, "", lokiPort)
	if err != nil {
		return err
	}
	tb, err := fd("b", bLabel, bPort, o.AdminBasePort+1, true, bLog, lokiPort)
	if err != nil {
		return err
	}
	var tbDown *target
	if has["loki"] {
		if tbDown, err = fd("b_loki_down", "(b) with the log receiver unreachable", bDownPort, o.AdminBasePort+2, true, "loki", deadPort); err != nil {
			return err
		}
	}
	// A stand-in receiver that accepts pushes and drops them: the
	// gateway's shipping cost without the receiver's ingestion on the same
	// CPUs.
	var tbSink *target
	if has["loki"] {
		stop, err := startLokiSink(sinkPort)
		if err != nil {
			return err
		}
		defer stop()
		if tbSink, err = fd("b_sink", "(b) log shipped to a stand-in that drops pushes", bSinkPort, o.AdminBasePort+5, true, "loki", sinkPort); err != nil {
			return err
		}
	}
	tbDevNull, err := fd("b_devnull", "(b) with the log encoded to /dev/null", bDevNullPort, o.AdminBasePort+4, true, "devnull", lokiPort)
	if err != nil {
		return err
	}
	// The defaults: Go's GC target, Caddy's idle upstream connections.
	taGC, err := fd("a_gogc100", "(a) with GOGC=100 (Go's default)", aGCPort, o.AdminBasePort+6, false, "", lokiPort, "GOGC=100")
	if err != nil {
		return err
	}
	taIdle, err := fd("a_idle32", "(a) with Caddy's 32 idle upstream connections per host", aIdlePort, o.AdminBasePort+7, false, "", lokiPort)
	if err != nil {
		return err
	}
	taFast, err := fd("a_fastjson", "(a) with the global log in fast_json", aFastPort, o.AdminBasePort+10, false, "", lokiPort)
	if err != nil {
		return err
	}
	// Where (b)'s cost is: its handlers without the access log, and (a)
	// with only the headers they add.
	tbNoLog, err := fd("b_nolog", "(b) without the access log", bNoLogPort, o.AdminBasePort+11, true, "none", lokiPort)
	if err != nil {
		return err
	}
	// The headers come from the client and the upstream: the proxy
	// carries them, no handler sets them.
	taHeaders, err := fd("a_headers", "(a) carrying (b)'s added headers", aHeadersPort, o.AdminBasePort+12, false, "", lokiPort)
	if err != nil {
		return err
	}
	if taHeaders != nil {
		taHeaders.Headers = []string{
			"Traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
			"X-Request-Id: 4bf92f3577b34da6a3ce929d0e0e4736",
			"X-Geo-Country: GB",
			"X-Device-Type: desktop",
		}
	}
	// (b) shipping to the same receiver, which stores its lines as they
	// are (VictoriaLogs' disable_message_parsing, as Loki stores them; by
	// default VictoriaLogs parses every JSON line into fields on the same
	// CPUs): how much of (b)'s cost is the receiver's ingestion.
	var tbRaw *target
	if has["loki"] {
		if tbRaw, err = fd("b_raw", "(b) log shipped, the receiver storing lines unparsed", bRawPort, o.AdminBasePort+13, true, "loki_raw", lokiPort); err != nil {
			return err
		}
	}
	// The access log written by Caddy's own log (format json, as before
	// access_log; and format fast_json).
	var tbCaddyLog, tbFastJSON *target
	if has["loki"] {
		if tbCaddyLog, err = fd("b_caddylog", "(b) with Caddy's log, format json, shipped", bCaddyPort, o.AdminBasePort+8, true, "caddy_json", lokiPort); err != nil {
			return err
		}
		if tbFastJSON, err = fd("b_fastjson", "(b) with Caddy's log, format fast_json, shipped", bFastPort, o.AdminBasePort+9, true, "caddy_fast", lokiPort); err != nil {
			return err
		}
	}

	// (b) again, recording every allocation in its heap profile (too slow
	// to measure throughput, exact for allocations per request).
	var tbExact *target
	if o.ProfileDuration > 0 {
		if tbExact, err = fd("b_exact", "(b), every allocation profiled", bExactPort, o.AdminBasePort+3, true, bLog, lokiPort, "GODEBUG=memprofilerate=1"); err != nil {
			return err
		}
	}

	// nginx as the gateway (c).
	conf, err = renderTemplate(configDir, "proxy.nginx.conf", dir, "proxy.conf", map[string]any{
		"Dir": dir, "Port": cPort, "Upstream": upstreamPort, "Root": root,
		"CountryDB": db, "Workers": o.ProxyWorkers,
	})
	if err != nil {
		return err
	}
	cproc, err := start("nginx-proxy", exec.Command(nginx, "-p", dir, "-e", filepath.Join(dir, "proxy-error.log"), "-c", conf))
	if err != nil {
		return err
	}
	tc := &target{Key: "c", Label: "(c) nginx + geoip2, limit_req, JSON log", URL: fmt.Sprintf("http://127.0.0.1:%d/", cPort), proc: cproc}
	tu := &target{Key: "upstream", Label: "upstream nginx, direct", URL: fmt.Sprintf("http://127.0.0.1:%d/", upstreamPort), proc: upstream}

	// Wait for everything.
	h := requestHeader()
	if err := waitHTTP(ctx, upstream, tu.URL, h, 20*time.Second); err != nil {
		return err
	}
	for _, t := range []*target{ta, tb, tbDown, tbDevNull, tbSink, tbRaw, tc, tbExact, taGC, taIdle, taFast, tbCaddyLog, tbFastJSON, tbNoLog, taHeaders} {
		if t == nil {
			continue
		}
		if err := waitHTTP(ctx, t.proc, t.URL, h, 30*time.Second); err != nil {
			return fmt.Errorf("%s did not start (a config using a module the binary lacks fails here): %w", t.Label, err)
		}
	}
	if loki != nil {
		logf("waiting for VictoriaLogs")
		if err := waitHTTP(ctx, loki, fmt.Sprintf("http://127.0.0.1:%d/health", lokiPort), nil, 60*time.Second); err != nil {
			return err
		}
	} else {
		rep.Notes = append(rep.Notes, "no Loki writer in the binary: (b) logs JSON to /dev/null, and the receiver-unreachable run is skipped")
	}
	rep.Targets = []*target{ta, tb, tc}
	for _, t := range []*target{tbDevNull, tbSink, tbRaw, tbDown, tbCaddyLog, tbFastJSON, taGC, taIdle, taFast, tbNoLog, taHeaders} {
		if t != nil {
			rep.Targets = append(rep.Targets, t)
		}
	}

	// What the upstream sees through each gateway.
	for _, t := range append([]*target{tu}, rep.Targets...) {
		rep.Echo[t.Key] = echo(ctx, t.URL+"echo", h)
	}
	rep.SentToB += 2 // the readiness probe and the echo

	// Warm up, then alternate the targets round by round.
	for _, t := range rep.Targets {
		logf("warming up %s", t.Label)
		w, err := runWrk(ctx, wrk, t.URL, o.Threads, o.Conns, o.Warmup, t.wrkHeaders())
		if err != nil {
			return err
		}
		if t == tb {
			rep.SentToB += w.Requests
		}
	}
	for r := range o.Rounds {
		order := rep.Targets
		if r%2 == 1 {
			order = reversed(order)
		}
		for _, t := range order {
			logf("round %d/%d: wrk %s", r+1, o.Rounds, t.Label)
			res, err := measure(ctx, wrk, t, o, loki)
			if err != nil {
				return err
			}
			res.Round = r
			rep.Runs = append(rep.Runs, res)
			if t == tb {
				rep.SentToB += res.Wrk.Requests
			}
			logf("  %.0f req/s, p50 %v, p99 %v, %.3f CPU s/10k, %.1f allocs/req",
				res.Wrk.RPS, res.Wrk.P50, res.Wrk.P99, res.CPUPer10k, res.AllocsPerReq)
		}
	}

	// Fixed rate, open loop: latency without coordinated omission.
	fixedTargets := []*target{tu, ta, tb, tc}
	for r := range o.RateRounds {
		order := fixedTargets
		if r%2 == 1 {
			order = reversed(order)
		}
		for _, t := range order {
			logf("round %d/%d: %.0f req/s open loop to %s", r+1, o.RateRounds, o.Rate, t.Label)
			res, err := openloop.Run(ctx, openloop.Config{URL: t.URL, Rate: o.Rate, Duration: o.RateDuration, Header: h})
			if err != nil {
				return err
			}
			if err := t.alive(); err != nil {
				return err
			}
			fr := fixedRun{Target: t.Key, Round: r, Sent: res.Sent, Errors: res.Errors, Non2xx: res.Non2xx,
				P50: res.Quantile(0.5), P99: res.Quantile(0.99), P999: res.Quantile(0.999)}
			rep.Fixed = append(rep.Fixed, fr)
			if t == tb {
				rep.SentToB += int64(len(res.Latencies))
			}
			logf("  p50 %v, p99 %v, p99.9 %v", fr.P50, fr.P99, fr.P999)
		}
	}

	// Profile (b) under load.
	if o.ProfileDuration > 0 {
		pt := tb
		for _, t := range rep.Targets {
			if t.Key == o.ProfileTarget && t.Admin != "" {
				pt = t
			}
		}
		logf("profiling %s for %v", pt.Label, o.ProfileDuration)
		pdir := filepath.Join(outDir(repo, o.Out), "profile-"+rep.Started.Format("20060102T150405Z"))
		if p, err := profileTarget(ctx, wrk, pt, tbExact, o, pdir); err != nil {
			rep.Notes = append(rep.Notes, "profile failed: "+err.Error())
		} else {
			rep.Profile = p
			if pt == tb {
				rep.SentToB += p.Requests
			}
		}
	}

	for _, t := range append([]*target{tu}, rep.Targets...) {
		if u, err := usageOf(t.proc.pid()); err == nil {
			rep.PeakRSS[t.Key] = u.PeakRSSKiB
		}
	}
	if loki != nil {
		rep.LokiLines = lokiCount(ctx, lokiPort)
	}

	text := rep.markdown()
	fmt.Print(text)
	if err := os.MkdirAll(outDir(repo, o.Out), 0o755); err == nil {
		path := filepath.Join(outDir(repo, o.Out), "load-"+rep.Started.Format("20060102T150405Z")+".md")
		if err := os.WriteFile(path, []byte(text), 0o644); err == nil {
			logf("report written to %s", path)
		}
	}
	return nil
}

// measure runs wrk against t and reads the target's CPU time and
// allocations around it.
//
// Loki runs on the same CPUs, so its CPU time during the run is recorded
// too: it is what the machine spent ingesting (b)'s log lines.
func measure(ctx context.Context, wrk string, t *target, o loadOptions, loki *process) (run, error) {
	if err := t.alive(); err != nil {
		return run{}, err
	}
	before, err := usageOf(t.proc.pid())
	if err != nil {
		return run{}, err
	}
	var lokiBefore procUsage
	if loki != nil {
		lokiBefore, _ = usageOf(loki.pid())
	}
	var m0 uint64
	if t.Admin != "" {
		if m0, err = mallocs(t.Admin); err != nil {
			return run{}, err
		}
	}
	res, err := runWrk(ctx, wrk, t.URL, o.Threads, o.Conns, o.Duration, t.wrkHeaders())
	if err != nil {
		return run{}, err
	}
	after, err := usageOf(t.proc.pid())
	if err != nil {
		return run{}, err
	}
	r := run{Target: t.Key, Wrk: res, AllocsPerReq: math.NaN(), LokiCPUPer10k: math.NaN()}
	if res.Requests > 0 {
		r.CPUPer10k = (after.CPUSeconds - before.CPUSeconds) / float64(res.Requests) * 10000
		if loki != nil {
			if lokiAfter, err := usageOf(loki.pid()); err == nil {
				r.LokiCPUPer10k = (lokiAfter.CPUSeconds - lokiBefore.CPUSeconds) / float64(res.Requests) * 10000
			}
		}
	}
	if t.Admin != "" {
		m1, err := mallocs(t.Admin)
		if err != nil {
			return run{}, err
		}
		if res.Requests > 0 {
			r.AllocsPerReq = float64(m1-m0) / float64(res.Requests)
		}
	}
	return r, nil
}

// echo asks the upstream, through a gateway, what request it received.
func echo(ctx context.Context, u string, h http.Header) string {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "error: " + err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	s := strings.TrimSpace(string(b))
	if rid := resp.Header.Get("X-Request-ID"); rid != "" {
		s += " (response X-Request-ID " + rid + ")"
	}
	return fmt.Sprintf("%d %s", resp.StatusCode, s)
}

// lokiCount asks the receiver (VictoriaLogs) how many lines it holds for
// the benchmark's job.
func lokiCount(ctx context.Context, port int) int64 {
	q := url.Values{"query": {`_stream:{job="frontdoor-bench"} | stats count() as n`}, "start": {"0"}}
	u := fmt.Sprintf("http://127.0.0.1:%d/select/logsql/query?%s", port, q.Encode())
	// Give the writer a moment to flush its last batch, and the receiver
	// to make it searchable.
	time.Sleep(5 * time.Second)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	return parseReceiverCount(resp.Body)
}

// startLokiSink serves the Loki push endpoints (/loki/api/v1/push, and
// VictoriaLogs' /insert/loki/api/v1/push) on port, reading and dropping
// every push.
func startLokiSink(port int) (stop func(), err error) {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/loki/api/v1/push") {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.WriteHeader(http.StatusNotFound)
	})}
	go func() { _ = srv.Serve(l) }()
	return func() { _ = srv.Close() }, nil
}

func reversed(ts []*target) []*target {
	out := make([]*target, len(ts))
	for i, t := range ts {
		out[len(ts)-1-i] = t
	}
	return out
}

func lookSbin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found", name)
}

// withoutGOGC is env without GOGC, so that a frontdoor started from it
// uses its own default.
func withoutGOGC(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "GOGC=") {
			out = append(out, kv)
		}
	}
	return out
}

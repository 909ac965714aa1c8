package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// sitesOptions configure `fdbench sites`.
type sitesOptions struct {
	Repo, Bin, Out  string
	Counts          []int
	Rounds          int
	Duration        time.Duration
	Threads, Conns  int
	BasePort, Admin int
	Reload          bool
}

func sitesFlags(args []string) sitesOptions {
	var o sitesOptions
	var counts string
	fs := flag.NewFlagSet("sites", flag.ExitOnError)
	fs.StringVar(&o.Repo, "repo", ".", "repository root")
	fs.StringVar(&o.Bin, "bin", "bin/frontdoor", "frontdoor binary")
	fs.StringVar(&o.Out, "out", "test/bench/results", "directory for the report")
	fs.StringVar(&counts, "sites", "1,100,1000,10000", "catalog sizes")
	fs.IntVar(&o.Rounds, "rounds", 3, "wrk rounds; catalogs and hosts alternate within each")
	fs.DurationVar(&o.Duration, "duration", 4*time.Second, "length of each wrk run")
	fs.IntVar(&o.Threads, "threads", 1, "wrk threads")
	fs.IntVar(&o.Conns, "connections", 32, "wrk connections")
	fs.IntVar(&o.BasePort, "port", 19725, "first site listener port (one per catalog)")
	fs.IntVar(&o.Admin, "admin-port", 19730, "first admin port (one per catalog)")
	fs.BoolVar(&o.Reload, "reload", true, "reload the largest catalog under load")
	_ = fs.Parse(args)
	for _, c := range strings.Split(counts, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "fdbench sites: bad -sites %q\n", counts)
			os.Exit(2)
		}
		o.Counts = append(o.Counts, n)
	}
	return o
}

// siteCatalog writes a catalog of n sites: each serves a short response
// with trace_id and visitor_info on (logs and throttle off, as in the
// issue that asked for this), every tenth site under a wildcard host
// (*.e<i>.example.com), the others under s<i>.example.com. gen changes
// the first site's body and adds a site, for a reload.
func siteCatalog(n, port, admin int, dir string, gen int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "admin: 127.0.0.1:%d\nstorage: %s\ntrusted_proxies: [127.0.0.1/32]\nclient_ip_headers: [X-Forwarded-For]\n", admin, filepath.Join(dir, "storage"))
	fmt.Fprintf(&b, "defaults:\n  tls: off\n  listen: [127.0.0.1:%d]\n  trace_id: true\n  visitor_info: true\n  log: off\n  throttle: off\nsites:\n", port)
	for i := range n {
		body := fmt.Sprintf("s%d", i)
		if i == 0 && gen > 0 {
			body += "-gen" + strconv.Itoa(gen)
		}
		host := fmt.Sprintf("s%d.example.com", i)
		if i%10 == 9 {
			host = fmt.Sprintf("'*.e%d.example.com'", i)
		}
		fmt.Fprintf(&b, "  s%d: {hosts: [%s], respond: {body: %s}}\n", i, host, body)
	}
	if gen > 0 {
		fmt.Fprintf(&b, "  added%d: {hosts: [added%d.example.com], respond: {body: added}}\n", gen, gen)
	}
	return b.String()
}

// hostsOf are the hosts measured in a catalog of n sites.
func hostsOf(n int) [][2]string {
	hosts := [][2]string{{"first", "s0.example.com"}}
	if last := lastExact(n); last > 0 {
		hosts = append(hosts, [2]string{"last", fmt.Sprintf("s%d.example.com", last)})
	}
	if n >= 10 {
		w := n - 1
		for w%10 != 9 {
			w--
		}
		hosts = append(hosts, [2]string{"wildcard", fmt.Sprintf("x.e%d.example.com", w)})
	}
	return hosts
}

func lastExact(n int) int {
	i := n - 1
	for i > 0 && i%10 == 9 {
		i--
	}
	return i
}

// catalogRun is one catalog started for the benchmark.
type catalogRun struct {
	N                   int
	path, dir           string
	port, admin         int
	proc                *process
	AdaptCPU, AdaptWall time.Duration
	AdaptRSSKiB         int64
	StartCPU, StartWall time.Duration
	StartRSSKiB         int64
	JSONBytes           int
	runs                map[string][]run // host kind -> rounds
	ReloadWall          time.Duration
	ReloadErrors        int64
	ReloadRequests      int64
	ReloadServedNewBody bool
	ReloadNote          string
	ReloadRSSKiB        int64
	ReloadCPU           time.Duration
}

func runSites(ctx context.Context, o sitesOptions) error {
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
	dir, err := os.MkdirTemp("", "fdbench-sites-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "fdbench sites: "+format+"\n", args...) }
	started := time.Now().UTC()

	var cats []*catalogRun
	defer func() {
		for _, c := range cats {
			c.proc.stop()
		}
	}()
	for i, n := range o.Counts {
		c := &catalogRun{N: n, port: o.BasePort + i, admin: o.Admin + i, dir: filepath.Join(dir, strconv.Itoa(n)), runs: map[string][]run{}}
		if err := os.MkdirAll(c.dir, 0o755); err != nil {
			return err
		}
		c.path = filepath.Join(c.dir, "sites.yaml")
		if err := os.WriteFile(c.path, []byte(siteCatalog(n, c.port, c.admin, c.dir, 0)), 0o644); err != nil {
			return err
		}
		// Adapting alone.
		cmd := exec.CommandContext(ctx, bin, "adapt", "--config", c.path, "--adapter", "sites")
		cmd.Env = withoutGOGC(os.Environ())
		t0 := time.Now()
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("adapting %d sites: %v", n, err)
		}
		c.AdaptWall = time.Since(t0)
		c.AdaptCPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			c.AdaptRSSKiB = ru.Maxrss
		}
		c.JSONBytes = len(out)
		// Adapting and loading: frontdoor run until the first site answers.
		run := exec.Command(bin, "run", "--config", c.path, "--adapter", "sites")
		run.Env = withoutGOGC(os.Environ())
		run.Dir = c.dir
		t0 = time.Now()
		if c.proc, err = startProcess(fmt.Sprintf("frontdoor-%d-sites", n), filepath.Join(c.dir, "frontdoor.log"), run); err != nil {
			return err
		}
		cats = append(cats, c)
		if err := waitHost(ctx, c.proc, c.port, "s0.example.com", "s0", 120*time.Second); err != nil {
			return err
		}
		c.StartWall = time.Since(t0)
		if u, err := usageOf(c.proc.pid()); err == nil {
			c.StartCPU = time.Duration(u.CPUSeconds * float64(time.Second))
			c.StartRSSKiB = u.PeakRSSKiB
		}
		logf("%d sites: adapt %v CPU (%v wall, %d KiB of JSON), adapt and load %v CPU (%v wall), peak RSS %.0f MiB",
			n, c.AdaptCPU.Round(time.Millisecond), c.AdaptWall.Round(time.Millisecond), c.JSONBytes/1024,
			c.StartCPU.Round(time.Millisecond), c.StartWall.Round(time.Millisecond), float64(c.StartRSSKiB)/1024)
		for _, h := range hostsOf(n) {
			if err := waitHost(ctx, c.proc, c.port, h[1], "", 10*time.Second); err != nil {
				return err
			}
		}
	}

	// Warm up, then alternate catalogs and hosts round by round.
	type job struct {
		c          *catalogRun
		kind, host string
	}
	var jobs []job
	for _, c := range cats {
		for _, h := range hostsOf(c.N) {
			jobs = append(jobs, job{c, h[0], h[1]})
		}
	}
	wrkHeaders := func(host string) []string { return append([]string{"Host: " + host}, headers...) }
	for _, j := range jobs {
		if _, err := runWrk(ctx, wrk, fmt.Sprintf("http://127.0.0.1:%d/", j.c.port), o.Threads, o.Conns, time.Second, wrkHeaders(j.host)); err != nil {
			return err
		}
	}
	for r := range o.Rounds {
		order := jobs
		if r%2 == 1 {
			order = make([]job, len(jobs))
			for i, j := range jobs {
				order[len(jobs)-1-i] = j
			}
		}
		for _, j := range order {
			res, err := measureHost(ctx, wrk, j.c, j.host, wrkHeaders(j.host), o)
			if err != nil {
				return err
			}
			res.Round = r
			j.c.runs[j.kind] = append(j.c.runs[j.kind], res)
			logf("round %d/%d: %d sites, %s (%s): %.0f req/s, %.3f CPU s/10k", r+1, o.Rounds, j.c.N, j.kind, j.host, res.Wrk.RPS, res.CPUPer10k)
		}
	}

	if o.Reload && len(cats) > 0 {
		c := cats[len(cats)-1]
		logf("reloading the %d-site catalog under load", c.N)
		if err := reloadUnderLoad(ctx, wrk, bin, c, wrkHeaders, o); err != nil {
			return err
		}
	}

	text := sitesMarkdown(started, cats, o)
	fmt.Print(text)
	if err := os.MkdirAll(outDir(repo, o.Out), 0o755); err == nil {
		path := filepath.Join(outDir(repo, o.Out), "sites-"+started.Format("20060102T150405Z")+".md")
		if err := os.WriteFile(path, []byte(text), 0o644); err == nil {
			logf("report written to %s", path)
		}
	}
	return nil
}

// measureHost runs wrk against one host of a catalog and reads the
// process's CPU time around it.
func measureHost(ctx context.Context, wrk string, c *catalogRun, host string, hdr []string, o sitesOptions) (run, error) {
	if c.proc.exited() {
		return run{}, fmt.Errorf("the %d-site frontdoor exited:\n%s", c.N, c.proc.output())
	}
	before, err := usageOf(c.proc.pid())
	if err != nil {
		return run{}, err
	}
	res, err := runWrk(ctx, wrk, fmt.Sprintf("http://127.0.0.1:%d/", c.port), o.Threads, o.Conns, o.Duration, hdr)
	if err != nil {
		return run{}, err
	}
	after, err := usageOf(c.proc.pid())
	if err != nil {
		return run{}, err
	}
	r := run{Target: host, Wrk: res}
	if res.Requests > 0 {
		r.CPUPer10k = (after.CPUSeconds - before.CPUSeconds) / float64(res.Requests) * 10000
	}
	if res.Non2xx3xx > 0 || res.SocketErrors > 0 {
		return r, fmt.Errorf("%d sites, %s: %d non-2xx and %d socket errors", c.N, host, res.Non2xx3xx, res.SocketErrors)
	}
	return r, nil
}

// reloadUnderLoad reloads c with a changed catalog (the first site's body
// changed, a site added) while wrk loads its last site, and checks that
// no request failed and that the change is served.
func reloadUnderLoad(ctx context.Context, wrk, bin string, c *catalogRun, wrkHeaders func(string) []string, o sitesOptions) error {
	next := filepath.Join(c.dir, "sites-next.yaml")
	if err := os.WriteFile(next, []byte(siteCatalog(c.N, c.port, c.admin, c.dir, 1)), 0o644); err != nil {
		return err
	}
	host := hostsOf(c.N)[len(hostsOf(c.N))-1][1]
	var wg sync.WaitGroup
	var res wrkResult
	var werr error
	d := 4*time.Second + 2*o.Duration
	wg.Go(func() {
		res, werr = runWrk(ctx, wrk, fmt.Sprintf("http://127.0.0.1:%d/", c.port), o.Threads, o.Conns, d, wrkHeaders(host))
	})
	time.Sleep(2 * time.Second)
	before, _ := usageOf(c.proc.pid())
	t0 := time.Now()
	cmd := exec.CommandContext(ctx, bin, "reload", "--config", next, "--adapter", "sites", "--address", fmt.Sprintf("127.0.0.1:%d", c.admin))
	cmd.Env = withoutGOGC(os.Environ())
	out, err := cmd.CombinedOutput()
	c.ReloadWall = time.Since(t0)
	if err != nil {
		wg.Wait()
		return fmt.Errorf("frontdoor reload of %d sites: %v\n%s", c.N, err, out)
	}
	after, _ := usageOf(c.proc.pid())
	c.ReloadCPU = time.Duration((after.CPUSeconds - before.CPUSeconds) * float64(time.Second))
	wg.Wait()
	if werr != nil {
		return werr
	}
	c.ReloadRequests = res.Requests
	c.ReloadErrors = res.Non2xx3xx + res.SocketErrors
	c.ReloadRSSKiB = after.PeakRSSKiB
	if err := waitHost(ctx, c.proc, c.port, "s0.example.com", "s0-gen1", 10*time.Second); err == nil {
		if err := waitHost(ctx, c.proc, c.port, "added1.example.com", "added", 5*time.Second); err == nil {
			c.ReloadServedNewBody = true
		}
	} else {
		c.ReloadNote = err.Error()
	}
	return nil
}

// waitHost waits until GET / for host on port answers 200 (with body, if
// not empty).
func waitHost(ctx context.Context, p *process, port int, host, body string, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	last := "no answer"
	for time.Now().Before(deadline) {
		if p.exited() {
			return fmt.Errorf("%s exited:\n%s", p.name, p.output())
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/", port), nil)
		req.Host = host
		resp, err := client.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && (body == "" || string(b) == body) {
				return nil
			}
			last = fmt.Sprintf("%s %q", resp.Status, b)
		} else {
			last = err.Error()
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s: %s not ready within %s (last: %s)", p.name, host, timeout, last)
}

func sitesMarkdown(started time.Time, cats []*catalogRun, o sitesOptions) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n# frontdoor sites scaling, %s\n\n", started.Format(time.RFC3339))
	fmt.Fprintf(&b, "Machine: %d CPUs (%s), %s, load average at the end %s. Each catalog: n sites, every tenth under a wildcard host (*.e<i>.example.com), each a short `respond` with `trace_id` and `visitor_info` on, logs and throttle off, served by one frontdoor process (its default GOGC). wrk: %d thread(s), %d connections, %v per run, %d rounds alternating catalogs and hosts (medians).\n\n",
		runtime.NumCPU(), cpuModel(), kernel(), loadAverage(), o.Threads, o.Conns, o.Duration, o.Rounds)
	var base []run
	if len(cats) > 0 {
		base = cats[0].runs["first"]
	}
	ratio := func(runs []run, cpu bool) string {
		var v []float64
		for i := range min(len(runs), len(base)) {
			switch {
			case cpu && runs[i].CPUPer10k > 0:
				v = append(v, base[i].CPUPer10k/runs[i].CPUPer10k)
			case !cpu && base[i].Wrk.RPS > 0:
				v = append(v, runs[i].Wrk.RPS/base[i].Wrk.RPS)
			}
		}
		return fmtFloat(median(v), 2)
	}
	rps := func(runs []run) string {
		var v []float64
		for _, r := range runs {
			v = append(v, r.Wrk.RPS)
		}
		return fmtFloat(median(v), 0)
	}
	fmt.Fprintf(&b, "| sites | adapt: CPU (wall) | adapt + load: CPU (wall) | peak RSS | config JSON | first site req/s | last site req/s | wildcard site req/s | last / first of %d site(s): req/s, CPU | wildcard / first of %d: req/s, CPU |\n", o.Counts[0], o.Counts[0])
	b.WriteString("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, c := range cats {
		last, wild := c.runs["last"], c.runs["wildcard"]
		lastCol, wildCol, lastRatio, wildRatio := "-", "-", "-", "-"
		if len(last) > 0 {
			lastCol = rps(last)
			lastRatio = ratio(last, false) + ", " + ratio(last, true)
		}
		if len(wild) > 0 {
			wildCol = rps(wild)
			wildRatio = ratio(wild, false) + ", " + ratio(wild, true)
		}
		fmt.Fprintf(&b, "| %d | %.2f s (%.2f s) | %.2f s (%.2f s) | %.0f MiB | %s | %s | %s | %s | %s | %s |\n",
			c.N, c.AdaptCPU.Seconds(), c.AdaptWall.Seconds(), c.StartCPU.Seconds(), c.StartWall.Seconds(),
			float64(c.StartRSSKiB)/1024, fmtBytes(c.JSONBytes), rps(c.runs["first"]), lastCol, wildCol, lastRatio, wildRatio)
	}
	b.WriteString("\nadapt: `frontdoor adapt` alone (the whole process). adapt + load: `frontdoor run` from its start until the first site answers (it adapts the catalog itself), CPU time of the process and wall time; peak RSS is the process's high-water mark then. The ratios are medians of per-round ratios against the first site of the first catalog: from requests per second, and from CPU time per request (inverse).\n")
	for _, c := range cats {
		if c.ReloadWall == 0 {
			continue
		}
		served := "the changed site and the added one are served"
		if !c.ReloadServedNewBody {
			served = "the change was NOT served: " + c.ReloadNote
		}
		fmt.Fprintf(&b, "\nReload of the %d-site catalog under load (wrk on its last site): `frontdoor reload` took %.2f s (%.2f s of the gateway's CPU), %d requests during the run, **%d failed** (non-2xx or socket errors); %s; peak RSS after it %.0f MiB.\n",
			c.N, c.ReloadWall.Seconds(), c.ReloadCPU.Seconds(), c.ReloadRequests, c.ReloadErrors, served, float64(c.ReloadRSSKiB)/1024)
	}
	return b.String()
}

func fmtBytes(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

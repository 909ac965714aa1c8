package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/frontdoor-gateway/frontdoor/test/bench/openloop"
)

// profileReport says where (b) spends CPU and allocations, by owner.
type profileReport struct {
	Target        string
	Dir           string
	Requests      int64   // of the CPU-profiled wrk run
	RPS           float64 // of the CPU-profiled wrk run
	CPUSeconds    float64 // sampled CPU time
	MallocsPerReq float64 // runtime count during the CPU profile
	ExactRequests int64   // requests of the allocation profile
	Groups        []group
	FrontdoorTop  []site // frontdoor allocation and CPU sites
	CPUTop        string // pprof -top of the CPU profile
	AllocTop      string // pprof -top of the allocations
}

type group struct {
	Name        string
	CPU         float64 // seconds
	AllocObjs   float64 // estimated objects
	AllocsShare float64 // of all sampled allocations
}

type site struct {
	Owner, Leaf string
	CPU         float64
	AllocObjs   float64
}

// profileTarget loads t with wrk while it takes a CPU profile through
// Caddy's admin /debug/pprof; then sends a fixed number of requests to
// exact, a (b) that records every allocation, between two allocation
// snapshots. It attributes both profiles' samples to their owners.
func profileTarget(ctx context.Context, wrk string, t, exact *target, o loadOptions, dir string) (*profileReport, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	cpu := filepath.Join(dir, "cpu.pb.gz")
	type wrkDone struct {
		r   wrkResult
		err error
	}
	done := make(chan wrkDone, 1)
	go func() {
		r, err := runWrk(ctx, wrk, t.URL, o.Threads, o.Conns, o.ProfileDuration+2*time.Second, t.wrkHeaders())
		done <- wrkDone{r, err}
	}()
	time.Sleep(time.Second)
	m0, err := mallocs(t.Admin)
	if err != nil {
		return nil, err
	}
	cpuErr := fetch(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", t.Admin, int(o.ProfileDuration.Seconds())), cpu)
	m1, err := mallocs(t.Admin)
	if err != nil {
		return nil, err
	}
	w := <-done
	if w.err != nil {
		return nil, w.err
	}
	if cpuErr != nil {
		return nil, cpuErr
	}
	p := &profileReport{Target: t.Label, Dir: dir, Requests: w.r.Requests, RPS: w.r.RPS}
	// The runtime's count over the profiled seconds, per request at the
	// run's average rate.
	p.MallocsPerReq = float64(m1-m0) / (w.r.RPS * o.ProfileDuration.Seconds())

	cpuTraces, err := pprofTraces(ctx, "-traces", cpu)
	if err != nil {
		return nil, err
	}
	var allocTraces []trace
	if exact != nil {
		before := filepath.Join(dir, "allocs-before.pb.gz")
		after := filepath.Join(dir, "allocs-after.pb.gz")
		h := requestHeader()
		// Warm up pools and caches first.
		if _, err := openloop.Run(ctx, openloop.Config{URL: exact.URL, Rate: 200, Duration: time.Second, Header: h, Timeout: 30 * time.Second}); err != nil {
			return nil, err
		}
		if err := fetchAllocs(ctx, exact.Admin, before); err != nil {
			return nil, err
		}
		res, err := openloop.Run(ctx, openloop.Config{URL: exact.URL, Rate: 200, Duration: 5 * time.Second, Header: h, Timeout: 30 * time.Second})
		if err != nil {
			return nil, err
		}
		if res.Errors > 0 || res.Non2xx > 0 {
			return nil, fmt.Errorf("allocation profile run: %d errors, %d non-2xx of %d requests", res.Errors, res.Non2xx, res.Sent)
		}
		time.Sleep(2 * time.Second) // the Loki writer's batch goes out
		if err := fetchAllocs(ctx, exact.Admin, after); err != nil {
			return nil, err
		}
		p.ExactRequests = int64(len(res.Latencies))
		if allocTraces, err = pprofTraces(ctx, "-traces", "-sample_index=alloc_objects", "-base", before, after); err != nil {
			return nil, err
		}
		p.AllocTop, _ = pprofText(ctx, "-top", "-nodecount=40", "-sample_index=alloc_objects", "-base", before, after)
		_ = os.WriteFile(filepath.Join(dir, "allocs-top.txt"), []byte(p.AllocTop), 0o644)
	}
	p.attribute(cpuTraces, allocTraces)
	p.CPUTop, _ = pprofText(ctx, "-top", "-nodecount=40", cpu)
	_ = os.WriteFile(filepath.Join(dir, "cpu-top.txt"), []byte(p.CPUTop), 0o644)
	if meta, err := json.Marshal(p.meta()); err == nil {
		_ = os.WriteFile(filepath.Join(dir, "meta.json"), meta, 0o644)
	}
	return p, nil
}

// profileMeta is what a profile directory needs besides the profiles to be
// analysed again (`fdbench attribute`).
type profileMeta struct {
	Target        string
	Requests      int64
	RPS           float64
	MallocsPerReq float64
	ExactRequests int64
}

func (p *profileReport) meta() profileMeta {
	return profileMeta{p.Target, p.Requests, p.RPS, p.MallocsPerReq, p.ExactRequests}
}

// analyseProfiles attributes the profiles saved in dir again.
func analyseProfiles(ctx context.Context, dir string) (*profileReport, error) {
	b, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		return nil, err
	}
	var m profileMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s/meta.json: %w", dir, err)
	}
	p := &profileReport{Target: m.Target, Dir: dir, Requests: m.Requests, RPS: m.RPS, MallocsPerReq: m.MallocsPerReq, ExactRequests: m.ExactRequests}
	cpuTraces, err := pprofTraces(ctx, "-traces", filepath.Join(dir, "cpu.pb.gz"))
	if err != nil {
		return nil, err
	}
	allocTraces, err := pprofTraces(ctx, "-traces", "-sample_index=alloc_objects",
		"-base", filepath.Join(dir, "allocs-before.pb.gz"), filepath.Join(dir, "allocs-after.pb.gz"))
	if err != nil {
		return nil, err
	}
	p.attribute(cpuTraces, allocTraces)
	return p, nil
}

// fetchAllocs saves the heap profile, whose alloc_objects are every
// allocation so far. It asks for /debug/pprof/heap?gc=1, not allocs: the
// runtime publishes a profile's records at the end of a garbage collection,
// and only the heap endpoint runs one first. Twice, so the second profile
// holds everything allocated before the request.
func fetchAllocs(ctx context.Context, admin, path string) error {
	if err := fetch(ctx, "http://"+admin+"/debug/pprof/heap?gc=1", path); err != nil {
		return err
	}
	return fetch(ctx, "http://"+admin+"/debug/pprof/heap?gc=1", path)
}

func fetch(ctx context.Context, url, path string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func pprofText(ctx context.Context, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", append([]string{"tool", "pprof"}, args...)...).Output()
	if err != nil {
		return "", fmt.Errorf("go tool pprof %s: %w", strings.Join(args, " "), err)
	}
	return string(out), nil
}

func pprofTraces(ctx context.Context, args ...string) ([]trace, error) {
	out, err := pprofText(ctx, args...)
	if err != nil {
		return nil, err
	}
	return parseTraces(strings.NewReader(out))
}

// trace is one sample of `go tool pprof -traces`: its value (seconds for
// CPU, a count for objects) and its stack, leaf first.
type trace struct {
	Value float64
	Stack []string
}

// parseTraces reads `go tool pprof -traces` output: samples separated by
// "-----------+----" lines, the first line of each holding the value and
// the leaf function, the following lines the callers.
func parseTraces(r io.Reader) ([]trace, error) {
	var out []trace
	var cur *trace
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "-----------+") {
			if cur != nil && len(cur.Stack) > 0 {
				out = append(out, *cur)
			}
			cur = &trace{}
			continue
		}
		if cur == nil {
			continue // header
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(cur.Stack) == 0 {
			if strings.HasSuffix(f[0], ":") {
				continue // a label line ("bytes:  512kB")
			}
			v, err := parseValue(f[0])
			if err != nil {
				return nil, fmt.Errorf("pprof trace value %q: %v", f[0], err)
			}
			if len(f) < 2 {
				return nil, fmt.Errorf("pprof trace line %q", line)
			}
			cur.Value = v
			cur.Stack = append(cur.Stack, f[1])
			continue
		}
		cur.Stack = append(cur.Stack, f[0])
	}
	if cur != nil && len(cur.Stack) > 0 {
		out = append(out, *cur)
	}
	return out, sc.Err()
}

// parseValue reads a pprof sample value: a duration (ns, us, µs, ms, s,
// mins, hrs) as seconds, or a plain count.
func parseValue(s string) (float64, error) {
	units := []struct {
		suffix string
		scale  float64
	}{{"ns", 1e-9}, {"us", 1e-6}, {"µs", 1e-6}, {"ms", 1e-3}, {"mins", 60}, {"hrs", 3600}, {"s", 1}}
	for _, u := range units {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(v, 64)
			return f * u.scale, err
		}
	}
	return strconv.ParseFloat(s, 64)
}

const modulePath = "github.com/frontdoor-gateway/frontdoor/"

// frontdoorPackage is the frontdoor package of a function name
// ("modules/throttle"), or "" for other code.
func frontdoorPackage(fn string) string {
	rest, ok := strings.CutPrefix(fn, modulePath)
	if !ok {
		return ""
	}
	slash := strings.LastIndexByte(rest, '/')
	dot := strings.IndexByte(rest[slash+1:], '.')
	if dot < 0 {
		return rest
	}
	return rest[:slash+1+dot]
}

// isNextHandler reports whether fn is Caddy's glue that calls the next
// handler of a route: a sample below it belongs to a later handler, not to
// the frontdoor handler further up the stack.
func isNextHandler(fn string) bool {
	return strings.HasPrefix(fn, "github.com/caddyserver/caddy/v2/modules/caddyhttp.wrapMiddleware") ||
		strings.HasPrefix(fn, "github.com/caddyserver/caddy/v2/modules/caddyhttp.HandlerFunc.ServeHTTP")
}

// isWriterPassThrough reports whether fn is a method that forwards a
// response to a wrapped http.ResponseWriter.
func isWriterPassThrough(fn string) bool {
	for _, m := range []string{").Write", ").WriteHeader", ").ReadFrom", ").Flush", ").FlushError"} {
		if strings.HasSuffix(fn, m) {
			return true
		}
	}
	return false
}

// categories name the owners of samples outside frontdoor's code, checked
// in order against every frame of a stack.
var categories = []struct {
	name    string
	markers []string
}{
	{profilerOwner, []string{"runtime/pprof.", "net/http/pprof."}},
	{"Go runtime: GC background", []string{"runtime.gcBgMarkWorker", "runtime.bgsweep", "runtime.bgscavenge"}},
	{"Caddy access log (zap encoder, log writers)", []string{"go.uber.org/zap", "caddy/v2/modules/logging.", "caddyhttp.(*Server).logRequest", "caddyhttp.(*Server).logTrace"}},
	{"Caddy reverse_proxy and upstream connections", []string{"caddyhttp/reverseproxy.", "net/http.(*persistConn)", "net/http.(*Transport)"}},
	{"Caddy HTTP server, routing, replacer", []string{"github.com/caddyserver/caddy/v2"}},
	{"net/http server: client connections", []string{"net/http.(*conn)", "net/http.(*connReader)", "net/http.(*response)"}},
	{"Go runtime: scheduler, netpoll, other", []string{"runtime."}},
}

// profilerOwner owns the work of taking the profiles themselves, which is
// left out of the report.
const profilerOwner = "the profiler"

// ownerOf names who a sample belongs to: the frontdoor package whose code
// is nearest the leaf, unless Caddy's next-handler glue comes first; else a
// category.
//
// A frontdoor response-writer wrapper's Write, WriteHeader or ReadFrom
// passes the response on to the writer it wraps: what that writer does
// below it is not the wrapper's cost, so there the wrapper counts as glue.
func ownerOf(stack []string) (owner, frame string) {
	foreignBelow := false
	for _, fn := range stack {
		if isNextHandler(fn) {
			break
		}
		if pkg := frontdoorPackage(fn); pkg != "" {
			if foreignBelow && isWriterPassThrough(fn) {
				break
			}
			return "frontdoor " + pkg, fn
		}
		if !strings.HasPrefix(fn, "runtime.") && !strings.HasPrefix(fn, "internal/") {
			foreignBelow = true
		}
	}
	for _, c := range categories {
		for _, fn := range stack {
			for _, m := range c.markers {
				if strings.Contains(fn, m) {
					return c.name, ""
				}
			}
		}
	}
	return "other", ""
}

func (p *profileReport) attribute(cpu, allocs []trace) {
	groups := map[string]*group{}
	sites := map[[2]string]*site{}
	get := func(name string) *group {
		g := groups[name]
		if g == nil {
			g = &group{Name: name}
			groups[name] = g
		}
		return g
	}
	getSite := func(owner, leaf string) *site {
		k := [2]string{owner, leaf}
		s := sites[k]
		if s == nil {
			s = &site{Owner: owner, Leaf: leaf}
			sites[k] = s
		}
		return s
	}
	var totalAllocs float64
	for _, t := range cpu {
		owner, frame := ownerOf(t.Stack)
		if owner == profilerOwner {
			continue
		}
		get(owner).CPU += t.Value
		p.CPUSeconds += t.Value
		if frame != "" {
			getSite(frame, t.Stack[0]).CPU += t.Value
		}
	}
	for _, t := range allocs {
		owner, frame := ownerOf(t.Stack)
		if owner == profilerOwner {
			continue
		}
		get(owner).AllocObjs += t.Value
		totalAllocs += t.Value
		if frame != "" {
			getSite(frame, allocLeaf(t.Stack)).AllocObjs += t.Value
		}
	}
	for _, g := range groups {
		if g.Name == profilerOwner {
			continue
		}
		if totalAllocs > 0 {
			g.AllocsShare = g.AllocObjs / totalAllocs
		}
		p.Groups = append(p.Groups, *g)
	}
	slices.SortFunc(p.Groups, func(a, b group) int {
		return cmpDesc(a.CPU+a.AllocsShare, b.CPU+b.AllocsShare)
	})
	for _, s := range sites {
		p.FrontdoorTop = append(p.FrontdoorTop, *s)
	}
	slices.SortFunc(p.FrontdoorTop, func(a, b site) int { return cmpDesc(a.AllocObjs, b.AllocObjs) })
}

// allocLeaf is the first frame of an allocation stack outside the
// runtime's allocator: the code that asked for the memory.
func allocLeaf(stack []string) string {
	for _, fn := range stack {
		if strings.HasPrefix(fn, "runtime.") && !strings.HasPrefix(fn, "runtime.convT") && fn != "runtime.makeslice" && fn != "runtime.newobject" {
			continue
		}
		return fn
	}
	return stack[0]
}

func cmpDesc(a, b float64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

func (p *profileReport) markdown() string {
	var b strings.Builder
	perReq := func(objs float64) string {
		if p.ExactRequests == 0 {
			return "-"
		}
		return fmtFloat(objs/float64(p.ExactRequests), 1)
	}
	fmt.Fprintf(&b, "\n## Profile of %s under wrk load\n\n", p.Target)
	fmt.Fprintf(&b, "CPU: %.2f s sampled at %.0f req/s (%.1f heap allocations per request by the runtime's count). Allocations: every one recorded (GODEBUG=memprofilerate=1) over %d requests to a second (b). Profiles: `%s` (open with `go tool pprof`).\n\n",
		p.CPUSeconds, p.RPS, p.MallocsPerReq, p.ExactRequests, p.Dir)
	fmt.Fprintf(&b, "A sample belongs to the frontdoor package nearest the leaf, unless Caddy's call to the next handler comes first; other samples to the first category that matches.\n\n")
	b.WriteString("| owner | CPU share | allocations share | allocs / req |\n|---|---:|---:|---:|\n")
	for _, g := range p.Groups {
		share := 0.0
		if p.CPUSeconds > 0 {
			share = g.CPU / p.CPUSeconds
		}
		fmt.Fprintf(&b, "| %s | %.1f%% | %.1f%% | %s |\n", g.Name, share*100, g.AllocsShare*100, perReq(g.AllocObjs))
	}
	var fdTotal float64
	for _, g := range p.Groups {
		if strings.HasPrefix(g.Name, "frontdoor ") {
			fdTotal += g.AllocObjs
		}
	}
	if p.ExactRequests > 0 {
		fmt.Fprintf(&b, "\nAllocations in frontdoor code: %s per request.\n", perReq(fdTotal))
	}
	var allocSites, cpuSites []site
	for _, x := range p.FrontdoorTop {
		if x.AllocObjs > 0 {
			allocSites = append(allocSites, x)
		}
		if x.CPU > 0 {
			cpuSites = append(cpuSites, x)
		}
	}
	slices.SortFunc(cpuSites, func(a, b site) int { return cmpDesc(a.CPU, b.CPU) })
	if len(allocSites) > 0 {
		b.WriteString("\nWhere frontdoor code allocates:\n\n")
		b.WriteString("| frontdoor function | allocating call | allocs / req |\n|---|---|---:|\n")
		for i, x := range allocSites {
			if i == 20 {
				break
			}
			fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", strings.TrimPrefix(x.Owner, modulePath), x.Leaf, perReq(x.AllocObjs))
		}
	}
	if len(cpuSites) > 0 {
		b.WriteString("\nWhere frontdoor code spends CPU (sampled leaf functions):\n\n")
		b.WriteString("| frontdoor function | leaf | CPU ms | share |\n|---|---|---:|---:|\n")
		for i, x := range cpuSites {
			if i == 20 {
				break
			}
			fmt.Fprintf(&b, "| `%s` | `%s` | %.0f | %.2f%% |\n", strings.TrimPrefix(x.Owner, modulePath), x.Leaf, x.CPU*1000, 100*x.CPU/p.CPUSeconds)
		}
	}
	return b.String()
}

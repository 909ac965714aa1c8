package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// median of the values that are not NaN; NaN when there are none.
func median(v []float64) float64 {
	var s []float64
	for _, x := range v {
		if !math.IsNaN(x) {
			s = append(s, x)
		}
	}
	if len(s) == 0 {
		return math.NaN()
	}
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func medianDuration(v []time.Duration) time.Duration {
	f := make([]float64, len(v))
	for i, d := range v {
		f[i] = float64(d)
	}
	return time.Duration(median(f))
}

// fmtDur prints a latency in µs below 10 ms, else in ms.
func fmtDur(d time.Duration) string {
	if d < 10*time.Millisecond && d > -10*time.Millisecond {
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	}
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}

func fmtFloat(v float64, prec int) string {
	if math.IsNaN(v) {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

// runsOf returns the recorded wrk runs of a target, in round order.
func (r *loadReport) runsOf(key string) []run {
	var out []run
	for _, x := range r.Runs {
		if x.Target == key {
			out = append(out, x)
		}
	}
	slices.SortFunc(out, func(a, b run) int { return a.Round - b.Round })
	return out
}

func (r *loadReport) fixedOf(key string) []fixedRun {
	var out []fixedRun
	for _, x := range r.Fixed {
		if x.Target == key {
			out = append(out, x)
		}
	}
	slices.SortFunc(out, func(a, b fixedRun) int { return a.Round - b.Round })
	return out
}

// ratio is the median over rounds of num's throughput divided by den's.
func (r *loadReport) ratio(num, den string) (med float64, perRound []float64) {
	n, d := r.runsOf(num), r.runsOf(den)
	for i := range min(len(n), len(d)) {
		if d[i].Wrk.RPS > 0 {
			perRound = append(perRound, n[i].Wrk.RPS/d[i].Wrk.RPS)
		}
	}
	return median(perRound), perRound
}

// cpuRatio is the median over rounds of den's CPU time per request divided
// by num's: the throughput ratio of two CPU-bound gateways, which other
// load on a shared machine disturbs far less than requests per second.
func (r *loadReport) cpuRatio(num, den string) (med float64, perRound []float64) {
	n, d := r.runsOf(num), r.runsOf(den)
	for i := range min(len(n), len(d)) {
		if n[i].CPUPer10k > 0 {
			perRound = append(perRound, d[i].CPUPer10k/n[i].CPUPer10k)
		}
	}
	return median(perRound), perRound
}

func (r *loadReport) markdown() string {
	var b strings.Builder
	o := r.Options
	fmt.Fprintf(&b, "# frontdoor load benchmark, %s\n\n", r.Started.Format(time.RFC3339))
	fmt.Fprintf(&b, "Machine: %d CPUs (%s), %s; load average %s at the start, %s at the end (other work on the machine counts in it). Everything on loopback: wrk, the upstream, and the gateway under test share the CPUs.\n",
		runtime.NumCPU(), cpuModel(), kernel(), r.LoadStart, loadAverage())
	fmt.Fprintf(&b, "wrk: %d thread(s), %d connections, %v per run, %d rounds alternating the targets (medians below). Fixed rate: %.0f req/s open loop for %v, %d rounds.\n",
		o.Threads, o.Conns, o.Duration, o.Rounds, o.Rate, o.RateDuration, o.RateRounds)
	if o.Untuned {
		b.WriteString("frontdoor upstream transport: Caddy defaults (-untuned).\n")
	}
	if o.GOGC != "" {
		fmt.Fprintf(&b, "frontdoor processes run with GOGC=%s.\n", o.GOGC)
	} else {
		b.WriteString("frontdoor processes run with GOGC unset (frontdoor's default, 200), but for the GOGC=100 variant of (a).\n")
	}
	if len(r.Missing) > 0 {
		fmt.Fprintf(&b, "\n**(b) is incomplete**: the binary lacks %s.\n", strings.Join(r.Missing, ", "))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\nNote: %s\n", n)
	}

	b.WriteString("\n## What the upstream received (GET /echo)\n\n")
	for _, t := range append([]string{"upstream"}, keys(r.Targets)...) {
		fmt.Fprintf(&b, "- %s: `%s`\n", t, r.Echo[t])
	}

	b.WriteString("\n## Throughput at fixed connections (wrk)\n\n")
	b.WriteString("| target | req/s | p50 | p99 | CPU s / 10k req | allocs / req | peak RSS | non-2xx, socket errors | receiver's CPU s / 10k req |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, t := range r.Targets {
		runs := r.runsOf(t.Key)
		var rps, cpu, allocs, lokiCPU []float64
		var p50, p99 []time.Duration
		var bad int64
		for _, x := range runs {
			rps = append(rps, x.Wrk.RPS)
			cpu = append(cpu, x.CPUPer10k)
			allocs = append(allocs, x.AllocsPerReq)
			lokiCPU = append(lokiCPU, x.LokiCPUPer10k)
			p50 = append(p50, x.Wrk.P50)
			p99 = append(p99, x.Wrk.P99)
			bad += x.Wrk.Non2xx3xx + x.Wrk.SocketErrors
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %d | %s |\n", t.Label,
			fmtFloat(median(rps), 0), fmtDur(medianDuration(p50)), fmtDur(medianDuration(p99)),
			fmtFloat(median(cpu), 3), fmtFloat(median(allocs), 1),
			fmt.Sprintf("%.1f MiB", float64(r.PeakRSS[t.Key])/1024), bad, fmtFloat(median(lokiCPU), 3))
	}

	b.WriteString("\nThe log receiver (VictoriaLogs, Loki push protocol) runs on the same CPUs as the gateway under test; its CPU time is shown for every run (it idles except for (b)).\n")
	b.WriteString("\n## Ratios (median of the per-round ratios)\n\n")
	b.WriteString("Requests per second, and the same ratio from CPU time per request (the inverse ratio of CPU seconds per request: what two CPU-bound gateways would serve; much less disturbed by other load on a shared machine).\n\n")
	b.WriteString("| ratio | req/s: median | per round | CPU time: median | per round |\n|---|---:|---|---:|---|\n")
	for _, p := range [][3]string{
		{"(b)/(a)", "b", "a"},
		{"(b)/(c)", "b", "c"},
		{"(a)/(c)", "a", "c"},
		{"(b) receiver stand-in / (a)", "b_sink", "a"},
		{"(b) receiver storing lines unparsed / (a)", "b_raw", "a"},
		{"(b) receiver storing lines unparsed / receiver parsing them", "b_raw", "b"},
		{"(b) receiver unreachable / receiver up", "b_loki_down", "b"},
		{"(b) receiver unreachable / receiver stand-in", "b_loki_down", "b_sink"},
		{"(b) log to /dev/null / log shipped", "b_devnull", "b"},
		{"(b) log to /dev/null / (a)", "b_devnull", "a"},
		{"(b) with Caddy's log, json / (a)", "b_caddylog", "a"},
		{"(b) with Caddy's log, fast_json / (a)", "b_fastjson", "a"},
		{"(b) with Caddy's log, json / (b)", "b_caddylog", "b"},
		{"(b) with Caddy's log, fast_json / (b)", "b_fastjson", "b"},
		{"(a) with the global log in fast_json / (a)", "a_fastjson", "a"},
		{"(b) / (a) with the global log in fast_json", "b", "a_fastjson"},
		{"(b) without the access log / (a)", "b_nolog", "a"},
		{"(b) / (b) without the access log", "b", "b_nolog"},
		{"(a) carrying (b)'s added headers / (a)", "a_headers", "a"},
		{"(a) GOGC=100 / (a) (default 200)", "a_gogc100", "a"},
		{"(a) 32 idle upstream connections / (a) (1024)", "a_idle32", "a"},
	} {
		med, per := r.ratio(p[1], p[2])
		if len(per) == 0 {
			continue
		}
		cmed, cper := r.cpuRatio(p[1], p[2])
		fmt.Fprintf(&b, "| %s | **%s** | %s | **%s** | %s |\n", p[0], fmtFloat(med, 3), joinFloats(per), fmtFloat(cmed, 3), joinFloats(cper))
	}
	cpuA, cpuB := r.medianOf("a", func(x run) float64 { return x.CPUPer10k }), r.medianOf("b", func(x run) float64 { return x.CPUPer10k })
	allocA, allocB := r.medianOf("a", func(x run) float64 { return x.AllocsPerReq }), r.medianOf("b", func(x run) float64 { return x.AllocsPerReq })
	fmt.Fprintf(&b, "\nAdded by the features of (b) over (a), per request: %s allocations (%s vs %s), %s µs of CPU.\n",
		fmtFloat(allocB-allocA, 1), fmtFloat(allocB, 1), fmtFloat(allocA, 1), fmtFloat((cpuB-cpuA)*100, 1))

	if len(r.Fixed) > 0 {
		fmt.Fprintf(&b, "\n## Latency at a fixed rate (%.0f req/s, open loop, latency counted from when each request was due)\n\n", o.Rate)
		b.WriteString("| target | p50 | p99 | p99.9 | errors, non-2xx |\n|---|---:|---:|---:|---:|\n")
		for _, key := range []string{"upstream", "a", "b", "c"} {
			runs := r.fixedOf(key)
			if len(runs) == 0 {
				continue
			}
			var p50, p99, p999 []time.Duration
			bad := 0
			for _, x := range runs {
				p50, p99, p999 = append(p50, x.P50), append(p99, x.P99), append(p999, x.P999)
				bad += x.Errors + x.Non2xx
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %d |\n", r.label(key), fmtDur(medianDuration(p50)),
				fmtDur(medianDuration(p99)), fmtDur(medianDuration(p999)), bad)
		}
		b.WriteString("\nAdded latency (median over rounds of the per-round difference):\n\n")
		b.WriteString("| added by | p50 | p99 |\n|---|---:|---:|\n")
		for _, p := range [][3]string{
			{"frontdoor features: (b) - (a)", "b", "a"},
			{"frontdoor all features, whole hop: (b) - upstream", "b", "upstream"},
			{"bare frontdoor hop: (a) - upstream", "a", "upstream"},
			{"nginx hop: (c) - upstream", "c", "upstream"},
		} {
			n, d := r.fixedOf(p[1]), r.fixedOf(p[2])
			var d50, d99 []time.Duration
			for i := range min(len(n), len(d)) {
				d50 = append(d50, n[i].P50-d[i].P50)
				d99 = append(d99, n[i].P99-d[i].P99)
			}
			if len(d99) > 0 {
				fmt.Fprintf(&b, "| %s | %s | %s |\n", p[0], fmtDur(medianDuration(d50)), fmtDur(medianDuration(d99)))
			}
		}
	}
	if r.LokiLines >= 0 {
		fmt.Fprintf(&b, "\nVictoriaLogs holds %d lines from (b), which answered about %d requests (wrk's count leaves out up to %d requests in flight at the end of each run).\n",
			r.LokiLines, r.SentToB, o.Conns)
	}
	if r.Profile != nil {
		b.WriteString(r.Profile.markdown())
	}
	return b.String()
}

func joinFloats(v []float64) string {
	var s []string
	for _, x := range v {
		s = append(s, fmtFloat(x, 3))
	}
	return strings.Join(s, " ")
}

func (r *loadReport) medianOf(key string, f func(run) float64) float64 {
	var v []float64
	for _, x := range r.runsOf(key) {
		v = append(v, f(x))
	}
	return median(v)
}

func (r *loadReport) label(key string) string {
	for _, t := range r.Targets {
		if t.Key == key {
			return t.Label
		}
	}
	if key == "upstream" {
		return "upstream nginx, direct"
	}
	return key
}

func keys(ts []*target) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Key
	}
	return out
}

func cpuModel() string {
	out, err := exec.Command("sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").Output()
	if err != nil {
		return "unknown CPU"
	}
	return strings.TrimSpace(string(out))
}

func kernel() string {
	out, err := exec.Command("uname", "-sr").Output()
	if err != nil {
		return runtime.GOOS
	}
	return strings.TrimSpace(string(out))
}

// parseReceiverCount reads the count of a VictoriaLogs `stats count() as
// n` query (one JSON line, {"n":"12345"}); -1 when there is none.
func parseReceiverCount(body io.Reader) int64 {
	var v struct {
		N string `json:"n"`
	}
	if err := json.NewDecoder(body).Decode(&v); err != nil {
		return -1
	}
	n, err := strconv.ParseInt(v.N, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

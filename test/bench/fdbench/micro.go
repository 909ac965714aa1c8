package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// microOptions configure `fdbench micro`.
type microOptions struct {
	Repo, Out, Benchtime, Bench string
	Packages                    []string
}

func microFlags(args []string) microOptions {
	var o microOptions
	fs := flag.NewFlagSet("micro", flag.ExitOnError)
	fs.StringVar(&o.Repo, "repo", ".", "repository root")
	fs.StringVar(&o.Out, "out", "test/bench/results", "directory for the report")
	fs.StringVar(&o.Benchtime, "benchtime", "1s", "go test -benchtime")
	fs.StringVar(&o.Bench, "bench", ".", "go test -bench pattern")
	_ = fs.Parse(args)
	o.Packages = fs.Args()
	if len(o.Packages) == 0 {
		o.Packages = []string{"./geoip/...", "./modules/...", "./test/bench/chain"}
	}
	return o
}

// benchResult is one line of `go test -bench -benchmem` output.
type benchResult struct {
	Package     string
	Name        string
	N           int64
	NsPerOp     float64
	BytesPerOp  float64
	AllocsPerOp float64
	Extra       []string // custom metrics ("12.5 MB/s", "3 keys/op")
}

func runMicro(ctx context.Context, o microOptions) error {
	repo, err := filepath.Abs(o.Repo)
	if err != nil {
		return err
	}
	args := append([]string{"test", "-run", "^$", "-bench", o.Bench, "-benchmem", "-benchtime", o.Benchtime, "-p", "1"}, o.Packages...)
	fmt.Fprintf(os.Stderr, "fdbench: go %s\n", strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = repo
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	var raw strings.Builder
	results, perr := parseBench(io.TeeReader(stdout, &raw))
	werr := cmd.Wait()
	if perr != nil {
		return perr
	}
	text := microMarkdown(results, o)
	fmt.Print(text)
	if err := os.MkdirAll(outDir(repo, o.Out), 0o755); err == nil {
		stamp := time.Now().UTC().Format("20060102T150405Z")
		_ = os.WriteFile(filepath.Join(outDir(repo, o.Out), "micro-"+stamp+".txt"), []byte(raw.String()), 0o644)
		_ = os.WriteFile(filepath.Join(outDir(repo, o.Out), "micro-"+stamp+".md"), []byte(text), 0o644)
	}
	if werr != nil {
		return fmt.Errorf("go test -bench: %w (the table holds the packages that passed)", werr)
	}
	return nil
}

// parseBench reads `go test -bench -benchmem` output, attributing each
// result to the package named by the "pkg:" line before it.
func parseBench(r io.Reader) ([]benchResult, error) {
	var out []benchResult
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || f[3] != "ns/op" {
			continue // a benchmark's own log line, or one that failed
		}
		n, err1 := strconv.ParseInt(f[1], 10, 64)
		ns, err2 := strconv.ParseFloat(f[2], 64)
		if err1 != nil || err2 != nil {
			continue
		}
		res := benchResult{Package: pkg, Name: f[0], N: n, NsPerOp: ns}
		for i := 4; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			switch f[i+1] {
			case "B/op":
				res.BytesPerOp = v
			case "allocs/op":
				res.AllocsPerOp = v
			default:
				res.Extra = append(res.Extra, f[i]+" "+f[i+1])
			}
		}
		out = append(out, res)
	}
	return out, sc.Err()
}

func microMarkdown(results []benchResult, o microOptions) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n## Microbenchmarks (go test -bench %s -benchmem -benchtime %s %s)\n\n", o.Bench, o.Benchtime, strings.Join(o.Packages, " "))
	if len(results) == 0 {
		b.WriteString("No benchmarks ran.\n")
		return b.String()
	}
	b.WriteString("| package | benchmark | ns/op | B/op | allocs/op | other |\n|---|---|---:|---:|---:|---|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %s | %s | %.0f | %.0f | %s |\n",
			strings.TrimPrefix(r.Package, modulePath), r.Name, fmtFloat(r.NsPerOp, 1), r.BytesPerOp, r.AllocsPerOp, strings.Join(r.Extra, ", "))
	}
	for _, p := range [][2]string{{"all", "bare"}, {"all+log", "bare+log"}, {"all+access_log", "bare+access_log"}, {"bare+log", "bare"}, {"bare+access_log", "bare"}} {
		all, okA := findBench(results, "BenchmarkChain/"+p[0])
		bare, okB := findBench(results, "BenchmarkChain/"+p[1])
		if okA && okB {
			what := "all frontdoor features"
			if p[1] == "bare" && p[0] != "all" {
				what = "the access log (" + strings.TrimPrefix(p[0], "bare+") + ")"
			}
			fmt.Fprintf(&b, "\nAdded by %s per request (in-process chain, %s - %s): %.0f allocations, %.0f B, %.0f ns",
				what, p[0], p[1], all.AllocsPerOp-bare.AllocsPerOp, all.BytesPerOp-bare.BytesPerOp, all.NsPerOp-bare.NsPerOp)
			ca, okCA := all.metric("cpu-ns/op")
			cb, okCB := bare.metric("cpu-ns/op")
			if okCA && okCB {
				fmt.Fprintf(&b, " (%.0f ns of CPU time)", ca-cb)
			}
			b.WriteString(".\n")
		}
	}
	return b.String()
}

// metric returns the value of a custom metric ("cpu-ns/op").
func (r benchResult) metric(unit string) (float64, bool) {
	for _, e := range r.Extra {
		v, u, ok := strings.Cut(e, " ")
		if ok && u == unit {
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil
		}
	}
	return 0, false
}

// findBench finds a benchmark by name without its -GOMAXPROCS suffix.
func findBench(results []benchResult, name string) (benchResult, bool) {
	for _, r := range results {
		n := r.Name
		if i := strings.LastIndexByte(n, '-'); i > 0 {
			if _, err := strconv.Atoi(n[i+1:]); err == nil {
				n = n[:i]
			}
		}
		if n == name {
			return r, true
		}
	}
	return benchResult{}, false
}

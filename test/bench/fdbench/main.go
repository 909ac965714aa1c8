// Command fdbench is frontdoor's load benchmark: `make bench` runs it
// through test/bench/run.sh.
//
//	fdbench load   # nginx upstream; frontdoor bare (a) and all features (b),
//	               # (b) with the log receiver (VictoriaLogs) unreachable, with a stand-in and with
//	               # its log to /dev/null; nginx with geoip2 (c); wrk rounds,
//	               # a fixed-rate run, and CPU and allocation profiles of (b)
//	fdbench sites  # catalogs of 1 to 10,000 sites: adapt and load time, RSS,
//	               # req/s of the first, last and a wildcard site; a reload
//	               # of the largest under load
//	fdbench micro  # go test -bench over the per-request packages, one table
//	fdbench attribute test/bench/results/profile-<time>  # analyse again
//
// Everything listens on loopback ports 19700-19799. Figures are printed as
// Markdown tables and written to test/bench/results/.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var err error
	switch os.Args[1] {
	case "load":
		o := loadFlags(os.Args[2:])
		err = runLoad(ctx, o)
	case "micro":
		o := microFlags(os.Args[2:])
		err = runMicro(ctx, o)
	case "sites":
		o := sitesFlags(os.Args[2:])
		err = runSites(ctx, o)
	case "attribute":
		if len(os.Args) != 3 {
			usage()
		}
		var p *profileReport
		if p, err = analyseProfiles(ctx, os.Args[2]); err == nil {
			fmt.Print(p.markdown())
		}
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fdbench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: fdbench load|sites|micro [flags] (-h for flags), or fdbench attribute <profile directory>")
	os.Exit(2)
}

// loadOptions configure `fdbench load`.
type loadOptions struct {
	Repo, Bin, Out          string
	Rounds                  int
	Duration, Warmup        time.Duration
	Threads, Conns          int
	Rate                    float64
	RateDuration            time.Duration
	RateRounds              int
	ProfileDuration         time.Duration
	ProfileTarget           string
	ProxyWorkers            int
	Untuned                 bool
	GOGC                    string
	BasePort, AdminBasePort int
	Targets                 map[string]bool // variants to run besides a, b and c; empty: all
}

func loadFlags(args []string) loadOptions {
	var o loadOptions
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	fs.StringVar(&o.Repo, "repo", ".", "repository root")
	fs.StringVar(&o.Bin, "bin", "bin/frontdoor", "frontdoor binary")
	fs.StringVar(&o.Out, "out", "test/bench/results", "directory for the report and profiles")
	fs.IntVar(&o.Rounds, "rounds", 5, "wrk rounds; targets alternate within each")
	fs.DurationVar(&o.Duration, "duration", 6*time.Second, "length of each wrk run")
	fs.DurationVar(&o.Warmup, "warmup", 3*time.Second, "unrecorded wrk run per target before the rounds")
	fs.IntVar(&o.Threads, "threads", 1, "wrk threads")
	fs.IntVar(&o.Conns, "connections", 64, "wrk connections")
	fs.Float64Var(&o.Rate, "rate", 2000, "requests per second of the fixed-rate (open-loop) run")
	fs.DurationVar(&o.RateDuration, "rate-duration", 5*time.Second, "length of each fixed-rate run")
	fs.IntVar(&o.RateRounds, "rate-rounds", 5, "fixed-rate rounds")
	fs.DurationVar(&o.ProfileDuration, "profile", 10*time.Second, "CPU profile length of the all-features run (0: no profile)")
	fs.StringVar(&o.ProfileTarget, "profile-target", "b", "frontdoor target to profile: a, b or b_loki_down")
	fs.IntVar(&o.ProxyWorkers, "nginx-workers", 2, "worker processes of the nginx proxy (c)")
	fs.BoolVar(&o.Untuned, "untuned", false, "frontdoor with Caddy's default upstream keep-alive settings")
	fs.StringVar(&o.GOGC, "gogc", "", "GOGC of the frontdoor processes (empty: Go's default, 100)")
	fs.IntVar(&o.BasePort, "port", 19700, "first of the loopback ports used")
	fs.IntVar(&o.AdminBasePort, "admin-port", 19740, "first of the frontdoor admin ports (14)")
	variants := fs.String("variants", "", "comma-separated variants to run besides (a), (b) and (c) (b_devnull, b_sink, b_raw, b_loki_down, b_caddylog, b_fastjson, a_gogc100, a_idle32, a_fastjson, b_nolog, a_headers); empty: all")
	_ = fs.Parse(args)
	for _, v := range strings.Split(*variants, ",") {
		if v = strings.TrimSpace(v); v != "" {
			if o.Targets == nil {
				o.Targets = map[string]bool{}
			}
			o.Targets[v] = true
		}
	}
	return o
}

// outDir is where reports go: out itself when absolute, else out in the
// repository.
func outDir(repo, out string) string {
	if filepath.IsAbs(out) {
		return out
	}
	return filepath.Join(repo, out)
}

// Command waitingroom benchmarks frontdoor's waiting room with real
// processes on loopback (`make bench` runs it from test/bench/run.sh):
//
//	waitingroom queue     # a room full of 10,000 waiting visitors (cookies
//	                      # replayed by wrk) against a bare respond site,
//	                      # memory and Redis stores; the upstream must get
//	                      # none of the queued requests
//	waitingroom accuracy  # 4 gateways on one Redis, 2,000 simulated
//	                      # visitors polling random gateways: peak active,
//	                      # admissions/min, order inversions
//	waitingroom all       # both
//
// Figures are printed as Markdown and written to test/bench/results/.
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

type options struct {
	bin, out string

	// queue
	sessions             int
	rounds               int
	wrkDuration          time.Duration
	connections, threads int

	// accuracy
	gateways, visitors int
	duration, surge    time.Duration
	activeUsers        int
	perMinute          int
	session, refresh   time.Duration
	storeTimeout       time.Duration
	stayMin, stayMax   time.Duration
	browse             time.Duration
	abandon            float64
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	mode := os.Args[1]
	var o options
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	fs.StringVar(&o.bin, "bin", "bin/frontdoor", "frontdoor binary")
	fs.StringVar(&o.out, "out", "test/bench/results", "directory for the report")
	fs.IntVar(&o.sessions, "sessions", 10000, "queue: waiting visitors whose cookies wrk replays")
	fs.IntVar(&o.rounds, "rounds", 3, "queue: wrk rounds; the targets alternate within each")
	fs.DurationVar(&o.wrkDuration, "wrk-duration", 6*time.Second, "queue: length of each wrk run")
	fs.IntVar(&o.connections, "connections", 64, "queue: wrk connections")
	fs.IntVar(&o.threads, "threads", 1, "queue: wrk threads")
	fs.IntVar(&o.gateways, "gateways", 4, "accuracy: frontdoor processes sharing one Redis")
	fs.IntVar(&o.visitors, "visitors", 2000, "accuracy: simulated visitors")
	fs.DurationVar(&o.duration, "duration", 3*time.Minute, "accuracy: length of the run")
	fs.DurationVar(&o.surge, "surge", 20*time.Second, "accuracy: the visitors arrive within this time of the start")
	fs.IntVar(&o.activeUsers, "active-users", 500, "accuracy: the room's active_users")
	fs.IntVar(&o.perMinute, "new-users-per-minute", 300, "accuracy: the room's new_users_per_minute")
	fs.DurationVar(&o.session, "session", 10*time.Second, "accuracy: the room's session_duration")
	fs.DurationVar(&o.refresh, "refresh", 5*time.Second, "accuracy: the room's refresh")
	fs.DurationVar(&o.storeTimeout, "store-timeout", 250*time.Millisecond, "accuracy: the room's store_timeout")
	fs.DurationVar(&o.stayMin, "stay-min", 60*time.Second, "accuracy: shortest time an admitted visitor stays on the site")
	fs.DurationVar(&o.stayMax, "stay-max", 120*time.Second, "accuracy: longest time an admitted visitor stays on the site")
	fs.DurationVar(&o.browse, "browse", 3*time.Second, "accuracy: time between an admitted visitor's requests")
	fs.Float64Var(&o.abandon, "abandon", 0.1, "accuracy: share of waiting visitors who give up at a random time")
	_ = fs.Parse(os.Args[2:])

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var report strings.Builder
	fmt.Fprintf(&report, "# Waiting-room benchmark, %s\n\n", time.Now().UTC().Format(time.RFC3339))
	var err error
	switch mode {
	case "queue":
		err = runQueue(ctx, o, &report)
	case "accuracy":
		err = runAccuracy(ctx, o, &report)
	case "all":
		if err = runQueue(ctx, o, &report); err == nil {
			err = runAccuracy(ctx, o, &report)
		}
	default:
		usage()
	}
	fmt.Print(report.String())
	if werr := save(o.out, report.String()); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "waitingroom:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: waitingroom queue|accuracy|all [flags] (-h for flags)")
	os.Exit(2)
}

func save(dir, report string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	name := filepath.Join(dir, "waitingroom-"+time.Now().UTC().Format("20060102-150405")+".md")
	if err := os.WriteFile(name, []byte(report), 0o644); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "report written to", name)
	return nil
}

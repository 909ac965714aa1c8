package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const benchSecret = "waiting-room-bench-secret-0123456789abcdef"

// queueConfig: a bare respond site, and two sites whose every request waits
// in a one-place room (memory, Redis) in front of the counting upstream.
const queueConfig = `{
	admin 127.0.0.1:%[1]d
	auto_https off
}

http://127.0.0.1:%[2]d {
	respond "ok"
}

http://127.0.0.1:%[3]d {
	waiting_room mem {
		active_users 1
		session_duration 1h
		refresh 1h
		max_queued 1000000
	}
	reverse_proxy 127.0.0.1:%[5]d
}

http://127.0.0.1:%[4]d {
	waiting_room red {
		active_users 1
		session_duration 1h
		refresh 1h
		max_queued 1000000
		store redis://%[6]s/0
		store_timeout 250ms
		on_store_error hold
		secret %[7]s
	}
	reverse_proxy 127.0.0.1:%[5]d
}

http://127.0.0.1:%[8]d {
	metrics /metrics
}
`

// wrkScript replays the cookies of a file, one per request, from a random
// start in each thread.
const wrkScript = `
local cookies = {}
local i = 0
init = function(args)
  for line in io.lines(args[1]) do cookies[#cookies + 1] = line end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  i = math.random(#cookies)
end
request = function()
  i = i % #cookies + 1
  return wrk.format("GET", "/book", {["Cookie"] = cookies[i], ["Accept"] = "text/html"})
end
`

type target struct {
	name, url, cookies string
}

func runQueue(ctx context.Context, o options, report *strings.Builder) error {
	var ps procs
	defer ps.stop()
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		return fmt.Errorf("wrk is not installed (test/tools/install-deps.sh installs it)")
	}

	// The upstream counts what reaches it.
	var hits atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	up := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.WriteString(w, "upstream")
	})}
	go up.Serve(ln)
	defer up.Close()
	upPort := ln.Addr().(*net.TCPAddr).Port

	redisAddr, err := ps.redis(ctx)
	if err != nil {
		return err
	}
	var ports [5]int
	for i := range ports {
		if ports[i], err = freePort(); err != nil {
			return err
		}
	}
	cfg := fmt.Sprintf(queueConfig, ports[0], ports[1], ports[2], ports[3], upPort, redisAddr, benchSecret, ports[4])
	metricsURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", ports[4])
	bare := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	if err := ps.frontdoor(ctx, o.bin, cfg, bare+"/"); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "frontdoor admin (profiles: /debug/pprof/) at http://127.0.0.1:%d; redis-server at %s\n", ports[0], redisAddr)
	dir, err := ps.tempDir()
	if err != nil {
		return err
	}
	script := filepath.Join(dir, "cookies.lua")
	if err := os.WriteFile(script, []byte(wrkScript), 0o644); err != nil {
		return err
	}

	targets := []target{{name: "bare respond", url: bare}}
	for _, room := range []struct{ name, label string }{{"mem", "waiting room, memory store"}, {"red", "waiting room, Redis store"}} {
		port := ports[2]
		if room.name == "red" {
			port = ports[3]
		}
		url := fmt.Sprintf("http://127.0.0.1:%d", port)
		file := filepath.Join(dir, room.name+".cookies")
		start := time.Now()
		if err := fill(ctx, url, room.name, o.sessions, file); err != nil {
			return fmt.Errorf("filling room %s: %v", room.name, err)
		}
		fmt.Fprintf(os.Stderr, "room %s: %d visitors waiting (filled in %s)\n", room.name, o.sessions, time.Since(start).Round(time.Millisecond))
		targets = append(targets, target{name: room.label, url: url, cookies: file})
	}
	// The bare site gets the same requests (the memory room's cookies).
	targets[0].cookies = targets[1].cookies
	before := hits.Load() // the two visitors who got the rooms' one place

	results := make([][]wrkResult, len(targets))
	for round := range o.rounds {
		for i, tg := range targets {
			r, err := runWrk(ctx, wrk, tg.url, script, tg.cookies, o)
			if err != nil {
				return err
			}
			if r.non2xx > 0 || r.socketErrors > 0 {
				return fmt.Errorf("%s, round %d: %d non-2xx responses, %d socket errors", tg.name, round+1, r.non2xx, r.socketErrors)
			}
			results[i] = append(results[i], r)
			fmt.Fprintf(os.Stderr, "round %d %-28s %8.0f req/s\n", round+1, tg.name, r.rps)
		}
	}
	leaked := hits.Load() - before

	fmt.Fprintf(report, "## Queue responses: %d waiting visitors' cookies replayed by wrk\n\n", o.sessions)
	fmt.Fprintf(report, "wrk -t%d -c%d, %d rounds of %s per target, targets alternating; one frontdoor process, one redis-server, all on one machine (%d CPUs).\n\n",
		o.threads, o.connections, o.rounds, o.wrkDuration, numCPU())
	report.WriteString("| target | req/s (median) | p50 | p99 | vs bare respond |\n|---|---:|---:|---:|---:|\n")
	base := median(results[0])
	for i, tg := range targets {
		m := median(results[i])
		fmt.Fprintf(report, "| %s | %.0f | %s | %s | %.2fx |\n", tg.name, m.rps, m.p50, m.p99, m.rps/base.rps)
	}
	storeErrors := scrape(http.DefaultClient, metricsURL, `frontdoor_waiting_room_decisions_total{result="store_error",room="red"}`)
	fmt.Fprintf(report, "\nRequests that reached the upstream during the runs: %d (every replayed visitor waits). "+
		"Redis store errors (store_timeout 250ms, answered with the queue page): %.0f.\n\n", leaked, storeErrors)
	if leaked != 0 {
		return fmt.Errorf("%d queued requests reached the upstream", leaked)
	}
	return nil
}

// fill makes n visitors arrive at the room: the first takes its one place,
// the others wait; their cookies go to file, one per line.
func fill(ctx context.Context, url, room string, n int, file string) error {
	client := &http.Client{Timeout: 10 * time.Second}
	get := func(cookie string) (string, int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/book", nil)
		if err != nil {
			return "", 0, err
		}
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := client.Do(req)
		if err != nil {
			return "", 0, err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) == "upstream" {
			return roomCookie(resp.Header, room), 1, nil
		}
		if !strings.Contains(string(body), "You are in line") {
			return "", 0, fmt.Errorf("unexpected answer %d %.200q", resp.StatusCode, body)
		}
		return roomCookie(resp.Header, room), 0, nil
	}
	// A store that does not answer in time holds the visitor without a
	// ticket: such visitors try again.
	in := 0
	for try := 0; in != 1; try++ {
		var err error
		if _, in, err = get(""); err != nil || (in != 1 && try == 20) {
			return fmt.Errorf("the first visitor did not get the place: %v", err)
		}
		if in != 1 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	cookies := make([]string, n)
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				c, in, err := get("")
				for try := 0; err == nil && in == 0 && c == "" && try < 20; try++ {
					time.Sleep(100 * time.Millisecond) // held without a ticket
					c, in, err = get("")
				}
				if err == nil && (in != 0 || c == "") {
					err = fmt.Errorf("visitor %d was not queued", i)
				}
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				cookies[i] = c
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return os.WriteFile(file, []byte(strings.Join(cookies, "\n")+"\n"), 0o644)
}

type wrkResult struct {
	rps                  float64
	p50, p99             time.Duration
	non2xx, socketErrors int64
}

func runWrk(ctx context.Context, wrk, url, script, cookies string, o options) (wrkResult, error) {
	args := []string{"-t", strconv.Itoa(o.threads), "-c", strconv.Itoa(o.connections),
		"-d", fmt.Sprintf("%ds", int(o.wrkDuration.Seconds())), "--latency", "--timeout", "5s",
		"-s", script, url, "--", cookies}
	out, err := exec.CommandContext(ctx, wrk, args...).CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk %s: %v\n%s", url, err, out)
	}
	var r wrkResult
	var haveRPS bool
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "50%":
			r.p50, _ = parseWrkDuration(f[1])
		case len(f) == 2 && f[0] == "99%":
			r.p99, _ = parseWrkDuration(f[1])
		case len(f) == 2 && f[0] == "Requests/sec:":
			r.rps, err = strconv.ParseFloat(f[1], 64)
			haveRPS = err == nil
		case len(f) == 5 && f[0] == "Non-2xx" && f[3] == "responses:":
			r.non2xx, _ = strconv.ParseInt(f[4], 10, 64)
		case len(f) > 2 && f[0] == "Socket" && f[1] == "errors:":
			for i := 3; i < len(f); i += 2 {
				n, _ := strconv.ParseInt(strings.TrimSuffix(f[i], ","), 10, 64)
				r.socketErrors += n
			}
		}
	}
	if !haveRPS {
		return r, fmt.Errorf("wrk %s: no Requests/sec in\n%s", url, out)
	}
	return r, nil
}

func parseWrkDuration(s string) (time.Duration, error) {
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0, err
			}
			return time.Duration(f * float64(u.unit)).Round(10 * time.Microsecond), nil
		}
	}
	return 0, fmt.Errorf("duration %q", s)
}

// median is the round with the median throughput.
func median(rs []wrkResult) wrkResult {
	s := append([]wrkResult(nil), rs...)
	sort.Slice(s, func(i, j int) bool { return s[i].rps < s[j].rps })
	return s[len(s)/2]
}

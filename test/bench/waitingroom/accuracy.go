package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// accuracyConfig is one gateway of the shared room.
const accuracyConfig = `{
	admin 127.0.0.1:%[1]d
	auto_https off
}

http://127.0.0.1:%[2]d {
	waiting_room acc {
		active_users %[3]d
		new_users_per_minute %[4]d
		session_duration %[5]s
		refresh %[6]s
		store redis://%[7]s/0
		store_timeout %[9]s
		on_store_error hold
		secret %[8]s
	}
	respond "site sid={http.request.header.X-Waiting-Room-Session}"
}

http://127.0.0.1:%[10]d {
	metrics /metrics
}
`

// simVisitor is one simulated visitor's story.
type simVisitor struct {
	arrive      time.Time
	firstTicket int
	lostPlace   bool // the store gave its place away (it did not poll in time)
	admitted    time.Time
	lastSeen    time.Time // last request while admitted
	abandoned   bool
	lostSession bool // sent back to the line while on the site
}

type sample struct {
	at               time.Time
	active, queued   int
	admittedLastMin  int
	clientSideActive int
	gatewayDisagreed bool
}

func numCPU() int { return runtime.NumCPU() }

// scrape reads one series from a Prometheus text page; absent is 0.
func scrape(c *http.Client, url, series string) float64 {
	resp, err := c.Get(url)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

func runAccuracy(ctx context.Context, o options, report *strings.Builder) error {
	var ps procs
	defer ps.stop()
	redisAddr, err := ps.redis(ctx)
	if err != nil {
		return err
	}
	type gw struct{ site, admin, metrics string }
	gws := make([]gw, o.gateways)
	var wg sync.WaitGroup
	errs := make([]error, o.gateways)
	for i := range gws {
		ap, err1 := freePort()
		sp, err2 := freePort()
		mp, err3 := freePort()
		if err1 != nil || err2 != nil || err3 != nil {
			return fmt.Errorf("no free port")
		}
		gws[i] = gw{site: fmt.Sprintf("http://127.0.0.1:%d", sp), admin: fmt.Sprintf("http://127.0.0.1:%d", ap),
			metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", mp)}
		cfg := fmt.Sprintf(accuracyConfig, ap, sp, o.activeUsers, o.perMinute, o.session, o.refresh, redisAddr, benchSecret, o.storeTimeout, mp)
		wg.Go(func() { errs[i] = ps.frontdoor(ctx, o.bin, cfg, gws[i].admin+"/waiting-room") })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxIdleConns: 4096}}
	runCtx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	start := time.Now()
	visitors := make([]*simVisitor, o.visitors)
	var mu sync.Mutex // guards the visitors' fields
	var failures, requests int64

	get := func(url, cookie string) (body string, setCookie http.Header, refresh time.Duration, err error) {
		req, err := http.NewRequestWithContext(runCtx, http.MethodGet, url, nil)
		if err != nil {
			return "", nil, 0, err
		}
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := client.Do(req)
		if err != nil {
			return "", nil, 0, err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		mu.Lock()
		requests++
		if resp.StatusCode >= 500 {
			failures++
		}
		mu.Unlock()
		secs, _ := strconv.Atoi(resp.Header.Get("Refresh"))
		return string(b), resp.Header, time.Duration(secs) * time.Second, nil
	}
	sleep := func(d time.Duration) bool {
		select {
		case <-runCtx.Done():
			return false
		case <-time.After(d):
			return true
		}
	}

	for i := range visitors {
		v := &simVisitor{arrive: start.Add(time.Duration(rand.Int64N(int64(o.surge))))}
		visitors[i] = v
		abandonAfter := time.Duration(-1)
		if rand.Float64() < o.abandon {
			abandonAfter = time.Duration(rand.Int64N(int64(o.duration)))
		}
		wg.Go(func() {
			if !sleep(time.Until(v.arrive)) {
				return
			}
			cookie := ""
			for {
				body, hdr, refresh, err := get(gws[rand.IntN(len(gws))].site+"/book", cookie)
				if err != nil {
					if runCtx.Err() != nil {
						return
					}
					refresh = time.Second
				} else if c := roomCookie(hdr, "acc"); c != "" {
					cookie = c
				}
				now := time.Now()
				if err == nil && strings.HasPrefix(body, "site ") {
					mu.Lock()
					v.admitted, v.lastSeen = now, now
					mu.Unlock()
					break
				}
				if err == nil {
					t := ticketOf(cookie)
					mu.Lock()
					if v.firstTicket == 0 {
						v.firstTicket = t
					} else if t != v.firstTicket {
						v.lostPlace = true
					}
					mu.Unlock()
				}
				if abandonAfter >= 0 && now.Sub(v.arrive) > abandonAfter {
					mu.Lock()
					v.abandoned = true
					mu.Unlock()
					return
				}
				if !sleep(max(refresh, 500*time.Millisecond)) {
					return
				}
			}
			// On the site: browse for a while, then leave.
			leave := time.Now().Add(o.stayMin + time.Duration(rand.Int64N(int64(o.stayMax-o.stayMin)+1)))
			for time.Now().Before(leave) {
				if !sleep(o.browse) {
					return
				}
				body, hdr, _, err := get(gws[rand.IntN(len(gws))].site+"/book", cookie)
				if err != nil {
					continue
				}
				if c := roomCookie(hdr, "acc"); c != "" {
					cookie = c // the session's cookie slides with it
				}
				mu.Lock()
				v.lastSeen = time.Now()
				if !strings.HasPrefix(body, "site ") {
					v.lostSession = true
				}
				mu.Unlock()
			}
		})
	}

	// Sample the room's state through the gateways' admin APIs.
	var samples []sample
	ticker := time.NewTicker(250 * time.Millisecond)
	defer ticker.Stop()
	n := 0
sampling:
	for {
		select {
		case <-runCtx.Done():
			break sampling
		case now := <-ticker.C:
			var doc struct {
				Active             int `json:"active"`
				Queued             int `json:"queued"`
				AdmittedLastMinute int `json:"admitted_last_minute"`
			}
			g := gws[n%len(gws)]
			n++
			resp, err := client.Get(g.admin + "/waiting-room/acc")
			if err != nil {
				continue
			}
			err = json.NewDecoder(resp.Body).Decode(&doc)
			resp.Body.Close()
			if err != nil {
				continue
			}
			s := sample{at: now, active: doc.Active, queued: doc.Queued, admittedLastMin: doc.AdmittedLastMinute}
			mu.Lock()
			for _, v := range visitors {
				if !v.admitted.IsZero() && now.Sub(v.lastSeen) < o.session {
					s.clientSideActive++
				}
			}
			mu.Unlock()
			samples = append(samples, s)
		}
	}
	cancel()
	wg.Wait()
	elapsed := time.Since(start)
	storeErrors := 0.0
	for _, g := range gws {
		storeErrors += scrape(client, g.metrics, `frontdoor_waiting_room_decisions_total{result="store_error",room="acc"}`)
	}
	err = accuracyReport(o, visitors, samples, start, elapsed, requests, failures, report)
	fmt.Fprintf(report, "Store errors (requests decided without Redis, store_timeout %s): %.0f.\n\n", o.storeTimeout, storeErrors)
	return err
}

func accuracyReport(o options, visitors []*simVisitor, samples []sample, start time.Time, elapsed time.Duration, requests, failures int64, report *strings.Builder) error {
	peak, peakClient := 0, 0
	for _, s := range samples {
		peak = max(peak, s.active)
		peakClient = max(peakClient, s.clientSideActive)
	}
	var admitted, waiting, abandoned, lost, direct, lostSessions int
	minutes := make([]int, max(int(math.Ceil(elapsed.Minutes()-0.02)), 1)) // no bucket for the last moments
	for _, v := range visitors {
		switch {
		case !v.admitted.IsZero():
			admitted++
			if m := int(v.admitted.Sub(start).Minutes()); m < len(minutes) {
				minutes[m]++
			}
			if v.firstTicket == 0 {
				direct++
			}
		case v.abandoned:
			abandoned++
		case !v.arrive.IsZero() && v.arrive.Before(start.Add(elapsed)):
			waiting++
		}
		if v.lostPlace {
			lost++
		}
		if v.lostSession {
			lostSessions++
		}
	}

	// Admissions per minute while the rate was the limit: 10-second
	// windows in which the room had free places and a line.
	var limited time.Duration
	limitedAdmissions := 0
	for w := start; w.Add(10 * time.Second).Before(start.Add(elapsed)); w = w.Add(10 * time.Second) {
		free := true
		seen := false
		for _, s := range samples {
			if s.at.Before(w) || !s.at.Before(w.Add(10*time.Second)) {
				continue
			}
			seen = true
			if s.active >= o.activeUsers*99/100 || s.queued == 0 {
				free = false
			}
		}
		if !seen || !free {
			continue
		}
		limited += 10 * time.Second
		for _, v := range visitors {
			if !v.admitted.IsZero() && !v.admitted.Before(w) && v.admitted.Before(w.Add(10*time.Second)) && v.firstTicket != 0 {
				limitedAdmissions++
			}
		}
	}

	// The store's own count of the last minute's admissions, once a minute
	// has passed, while the room had free places and a line.
	var storeRate float64
	storeSamples := 0
	for _, st := range samples {
		if st.at.Sub(start) >= time.Minute && st.active < o.activeUsers*99/100 && st.queued > 0 {
			storeRate += float64(st.admittedLastMin)
			storeSamples++
		}
	}
	if storeSamples > 0 {
		storeRate /= float64(storeSamples)
	}

	// Order inversions: an admitted visitor B is one when a visitor A with
	// an earlier ticket, still waiting (not given up), got in more than one
	// refresh interval after B, or not at all.
	type entry struct {
		ticket   int
		admitted time.Time // the end of the run for those still waiting
		waiting  bool
	}
	end := start.Add(elapsed)
	var es []entry
	for _, v := range visitors {
		if v.firstTicket == 0 || v.lostPlace {
			continue
		}
		if !v.admitted.IsZero() {
			es = append(es, entry{ticket: v.firstTicket, admitted: v.admitted})
		} else if !v.abandoned {
			es = append(es, entry{ticket: v.firstTicket, admitted: end, waiting: true})
		}
	}
	sort.Slice(es, func(i, j int) bool { return es[i].ticket < es[j].ticket })
	// Scanning by ticket, latest is the latest admission (or the end, for
	// one still waiting) of the earlier tickets.
	inversions, fromLine := 0, 0
	var latest time.Time
	for _, e := range es {
		if !e.waiting {
			fromLine++
			if latest.Sub(e.admitted) > o.refresh {
				inversions++
			}
		}
		if e.admitted.After(latest) {
			latest = e.admitted
		}
	}

	fmt.Fprintf(report, "## Admission accuracy: %d gateways on one Redis, %d visitors, %s\n\n", o.gateways, o.visitors, elapsed.Round(time.Second))
	fmt.Fprintf(report, "Room: active_users %d, new_users_per_minute %d, session_duration %s, refresh %s. "+
		"Visitors arrive within %s, poll a random gateway at each refresh, %.0f%% give up at a random time, "+
		"admitted ones stay %s-%s (a request every %s) and leave.\n\n",
		o.activeUsers, o.perMinute, o.session, o.refresh, o.surge, o.abandon*100, o.stayMin, o.stayMax, o.browse)
	report.WriteString("| measure | value |\n|---|---:|\n")
	fmt.Fprintf(report, "| peak active sessions (store, sampled every 250 ms) | %d of %d (%+.1f%%) |\n", peak, o.activeUsers, 100*float64(peak-o.activeUsers)/float64(o.activeUsers))
	fmt.Fprintf(report, "| peak sessions as the visitors saw them | %d |\n", peakClient)
	if limited > 0 {
		rate := float64(limitedAdmissions) / limited.Minutes()
		fmt.Fprintf(report, "| admissions/min while the room had free places (%s of the run) | %.0f (%+.1f%% of %d) |\n",
			limited.Round(time.Second), rate, 100*(rate-float64(o.perMinute))/float64(o.perMinute), o.perMinute)
	}
	if storeSamples > 0 {
		fmt.Fprintf(report, "| admissions in the last minute as the store counts them (mean after the first minute, room not full) | %.0f (%+.1f%% of %d) |\n",
			storeRate, 100*(storeRate-float64(o.perMinute))/float64(o.perMinute), o.perMinute)
	}
	var per []string
	for i, m := range minutes {
		per = append(per, fmt.Sprintf("%d: %d", i+1, m))
	}
	fmt.Fprintf(report, "| admissions by minute | %s |\n", strings.Join(per, ", "))
	fmt.Fprintf(report, "| admitted / let in on arrival / still waiting / gave up | %d / %d / %d / %d |\n", admitted, direct, waiting, abandoned)
	if fromLine > 0 {
		fmt.Fprintf(report, "| order inversions (later ticket in more than one refresh before an earlier one still waiting) | %d of %d admissions from the line (%.2f%%) |\n",
			inversions, fromLine, 100*float64(inversions)/float64(fromLine))
	}
	fmt.Fprintf(report, "| places lost by visitors who kept polling / sessions lost while browsing | %d / %d |\n", lost, lostSessions)
	fmt.Fprintf(report, "| requests / 5xx | %d / %d |\n\n", requests, failures)
	if failures > 0 {
		return fmt.Errorf("%d responses were 5xx", failures)
	}
	if peak > o.activeUsers*101/100 {
		return fmt.Errorf("peak active %d is over active_users %d + 1%%", peak, o.activeUsers)
	}
	fmt.Fprintln(os.Stderr, "accuracy run done")
	return nil
}

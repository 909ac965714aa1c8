package fleet

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// load sends requests at constant rates to a fleet behind a client-side
// load balancer: request n goes to gateway n mod len, and a request a
// gateway refuses (it is stopped, or closes the connection while it stops)
// is counted apart and sent to the next gateway, as a balancer that
// retries another gateway would. Results are kept per phase.
type load struct {
	urls   []string // one per gateway
	down   []atomic.Bool
	client *http.Client
	next   atomic.Uint64

	mu     sync.Mutex
	phase  string
	order  []string
	counts map[string]*phaseCounts

	stop chan struct{}
	wg   sync.WaitGroup
}

// phaseCounts are the outcomes of the requests of one phase, by client.
type phaseCounts struct {
	start, end time.Time
	byClient   map[string]*outcome
}

// outcome counts the answers one client got.
type outcome struct {
	Sent      int // requests sent (a retried one counts once)
	OK        int // 2xx
	Limited   int // 429
	ServerErr int // 5xx answered by a gateway
	Other     int // any other status
	Failed    int // no answer from a gateway that was up
	Refused   int // refusals by a stopped or stopping gateway (retried elsewhere)
	Lost      int // refused by every gateway
	Codes     map[int]int
	Errors    []string // the first few failures
}

func newLoad(urls []string) *load {
	return &load{
		urls: urls,
		down: make([]atomic.Bool, len(urls)),
		client: &http.Client{
			Timeout: 5 * time.Second,
			Transport: &http.Transport{
				MaxIdleConnsPerHost: 64,
				IdleConnTimeout:     30 * time.Second,
			},
		},
		counts: map[string]*phaseCounts{},
		stop:   make(chan struct{}),
	}
}

// setPhase starts counting requests under name.
func (l *load) setPhase(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if p := l.counts[l.phase]; p != nil {
		p.end = now
	}
	l.phase = name
	if l.counts[name] == nil {
		l.counts[name] = &phaseCounts{start: now, byClient: map[string]*outcome{}}
		l.order = append(l.order, name)
	}
}

// markDown tells the balancer a gateway is being stopped (true) or is
// back (false): its connection failures meanwhile are refusals.
func (l *load) markDown(i int, down bool) { l.down[i].Store(down) }

// run sends rate requests per second with the header X-Client: client
// until stopped.
func (l *load) run(client string, rate int) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		interval := time.Second / time.Duration(rate)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-tick.C:
				l.wg.Add(1)
				go func() {
					defer l.wg.Done()
					l.send(client)
				}()
			}
		}
	}()
}

// halt stops the load and waits for the requests in flight.
func (l *load) halt() {
	close(l.stop)
	l.wg.Wait()
	l.setPhase("")
}

func (l *load) send(client string) {
	l.mu.Lock()
	phase := l.phase
	l.mu.Unlock()
	n := int(l.next.Add(1))
	var res outcome
	res.Sent = 1
	for try := 0; try < len(l.urls); try++ {
		i := (n + try) % len(l.urls)
		wasDown := l.down[i].Load()
		code, err := l.get(l.urls[i], client)
		if err != nil {
			if wasDown || l.down[i].Load() || errors.Is(err, syscall.ECONNREFUSED) {
				res.Refused++
				continue
			}
			res.Failed = 1
			res.Errors = []string{fmt.Sprintf("gateway %d: %v", i+1, err)}
			break
		}
		switch {
		case code >= 200 && code < 300:
			res.OK = 1
		case code == http.StatusTooManyRequests:
			res.Limited = 1
		case code >= 500:
			res.ServerErr = 1
			res.Errors = []string{fmt.Sprintf("gateway %d: status %d", i+1, code)}
		default:
			res.Other = 1
		}
		res.Codes = map[int]int{code: 1}
		break
	}
	if res.OK+res.Limited+res.ServerErr+res.Other+res.Failed == 0 {
		res.Lost = 1
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.counts[phase]
	if p == nil {
		return
	}
	o := p.byClient[client]
	if o == nil {
		o = &outcome{Codes: map[int]int{}}
		p.byClient[client] = o
	}
	o.Sent += res.Sent
	o.OK += res.OK
	o.Limited += res.Limited
	o.ServerErr += res.ServerErr
	o.Other += res.Other
	o.Failed += res.Failed
	o.Refused += res.Refused
	o.Lost += res.Lost
	for c, k := range res.Codes {
		o.Codes[c] += k
	}
	if len(o.Errors) < 5 {
		o.Errors = append(o.Errors, res.Errors...)
	}
}

func (l *load) get(url, client string) (int, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Host = "api.example.com"
	req.Header.Set("X-Client", client)
	resp, err := l.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// result returns the outcome of client in phase, and the phase's length.
func (l *load) result(phase, client string) (outcome, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.counts[phase]
	if p == nil {
		return outcome{}, 0
	}
	end := p.end
	if end.IsZero() {
		end = time.Now()
	}
	if o := p.byClient[client]; o != nil {
		return *o, end.Sub(p.start)
	}
	return outcome{}, end.Sub(p.start)
}

// table writes every phase's figures, one line per phase and client.
func (l *load) table() string {
	l.mu.Lock()
	order := append([]string(nil), l.order...)
	l.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%-30s %-6s %6s %7s %6s %5s %5s %6s %7s %5s %9s\n", "phase", "client", "secs", "sent", "2xx", "429", "5xx", "failed", "refused", "lost", "2xx/s")
	for _, ph := range order {
		if ph == "" {
			continue
		}
		var clients []string
		l.mu.Lock()
		for c := range l.counts[ph].byClient {
			clients = append(clients, c)
		}
		l.mu.Unlock()
		sort.Strings(clients)
		for _, c := range clients {
			o, d := l.result(ph, c)
			fmt.Fprintf(&b, "%-30s %-6s %6.1f %7d %6d %5d %5d %6d %7d %5d %9.1f\n", ph, c, d.Seconds(), o.Sent, o.OK, o.Limited, o.ServerErr, o.Failed, o.Refused, o.Lost, float64(o.OK)/d.Seconds())
		}
	}
	return b.String()
}

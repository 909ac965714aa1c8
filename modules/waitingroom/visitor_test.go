package waitingroom

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// httpClient never follows redirects and keeps no cookies: each visitor
// keeps its own.
var httpClient = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Transport:     &http.Transport{MaxIdleConnsPerHost: 64},
}

// visitor is a browser as the room sees it: its cookies for the room.
type visitor struct {
	mu      sync.Mutex
	cookies map[string]string // room cookie name -> value
}

func newVisitor() *visitor { return &visitor{cookies: map[string]string{}} }

// reply is one response to a visitor.
type reply struct {
	code    int
	header  http.Header
	body    string
	elapsed time.Duration
	json    queueJSON
}

type queueJSON struct {
	Status         string  `json:"status"`
	Position       *int    `json:"position"`
	Ahead          *int    `json:"ahead"`
	ETA            *int    `json:"eta_seconds"`
	RefreshSeconds int     `json:"refresh_seconds"`
	EventStart     *string `json:"event_start"`
}

// site reports whether the response came from the site (not the queue).
func (r reply) site() bool { return r.code == 200 && strings.HasPrefix(r.body, "site ") }

// session is the session id the site saw: its body reads
// "site sid=<X-Waiting-Room-Session> ...".
func (r reply) session() string {
	for f := range strings.FieldsSeq(r.body) {
		if v, ok := strings.CutPrefix(f, "sid="); ok {
			return v
		}
	}
	return ""
}

func (r reply) position() int {
	if r.json.Position == nil {
		return 0
	}
	return *r.json.Position
}

// get requests url as the visitor, JSON when asJSON, and keeps the cookies
// it is given.
func (v *visitor) get(t testing.TB, url string, asJSON bool, header ...string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	v.mu.Lock()
	var parts []string
	for k, val := range v.cookies {
		parts = append(parts, k+"="+val)
	}
	v.mu.Unlock()
	if len(parts) > 0 {
		req.Header.Set("Cookie", strings.Join(parts, "; "))
	}
	if asJSON {
		req.Header.Set("Accept", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	start := time.Now()
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	r := reply{code: resp.StatusCode, header: resp.Header, body: string(body), elapsed: time.Since(start)}
	if r.code >= 500 {
		t.Fatalf("GET %s: %d %s: the room never answers 5xx", url, r.code, body)
	}
	v.mu.Lock()
	for _, c := range resp.Cookies() {
		if strings.HasPrefix(c.Name, "fd_wr_") {
			v.cookies[c.Name] = c.Value
		}
	}
	v.mu.Unlock()
	if asJSON && !r.site() {
		if err := json.Unmarshal(body, &r.json); err != nil {
			t.Fatalf("GET %s: JSON %q: %v", url, body, err)
		}
	}
	return r
}

// try requests url as the visitor, for use off the test's goroutine: errors
// are returned, not reported.
func (v *visitor) try(url string) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	v.mu.Lock()
	for k, val := range v.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: val})
	}
	v.mu.Unlock()
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	v.mu.Lock()
	for _, c := range resp.Cookies() {
		if strings.HasPrefix(c.Name, "fd_wr_") {
			v.cookies[c.Name] = c.Value
		}
	}
	v.mu.Unlock()
	return nil
}

// ticket is the ticket number in the visitor's cookie of room.
func (v *visitor) ticket(room string) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	parts := strings.Split(v.cookies["fd_wr_"+room], ".")
	if len(parts) < 4 {
		return 0
	}
	n, _ := strconv.Atoi(parts[3])
	return n
}

// metric reads one series from a Prometheus text page; absent is 0.
func metric(t testing.TB, url, series string) float64 {
	t.Helper()
	resp, err := httpClient.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for line := range strings.SplitSeq(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metrics line %q: %v", line, err)
			}
			return f
		}
	}
	return 0
}

// admin calls a gateway's admin API and decodes the answer into out.
func admin(t testing.TB, adminURL, method, path, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, adminURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == 200 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %s: %v", method, path, b, err)
		}
	}
	return resp.StatusCode
}

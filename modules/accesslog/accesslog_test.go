package accesslog

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/frontdoor-gateway/frontdoor/modules/fastjson"
	_ "github.com/frontdoor-gateway/frontdoor/modules/geoipapp"
	_ "github.com/frontdoor-gateway/frontdoor/modules/traceid"
	_ "github.com/frontdoor-gateway/frontdoor/modules/visitorinfo"
)

// site is a Caddyfile (ports 19760-19761; TestUploadAnsweredEarly uses 19762-19763) whose site both has Caddy's log and access_log
// (extra holds its subdirectives), each writing to its own file in dir.
func site(dir, format, extra string) string {
	return fmt.Sprintf(`{
	admin off
	auto_https off
	persist_config off
	storage file_system %[1]s/storage
	log {
		level ERROR
	}
	geoip
	servers {
		trusted_proxies static 127.0.0.1/32
		client_ip_headers X-Forwarded-For
	}
}

http://127.0.0.1:19760 {
	bind 127.0.0.1
	log log0 {
		output file %[1]s/caddy.log
		format json
	}
	access_log log0 {
		output file %[1]s/frontdoor.log
		format %[2]s
		%[3]s
	}
	route {
		trace_id
		visitor_info
		log_skip /skipped
		respond /ok "ok" 200
		respond /missing "no" 404
		respond /fail "down" 503
		error /error "teapot" 418
		error /crash "crash" 500
		handle /echo {
			reverse_proxy 127.0.0.1:19761
		}
	}
}
`, dir, format, extra)
}

// run loads a Caddyfile into this process and serves requests through
// its server.
func run(t *testing.T, cf string) http.Handler {
	t.Helper()
	cfg, warnings, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cf), nil)
	if err != nil {
		t.Fatalf("adapting:\n%s\n%v", cf, err)
	}
	for _, w := range warnings {
		t.Logf("adapt warning: %s", w)
	}
	if err := caddy.Load(cfg, true); err != nil {
		t.Fatalf("loading %s: %v", cfg, err)
	}
	t.Cleanup(func() { _ = caddy.Stop() })
	app, err := caddy.ActiveContext().App("http")
	if err != nil {
		t.Fatal(err)
	}
	for _, srv := range app.(*caddyhttp.App).Servers {
		return srv
	}
	t.Fatal("no server")
	return nil
}

type request struct {
	method, path, body string
	header             http.Header
}

var requests = []request{
	{"GET", "/ok", "", http.Header{"User-Agent": {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"}, "X-Forwarded-For": {"81.2.69.160"}}},
	{"GET", "/ok?q=%22x%22", "", http.Header{"Cookie": {"session=secret"}, "Authorization": {"Bearer t"}}},
	{"POST", "/echo", "a body of 20 bytes..", http.Header{"Content-Type": {"text/plain"}}},
	{"GET", "/missing", "", nil},
	{"GET", "/fail", "", nil},
	{"GET", "/error", "", nil},
	{"GET", "/crash", "", nil},
	{"GET", "/skipped", "", nil},
	{"GET", "/nothing-answers", "", http.Header{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}},
	{"GET", "/echo", "", nil},
}

func serve(t *testing.T, srv http.Handler) {
	t.Helper()
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Upstream", "yes")
		fmt.Fprint(w, "echo")
	}))
	l, err := net.Listen("tcp", "127.0.0.1:19761")
	if err != nil {
		t.Fatal(err)
	}
	up.Listener = l
	up.Start()
	defer up.Close()
	for _, q := range requests {
		r := httptest.NewRequest(q.method, "http://127.0.0.1:19760"+q.path, strings.NewReader(q.body))
		r.RemoteAddr = "127.0.0.1:40000"
		for k, v := range q.header {
			r.Header[k] = v
		}
		srv.ServeHTTP(httptest.NewRecorder(), r)
	}
}

// entries reads a JSON log file, one entry a line.
func entries(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line == "" {
			continue
		}
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("%s: %v: %s", path, err, line)
		}
		e["_keys"] = topKeys(line)
		out = append(out, e)
	}
	return out
}

// topKeys lists the keys of a JSON object line in order.
func topKeys(line string) []string {
	dec := json.NewDecoder(strings.NewReader(line))
	var keys []string
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return keys
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
			continue
		}
		if k, ok := tok.(string); ok && depth == 1 {
			keys = append(keys, k)
			// skip the value
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return keys
			}
		}
	}
}

// TestEntriesSameAsCaddysLog serves requests of every kind through a site
// with both Caddy's log and access_log: each request's two entries have
// the same keys in the same order and the same values, but for the time
// and the duration (taken a moment apart).
func TestEntriesSameAsCaddysLog(t *testing.T) {
	for _, format := range []string{"json", "fast_json"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			srv := run(t, site(dir, format, ""))
			serve(t, srv)
			if err := caddy.Stop(); err != nil {
				t.Fatal(err)
			}
			caddys, ours := entries(t, filepath.Join(dir, "caddy.log")), entries(t, filepath.Join(dir, "frontdoor.log"))
			if len(caddys) != len(requests)-1 { // one is skipped
				t.Fatalf("Caddy logged %d entries, want %d", len(caddys), len(requests)-1)
			}
			if len(ours) != len(caddys) {
				t.Fatalf("access_log wrote %d entries, Caddy %d", len(ours), len(caddys))
			}
			for i := range caddys {
				c, o := caddys[i], ours[i]
				if !reflect.DeepEqual(c["_keys"], o["_keys"]) {
					t.Errorf("entry %d: keys %v, Caddy's %v", i, o["_keys"], c["_keys"])
				}
				for _, k := range []string{"ts", "duration"} {
					if _, ok := o[k].(float64); !ok {
						t.Errorf("entry %d: %s = %v, want a number", i, k, o[k])
					}
					delete(c, k)
					delete(o, k)
				}
				if !reflect.DeepEqual(c, o) {
					cj, _ := json.Marshal(c)
					oj, _ := json.Marshal(o)
					t.Errorf("entry %d differs:\naccess_log: %s\nCaddy:      %s", i, oj, cj)
				}
			}
			// The entries hold what they should.
			first := ours[0]
			if first["msg"] != "handled request" || first["trace_id"] == nil || first["country"] != "GB" || first["device"] != "mobile" {
				t.Errorf("first entry lacks frontdoor's fields: %v", first)
			}
			if ours[1]["request"].(map[string]any)["headers"].(map[string]any)["Cookie"].([]any)[0] != "REDACTED" {
				t.Errorf("Cookie not redacted: %v", ours[1]["request"])
			}
			if ours[2]["bytes_read"] != 20.0 {
				t.Errorf("bytes_read %v, want 20", ours[2]["bytes_read"])
			}
			if ours[4]["level"] != "error" || ours[5]["status"] != 418.0 || ours[7]["msg"] != "NOP" {
				t.Errorf("levels, error status or NOP wrong: %v / %v / %v", ours[4]["level"], ours[5]["status"], ours[7]["msg"])
			}
		})
	}
}

// level ERROR keeps only 5xx entries; log_credentials logs cookies.
func TestLevelAndCredentials(t *testing.T) {
	dir := t.TempDir()
	srv := run(t, site(dir, "fast_json", "level ERROR\n\t\tlog_credentials"))
	serve(t, srv)
	if err := caddy.Stop(); err != nil {
		t.Fatal(err)
	}
	ours := entries(t, filepath.Join(dir, "frontdoor.log"))
	var statuses []float64
	for _, e := range ours {
		statuses = append(statuses, e["status"].(float64))
	}
	if !reflect.DeepEqual(statuses, []float64{503, 500}) {
		t.Errorf("level ERROR logged statuses %v, want [503 500]", statuses)
	}
	dir = t.TempDir()
	srv = run(t, site(dir, "fast_json", "log_credentials"))
	serve(t, srv)
	_ = caddy.Stop()
	ours = entries(t, filepath.Join(dir, "frontdoor.log"))
	if got := ours[1]["request"].(map[string]any)["headers"].(map[string]any)["Cookie"].([]any)[0]; got != "session=secret" {
		t.Errorf("log_credentials: Cookie %v", got)
	}
}

func TestCaddyfile(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{"access_log", `{}`, ""},
		{"access_log shop {\n output stdout\n format fast_json\n level warn\n log_credentials\n}", `{"logger_name":"shop","writer":{"output":"stdout"},"encoder":{"format":"fast_json"},"level":"warn","log_credentials":true}`, ""},
		{"access_log {\n output file /var/log/a.log\n}", `{"writer":{"filename":"/var/log/a.log","output":"file"}}`, ""},
		{"access_log a b", "", "wrong argument count"},
		{"access_log {\n level\n}", "", "wrong argument count"},
		{"access_log {\n nope\n}", "", "unrecognized subdirective 'nope'"},
		{"access_log {\n level info\n level warn\n}", "", "level specified more than once"},
		{"access_log {\n output nosuchwriter\n}", "", "caddy.logging.writers.nosuchwriter"},
	} {
		var h Handler
		err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tc.in))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		got, _ := json.Marshal(h)
		if string(got) != tc.want {
			t.Errorf("%q: %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestBadLevel(t *testing.T) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: t.Context()})
	defer cancel()
	h := &Handler{Level: "loud"}
	if err := h.Provision(ctx); err == nil || !strings.Contains(err.Error(), `level "loud"`) {
		t.Fatalf("Provision with level loud: %v", err)
	}
}

// Handlers with the same writer settings share one open writer, which
// the last one's Cleanup closes.
func TestWriterShared(t *testing.T) {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: t.Context()})
	defer cancel()
	path := filepath.Join(t.TempDir(), "shared.log")
	raw := json.RawMessage(fmt.Sprintf(`{"output":"file","filename":%q}`, path))
	a, b := &Handler{WriterRaw: raw}, &Handler{WriterRaw: raw}
	for _, h := range []*Handler{a, b} {
		if err := h.Provision(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if a.writer != b.writer {
		t.Fatal("two handlers with the same writer settings opened two writers")
	}
	key := a.key
	_ = a.Cleanup()
	if n, _ := writers.References(key); n != 1 {
		t.Errorf("after one Cleanup: %d references, want 1", n)
	}
	_ = b.Cleanup()
	if n, ok := writers.References(key); ok || n != 0 {
		t.Errorf("after both Cleanups: %d references, want the writer closed", n)
	}
}

// An upstream that answers before reading an upload: Go's transport goes on
// reading and closing the request body in its own goroutine after
// reverse_proxy has returned, while this handler's recorder already serves
// the next request. Each upload must reach its own upstream request whole,
// and the process must survive (a pooled body counter crashed it).
func TestUploadAnsweredEarly(t *testing.T) {
	early, err := net.Listen("tcp", "127.0.0.1:19763")
	if err != nil {
		t.Fatal(err)
	}
	defer early.Close()
	got := make(chan string, 100)
	go http.Serve(early, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/echo" {
			b, _ := io.ReadAll(r.Body)
			got <- string(b)
			w.WriteHeader(http.StatusOK)
			return
		}
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusForbidden) // the upload is never read
	}))
	dir := t.TempDir()
	run(t, fmt.Sprintf(`{
	admin off
	auto_https off
	persist_config off
	storage file_system %[1]s/storage
	log {
		level ERROR
	}
}

http://127.0.0.1:19762 {
	bind 127.0.0.1
	access_log {
		output file %[1]s/access.log
	}
	reverse_proxy 127.0.0.1:19763
}
`, dir))

	const rounds = 20
	for i := range rounds {
		// An upload the upstream refuses at once; the client goes on
		// sending after the answer.
		c, err := net.Dial("tcp", "127.0.0.1:19762")
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "POST /upload HTTP/1.1\r\nHost: 127.0.0.1:19762\r\nContent-Length: 10000000\r\n\r\n")
		sending := make(chan struct{})
		go func() {
			// Until the connection is closed: the server reads what is left
			// of an unread body (up to 256 KiB) before it answers.
			defer close(sending)
			chunk := []byte(strings.Repeat("a", 4096))
			for range 1000 {
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		}()
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("round %d: status %d, want the upstream's 403", i, resp.StatusCode)
		}
		// Meanwhile another upload, answered after reading, through the
		// same handler: its upstream must get its own body, whole.
		want := fmt.Sprintf("upload-%d-", i) + strings.Repeat("z", 5000)
		r2, err := http.Post("http://127.0.0.1:19762/echo", "text/plain", strings.NewReader(want))
		if err != nil {
			t.Fatalf("round %d: echo: %v", i, err)
		}
		r2.Body.Close()
		if body := <-got; body != want {
			t.Fatalf("round %d: the upstream got %d bytes %.40q..., want the request's own %d bytes", i, len(body), body, len(want))
		}
		time.Sleep(20 * time.Millisecond)
		c.Close()
		<-sending
	}
	if err := caddy.Stop(); err != nil {
		t.Fatal(err)
	}
	var refused, echoed int
	for _, e := range entries(t, filepath.Join(dir, "access.log")) {
		switch e["status"] {
		case 403.0:
			refused++
		case 200.0:
			echoed++
			if e["bytes_read"].(float64) < 5000 {
				t.Errorf("echo entry: bytes_read %v, want its whole body", e["bytes_read"])
			}
		}
	}
	if refused != rounds || echoed != rounds {
		t.Fatalf("log holds %d refused uploads and %d echoed ones, want %d each", refused, echoed, rounds)
	}
}

// TestSnapshot checks the recorder's copy of the request header: a copy
// like Header.Clone's, in memory kept from one request to the next and
// dropped when a request made it large.
func TestSnapshot(t *testing.T) {
	rec := new(recorder)
	h := http.Header{"A": {"1", "2"}, "B": {"3"}, "Nil": nil, "Empty": {}}
	got := rec.snapshot(h)
	if !reflect.DeepEqual(got, h.Clone()) {
		t.Fatalf("snapshot %v, want %v", got, h)
	}
	h["A"][0] = "changed"
	h.Set("B", "changed")
	if got.Get("A") != "1" || got.Get("B") != "3" {
		t.Fatalf("the copy follows the header: %v", got)
	}
	got["A"] = append(got["A"], "appended")
	if got.Get("B") != "3" {
		t.Fatalf("an append to one value overwrote another: %v", got)
	}

	rec.reset()
	if rec.header == nil || len(rec.header) != 0 || len(rec.values) != 0 {
		t.Fatalf("reset recorder keeps %v %v, want its empty memory", rec.header, rec.values)
	}
	for _, v := range rec.values[:cap(rec.values)] {
		if v != "" {
			t.Fatalf("reset recorder holds the value %q", v)
		}
	}
	if got := rec.snapshot(http.Header{"C": {"4"}}); !reflect.DeepEqual(got, http.Header{"C": {"4"}}) {
		t.Fatalf("second snapshot %v", got)
	}

	big := http.Header{}
	for i := range maxKeptValues + 1 {
		big.Add("X", fmt.Sprint(i))
	}
	rec.snapshot(big)
	rec.reset()
	if rec.header != nil || rec.values != nil {
		t.Fatal("a recorder that copied a large header keeps its memory")
	}
}

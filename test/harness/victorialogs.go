package harness

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// VictoriaLogsBinary finds the VictoriaLogs binary built by
// test/tools/install-victorialogs.sh (or named by FRONTDOOR_VICTORIALOGS).
func VictoriaLogsBinary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("FRONTDOOR_VICTORIALOGS"); p != "" {
		if isExecutable(p) {
			return p
		}
		Missing(t, "FRONTDOOR_VICTORIALOGS=%s is not an executable", p)
	}
	out, err := exec.Command("bash", "-c", `
		cache="${FRONTDOOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/frontdoor}"
		ls -1 "$cache"/victoria-logs-v* 2>/dev/null | grep -v '\.tmp$' | sort -V | tail -n 1`).Output()
	p := strings.TrimSpace(string(out))
	if err != nil || p == "" || !isExecutable(p) {
		Missing(t, "VictoriaLogs is not built")
	}
	return p
}

// LogStore is a running VictoriaLogs: the real receiver of the Loki push
// protocol the tests ship to. Loki's stream labels become its stream
// fields, structured metadata (trace_id) and the JSON line's fields become
// fields of the row (nested keys joined with dots: request.uri).
type LogStore struct {
	*Process
	DataDir string
	bin     string
}

// VictoriaLogs starts a real VictoriaLogs on a loopback port with a
// temporary data directory; flags are added to its command line (for
// example -loki.maxRequestSize=64KiB).
func VictoriaLogs(t testing.TB, flags ...string) *LogStore {
	t.Helper()
	l := &LogStore{DataDir: t.TempDir(), bin: VictoriaLogsBinary(t)}
	l.start(t, "127.0.0.1:"+strconv.Itoa(FreePort(t)), flags)
	return l
}

func (l *LogStore) start(t testing.TB, addr string, flags []string) {
	t.Helper()
	args := append([]string{
		"-httpListenAddr=" + addr,
		"-storageDataPath=" + l.DataDir,
		"-loggerLevel=WARN",
		"-inmemoryDataFlushInterval=1s",
	}, flags...)
	l.Process = Start(t, "victoria-logs", addr, exec.Command(l.bin, args...))
	WaitHTTP(t, l.Process, "http://"+addr+"/health", 30*time.Second)
}

// Restart stops VictoriaLogs and starts it again on the same address and
// data directory (what it stored is kept), with new flags.
func (l *LogStore) Restart(t testing.TB, flags ...string) {
	t.Helper()
	l.Stop()
	l.start(t, l.Addr, flags)
}

// PushURL is the Loki push endpoint.
func (l *LogStore) PushURL() string { return "http://" + l.Addr + "/insert/loki/api/v1/push" }

// Query runs a LogsQL query over every row stored and returns the rows,
// each a map of field name to value.
func (l *LogStore) Query(t testing.TB, query string) []map[string]string {
	t.Helper()
	rows, err := l.TryQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TryQuery is Query returning its error.
func (l *LogStore) TryQuery(query string) ([]map[string]string, error) {
	v := url.Values{"query": {query}, "start": {"0"}}
	resp, err := http.PostForm("http://"+l.Addr+"/select/logsql/query", v)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("VictoriaLogs query %q: %s: %s", query, resp.Status, strings.TrimSpace(string(b)))
	}
	var rows []map[string]string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		row := map[string]string{}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			return nil, fmt.Errorf("VictoriaLogs answer %.200q: %v", sc.Text(), err)
		}
		rows = append(rows, row)
	}
	return rows, sc.Err()
}

// Count is the number of rows a LogsQL filter matches.
func (l *LogStore) Count(t testing.TB, filter string) int {
	t.Helper()
	rows := l.Query(t, filter+" | stats count() as n")
	if len(rows) != 1 {
		t.Fatalf("VictoriaLogs count of %q: %d rows, want one", filter, len(rows))
	}
	n, err := strconv.Atoi(rows[0]["n"])
	if err != nil {
		t.Fatalf("VictoriaLogs count of %q: %q", filter, rows[0]["n"])
	}
	return n
}

// WaitCount polls Count until it reaches want or timeout passes (rows are
// searchable a second or two after a push) and returns the last count.
func (l *LogStore) WaitCount(t testing.TB, filter string, want int, timeout time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		n := l.Count(t, filter)
		if n >= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// StreamFieldNames lists the stream field names (Loki's stream labels) of
// the rows a filter matches.
func (l *LogStore) StreamFieldNames(t testing.TB, filter string) []string {
	t.Helper()
	return l.names(t, "stream_field_names", filter)
}

// FieldNames lists every field name of the rows a filter matches.
func (l *LogStore) FieldNames(t testing.TB, filter string) []string {
	t.Helper()
	return l.names(t, "field_names", filter)
}

func (l *LogStore) names(t testing.TB, endpoint, filter string) []string {
	t.Helper()
	v := url.Values{"query": {filter}, "start": {"0"}}
	resp, err := http.PostForm("http://"+l.Addr+"/select/logsql/"+endpoint, v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("VictoriaLogs %s %q: %s: %s", endpoint, filter, resp.Status, body)
	}
	var out struct {
		Values []struct {
			Value string `json:"value"`
		} `json:"values"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("VictoriaLogs %s answer %s: %v", endpoint, body, err)
	}
	names := make([]string, 0, len(out.Values))
	for _, v := range out.Values {
		names = append(names, v.Value)
	}
	sort.Strings(names)
	return names
}

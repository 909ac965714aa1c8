package maintenance

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddytest"

	maint "github.com/frontdoor-gateway/frontdoor/modules/internal/maintenance"
	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

func stateFile(dir, name string) string {
	return filepath.Join(dir, "frontdoor", "maintenance", name+".json")
}

// truncateFile cuts a stored switch in half, as a full disk or a crash in
// the middle of a copy would.
func truncateFile(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b[:len(b)/2], 0o600); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// stopGateway loads an empty config: the maintenance app stops, as in a
// process that ends; the next startGateway starts from nothing known.
func stopGateway(t *testing.T) {
	t.Helper()
	req, _ := http.NewRequest("POST", adminURL+"/load", strings.NewReader(`{"admin":{"listen":"localhost:2313"}}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("loading an empty config: %d", resp.StatusCode)
	}
}

// adminDoc is the admin API's answer for one name, as a generic map (the
// test reads fields by their JSON names).
func adminDoc(t *testing.T, name string) map[string]any {
	t.Helper()
	resp, body := do(t, "GET", adminURL+"/maintenance/"+name, "")
	wantStatus(t, resp, body, 200)
	var doc map[string]any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return doc
}

// waitUnreadable waits until the admin API reports name unreadable.
func waitUnreadable(t *testing.T, name string, timeout time.Duration) map[string]any {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		doc := adminDoc(t, name)
		if doc["readable"] == false {
			return doc
		}
		if time.Now().After(deadline) {
			t.Fatalf("the admin API never reported %s unreadable: %v", name, doc)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// maintenanceLog returns the entries of the maintenance app's log (the
// config's default log, caddy.log in dir) that concern name.
func maintenanceLog(t *testing.T, dir, name string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "caddy.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e struct {
			Logger string `json:"logger"`
		}
		line := sc.Bytes()
		if json.Unmarshal(line, &e) != nil || e.Logger != "maintenance" {
			continue
		}
		if bytes.Contains(line, []byte(`"`+name+`"`)) || bytes.Contains(line, []byte(`\"`+name+`\"`)) {
			out = append(out, string(line))
		}
	}
	return out
}

func wantLogCount(t *testing.T, entries []string, want int, what string) {
	t.Helper()
	if len(entries) != want {
		t.Fatalf("%s: %d log entries, want %d:\n%s", what, len(entries), want, strings.Join(entries, "\n"))
	}
}

func wantReadableFile(t *testing.T, path string, enabled bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := maint.UnmarshalState(b)
	if err != nil || st.Enabled != enabled {
		t.Fatalf("stored file %s: %+v, %v; want a good file with enabled %v", b, st, err, enabled)
	}
}

// TestCorruptStateWhileRunning: a stored switch damaged while the gateway
// runs keeps its last state, is reported unreadable by the admin API and the
// metric, is logged once per change and not at every poll, and is repaired
// by the next switch through the API.
func TestCorruptStateWhileRunning(t *testing.T) {
	_, dir := startGateway(t, "", "v1")
	resp, body := do(t, "PUT", adminURL+"/maintenance/shop", `{"message":"Deploying"}`)
	wantStatus(t, resp, body, 200)
	file := stateFile(dir, "shop")

	truncateFile(t, file)
	doc := waitUnreadable(t, "shop", 5*time.Second)
	firstErr, _ := doc["error"].(string)
	if !strings.Contains(firstErr, "shop") || doc["enabled"] != true || doc["message"] != "Deploying" {
		t.Fatalf("unreadable switch reported as %v, want the error and the last state (on, Deploying)", doc)
	}
	time.Sleep(3500 * time.Millisecond) // three more polls
	t.Run("last state holds", func(t *testing.T) {
		resp, body := do(t, "GET", shopURL+"/", "", "Accept", "text/html")
		wantStatus(t, resp, body, 503)
		if !strings.Contains(body, "Deploying") {
			t.Fatalf("body %.200s", body)
		}
	})
	t.Run("list and metric", func(t *testing.T) {
		resp, body := do(t, "GET", adminURL+"/maintenance", "")
		wantStatus(t, resp, body, 200)
		var docs []map[string]any
		if err := json.Unmarshal([]byte(body), &docs); err != nil {
			t.Fatal(err)
		}
		if len(docs) != 2 || docs[0]["name"] != "brand" || docs[0]["readable"] != true ||
			docs[1]["name"] != "shop" || docs[1]["readable"] != false || docs[1]["error"] != firstErr {
			t.Fatalf("list %s", body)
		}
		if got := metricValue(t, `frontdoor_maintenance_state_error{name="shop"}`); got != 1 {
			t.Errorf("state_error{shop} = %v, want 1", got)
		}
		_, metrics := do(t, "GET", metricsURL, "")
		if !strings.Contains(metrics, `frontdoor_maintenance_state_error{name="brand"} 0`) {
			t.Errorf("no state_error 0 for brand:\n%s", grepLines(metrics, "frontdoor_maintenance"))
		}
	})
	wantLogCount(t, maintenanceLog(t, dir, "shop"), 1, "after four polls of a damaged file")

	// Another damage is another error: logged once more.
	writeFile(t, file, `{"enabled":"yes"}`)
	deadline := time.Now().Add(5 * time.Second)
	for adminDoc(t, "shop")["error"] == firstErr && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	doc = adminDoc(t, "shop")
	if doc["readable"] != false || doc["error"] == firstErr {
		t.Fatalf("changed damage reported as %v", doc)
	}
	time.Sleep(2500 * time.Millisecond)
	wantLogCount(t, maintenanceLog(t, dir, "shop"), 2, "after the error changed")

	// A switch through the API writes a good file.
	resp, body = do(t, "DELETE", adminURL+"/maintenance/shop", "")
	wantStatus(t, resp, body, 200)
	wantReadableFile(t, file, false)
	if doc := adminDoc(t, "shop"); doc["readable"] != true || doc["error"] != nil || doc["enabled"] != false {
		t.Fatalf("after DELETE: %v", doc)
	}
	if got := metricValue(t, `frontdoor_maintenance_state_error{name="shop"}`); got != 0 {
		t.Errorf("state_error{shop} = %v after the repair, want 0", got)
	}
	resp, body = do(t, "GET", shopURL+"/", "")
	wantStatus(t, resp, body, 200)
	time.Sleep(2500 * time.Millisecond)
	entries := maintenanceLog(t, dir, "shop")
	wantLogCount(t, entries, 3, "after the repair")
	for _, e := range entries {
		t.Log(e)
	}
	if !strings.Contains(entries[2], "readable again") {
		t.Errorf("last entry %s, want the switch readable again", entries[2])
	}
}

// TestCorruptStateAtStart: a switch damaged while no gateway ran. With
// nothing known, the default (on_state_error keep) holds the site back and
// says why; a config reload keeps what the running gateway knew.
func TestCorruptStateAtStart(t *testing.T) {
	_, dir := startGateway(t, "", "v1")
	file := stateFile(dir, "shop")

	for _, tt := range []struct{ name, before string }{
		{"switched on", `{"message":"Deploying"}`},
		{"switched off", ""},
	} {
		t.Run(tt.name+", damaged while stopped", func(t *testing.T) {
			method := "PUT"
			if tt.before == "" {
				method = "DELETE"
			}
			resp, body := do(t, method, adminURL+"/maintenance/shop", tt.before)
			wantStatus(t, resp, body, 200)
			stopGateway(t)
			truncateFile(t, file)
			logged := len(maintenanceLog(t, dir, "shop"))

			startGateway(t, dir, "v1")
			resp, body = do(t, "GET", shopURL+"/", "")
			wantStatus(t, resp, body, 503)
			doc := adminDoc(t, "shop")
			if doc["readable"] != false || doc["enabled"] != true || doc["active"] != true ||
				!strings.Contains(fmt.Sprint(doc["error"]), "shop") {
				t.Fatalf("admin API after the start: %v, want unreadable, on, with the error", doc)
			}
			if got := metricValue(t, `frontdoor_maintenance_state_error{name="shop"}`); got != 1 {
				t.Errorf("state_error{shop} = %v, want 1", got)
			}
			time.Sleep(2500 * time.Millisecond)
			wantLogCount(t, maintenanceLog(t, dir, "shop")[logged:], 1, "after the start")

			resp, body = do(t, "PUT", adminURL+"/maintenance/shop", `{"enabled":false}`)
			wantStatus(t, resp, body, 200)
			wantReadableFile(t, file, false)
			resp, body = do(t, "GET", shopURL+"/", "")
			wantStatus(t, resp, body, 200)
		})
	}

	t.Run("a reload keeps the last known state", func(t *testing.T) {
		truncateFile(t, file) // the switch is off and known to be
		waitUnreadable(t, "shop", 5*time.Second)
		logged := len(maintenanceLog(t, dir, "shop"))
		startGateway(t, dir, "v2")
		resp, body := do(t, "GET", shopURL+"/", "")
		wantStatus(t, resp, body, 200)
		if body != "shop v2" {
			t.Fatalf("reload not applied: %q", body)
		}
		if doc := adminDoc(t, "shop"); doc["readable"] != false || doc["enabled"] != false {
			t.Fatalf("after the reload: %v, want unreadable and off", doc)
		}
		time.Sleep(2500 * time.Millisecond)
		wantLogCount(t, maintenanceLog(t, dir, "shop")[logged:], 0, "a reload with the same error")
	})
}

const stateErrorConfig = `{
	admin localhost:2313
	auto_https off
	storage file_system %[1]s
	maintenance {
		poll_interval 1s
	}
}

http://127.0.0.1:19316 {
	maintenance closedsite {
		on_state_error closed
	}
	respond "closedsite"
}

http://127.0.0.1:19317 {
	maintenance opensite {
		on_state_error open
	}
	respond "opensite"
}

http://127.0.0.1:19318 {
	maintenance keepsite {
		on_state_error keep
	}
	respond "keepsite"
}
`

// TestOnStateErrorOptions: each on_state_error value, while running and
// after a start, through real config loads.
func TestOnStateErrorOptions(t *testing.T) {
	dir := gatewayDir(t)
	load := func() {
		t.Helper()
		harness.Long(t, "starts a Caddy server in the test process")
		tc := caddytest.NewTester(t).WithDefaultOverrides(caddytest.Config{AdminPort: adminPort})
		tc.InitServer(fmt.Sprintf(stateErrorConfig, dir), "caddyfile")
		if t.Failed() {
			t.FailNow()
		}
	}
	load()
	for _, sw := range []struct{ method, name string }{
		{"DELETE", "closedsite"}, // known off
		{"PUT", "opensite"},      // known on
		{"PUT", "keepsite"},      // known on
	} {
		resp, body := do(t, sw.method, adminURL+"/maintenance/"+sw.name, "")
		wantStatus(t, resp, body, 200)
	}
	for _, name := range []string{"closedsite", "opensite", "keepsite"} {
		writeFile(t, stateFile(dir, name), `{"enabled":tr`)
	}
	check := func(t *testing.T) {
		t.Helper()
		for _, tt := range []struct {
			name, url string
			status    int
		}{
			{"closedsite", "http://127.0.0.1:19316/", 503},
			{"opensite", "http://127.0.0.1:19317/", 200},
			{"keepsite", "http://127.0.0.1:19318/", 503},
		} {
			doc := waitUnreadable(t, tt.name, 5*time.Second)
			resp, body := do(t, "GET", tt.url, "")
			wantStatus(t, resp, body, tt.status)
			if doc["enabled"] != (tt.status == 503) {
				t.Errorf("%s: admin API says enabled %v while the site answers %d", tt.name, doc["enabled"], tt.status)
			}
		}
	}
	t.Run("while running", check)
	stopGateway(t)
	load()
	t.Run("after a start", check)
}

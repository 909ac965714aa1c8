package test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

func runCmd(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = harness.RepoRoot(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("frontdoor %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestCommands runs the Caddy commands on the frontdoor binary.
func TestCommands(t *testing.T) {
	bin := frontdoorBinary(t)

	if out := runCmd(t, bin, "version"); !regexp.MustCompile(`^frontdoor \S+ \(.*go1\.\d+.*\), Caddy v2\.11\.\d+`).MatchString(out) {
		t.Fatalf("version = %q, want frontdoor's version, then Caddy v2.11.x", out)
	}
	help := runCmd(t, bin, "help")
	if !strings.HasPrefix(help, "frontdoor is the front door") || !strings.Contains(help, "frontdoor [command]") {
		t.Fatalf("help does not speak of frontdoor:\n%s", help)
	}
	if usage := runCmd(t, bin, "maintenance", "--help"); !strings.Contains(usage, "frontdoor maintenance on|off|status") {
		t.Fatalf("maintenance --help:\n%s", usage)
	}
	modules := runCmd(t, bin, "list-modules")
	for _, want := range []string{"geoip", "http.handlers.reverse_proxy", "caddy.logging.writers.net", "caddy.storage.redis"} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(want) + `$`).MatchString(modules) {
			t.Errorf("list-modules lacks %s", want)
		}
	}
	if out := runCmd(t, bin, "validate", "--config", "Caddyfile.example"); !strings.Contains(out, "Valid configuration") {
		t.Fatalf("validate: %s", out)
	}
	adapted := runCmd(t, bin, "adapt", "--config", "Caddyfile.example")
	if !strings.Contains(adapted, `"geoip"`) || !strings.Contains(adapted, `"reverse_proxy"`) {
		t.Fatalf("adapt output lacks the geoip app or reverse_proxy:\n%s", adapted)
	}

	bad := filepath.Join(t.TempDir(), "Caddyfile")
	if err := os.WriteFile(bad, []byte("{\n\tgeoip {\n\t\tdatabse /x.mmdb\n\t}\n}\n:19050 {\n\trespond ok\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "validate", "--config", bad).CombinedOutput()
	if err == nil {
		t.Fatalf("validate accepted a bad Caddyfile:\n%s", out)
	}
	if !strings.Contains(string(out), bad+":3") || !strings.Contains(string(out), `frontdoor validate: adapting config using caddyfile: parsing caddyfile tokens for 'geoip': geoip: unrecognized subdirective "databse"`) {
		t.Fatalf("validate error does not name the file and line in one plain line:\n%s", out)
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", timeout, what)
}

// TestRunReloadAndGeoIPHotSwap runs the binary, reloads its config through
// the admin API with `frontdoor reload`, and replaces its GeoIP database
// file: a good file is swapped in, a truncated one is refused and counted,
// and the gateway keeps serving throughout.
func TestRunReloadAndGeoIPHotSwap(t *testing.T) {
	bin := frontdoorBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "GeoLite2-Country.mmdb")
	harness.WriteCountryDB(t, db, 1700000000, map[string]string{"203.0.113.0/24": "KR"})

	config := func(body string) string {
		return fmt.Sprintf(`{
	admin localhost:19090
	auto_https off
	storage file_system %s
	metrics
	geoip {
		database %s
		reload_interval 1s
	}
}

http://127.0.0.1:19091 {
	respond "%s"
}

http://127.0.0.1:19092 {
	metrics /metrics
}
`, filepath.Join(dir, "storage"), db, body)
	}
	cfgPath := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(cfgPath, []byte(config("first")), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--config", cfgPath)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir, "XDG_DATA_HOME="+dir)
	p := harness.Start(t, "frontdoor", "127.0.0.1:19091", cmd)
	harness.WaitHTTP(t, p, "http://127.0.0.1:19091/", 30*time.Second)

	if code, body := httpGet(t, "http://127.0.0.1:19091/"); code != 200 || body != "first" {
		t.Fatalf("before reload: %d %q", code, body)
	}
	metric := func(name string) string {
		_, body := httpGet(t, "http://127.0.0.1:19092/metrics")
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindStringSubmatch(body)
		if m == nil {
			return ""
		}
		return m[1]
	}
	buildTS := fmt.Sprintf(`frontdoor_geoip_database_build_timestamp_seconds{database=%q}`, db)
	if got := metric(buildTS); got != "1.7e+09" {
		t.Fatalf("build timestamp = %q, want 1.7e+09", got)
	}

	// Config reload through the admin API.
	if err := os.WriteFile(cfgPath, []byte(config("second")), 0o644); err != nil {
		t.Fatal(err)
	}
	runCmd(t, bin, "reload", "--config", cfgPath, "--address", "localhost:19090")
	if code, body := httpGet(t, "http://127.0.0.1:19091/"); code != 200 || body != "second" {
		t.Fatalf("after reload: %d %q", code, body)
	}

	// A new database file, replaced by rename, is picked up.
	harness.WriteCountryDB(t, db, 1800000000, map[string]string{"203.0.113.0/24": "JP"})
	waitFor(t, "the new database", 10*time.Second, func() bool { return metric(buildTS) == "1.8e+09" })
	if got := metric(`frontdoor_geoip_reloads_total{result="success"}`); got != "1" {
		t.Fatalf("successful reloads = %q, want 1", got)
	}

	// A truncated file is refused: counted, logged, old database kept.
	if err := os.WriteFile(db, []byte("truncated download"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reload error to be counted", 10*time.Second, func() bool {
		return metric(`frontdoor_geoip_reloads_total{result="error"}`) == "1"
	})
	if got := metric(buildTS); got != "1.8e+09" {
		t.Fatalf("build timestamp after a bad file = %q, want the previous 1.8e+09", got)
	}
	if !strings.Contains(p.Output(), "geoip database reload failed; keeping the previous database") {
		t.Fatalf("the failed reload was not logged:\n%s", p.Output())
	}
	if code, _ := httpGet(t, "http://127.0.0.1:19091/"); code != 200 {
		t.Fatalf("gateway stopped serving after a bad database: %d", code)
	}
}

// TestClientCommandErrors runs Caddy's client commands where they fail:
// the error is one plain line naming the command, with what to check when
// nothing answers at the admin address, not a JSON log line.
func TestClientCommandErrors(t *testing.T) {
	bin := frontdoorBinary(t)
	free := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	cmd := exec.Command(bin, "reload", "--config", "Caddyfile.example", "--address", free)
	cmd.Dir = harness.RepoRoot(t)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		t.Fatal("reload with nothing at the admin address succeeded")
	}
	out := stderr.String()
	if !regexp.MustCompile(`(?m)^frontdoor reload: .*connection refused: is frontdoor running`).MatchString(out) || strings.Contains(out, `"level":"error"`) {
		t.Fatalf("reload's error is not one plain line saying what to check:\n%s", out)
	}

	cmd = exec.Command(bin, "validate", "--config", filepath.Join(t.TempDir(), "missing.Caddyfile"))
	stderr.Reset()
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		t.Fatal("validate of a missing file succeeded")
	}
	if out := stderr.String(); !strings.Contains(out, "frontdoor validate: reading config from file: open ") || strings.Contains(out, `"level":"error"`) {
		t.Fatalf("validate's error:\n%s", out)
	}
}

package lokiwriter

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

func frontdoorBinary(t *testing.T) string { return harness.FrontdoorBinary(t) }

// TestProcessStopsWithin5s runs frontdoor with its access log going to a
// Loki that accepts connections and never answers, and stops it: the queue
// gets at most 5 s to flush, and the lost entries are reported.
func TestProcessStopsWithin5s(t *testing.T) {
	harness.Long(t, "builds and runs the frontdoor binary")
	bin := frontdoorBinary(t)
	hangingListener(t, "127.0.0.1:19411")
	config := filepath.Join(t.TempDir(), "Caddyfile")
	if err := os.WriteFile(config, []byte(`{
	admin off
	auto_https off
}

http://127.0.0.1:19432 {
	bind 127.0.0.1
	trace_id
	log {
		output loki http://127.0.0.1:19411 {
			batch_wait 50ms
		}
		format json
	}
	respond "ok"
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--config", config, "--adapter", "caddyfile")
	p := harness.Start(t, "frontdoor", "127.0.0.1:19432", cmd)
	harness.WaitTCP(t, p, 30*time.Second)

	for range 100 {
		resp, err := client.Get("http://127.0.0.1:19432/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	time.Sleep(200 * time.Millisecond) // a push is now in flight

	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(15 * time.Second)
	for !p.Exited() {
		select {
		case <-deadline:
			t.Fatalf("frontdoor still running 15 s after SIGINT")
		case <-time.After(20 * time.Millisecond):
		}
	}
	took := time.Since(start)
	t.Logf("frontdoor exited %v after SIGINT with Loki hanging", took)
	if took > 6*time.Second {
		t.Fatalf("frontdoor took %v to stop, want the 5 s flush limit", took)
	}
	if out := p.Output(); !strings.Contains(out, "not delivered within the shutdown timeout") {
		t.Fatalf("no report of the entries lost at shutdown in the output:\n%s", out)
	}
}

package test

import (
	"bufio"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// TestGCDefault runs the binary and reads the garbage collector's target
// from the Go runtime's own metric: 200 when GOGC is unset, what GOGC says
// otherwise. Admin port 19093.
func TestGCDefault(t *testing.T) {
	bin := frontdoorBinary(t)
	conf := filepath.Join(t.TempDir(), "Caddyfile")
	if err := os.WriteFile(conf, []byte("{\n\tadmin 127.0.0.1:19093\n\tpersist_config off\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		gogc, want string
	}{
		{"", "200"},
		{"100", "100"},
		{"50", "50"},
	} {
		t.Run("GOGC="+tc.gogc, func(t *testing.T) {
			cmd := exec.Command(bin, "run", "--config", conf, "--adapter", "caddyfile")
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "GOGC=") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			if tc.gogc != "" {
				cmd.Env = append(cmd.Env, "GOGC="+tc.gogc)
			}
			p := harness.Start(t, "frontdoor", "127.0.0.1:19093", cmd)
			harness.WaitHTTP(t, p, "http://127.0.0.1:19093/metrics", 20*time.Second)
			resp, err := http.Get("http://127.0.0.1:19093/metrics")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got := ""
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if v, ok := strings.CutPrefix(sc.Text(), "go_gc_gogc_percent "); ok {
					got = v
				}
			}
			if got != tc.want {
				t.Errorf("go_gc_gogc_percent = %q, want %s", got, tc.want)
			}
			p.Stop()
		})
	}
}

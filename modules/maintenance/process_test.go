package maintenance

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// Ports of the subprocess tests: admin 19391-19392, sites 19350-19351.
const processConfig = `{
	admin localhost:%[1]d
	auto_https off
	storage file_system %[3]s
}

http://127.0.0.1:%[2]d {
	maintenance shop
	respond "shop"
}
`

func TestMain(m *testing.M) { harness.Main(m) }

// buildFrontdoor returns the frontdoor binary the subprocess tests run.
func buildFrontdoor(t *testing.T) string {
	t.Helper()
	harness.Long(t, "builds and runs the frontdoor binary")
	return harness.FrontdoorBinary(t)
}

type instance struct {
	bin, config, site, admin string
	proc                     *harness.Process
}

func newInstance(t *testing.T, bin, storage string, adminPort, sitePort int) *instance {
	t.Helper()
	config := filepath.Join(t.TempDir(), "Caddyfile")
	if err := os.WriteFile(config, fmt.Appendf(nil, processConfig, adminPort, sitePort, storage), 0o600); err != nil {
		t.Fatal(err)
	}
	return &instance{
		bin:    bin,
		config: config,
		site:   fmt.Sprintf("http://127.0.0.1:%d/", sitePort),
		admin:  fmt.Sprintf("localhost:%d", adminPort),
	}
}

func (in *instance) start(t *testing.T) {
	t.Helper()
	cmd := exec.Command(in.bin, "run", "--config", in.config, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "XDG_DATA_HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir())
	in.proc = harness.Start(t, "frontdoor "+in.admin, strings.TrimSuffix(strings.TrimPrefix(in.site, "http://"), "/"), cmd)
	harness.WaitTCP(t, in.proc, 20*time.Second)
}

// cli runs `frontdoor maintenance ...` against the instance's admin API.
func (in *instance) cli(t *testing.T, args ...string) string {
	t.Helper()
	args = append([]string{"maintenance"}, args...)
	args = append(args, "--address", in.admin)
	cmd := exec.Command(in.bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("frontdoor %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

func (in *instance) status(t *testing.T) int {
	t.Helper()
	resp, err := http.Get(in.site)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitStatus polls the site until it answers want, for up to timeout.
func (in *instance) waitStatus(t *testing.T, want int, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		got := in.status(t)
		if got == want {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			t.Fatalf("%s answers %d, want %d after %s", in.site, got, want, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestProcessRestartAndSharedStorage runs real frontdoor processes: a switch
// made with the CLI survives a restart, and a second instance sharing the
// storage follows it within seconds.
func TestProcessRestartAndSharedStorage(t *testing.T) {
	bin := buildFrontdoor(t)
	storage := t.TempDir()
	top := t // processes live until the whole test ends, not a subtest
	a := newInstance(t, bin, storage, 19391, 19350)
	b := newInstance(t, bin, storage, 19392, 19351)
	a.start(t)

	if got := a.status(t); got != 200 {
		t.Fatalf("fresh storage: %d, want 200 (default off)", got)
	}
	out := a.cli(t, "on", "shop", "--message", "Deploying", "--until", "1h")
	if !strings.Contains(out, "shop: ON") || !strings.Contains(out, `"Deploying"`) {
		t.Fatalf("maintenance on printed %q", out)
	}
	if got := a.status(t); got != 503 {
		t.Fatalf("after on: %d", got)
	}

	t.Run("restart keeps maintenance", func(t *testing.T) {
		a.proc.Stop()
		a.start(top)
		if got := a.status(t); got != 503 {
			t.Fatalf("after restart: %d, want 503", got)
		}
		if out := a.cli(t, "status", "shop"); !strings.Contains(out, "shop: ON") {
			t.Fatalf("status after restart: %q", out)
		}
	})

	t.Run("crash keeps maintenance", func(t *testing.T) {
		a.proc.Kill()
		a.start(top)
		if got := a.status(t); got != 503 {
			t.Fatalf("after kill -9 and start: %d, want 503", got)
		}
	})

	t.Run("instances sharing storage follow each other", func(t *testing.T) {
		b.start(top)
		if got := b.status(t); got != 503 {
			t.Fatalf("second instance starts with %d, want 503", got)
		}
		a.cli(t, "off", "shop")
		if got := a.status(t); got != 200 {
			t.Fatalf("switched instance: %d", got)
		}
		took := b.waitStatus(t, 200, 5*time.Second)
		t.Logf("second instance followed off in %s", took)
		b.cli(t, "on", "shop")
		took = a.waitStatus(t, 503, 5*time.Second)
		t.Logf("first instance followed on in %s", took)
		if out := a.cli(t, "status"); !strings.Contains(out, "shop: ON") {
			t.Fatalf("status list: %q", out)
		}
	})
}

// TestProcessCorruptStateAcrossRestart: a real frontdoor whose stored switch
// was damaged while it was stopped starts with the site held back (nothing
// is known, on_state_error keep), and says so in `maintenance status`; the
// next switch writes a good file.
func TestProcessCorruptStateAcrossRestart(t *testing.T) {
	bin := buildFrontdoor(t)
	storage := t.TempDir()
	top := t
	a := newInstance(t, bin, storage, 19393, 19352)
	file := filepath.Join(storage, "frontdoor", "maintenance", "shop.json")
	a.start(t)

	for _, tt := range []struct{ name, action string }{
		{"switched on", "on"},
		{"switched off", "off"},
	} {
		t.Run(tt.name+", damaged while stopped", func(t *testing.T) {
			a.cli(t, tt.action, "shop")
			a.proc.Stop()
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, b[:len(b)/2], 0o600); err != nil {
				t.Fatal(err)
			}
			a.start(top)
			if got := a.status(t); got != 503 {
				t.Fatalf("after a start with a damaged switch: %d, want 503", got)
			}
			out := a.cli(t, "status", "shop")
			if !strings.Contains(out, "shop: ON") || !strings.Contains(out, "unreadable") {
				t.Fatalf("status %q, want ON and unreadable with the error", out)
			}
			if js := a.cli(t, "status", "shop", "--json"); !strings.Contains(js, `"readable":false`) {
				t.Fatalf("status --json %s", js)
			}
			a.cli(t, "off", "shop")
			if got := a.status(t); got != 200 {
				t.Fatalf("after off: %d", got)
			}
			if out := a.cli(t, "status", "shop"); strings.Contains(out, "unreadable") {
				t.Fatalf("status after the repair: %q", out)
			}
			if b, _ := os.ReadFile(file); !bytes.Contains(b, []byte(`"enabled":false`)) || b[len(b)-1] != '}' {
				t.Fatalf("file after the repair: %s", b)
			}
		})
	}
}

// TestProcessCommandErrors runs `frontdoor maintenance` where it fails: the
// error is one plain line (not a JSON log line) that says what to do: the
// names the gateway knows, or that nothing runs at the address.
func TestProcessCommandErrors(t *testing.T) {
	bin := buildFrontdoor(t)
	a := newInstance(t, bin, t.TempDir(), 19393, 19352)
	a.start(t)
	run := func(args ...string) (string, error) {
		cmd := exec.Command(bin, append([]string{"maintenance"}, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		return stderr.String(), err
	}

	out, err := run("status", "shpo", "--address", a.admin)
	if err == nil {
		t.Fatal("status of an unknown name succeeded")
	}
	want := `frontdoor maintenance: no maintenance named "shpo" on the gateway at ` + a.admin + " (known: shop)\n"
	if out != want {
		t.Fatalf("stderr %q, want %q", out, want)
	}

	free := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	out, err = run("on", "shop", "--address", free)
	if err == nil {
		t.Fatal("on succeeded with nothing at the address")
	}
	if !strings.HasPrefix(out, "frontdoor maintenance: nothing answers at "+free) || !strings.Contains(out, "is frontdoor running") ||
		strings.Contains(out, `"level"`) || strings.Count(out, "\n") != 1 {
		t.Fatalf("stderr %q: want one plain line asking whether frontdoor runs at %s", out, free)
	}
}

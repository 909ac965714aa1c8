// Package harness starts the real components frontdoor's tests run against
// (Redis, VictoriaLogs as the receiver of the Loki push protocol,
// Prometheus, nginx) on loopback ports, and stops them when the test ends.
//
// A component that is not installed skips the test on a developer machine
// (with the command that installs it) and fails it in CI (CI=true), so a CI
// run can never pass by skipping. `make test` installs everything first.
package harness

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// InCI reports whether the tests run in CI, where a missing component is a
// failure, not a skip.
func InCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v == "true" || v == "1" || v == "yes"
}

// Missing stops the test because a component it needs is missing: a skip on a
// developer machine, a failure in CI.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...) + " (run `make test`, which installs it: test/tools/install-deps.sh)"
	if InCI() {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Long marks a test that -short leaves out (it starts real components or
// runs under load). Under CI=true it never skips: CI runs every test, and a
// -short there fails the test instead of hiding it.
func Long(t testing.TB, what string) {
	t.Helper()
	if !testing.Short() {
		return
	}
	if InCI() {
		t.Fatalf("%s: -short would skip it, and CI runs every test", what)
	}
	t.Skip(what + " (left out by -short)")
}

// LookPath finds a program, or stops the test with Missing.
func LookPath(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
			if c := filepath.Join(dir, name); isExecutable(c) {
				return c
			}
		}
		Missing(t, "%s is not installed", name)
	}
	return p
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// RepoRoot is the project's top directory (the one holding go.mod).
func RepoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the harness source file")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

var portMu sync.Mutex

// FreePort returns a loopback TCP port that was free a moment ago and that
// no other caller of FreePort holds, in this process or another (go test
// runs packages in parallel): Caddy listens with SO_REUSEPORT, so two
// gateways handed the same port would share its connections without an
// error. The port is held, by a lock on a file named after it in the
// temporary directory, until the test ends (or its process exits).
func FreePort(t testing.TB) int {
	t.Helper()
	portMu.Lock()
	defer portMu.Unlock()
	dir := filepath.Join(os.TempDir(), "frontdoor-test-ports")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("finding a free port: %v", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(port)), os.O_CREATE|os.O_RDWR, 0o666)
		if err != nil {
			t.Fatalf("finding a free port: %v", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close() // held by another test: the kernel offered it again
			continue
		}
		t.Cleanup(func() { f.Close() })
		return port
	}
	t.Fatal("finding a free port: every port offered is held by another test")
	return 0
}

// Process is a component started by the harness.
type Process struct {
	Name string
	Addr string // host:port on loopback
	Cmd  *exec.Cmd
	Log  *bytes.Buffer

	mu     sync.Mutex
	done   chan struct{}
	waitEr error
}

// Start runs cmd, and stops it (SIGTERM, then SIGKILL after 5 s) when the
// test ends. Its output is kept and printed if the test fails.
func Start(t testing.TB, name, addr string, cmd *exec.Cmd) *Process {
	t.Helper()
	p := &Process{Name: name, Addr: addr, Cmd: cmd, Log: &bytes.Buffer{}, done: make(chan struct{})}
	w := &lockedWriter{mu: &p.mu, buf: p.Log}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.waitEr = err
		p.mu.Unlock()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, p.Output())
		}
	})
	return p
}

// Output is what the process printed so far.
func (p *Process) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.Log.String()
}

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop ends the process gracefully, or kills it after 5 s. It is safe to
// call more than once.
func (p *Process) Stop() {
	if p.Exited() {
		return
	}
	_ = p.Cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.Cmd.Process.Kill()
		<-p.done
	}
}

// Kill ends the process at once, as a crash would.
func (p *Process) Kill() {
	if p.Exited() {
		return
	}
	_ = p.Cmd.Process.Kill()
	<-p.done
}

type lockedWriter struct {
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(b)
}

// WaitTCP waits until addr accepts TCP connections.
func WaitTCP(t testing.TB, p *Process, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if p != nil && p.Exited() {
			t.Fatalf("%s exited before it listened on %s:\n%s", p.Name, p.Addr, p.Output())
		}
		c, err := net.DialTimeout("tcp", p.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not listen on %s within %s:\n%s", p.Name, p.Addr, timeout, p.Output())
}

// WaitHTTP waits until GET url answers 200.
func WaitHTTP(t testing.TB, p *Process, url string, timeout time.Duration) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		if p != nil && p.Exited() {
			t.Fatalf("%s exited before %s was ready:\n%s", p.Name, url, p.Output())
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(250 * time.Millisecond)
	}
	name := "component"
	out := ""
	if p != nil {
		name, out = p.Name, p.Output()
	}
	t.Fatalf("%s: %s not ready within %s (last: %s):\n%s", name, url, timeout, last, out)
}

// Redis starts a real redis-server on a loopback port with no persistence.
func Redis(t testing.TB) *Process {
	t.Helper()
	bin := LookPath(t, "redis-server")
	port := FreePort(t)
	dir := t.TempDir()
	cmd := exec.Command(bin,
		"--bind", "127.0.0.1", "--port", strconv.Itoa(port),
		"--save", "", "--appendonly", "no", "--dir", dir,
		"--protected-mode", "yes", "--loglevel", "warning")
	p := Start(t, "redis-server", "127.0.0.1:"+strconv.Itoa(port), cmd)
	WaitTCP(t, p, 10*time.Second)
	return p
}

// RestartRedis starts redis-server again on the address of a stopped one.
func RestartRedis(t testing.TB, old *Process) *Process {
	t.Helper()
	old.Stop()
	_, port, _ := net.SplitHostPort(old.Addr)
	cmd := exec.Command(old.Cmd.Path, "--bind", "127.0.0.1", "--port", port,
		"--save", "", "--appendonly", "no", "--dir", t.TempDir(),
		"--protected-mode", "yes", "--loglevel", "warning")
	p := Start(t, "redis-server", old.Addr, cmd)
	WaitTCP(t, p, 10*time.Second)
	return p
}

// Prometheus starts a real Prometheus (Debian's package) on a loopback port
// with the given configuration file contents and a temporary data directory.
func Prometheus(t testing.TB, config string) *Process {
	t.Helper()
	bin := LookPath(t, "prometheus")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	port := FreePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(bin,
		"--config.file="+cfg,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--web.enable-lifecycle",
		"--log.level=warn")
	p := Start(t, "prometheus", addr, cmd)
	WaitHTTP(t, p, "http://"+addr+"/-/ready", 60*time.Second)
	return p
}

// Context returns a context that ends with the test (or after d).
func Context(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

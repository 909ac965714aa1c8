package harness

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Chromium drives Debian's headless chromium the way a visitor's browser
// loads a page: one chromium process per call, with a fresh profile, no
// sandbox (tests may run as root), no GPU, and no traffic of its own
// (background networking, component updates, sync and QUIC are off).
type Chromium struct {
	t   testing.TB
	bin string

	// Timeout bounds one call. Default: 60 s.
	Timeout time.Duration
	// Width and Height are the window size of Screenshot. Default: 800x600.
	Width, Height int
}

// StartChromium finds chromium, or stops the test with Missing (a skip on
// a developer machine, a failure in CI).
func StartChromium(t testing.TB) *Chromium {
	t.Helper()
	bin := LookPath(t, "chromium")
	return &Chromium{t: t, bin: bin, Timeout: time.Minute, Width: 800, Height: 600}
}

// DumpDOM loads url and returns the DOM chromium built, serialized as HTML
// (chromium --dump-dom).
func (c *Chromium) DumpDOM(url string) string {
	c.t.Helper()
	out, _ := c.run("--dump-dom", url)
	return string(out)
}

// Screenshot loads url in a Width x Height window and returns the PNG
// chromium wrote (chromium --screenshot).
func (c *Chromium) Screenshot(url string) []byte {
	c.t.Helper()
	_, dir := c.run("--screenshot", url)
	png, err := os.ReadFile(filepath.Join(dir, "screenshot.png"))
	if err != nil {
		c.t.Fatalf("chromium wrote no screenshot of %s: %v", url, err)
	}
	return png
}

// run starts chromium with mode (--dump-dom or --screenshot) on url in a
// new temporary directory (its profile, its HOME, where a screenshot is
// written), waits for it and every process it started, and returns what it
// printed on stdout and the directory.
func (c *Chromium) run(mode, url string) ([]byte, string) {
	c.t.Helper()
	dir := c.t.TempDir()
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars",
		"--user-data-dir=" + filepath.Join(dir, "profile"),
	}
	switch mode {
	case "--screenshot":
		args = append(args, "--screenshot="+filepath.Join(dir, "screenshot.png"),
			"--window-size="+strconv.Itoa(c.Width)+","+strconv.Itoa(c.Height))
	default:
		args = append(args, mode)
	}
	args = append(args, url)

	ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir)
	// chromium starts helper processes: they share its process group, which
	// is ended with it, so none outlives the call.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // helpers left behind, if any
	}
	if err != nil {
		c.t.Fatalf("chromium %s %s: %v\n%s", mode, url, err, stderr.Bytes())
	}
	return stdout.Bytes(), dir
}

package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"
)

// process is a server started for the run.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string // file with its output
	done chan struct{}
}

func startProcess(name, logPath string, cmd *exec.Cmd) (*process, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = f, f
	// Own process group, so a stop reaches nginx's workers too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after 10 s.
func (p *process) stop() {
	if p == nil || p.exited() {
		return
	}
	_ = syscall.Kill(-p.pid(), syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
		<-p.done
	}
}

func (p *process) output() string {
	b, _ := os.ReadFile(p.log)
	const keep = 4000
	if len(b) > keep {
		b = b[len(b)-keep:]
	}
	return string(b)
}

// waitHTTP waits until GET url answers 200 with the request headers given.
func waitHTTP(ctx context.Context, p *process, url string, header http.Header, timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	last := "no answer"
	for time.Now().Before(deadline) {
		if p != nil && p.exited() {
			return fmt.Errorf("%s exited:\n%s", p.name, p.output())
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(200 * time.Millisecond)
	}
	name := "server"
	if p != nil {
		name = p.name
	}
	return fmt.Errorf("%s: %s not ready within %s (last: %s)", name, url, timeout, last)
}

// renderTemplate renders test/bench/configs/<name> into dir.
func renderTemplate(configDir, name, dir, out string, data any) (string, error) {
	t, err := template.ParseFiles(filepath.Join(configDir, name))
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return "", fmt.Errorf("rendering %s: %w", name, err)
	}
	path := filepath.Join(dir, out)
	return path, os.WriteFile(path, buf.Bytes(), 0o644)
}

// gunzipTo decompresses src into dst.
func gunzipTo(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		return err
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, zr); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// frontdoorModules lists the module IDs the frontdoor binary has.
func frontdoorModules(bin string) (map[string]bool, error) {
	out, err := exec.Command(bin, "list-modules").Output()
	if err != nil {
		return nil, fmt.Errorf("%s list-modules: %w", bin, err)
	}
	mods := make(map[string]bool)
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Fields(l); len(f) == 1 {
			mods[f[0]] = true
		}
	}
	return mods, nil
}

// feature is one frontdoor feature of the all-features site.
type feature struct {
	Key    string // template key
	Module string // Caddy module ID
}

var features = []feature{
	{"visitor_info", "http.handlers.visitor_info"},
	{"visitor_redirect", "http.handlers.visitor_redirect"},
	{"throttle", "http.handlers.throttle"},
	{"maintenance", "http.handlers.maintenance"},
	{"trace_id", "http.handlers.trace_id"},
	{"loki", "caddy.logging.writers.loki"},
	{"access_log", "http.handlers.access_log"},
	{"fast_json", "caddy.logging.encoders.fast_json"},
}

// featureSet says which features the binary has and which it lacks.
func featureSet(mods map[string]bool) (has map[string]bool, missing []string) {
	has = make(map[string]bool)
	for _, f := range features {
		if mods[f.Module] {
			has[f.Key] = true
		} else {
			missing = append(missing, f.Module)
		}
	}
	return has, missing
}

// victoriaLogsBinary finds the VictoriaLogs built by
// test/tools/install-victorialogs.sh (or named by FRONTDOOR_VICTORIALOGS).
func victoriaLogsBinary() (string, error) {
	if p := os.Getenv("FRONTDOOR_VICTORIALOGS"); p != "" {
		return p, nil
	}
	cache := os.Getenv("FRONTDOOR_CACHE")
	if cache == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, _ := os.UserHomeDir()
			base = filepath.Join(home, ".cache")
		}
		cache = filepath.Join(base, "frontdoor")
	}
	found, _ := filepath.Glob(filepath.Join(cache, "victoria-logs-v*"))
	var bins []string
	for _, f := range found {
		if st, err := os.Stat(f); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 && !strings.HasSuffix(f, ".tmp") {
			bins = append(bins, f)
		}
	}
	if len(bins) == 0 {
		return "", errors.New("VictoriaLogs is not built (test/tools/install-victorialogs.sh)")
	}
	sort.Strings(bins)
	return bins[len(bins)-1], nil
}

// mallocs reads the Go runtime's cumulative allocation count from a
// frontdoor's admin /debug/vars.
func mallocs(adminAddr string) (uint64, error) {
	resp, err := http.Get("http://" + adminAddr + "/debug/vars")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var v struct {
		Memstats struct {
			Mallocs uint64
		} `json:"memstats"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return 0, fmt.Errorf("decoding /debug/vars: %w", err)
	}
	return v.Memstats.Mallocs, nil
}

func itoa(n int) string { return strconv.Itoa(n) }

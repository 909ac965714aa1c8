package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// procs are the processes a run started; stop ends them all.
type procs struct {
	mu   sync.Mutex
	cmds []*exec.Cmd
	dirs []string
}

func (p *procs) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.cmds {
		if c.Process != nil {
			_ = c.Process.Signal(os.Interrupt)
		}
	}
	for _, c := range p.cmds {
		done := make(chan struct{})
		go func() { _ = c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = c.Process.Kill()
			<-done
		}
	}
	for _, d := range p.dirs {
		os.RemoveAll(d)
	}
}

func (p *procs) tempDir() (string, error) {
	d, err := os.MkdirTemp("", "fd-wrbench-")
	if err == nil {
		p.mu.Lock()
		p.dirs = append(p.dirs, d)
		p.mu.Unlock()
	}
	return d, err
}

func (p *procs) start(ctx context.Context, name string, args ...string) (*exec.Cmd, *bytes.Buffer, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &lockedBuffer{b: &out}, &lockedBuffer{b: &out}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	p.mu.Lock()
	p.cmds = append(p.cmds, cmd)
	p.mu.Unlock()
	return cmd, &out, nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (l *lockedBuffer) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(b)
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// redis starts a redis-server without persistence and returns its address.
func (p *procs) redis(ctx context.Context) (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	dir, err := p.tempDir()
	if err != nil {
		return "", err
	}
	if _, _, err := p.start(ctx, "redis-server", "--bind", "127.0.0.1", "--port", strconv.Itoa(port),
		"--save", "", "--appendonly", "no", "--dir", dir, "--loglevel", "warning"); err != nil {
		return "", fmt.Errorf("redis-server: %v (install it: test/tools/install-deps.sh)", err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	return addr, waitTCP(addr, 10*time.Second)
}

// frontdoor runs the binary on a Caddyfile and waits for url to answer.
func (p *procs) frontdoor(ctx context.Context, bin, caddyfile, ready string) error {
	dir, err := p.tempDir()
	if err != nil {
		return err
	}
	cfg := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(cfg, []byte(caddyfile), 0o644); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, bin, "run", "--config", cfg, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &lockedBuffer{b: &out}, &lockedBuffer{b: &out}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %v", bin, err)
	}
	p.mu.Lock()
	p.cmds = append(p.cmds, cmd)
	p.mu.Unlock()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(ready)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("frontdoor did not answer %s within 60 s:\n%s", ready, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func waitTCP(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s does not accept connections: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// roomCookie returns the fd_wr_<room> pair of a response's Set-Cookie
// headers, as a Cookie header value.
func roomCookie(h http.Header, room string) string {
	for _, sc := range h.Values("Set-Cookie") {
		pair, _, _ := strings.Cut(sc, ";")
		if strings.HasPrefix(pair, "fd_wr_"+room+"=") {
			return pair
		}
	}
	return ""
}

// ticketOf reads the ticket number of a cookie value (1.q.<sid>.<ticket>...).
func ticketOf(cookie string) int {
	_, v, _ := strings.Cut(cookie, "=")
	parts := strings.Split(v, ".")
	if len(parts) < 4 {
		return 0
	}
	n, _ := strconv.Atoi(parts[3])
	return n
}

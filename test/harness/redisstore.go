package harness

import (
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// RedisStore starts a real redis-server on a loopback port as a fleet's
// shared store runs: its data in an append-only file written at every
// change, so that stopping and starting it again (Rerun) keeps the
// certificates and switches it holds; with a password, clients must give
// it (requirepass).
func RedisStore(t testing.TB, password string) *Process {
	t.Helper()
	bin := LookPath(t, "redis-server")
	port := FreePort(t)
	args := []string{"--bind", "127.0.0.1", "--port", strconv.Itoa(port),
		"--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", t.TempDir(),
		"--protected-mode", "yes", "--loglevel", "warning"}
	if password != "" {
		args = append(args, "--requirepass", password)
	}
	p := Start(t, "redis-server", "127.0.0.1:"+strconv.Itoa(port), exec.Command(bin, args...))
	WaitTCP(t, p, 10*time.Second)
	return p
}

// Rerun stops p, if it still runs, and starts the same command line again
// (program, arguments, environment and directory) on the same address,
// waiting until it listens there.
func (p *Process) Rerun(t testing.TB) *Process {
	t.Helper()
	p.Stop()
	cmd := exec.Command(p.Cmd.Path, p.Cmd.Args[1:]...)
	cmd.Env, cmd.Dir = p.Cmd.Env, p.Cmd.Dir
	q := Start(t, p.Name, p.Addr, cmd)
	WaitTCP(t, q, 20*time.Second)
	return q
}

package harness

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Cluster is a real Redis Cluster started by RedisCluster.
type Cluster struct {
	// Nodes are the masters, in the order of their slot ranges.
	Nodes []*Process
}

// URL is the cluster's address as a frontdoor store takes it:
// redis-cluster://host:port,host:port,...
func (c *Cluster) URL() string {
	addrs := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		addrs[i] = n.Addr
	}
	return "redis-cluster://" + strings.Join(addrs, ",")
}

// RedisCluster starts a Redis Cluster of three masters (no replicas) on
// loopback ports with no persistence: three redis-server processes in
// cluster mode, joined by `redis-cli --cluster create`. It returns once
// every node reports the cluster ok.
func RedisCluster(t testing.TB) *Cluster {
	t.Helper()
	bin := LookPath(t, "redis-server")
	cli := LookPath(t, "redis-cli")
	c := &Cluster{}
	var addrs []string
	for i := range 3 {
		// The cluster bus gets a port of its own (by default it is the
		// client port + 10000, which may be taken or out of range).
		port, bus := FreePort(t), FreePort(t)
		dir := t.TempDir()
		cmd := exec.Command(bin,
			"--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--cluster-port", strconv.Itoa(bus),
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "2000",
			"--save", "", "--appendonly", "no", "--dir", dir,
			"--protected-mode", "yes", "--loglevel", "warning")
		p := Start(t, fmt.Sprintf("redis-cluster-%d", i), "127.0.0.1:"+strconv.Itoa(port), cmd)
		WaitTCP(t, p, 10*time.Second)
		c.Nodes = append(c.Nodes, p)
		addrs = append(addrs, p.Addr)
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	out, err := exec.Command(cli, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, n := range c.Nodes {
		for {
			info, err := exec.Command(cli, "-h", "127.0.0.1", "-p", port(n.Addr), "cluster", "info").Output()
			if err == nil && clusterOK(string(info)) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("Redis Cluster node %s not ok after 20 s: %s %v", n.Addr, info, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return c
}

func clusterOK(info string) bool {
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "cluster_state:ok" {
			return true
		}
	}
	return false
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

package harness

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Cluster is a real Redis Cluster on loopback: three masters, each with one
// replica, that fails a master over to its replica when the master stops
// answering for a second (cluster-node-timeout 1000).
type Cluster struct {
	// Nodes are every node, in the order they were started; which are
	// masters changes with failovers (Masters).
	Nodes []*Process
	cli   string
}

// URL is the redis-cluster:// URL of the cluster, naming the first three
// nodes (a client discovers the rest).
func (c *Cluster) URL() string {
	addrs := make([]string, 0, 3)
	for _, n := range c.Nodes[:3] {
		addrs = append(addrs, n.Addr)
	}
	return "redis-cluster://" + strings.Join(addrs, ",")
}

// RedisCluster starts six redis-server processes in cluster mode (no
// persistence) and joins them with `redis-cli --cluster create` as three
// masters with one replica each; it returns once every slot is served and
// every replica follows its master.
func RedisCluster(t testing.TB) *Cluster {
	t.Helper()
	bin := LookPath(t, "redis-server")
	c := &Cluster{cli: LookPath(t, "redis-cli")}
	for range 6 {
		port, bus := FreePort(t), FreePort(t)
		dir := t.TempDir()
		cmd := exec.Command(bin,
			"--bind", "127.0.0.1", "--port", strconv.Itoa(port),
			"--cluster-enabled", "yes", "--cluster-port", strconv.Itoa(bus),
			"--cluster-config-file", filepath.Join(dir, "nodes.conf"),
			"--cluster-node-timeout", "1000",
			"--save", "", "--appendonly", "no", "--dir", dir,
			"--protected-mode", "yes", "--loglevel", "warning")
		p := Start(t, "redis-cluster-node", "127.0.0.1:"+strconv.Itoa(port), cmd)
		WaitTCP(t, p, 10*time.Second)
		c.Nodes = append(c.Nodes, p)
	}
	args := []string{"--cluster", "create"}
	for _, n := range c.Nodes {
		args = append(args, n.Addr)
	}
	args = append(args, "--cluster-replicas", "1", "--cluster-yes")
	if out, err := exec.Command(c.cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	c.WaitHealthy(t, 30*time.Second)
	return c
}

// node is a line of CLUSTER NODES.
type clusterNode struct {
	id, addr, flags, master string
	connected               bool
	slots                   bool
}

// nodes returns what the node at addr knows of the cluster.
func (c *Cluster) nodes(addr string) ([]clusterNode, error) {
	host, port, _ := strings.Cut(addr, ":")
	out, err := exec.Command(c.cli, "-h", host, "-p", port, "cluster", "nodes").Output()
	if err != nil {
		return nil, err
	}
	var list []clusterNode
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		a, _, _ := strings.Cut(f[1], "@")
		list = append(list, clusterNode{id: f[0], addr: a, flags: f[2], master: f[3], connected: f[7] == "connected", slots: len(f) > 8})
	}
	return list, nil
}

// Masters returns the addresses of the masters that serve slots, as the
// first running node sees them.
func (c *Cluster) Masters(t testing.TB) []string {
	t.Helper()
	for _, n := range c.Nodes {
		if n.Exited() {
			continue
		}
		list, err := c.nodes(n.Addr)
		if err != nil {
			continue
		}
		var masters []string
		for _, x := range list {
			if strings.Contains(x.flags, "master") && !strings.Contains(x.flags, "fail") && x.slots {
				masters = append(masters, x.addr)
			}
		}
		slices.Sort(masters)
		return masters
	}
	t.Fatal("no cluster node answers CLUSTER NODES")
	return nil
}

// WaitHealthy waits until every running node says cluster_state:ok, sees
// three masters serving slots, each with a connected replica whose
// replication link is up.
func (c *Cluster) WaitHealthy(t testing.TB, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		ok, why := c.healthy()
		if ok {
			return
		}
		last = why
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("the Redis Cluster is not healthy within %s: %s", timeout, last)
}

func (c *Cluster) healthy() (bool, string) {
	for _, n := range c.Nodes {
		if n.Exited() {
			continue
		}
		host, port, _ := strings.Cut(n.Addr, ":")
		info, err := exec.Command(c.cli, "-h", host, "-p", port, "cluster", "info").Output()
		if err != nil {
			return false, fmt.Sprintf("%s: %v", n.Addr, err)
		}
		if !bytes.Contains(info, []byte("cluster_state:ok")) {
			return false, n.Addr + " is not cluster_state:ok"
		}
		list, err := c.nodes(n.Addr)
		if err != nil {
			return false, fmt.Sprintf("%s: %v", n.Addr, err)
		}
		masters, replicas := map[string]bool{}, map[string]bool{}
		for _, x := range list {
			switch {
			case strings.Contains(x.flags, "fail"):
			case strings.Contains(x.flags, "master") && x.slots:
				masters[x.id] = true
			case strings.Contains(x.flags, "slave") && x.connected:
				replicas[x.master] = true
			}
		}
		if len(masters) != 3 {
			return false, fmt.Sprintf("%s sees %d masters serving slots", n.Addr, len(masters))
		}
		for id := range masters {
			if !replicas[id] {
				return false, fmt.Sprintf("%s sees master %s without a replica", n.Addr, id)
			}
		}
		repl, err := exec.Command(c.cli, "-h", host, "-p", port, "info", "replication").Output()
		if err != nil {
			return false, fmt.Sprintf("%s: %v", n.Addr, err)
		}
		if bytes.Contains(repl, []byte("role:slave")) && !bytes.Contains(repl, []byte("master_link_status:up")) {
			return false, n.Addr + " (a replica) has no link to its master yet"
		}
	}
	return true, ""
}

// KillMaster kills the master at addr, as a crash would, and waits until
// its replica serves its slots; it returns the node it killed. Restart it
// with Rerun: it rejoins as a replica.
func (c *Cluster) KillMaster(t testing.TB, addr string) *Process {
	t.Helper()
	i := slices.IndexFunc(c.Nodes, func(p *Process) bool { return p.Addr == addr })
	if i < 0 {
		t.Fatalf("no cluster node at %s", addr)
	}
	p := c.Nodes[i]
	p.Kill()
	deadline := time.Now().Add(30 * time.Second)
	for {
		masters := c.Masters(t)
		if len(masters) == 3 && !slices.Contains(masters, addr) {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("no replica took over the slots of %s within 30s (masters: %v)", addr, masters)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Replace puts the restarted process of a node back in Nodes.
func (c *Cluster) Replace(old, restarted *Process) {
	for i, n := range c.Nodes {
		if n == old {
			c.Nodes[i] = restarted
		}
	}
}

package fleet

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// TestFleetOnRedisCluster runs three gateways whose Caddy storage and
// throttle zone are on a real Redis Cluster (three masters, a replica
// each) under constant load, and kills one master: requests keep being
// answered (no 5xx), the buckets of the other masters keep being decided
// while the buckets of the dead one fail open, the fleet's limit holds
// again once the replica has taken over, the old master rejoins as a
// replica, nothing panics, and maintenance still holds on every gateway.
func TestFleetOnRedisCluster(t *testing.T) {
	harness.Long(t, "runs three frontdoor processes on a Redis Cluster through a failover")
	cluster := harness.RedisCluster(t)
	vars := map[string]any{"storage": cluster.URL(), "store": cluster.URL(), "rate": faultLimit, "burst": faultBurst, "version": "v1"}
	var fleet []*gateway
	var urls []string
	for i := range 3 {
		g := newGateway(t, fmt.Sprintf("gw%d", i+1))
		g.writeCatalog(t, faultCatalog, vars)
		fleet = append(fleet, g)
		urls = append(urls, g.siteURL())
	}
	startAll(t, fleet)

	l := newLoad(urls)
	l.setPhase("warm-up")
	l.run("heavy", heavyRate)
	l.run("light", lightRate)
	defer func() {
		select {
		case <-l.stop:
		default:
			l.halt()
		}
	}()
	time.Sleep(3 * time.Second)
	l.setPhase("steady before")
	time.Sleep(10 * time.Second)

	l.setPhase("master killed, failing over")
	victim := cluster.Masters(t)[0]
	killed := time.Now()
	old := cluster.KillMaster(t, victim)
	took := time.Since(killed)
	l.setPhase("replica took over")
	time.Sleep(3 * time.Second)
	l.setPhase("steady after failover")
	time.Sleep(10 * time.Second)
	l.setPhase("old master rejoins")
	cluster.Replace(old, old.Rerun(t))
	cluster.WaitHealthy(t, 30*time.Second)
	time.Sleep(2 * time.Second)
	l.setPhase("steady after rejoin")
	time.Sleep(10 * time.Second)
	l.halt()
	t.Logf("master %s killed; its replica served its slots %s later; figures:\n%s", victim, took.Round(time.Millisecond), l.table())

	checkAnswered(t, l)
	checkFleetLimit(t, l, "steady before", "steady after failover", "steady after rejoin")
	for _, g := range fleet {
		if out := g.output(); strings.Contains(out, "panic") {
			t.Errorf("%s panicked:\n%s", g.name, out)
		}
	}
	checkMaintenanceHolds(t, fleet)
}

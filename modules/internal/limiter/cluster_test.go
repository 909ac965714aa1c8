package limiter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// TestRedisManyKeys: buckets of many keys each hold their own limit; on a
// cluster they spread over every master (a bucket is one key in its own
// slot, no hash tag), and the script runs on each (loaded on first use).
func TestRedisManyKeys(t *testing.T) {
	forEachRedis(t, func(t *testing.T, url string) {
		s := newTestStore(t, url)
		ctx := context.Background()
		l := Limit{Rate: Rate{Count: 1, Per: time.Hour}, Burst: 2}
		for i := range 300 {
			key := []byte(fmt.Sprintf("client-%d", i))
			for n := 1; n <= 3; n++ {
				d, err := s.Allow(ctx, key, l, time.Second)
				if err != nil {
					t.Fatalf("key %d, request %d: %v", i, n, err)
				}
				if d.Allowed != (n <= 2) {
					t.Fatalf("key %d, request %d: %+v, want the burst of 2 and no more", i, n, d)
				}
			}
		}
		cc, ok := s.client.(*redis.ClusterClient)
		if !ok {
			return
		}
		var mu sync.Mutex
		perMaster := map[string]int64{}
		err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			n, err := c.DBSize(ctx).Result()
			mu.Lock()
			perMaster[c.Options().Addr] = n
			mu.Unlock()
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(perMaster) != 3 {
			t.Fatalf("buckets on %d masters, want 3: %v", len(perMaster), perMaster)
		}
		for addr, n := range perMaster {
			if n < 50 {
				t.Errorf("master %s holds %d of 300 buckets: they do not spread over the cluster (%v)", addr, n, perMaster)
			}
		}
		t.Logf("300 buckets over the masters: %v", perMaster)
	})
}

// TestRedisClusterURL: the store takes the cluster's nodes, with a user and
// a password, and reports a bad cluster URL without its password.
func TestRedisClusterURL(t *testing.T) {
	for _, raw := range []string{
		"redis-cluster://frontdoor:s3cretpw@127.0.0.1:7000,127.0.0.1",
		"redis-cluster://frontdoor:s3cretpw@127.0.0.1:7000/3",
		"redis-cluster://frontdoor:s3cretpw@",
	} {
		for name, err := range map[string]error{"CheckStoreURL": CheckStoreURL(raw), "NewRedis": func() error { _, err := NewRedis(raw, "p"); return err }()} {
			if err == nil {
				t.Fatalf("%s(%q) accepted it", name, raw)
			}
			if strings.Contains(err.Error(), "s3cretpw") || !strings.Contains(err.Error(), "xxxxx") {
				t.Errorf("%s(%q): %v, want the URL with its password masked", name, raw, err)
			}
		}
	}
	s, err := NewRedis("redis-cluster://frontdoor:pw@127.0.0.1:7000,127.0.0.1:7001", "p")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cc, ok := s.client.(*redis.ClusterClient)
	if !ok {
		t.Fatalf("a redis-cluster:// store has a %T", s.client)
	}
	if o := cc.Options(); strings.Join(o.Addrs, ",") != "127.0.0.1:7000,127.0.0.1:7001" || o.Username != "frontdoor" || o.Password != "pw" {
		t.Fatalf("cluster options %+v", o)
	}
}

// TestRedisClusterFailover kills a master of a real Redis Cluster while
// decisions run on many keys: calls fail (the callers fail open) only
// while the replica takes over, each within its timeout, none panics, and
// decisions flow again once the cluster has failed over, and after the
// old master rejoins as a replica.
func TestRedisClusterFailover(t *testing.T) {
	harness.Long(t, "runs a Redis Cluster through a failover under load")
	c := harness.RedisCluster(t)
	s := newTestStore(t, c.URL())
	s.RetryInterval = 200 * time.Millisecond
	l := Limit{Rate: Rate{Count: 100, Per: time.Second}, Burst: 100}
	const timeout = 100 * time.Millisecond

	type sample struct {
		at, end time.Time
		err     error
	}
	var (
		mu      sync.Mutex
		samples []sample
		slowest time.Duration
		stop    atomic.Bool
		wg      sync.WaitGroup
	)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				key := []byte(fmt.Sprintf("w%d-k%d", w, i%64))
				start := time.Now()
				_, err := s.Allow(context.Background(), key, l, timeout)
				el := time.Since(start)
				mu.Lock()
				samples = append(samples, sample{at: start, end: start.Add(el), err: err})
				slowest = max(slowest, el)
				mu.Unlock()
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}
	time.Sleep(time.Second)
	victim := c.Masters(t)[0]
	killed := time.Now()
	old := c.KillMaster(t, victim)
	failedOver := time.Now()
	// Decisions must flow again soon after the cluster has failed over.
	time.Sleep(3 * time.Second)
	recovered := time.Now()
	time.Sleep(time.Second)
	restartedAt := time.Now()
	restarted := old.Rerun(t)
	c.Replace(old, restarted)
	c.WaitHealthy(t, 30*time.Second)
	time.Sleep(time.Second)
	stop.Store(true)
	wg.Wait()

	var before, during, after, afterErrs, afterRefused int
	var firstErr error
	for _, x := range samples {
		switch {
		case x.end.Before(killed):
			// Ended before the kill (a call in flight when the master
			// died counts with the failover's).
			before++
			if x.err != nil {
				t.Errorf("a call failed before the failover: %v", x.err)
			}
		case x.at.Before(recovered):
			during++
		default:
			after++
			if x.err != nil {
				afterErrs++
				if firstErr == nil {
					firstErr = x.err
				}
				if !isTimeout(x.err) && !errors.Is(x.err, ErrStoreDown) {
					afterRefused++
				}
			}
		}
	}
	var failed, skipped int
	for _, x := range samples {
		if x.err != nil {
			failed++
			if errors.Is(x.err, ErrStoreDown) {
				skipped++
			}
		}
	}
	t.Logf("master %s killed; its replica served its slots %v later; %d decisions before, %d in the %v after the kill, %d after (%d failed, first: %v); %d calls failed in all (%d skipped without a network call), slowest %v",
		victim, failedOver.Sub(killed).Round(time.Millisecond), before, during, recovered.Sub(killed).Round(time.Millisecond), after, afterErrs, firstErr, failed, skipped, slowest)
	if testing.Verbose() {
		buckets := map[int][2]int{}
		for _, x := range samples {
			b := int(x.at.Sub(killed) / (500 * time.Millisecond))
			v := buckets[b]
			v[0]++
			if x.err != nil {
				v[1]++
			}
			buckets[b] = v
		}
		for b := -2; b < 30; b++ {
			if v, ok := buckets[b]; ok {
				t.Logf("%+5.1fs: %d calls, %d failed", float64(b)/2, v[0], v[1])
			}
		}
		t.Logf("rerun at %+.1fs", restartedAt.Sub(killed).Seconds())
	}
	if before == 0 || after == 0 {
		t.Fatalf("decisions: %d before the failover, %d after", before, after)
	}
	// While the replica takes over, the buckets of the other masters are
	// still decided (but for the moment the whole cluster refuses
	// commands, CLUSTERDOWN, as its default cluster-require-full-coverage
	// makes it).
	var inFailover, decided int
	for _, x := range samples {
		if !x.at.Before(killed) && x.at.Before(failedOver) {
			inFailover++
			if x.err == nil {
				decided++
			}
		}
	}
	t.Logf("during the failover: %d of %d calls decided", decided, inFailover)
	if decided < inFailover/10 {
		t.Errorf("during the failover only %d of %d calls were decided: the buckets of the masters that answer must be", decided, inFailover)
	}
	// Afterwards every call reaches a master; on a busy machine a few may
	// still run out of their 100 ms.
	if afterRefused > 0 || afterErrs > after/50 {
		t.Errorf("%d of %d calls failed after the cluster had failed over, %d not by a timeout (first: %v); want none but a few timeouts", afterErrs, after, afterRefused, firstErr)
	}
	if failed == 0 {
		t.Errorf("no call failed while a master was dead: the test did not kill the master of any bucket")
	}
	if slowest > timeout+storeSlack {
		t.Errorf("the slowest call took %v, want at most %v + %v", slowest, timeout, storeSlack)
	}
}

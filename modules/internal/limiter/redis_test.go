package limiter

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

func newTestRedis(t testing.TB, addr string) *Redis {
	t.Helper()
	s, err := NewRedis("redis://"+addr+"/0", "frontdoor:test:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newTestStore is a store on the server or cluster of url.
func newTestStore(t testing.TB, url string) *Redis {
	t.Helper()
	s, err := NewRedis(url, "frontdoor:test:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// forEachRedis runs f against a single Redis and against a Redis Cluster
// of three masters (with a replica each): the store behaves the same on
// both.
func forEachRedis(t *testing.T, f func(t *testing.T, url string)) {
	t.Run("single", func(t *testing.T) { f(t, "redis://"+harness.Redis(t).Addr+"/0") })
	t.Run("cluster", func(t *testing.T) {
		harness.Long(t, "starts a Redis Cluster of six nodes")
		f(t, harness.RedisCluster(t).URL())
	})
}

func TestRedisBurst(t *testing.T) { forEachRedis(t, testRedisBurst) }

func testRedisBurst(t *testing.T, url string) {
	s := newTestStore(t, url)
	ctx := context.Background()
	l := perSec(5, 5)
	key := []byte("burst")
	for i := 1; i <= 5; i++ {
		d, err := s.Allow(ctx, key, l, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Allowed || d.Remaining != 5-i {
			t.Fatalf("request %d: %+v, want allowed with %d remaining", i, d, 5-i)
		}
	}
	d, err := s.Allow(ctx, key, l, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > 200*time.Millisecond || d.Reset <= 800*time.Millisecond {
		t.Fatalf("6th request: %+v, want limited, retry within 200ms", d)
	}
	time.Sleep(d.RetryAfter + 5*time.Millisecond)
	if d, err := s.Allow(ctx, key, l, time.Second); err != nil || !d.Allowed {
		t.Fatalf("after %v: %+v, %v; want allowed", d.RetryAfter, d, err)
	}
}

// TestRedisShared checks that two clients (two gateways) of one Redis
// enforce one combined limit, and that a changed rate applies to an existing
// bucket without refilling it.
func TestRedisShared(t *testing.T) { forEachRedis(t, testRedisShared) }

func testRedisShared(t *testing.T, url string) {
	a, b := newTestStore(t, url), newTestStore(t, url)
	ctx := context.Background()
	l := Limit{Rate: Rate{Count: 1, Per: time.Minute}, Burst: 10}
	var mu sync.Mutex
	allowed := 0
	var wg sync.WaitGroup
	for _, s := range []*Redis{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				d, err := s.Allow(ctx, []byte("shared"), l, time.Second)
				if err != nil {
					t.Error(err)
					return
				}
				if d.Allowed {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if allowed != 10 {
		t.Fatalf("allowed %d of 40 requests across two clients, want the burst 10", allowed)
	}
	bigger := Limit{Rate: Rate{Count: 1, Per: time.Minute}, Burst: 20}
	if d, err := a.Allow(ctx, []byte("shared"), bigger, time.Second); err != nil || d.Allowed {
		t.Fatalf("a larger burst on an exhausted bucket: %+v, %v; want refused without error", d, err)
	}
}

// storeSlack is what a store call may take beyond its timeout in these
// tests: scheduling on a busy machine, not waiting on the network.
const storeSlack = 400 * time.Millisecond

func TestRedisDownFailsFast(t *testing.T) {
	srv := harness.Redis(t)
	s := newTestRedis(t, srv.Addr)
	s.RetryInterval = 300 * time.Millisecond
	ctx := context.Background()
	l := perSec(1, 1)
	if _, err := s.Allow(ctx, []byte("k"), l, time.Second); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	const timeout = 100 * time.Millisecond
	for i := range 50 {
		start := time.Now()
		_, err := s.Allow(ctx, []byte("k"), l, timeout)
		if err == nil {
			t.Fatalf("request %d succeeded with Redis stopped", i)
		}
		// The bound catches a call that waits for the network (seconds),
		// with room for a busy CI machine running the race detector.
		if el := time.Since(start); el > timeout+storeSlack {
			t.Fatalf("request %d took %v with Redis stopped, want <= %v", i, el, timeout)
		}
	}
	if _, err := s.Allow(ctx, []byte("k"), l, timeout); !errors.Is(err, ErrStoreDown) {
		t.Fatalf("right after a failure: %v, want ErrStoreDown (no network call)", err)
	}
	harness.RestartRedis(t, srv)
	deadline := time.Now().Add(5 * time.Second)
	for {
		d, err := s.Allow(ctx, []byte("k"), l, timeout)
		if err == nil {
			if !d.Allowed {
				t.Fatalf("first request after the restart: %+v", d)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("store not used again 5 s after Redis came back: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if d, err := s.Allow(ctx, []byte("k"), l, timeout); err != nil || d.Allowed {
		t.Fatalf("limiting did not resume: %+v, %v", d, err)
	}
}

// TestRedisSlowIsBounded points the store at a server that accepts
// connections and never answers: every call returns within the timeout.
func TestRedisSlowIsBounded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	s := newTestRedis(t, ln.Addr().String())
	s.RetryInterval = 50 * time.Millisecond
	const timeout = 80 * time.Millisecond
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				start := time.Now()
				_, err := s.Allow(context.Background(), []byte("k"), perSec(1, 1), timeout)
				if err == nil {
					t.Error("a silent server answered")
				}
				if el := time.Since(start); el > timeout+storeSlack {
					t.Errorf("call took %v, want <= %v", el, timeout)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
}

// BenchmarkRedisAllow measures decisions against a local Redis from
// parallel goroutines: one round trip each.
func BenchmarkRedisAllow(b *testing.B) {
	srv := harness.Redis(b)
	s := newTestRedis(b, srv.Addr)
	l := perSec(1e6, 1000)
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var buf [32]byte
		i := 0
		for pb.Next() {
			key := DefaultPrefixes.AppendAddrKey(buf[:0], addrN(i%10000))
			if _, err := s.Allow(context.Background(), key, l, time.Second); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// TestRedisOneRoundTrip counts the commands Redis executed: one script call
// per decision (plus the script's first load).
// TestRedisOneTimeoutIsNotDown: a single slow answer does not make the
// store skipped for everyone; timeoutsToSkip in a row do.
func TestRedisOneTimeoutIsNotDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	s := newTestRedis(t, ln.Addr().String())
	s.RetryInterval = time.Hour
	for i := range timeoutsToSkip {
		_, err := s.Allow(context.Background(), []byte("k"), perSec(1, 1), 50*time.Millisecond)
		if err == nil || errors.Is(err, ErrStoreDown) {
			t.Fatalf("call %d: %v, want a timeout from the server (not skipped yet)", i+1, err)
		}
	}
	if _, err := s.Allow(context.Background(), []byte("k"), perSec(1, 1), 50*time.Millisecond); !errors.Is(err, ErrStoreDown) {
		t.Fatalf("after %d timeouts in a row: %v, want ErrStoreDown", timeoutsToSkip, err)
	}
}

func TestRedisOneRoundTrip(t *testing.T) {
	srv := harness.Redis(t)
	s := newTestRedis(t, srv.Addr)
	ctx := context.Background()
	const n = 50
	for i := range n {
		if _, err := s.Allow(ctx, []byte{byte(i)}, perSec(10, 10), time.Second); err != nil {
			t.Fatal(err)
		}
	}
	info, err := s.client.Info(ctx, "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]int{}
	for line := range strings.SplitSeq(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":calls=")
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ",")
		calls[strings.TrimPrefix(name, "cmdstat_")], _ = strconv.Atoi(num)
	}
	// The first EVALSHA misses (NOSCRIPT) and is followed by one EVAL.
	if calls["evalsha"] != n || calls["eval"] > 1 {
		t.Fatalf("command calls %v for %d decisions, want %d evalsha and at most 1 eval", calls, n, n)
	}
	for name := range calls {
		switch name {
		case "evalsha", "eval", "info", "hello", "client|setinfo", "client",
			"time", "hmget", "hset", "pexpire": // run inside the script
		default:
			t.Errorf("unexpected command %s", name)
		}
	}
}

// TestRedisCanceledCallerIsNotAFailure checks that a request whose client
// went away does not mark the store as down for everyone.
func TestRedisCanceledCallerIsNotAFailure(t *testing.T) {
	srv := harness.Redis(t)
	s := newTestRedis(t, srv.Addr)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Allow(ctx, []byte("k"), perSec(1, 5), time.Second); err != nil {
		t.Fatalf("canceled caller: %v", err)
	}
	if d, err := s.Allow(context.Background(), []byte("k"), perSec(1, 5), time.Second); err != nil || d.Remaining != 3 {
		t.Fatalf("next caller: %+v, %v; want a decision with 3 left", d, err)
	}
}

// TestRedisKeyLength checks that a bucket's name in Redis has the same
// length whatever the key (a 16 KB key is not stored), that the name is the
// same for every gateway, and what a bucket costs Redis.
func TestRedisKeyLength(t *testing.T) {
	srv := harness.Redis(t)
	a, b := newTestRedis(t, srv.Addr), newTestRedis(t, srv.Addr)
	ctx := context.Background()
	l := perSec(1, 2)
	keys := [][]byte{
		{'t'},
		DefaultPrefixes.AppendAddrKey(nil, netip.MustParseAddr("192.0.2.1")),
		DefaultPrefixes.AppendAddrKey(nil, netip.MustParseAddr("2001:db8::1")),
		AppendTextKey(nil, strings.Repeat("k", 1<<10)),
		AppendTextKey(nil, strings.Repeat("k", 16<<10)),
		AppendTextKey(nil, strings.Repeat("k", 16<<10-1)+"j"),
	}
	for i, key := range keys {
		// Two gateways share the bucket of every key, long ones included.
		for j, s := range []*Redis{a, b, a} {
			d, err := s.Allow(ctx, key, l, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if want := j < 2; d.Allowed != want {
				t.Fatalf("key %d (%d bytes), request %d: allowed %v, want %v", i, len(key), j+1, d.Allowed, want)
			}
		}
	}
	names, err := a.client.Keys(ctx, "frontdoor:test:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != len(keys) {
		t.Fatalf("%d buckets in Redis for %d keys: %q", len(names), len(keys), names)
	}
	for _, name := range names {
		digest, ok := strings.CutPrefix(name, "frontdoor:test:")
		if !ok || len(digest) != RedisKeyLen || strings.Trim(digest, "0123456789abcdef") != "" {
			t.Fatalf("bucket %q (%d bytes): want the prefix and %d hex digits", trim(name), len(name), RedisKeyLen)
		}
		used, err := a.client.MemoryUsage(ctx, name).Result()
		if err != nil {
			t.Fatal(err)
		}
		if used > 512 {
			t.Errorf("bucket %s uses %d bytes of Redis memory, want a small constant", name, used)
		}
		t.Logf("bucket %s: %d bytes of Redis memory", name, used)
	}
}

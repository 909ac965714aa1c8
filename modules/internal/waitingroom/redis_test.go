package waitingroom

import (
	"context"
	"errors"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

func TestStoreURLs(t *testing.T) {
	for _, tt := range []struct {
		url     string
		ok      bool
		cluster []string
	}{
		{"redis://127.0.0.1:6379/0", true, nil},
		{"redis://user:pa55word@10.0.0.5:6380/2", true, nil},
		{"rediss://:pa55word@redis.internal:6380/0", true, nil},
		{"unix:///run/redis.sock", true, nil},
		{"redis-cluster://10.0.0.1:7000,10.0.0.2:7000", true, []string{"10.0.0.1:7000", "10.0.0.2:7000"}},
		{"redis-cluster://user:pa55word@10.0.0.1:7000", true, []string{"10.0.0.1:7000"}},
		{"redis-cluster://10.0.0.1:7000/0", true, []string{"10.0.0.1:7000"}},
		{"redis-cluster://10.0.0.1:7000/3", false, nil},
		{"redis-cluster://10.0.0.1", false, nil},
		{"redis-cluster://", false, nil},
		{"memcached://10.0.0.1:11211", false, nil},
		{"10.0.0.1:6379", false, nil},
		{"redis://", false, nil},
		{"redis:///0", false, nil},
		{"unix://", false, nil},
		{"redis://user:pa55word@host:notaport/0", false, nil},
	} {
		c, err := newClient(tt.url)
		if checkErr := CheckStore(tt.url); (checkErr == nil) != (err == nil) {
			t.Errorf("%s: CheckStore %v, newClient %v", tt.url, checkErr, err)
		}
		if (err == nil) != tt.ok {
			t.Errorf("%s: err %v, want ok=%v", tt.url, err, tt.ok)
			continue
		}
		if err != nil {
			if strings.Contains(err.Error(), "pa55word") {
				t.Errorf("%s: the error shows the password: %v", tt.url, err)
			}
			continue
		}
		defer c.Close()
		var addrs []string
		pass := ""
		switch c := c.(type) {
		case *redis.ClusterClient:
			addrs, pass = c.Options().Addrs, c.Options().Password
		case *redis.Client:
			pass = c.Options().Password
		}
		if strings.Join(addrs, ",") != strings.Join(tt.cluster, ",") {
			t.Errorf("%s: cluster nodes %v, want %v", tt.url, addrs, tt.cluster)
		}
		if strings.Contains(tt.url, "pa55word") && pass != "pa55word" {
			t.Errorf("%s: password %q", tt.url, pass)
		}
	}
	if got := Redacted("redis://user:pa55word@host:1/0"); got != "redis://user:xxxxx@host:1/0" {
		t.Errorf("Redacted: %s", got)
	}
}

// TestRedisOneRoundTrip counts the commands Redis ran: one script call per
// decision (and the script's first load).
func TestRedisOneRoundTrip(t *testing.T) {
	harness.Long(t, "starts redis-server")
	srv := harness.Redis(t)
	s, err := NewRedis("redis://"+srv.Addr+"/0", "trips")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st := settings(2)
	const n = 40
	for range n {
		if _, err := s.Decide(context.Background(), st, Visit{Op: OpArrive, SID: NewSID()}); err != nil {
			t.Fatal(err)
		}
	}
	c := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer c.Close()
	info, err := c.Info(context.Background(), "commandstats").Result()
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
	if calls["evalsha"] != n || calls["eval"] > 1 {
		t.Fatalf("command calls %v for %d decisions, want %d evalsha and at most 1 eval", calls, n, n)
	}
}

// TestRedisKeysShareASlot: every key of a room hashes to the same cluster
// slot, and rooms with different names to different slots.
func TestRedisKeysShareASlot(t *testing.T) {
	harness.Long(t, "starts a Redis Cluster")
	c := harness.RedisCluster(t)
	cli := redis.NewClient(&redis.Options{Addr: c.Nodes[0].Addr})
	defer cli.Close()
	slots := map[int64]bool{}
	for _, room := range []string{"tickets", "shop.sale", "a", "B-2"} {
		s, err := NewRedis(c.URL(), room)
		if err != nil {
			t.Fatal(err)
		}
		var slot int64 = -1
		for _, k := range s.keys {
			got, err := cli.ClusterKeySlot(context.Background(), k).Result()
			if err != nil {
				t.Fatal(err)
			}
			if slot >= 0 && got != slot {
				t.Fatalf("room %s: key %s in slot %d, the others in %d", room, k, got, slot)
			}
			slot = got
		}
		slots[slot] = true
		s.Close()
	}
	if len(slots) < 2 {
		t.Fatalf("four rooms all in slot %v", slots)
	}
}

// TestRedisUnixSocket runs decisions over a unix:// store.
func TestRedisUnixSocket(t *testing.T) {
	harness.Long(t, "starts redis-server")
	bin := harness.LookPath(t, "redis-server")
	dir := t.TempDir()
	sock := filepath.Join(dir, "redis.sock")
	p := harness.Start(t, "redis-server (unix)", sock, exec.Command(bin, "--port", "0", "--unixsocket", sock,
		"--save", "", "--appendonly", "no", "--dir", dir))
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) || p.Exited() {
			t.Fatalf("redis-server did not listen on %s:\n%s", sock, p.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
	s, err := NewRedis("unix://"+sock, "sock")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d, err := s.Decide(context.Background(), settings(1), Visit{Op: OpArrive, SID: NewSID()})
	if err != nil || d.Outcome != Admitted {
		t.Fatalf("over a unix socket: %+v %v", d, err)
	}
}

// storeSlack is what a store call may take beyond its timeout on a busy
// machine running the race detector.
const storeSlack = 400 * time.Millisecond

// TestRedisDownIsBounded: with Redis stopped every call fails within the
// timeout, then without a network call; with Redis back the store is used
// again.
func TestRedisDownIsBounded(t *testing.T) {
	harness.Long(t, "starts redis-server")
	srv := harness.Redis(t)
	s, err := NewRedis("redis://"+srv.Addr+"/0", "down")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.RetryInterval = 300 * time.Millisecond
	st := settings(5)
	st.StoreTimeout = 100 * time.Millisecond
	ctx := context.Background()
	if _, err := s.Decide(ctx, st, Visit{Op: OpArrive, SID: NewSID()}); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	for i := range 20 {
		start := time.Now()
		if _, err := s.Decide(ctx, st, Visit{Op: OpArrive, SID: NewSID()}); err == nil {
			t.Fatalf("call %d succeeded with Redis stopped", i)
		}
		if el := time.Since(start); el > st.StoreTimeout+storeSlack {
			t.Fatalf("call %d took %v with Redis stopped", i, el)
		}
	}
	if _, err := s.Decide(ctx, st, Visit{Op: OpArrive, SID: NewSID()}); !errors.Is(err, ErrStoreDown) {
		t.Fatalf("right after a failure: %v, want ErrStoreDown", err)
	}
	harness.RestartRedis(t, srv)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := s.Decide(ctx, st, Visit{Op: OpArrive, SID: NewSID()})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("store not used again 5 s after Redis came back: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRedisSilentIsBounded points the store at a server that accepts
// connections and never answers.
func TestRedisSilentIsBounded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns sync.WaitGroup
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Go(func() {
				<-t.Context().Done()
				c.Close()
			})
		}
	}()
	s, err := NewRedis("redis://"+ln.Addr().String()+"/0", "silent")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.RetryInterval = 50 * time.Millisecond
	st := settings(5)
	st.StoreTimeout = 80 * time.Millisecond
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			for range 8 {
				start := time.Now()
				if _, err := s.Decide(context.Background(), st, Visit{Op: OpPoll, SID: NewSID(), Expiry: 1 << 50}); err == nil {
					t.Error("a silent server answered")
				}
				if el := time.Since(start); el > st.StoreTimeout+storeSlack {
					t.Errorf("call took %v, want <= %v", el, st.StoreTimeout)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	wg.Wait()
}

// BenchmarkRedisPoll measures a queued visitor's poll against a local
// Redis holding 10,000 waiting visitors.
func BenchmarkRedisPoll(b *testing.B) {
	srv := harness.Redis(b)
	s, err := NewRedis("redis://"+srv.Addr+"/0", "bench")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	st := settings(1)
	st.SessionDuration, st.Refresh, st.MaxQueued = time.Hour, time.Hour, 100000
	benchPolls(b, s, st)
}

// BenchmarkMemoryPoll is BenchmarkRedisPoll on the memory store.
func BenchmarkMemoryPoll(b *testing.B) {
	st := settings(1)
	st.SessionDuration, st.Refresh, st.MaxQueued = time.Hour, time.Hour, 100000
	benchPolls(b, NewMemory(), st)
}

func benchPolls(b *testing.B, s Store, st *Settings) {
	ctx := context.Background()
	s.Decide(ctx, st, Visit{Op: OpArrive, SID: NewSID()})
	visits := make([]Visit, 10000)
	for i := range visits {
		sid := NewSID()
		d, err := s.Decide(ctx, st, Visit{Op: OpArrive, SID: sid})
		if err != nil || d.Outcome != Queued {
			b.Fatalf("%+v %v", d, err)
		}
		visits[i] = Visit{Op: OpPoll, SID: sid, Ticket: d.Ticket, Issued: d.Now, Expiry: d.Now + 1e9}
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := s.Decide(ctx, st, visits[i%len(visits)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

package limiter

import (
	"fmt"
	"net/netip"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
	"github.com/frontdoor-gateway/frontdoor/test/harness/cputime"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func perSec(n float64, burst int) Limit {
	return Limit{Rate: Rate{Count: n, Per: time.Second}, Burst: burst}
}

func TestMemoryBurst(t *testing.T) {
	m := NewMemory(100)
	l := perSec(5, 5)
	key := []byte("k")
	for i := 1; i <= 5; i++ {
		d := m.Allow(key, &l, t0)
		if !d.Allowed || d.Remaining != 5-i {
			t.Fatalf("request %d: %+v, want allowed with %d remaining", i, d, 5-i)
		}
	}
	d := m.Allow(key, &l, t0)
	if d.Allowed || d.RetryAfter != 200*time.Millisecond || d.Reset != time.Second {
		t.Fatalf("6th request: %+v, want limited, retry after 200ms, reset 1s", d)
	}
	if d := m.Allow(key, &l, t0.Add(199*time.Millisecond)); d.Allowed {
		t.Fatalf("after 199ms: %+v, want limited", d)
	}
	if d := m.Allow(key, &l, t0.Add(200*time.Millisecond)); !d.Allowed {
		t.Fatalf("after 200ms: %+v, want allowed", d)
	}
	if d := m.Allow([]byte("other"), &l, t0); !d.Allowed {
		t.Fatalf("another key: %+v, want allowed", d)
	}
}

func TestMemoryLimitChangeKeepsTokens(t *testing.T) {
	m := NewMemory(100)
	key := []byte("k")
	for range 3 {
		m.Allow(key, ptr(perSec(1, 3)), t0)
	}
	if d := m.Allow(key, ptr(perSec(1, 3)), t0); d.Allowed {
		t.Fatal("bucket not exhausted")
	}
	// A larger burst must not refill the bucket ...
	if d := m.Allow(key, ptr(perSec(1, 10)), t0); d.Allowed {
		t.Fatalf("a new burst refilled the bucket: %+v", d)
	}
	// ... and a faster rate applies to the existing key from the moment it
	// is seen: at 1r/s no token is back after 30 ms, at 100r/s one is.
	fast := perSec(100, 10)
	m.Allow(key, &fast, t0.Add(10*time.Millisecond))
	if d := m.Allow(key, &fast, t0.Add(30*time.Millisecond)); !d.Allowed {
		t.Fatalf("faster rate not applied to an existing key: %+v", d)
	}
	if m.Len() != 1 {
		t.Fatalf("Len = %d, want 1", m.Len())
	}
}

func TestMemoryCapAndEvictions(t *testing.T) {
	for _, maxKeys := range []int{1, 10, 1000, 100_000} {
		t.Run(strconv.Itoa(maxKeys), func(t *testing.T) {
			m := NewMemory(maxKeys)
			l := perSec(1, 1)
			n := maxKeys * 3
			for i := range n {
				m.Allow([]byte(strconv.Itoa(i)), &l, t0)
				if m.Len() > maxKeys {
					t.Fatalf("after %d keys Len = %d > cap %d", i+1, m.Len(), maxKeys)
				}
			}
			if got := uint64(n - m.Len()); m.Evictions() != got {
				t.Fatalf("Evictions = %d, want %d", m.Evictions(), got)
			}
			if m.Len() != maxKeys {
				t.Fatalf("Len = %d, want close to the cap %d", m.Len(), maxKeys)
			}
			m.SetMaxKeys(max(maxKeys/2, 1))
			if m.Len() != max(maxKeys/2, 1) || m.Evictions() != uint64(n-m.Len()) {
				t.Fatalf("after lowering the cap to %d: Len %d, Evictions %d", max(maxKeys/2, 1), m.Len(), m.Evictions())
			}
		})
	}
}

func TestMemoryLRUKeepsRecentKeys(t *testing.T) {
	m := NewMemory(4) // one shard
	l := Limit{Rate: Rate{Count: 1, Per: time.Hour}, Burst: 1}
	hot := []byte("hot")
	m.Allow(hot, &l, t0) // bucket now empty
	now := t0
	for i := range 100 {
		now = now.Add(time.Second)
		m.Allow(hot, &l, now)
		m.Allow([]byte(strconv.Itoa(i)), &l, now)
		m.Allow([]byte(strconv.Itoa(i+1000)), &l, now)
	}
	if d := m.Allow(hot, &l, now); d.Allowed {
		t.Fatal("a recently used key was evicted (its empty bucket came back full)")
	}
	if m.Evictions() != 200-3 {
		t.Fatalf("Evictions = %d, want 197", m.Evictions())
	}
}

func TestMemorySweep(t *testing.T) {
	m := NewMemory(10_000)
	l := perSec(10, 20) // fills in 2 s
	for i := range 3000 {
		m.Allow([]byte(strconv.Itoa(i)), &l, t0)
	}
	m.Allow([]byte("late"), &l, t0.Add(1500*time.Millisecond))
	if n := m.Sweep(t0.Add(1999 * time.Millisecond)); n != 0 {
		t.Fatalf("Sweep before the fill time dropped %d keys", n)
	}
	if n := m.Sweep(t0.Add(2 * time.Second)); n != 3000 || m.Len() != 1 {
		t.Fatalf("Sweep dropped %d keys, Len %d; want 3000 dropped, 1 left", n, m.Len())
	}
	if m.Evictions() != 0 {
		t.Fatalf("sweeping counted %d evictions", m.Evictions())
	}
}

func TestMemoryConcurrent(t *testing.T) {
	for _, maxKeys := range []int{100_000, 1000} {
		t.Run(strconv.Itoa(maxKeys), func(t *testing.T) {
			m := NewMemory(maxKeys)
			l := perSec(1, 50)
			var wg sync.WaitGroup
			var allowed atomic.Int64
			for g := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 2000 {
						if m.Allow([]byte("shared"), &l, t0).Allowed {
							allowed.Add(1)
						}
						m.Allow([]byte(fmt.Sprint(g, i)), &l, t0)
						if n := m.Len(); n > maxKeys {
							t.Errorf("Len %d above the cap", n)
							return
						}
					}
				}()
			}
			wg.Wait()
			// Without evictions the shared bucket gives exactly its burst;
			// with 16,000 new keys in the same instant it is evicted.
			if maxKeys == 100_000 && allowed.Load() != 50 {
				t.Fatalf("shared key allowed %d times, want exactly the burst 50", allowed.Load())
			}
		})
	}
}

// TestMemoryKeyFlood inserts 1,000,000 distinct keys into a zone capped at
// 100,000 and checks that the heap stays at what 100,000 keys need.
func TestMemoryKeyFlood(t *testing.T) {
	harness.Long(t, "key flood")
	const maxKeys, flood = 100_000, 1_000_000
	m := NewMemory(maxKeys)
	l := perSec(10, 20)
	key := make([]byte, 0, 16)
	now := t0
	heapAt := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	base := heapAt()
	var atCap uint64
	for i := range flood {
		key = strconv.AppendInt(key[:0], int64(i), 10)
		m.Allow(key, &l, now)
		if m.Len() > maxKeys {
			t.Fatalf("after %d keys Len = %d > %d", i+1, m.Len(), maxKeys)
		}
		if i == maxKeys-1 {
			atCap = heapAt()
		}
	}
	end := heapAt()
	if m.Evictions() != flood-uint64(m.Len()) {
		t.Fatalf("Evictions = %d, want %d", m.Evictions(), flood-m.Len())
	}
	t.Logf("heap: %.1f MiB at start, %.1f MiB at %d keys, %.1f MiB after %d keys (%d held, %d evicted)",
		mib(base), mib(atCap), maxKeys, mib(end), flood, m.Len(), m.Evictions())
	// What the cap needs, whatever was inserted and evicted: a 96-byte
	// bucket and its map slot, the maps grown once by the churn of deletes
	// and inserts (about 200 bytes a key), never what the flood evicted.
	if perKey := float64(end) / maxKeys; perKey > maxBytesPerKey {
		t.Fatalf("heap %.1f MiB after the flood (%.0f bytes per held key), want at most %d bytes per key",
			mib(end), perKey, maxBytesPerKey)
	}
	runtime.KeepAlive(m)
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// maxBytesPerKey bounds the heap a held bucket costs, its key included.
const maxBytesPerKey = 256

// BenchmarkMemoryAllowHit measures a decision on an existing key with
// 100,000 live keys, from parallel goroutines.
func BenchmarkMemoryAllowHit(b *testing.B) {
	const live = 100_000
	m := NewMemory(live)
	l := perSec(1e6, 1000)
	for i := range live {
		m.Allow(DefaultPrefixes.AppendAddrKey(nil, addrN(i)), &l, t0)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cputime.Now()
	var worker atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		var buf [32]byte
		i := int(worker.Add(1)) * 50_021 // each goroutine starts elsewhere
		for pb.Next() {
			// Keys are built the way the handler builds them, on the stack,
			// and visited in a scattered order so that caches do not help.
			key := DefaultPrefixes.AppendAddrKey(buf[:0], addrN(i%live))
			m.Allow(key, &l, time.Now())
			i += 7919
		}
	})
	cputime.Report(b, cpu0)
	if m.Len() != live {
		b.Fatalf("Len = %d, want %d", m.Len(), live)
	}
}

// BenchmarkMemoryAllowNewKey measures a decision that creates a bucket and
// evicts another.
func BenchmarkMemoryAllowNewKey(b *testing.B) {
	m := NewMemory(100_000)
	l := perSec(10, 10)
	key := make([]byte, 0, 16)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		key = strconv.AppendInt(key[:0], int64(i), 10)
		m.Allow(key, &l, t0)
	}
}

// TestMemoryHotKeySurvivesFlood floods a zone with new keys while one client
// keeps hitting its exhausted bucket: the bucket is never the one evicted.
func TestMemoryHotKeySurvivesFlood(t *testing.T) {
	m := NewMemory(10_000)
	l := Limit{Rate: Rate{Count: 1, Per: time.Hour}, Burst: 1}
	hot := []byte("hot")
	now := t0
	m.Allow(hot, &l, now)
	key := make([]byte, 0, 16)
	for i := range 200_000 {
		now = now.Add(time.Microsecond)
		key = strconv.AppendInt(key[:0], int64(i), 10)
		m.Allow(key, &l, now)
		if i%10 == 0 {
			if d := m.Allow(hot, &l, now); d.Allowed {
				t.Fatalf("after %d new keys the hot bucket came back full: it was evicted", i+1)
			}
		}
	}
	if m.Len() != 10_000 || m.Evictions() != 200_001-10_000 {
		t.Fatalf("Len %d, Evictions %d", m.Len(), m.Evictions())
	}
}

func TestEntryIsSmall(t *testing.T) {
	if s := unsafe.Sizeof(entry{}); s > 96 {
		t.Fatalf("entry is %d bytes, want at most 96 (its size class)", s)
	}
	// Address keys, the default, are kept as they are, never hashed.
	if n := len(DefaultPrefixes.AppendAddrKey(nil, netip.MustParseAddr("2001:db8::1"))); n >= len(memKey{}) {
		t.Fatalf("an address key is %d bytes, too long to keep in a %d-byte memKey", n, len(memKey{}))
	}
}

// heapBytes returns the live heap after a collection.
func heapBytes() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestMemoryBytesPerKey inserts 20,000 distinct keys of 16 bytes, then of
// 16 KB, and measures the heap each set of buckets holds: a bucket costs the
// same whatever the length of its key, so max_keys bounds bytes.
func TestMemoryBytesPerKey(t *testing.T) {
	const n = 20_000
	perKey := map[int]float64{}
	for _, size := range []int{16, 16 << 10} {
		m := NewMemory(n)
		l := perSec(1, 1)
		key := make([]byte, size)
		for i := range key {
			key[i] = 'k'
		}
		before := heapBytes()
		for i := range n {
			// Distinct keys from one buffer: nothing but the store keeps them.
			strconv.AppendInt(key[:0], int64(i)+1e9, 10)
			m.Allow(key, &l, t0)
		}
		if m.Len() != n || m.Evictions() != 0 {
			t.Fatalf("%d-byte keys: Len %d, Evictions %d; want %d and 0", size, m.Len(), m.Evictions(), n)
		}
		after := heapBytes()
		runtime.KeepAlive(m)
		perKey[size] = (float64(after) - float64(before)) / n
		t.Logf("%d distinct %d-byte keys: heap +%.1f MiB, %.0f bytes per key", n, size, mib(after-min(before, after)), perKey[size])
	}
	// A bucket, its map slot and the map's spare room: about 150 bytes.
	for size, b := range perKey {
		if b > maxBytesPerKey {
			t.Errorf("%d-byte keys cost %.0f bytes each, want at most %d whatever the key length", size, b, maxBytesPerKey)
		}
	}
	if d := perKey[16<<10] - perKey[16]; d > 64 {
		t.Errorf("a 16 KB key costs %.0f bytes more than a 16-byte one, want the same", d)
	}
}

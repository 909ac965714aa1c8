package limiter

import (
	"hash/maphash"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// evictionSamples is how many buckets an eviction compares to find an old
// one, as in Redis's approximated LRU: the evicted bucket is the least
// recently used of a random sample of the shard.
const evictionSamples = 8

// DefaultMaxKeys bounds a zone's memory when no max_keys is configured.
const DefaultMaxKeys = 100_000

// Memory is an in-memory set of token buckets, one per key, each a
// rate.Limiter. It holds at most MaxKeys buckets: inserting one more evicts
// a least recently used one. Buckets idle long enough to be full again are
// dropped by Sweep, since a new bucket is identical. Safe for concurrent use.
//
// Keys are spread over shards, each with its own lock and map. The cap is
// global: a new key first evicts a bucket of its shard (of another shard when
// its own is empty), so the number of keys never exceeds the cap. The evicted
// bucket is the least recently used of evictionSamples random buckets of the
// shard (exact LRU when a shard holds no more), so a hit writes nothing but
// its own bucket and touches no other memory.
type Memory struct {
	seed      maphash.Seed
	shards    []shard
	mask      uint64
	size      atomic.Int64
	evictions atomic.Uint64
	maxKeys   atomic.Int64
}

type shard struct {
	mu sync.Mutex
	m  map[memKey]*entry
	_  [48]byte // one cache line per shard
}

// entry is one bucket, 96 bytes. Its key is the map's, a memKey held in the
// map's slot: a bucket's memory is the same whatever the length of the key
// (max_keys bounds bytes, not only buckets), and a lookup touches the map
// group and this object only.
type entry struct {
	lim   rate.Limiter
	last  int64  // unix nanoseconds of the last use
	limit *Limit // the limit lim was last set to
}

// NewMemory returns a Memory holding at most maxKeys buckets (DefaultMaxKeys
// when maxKeys <= 0).
func NewMemory(maxKeys int) *Memory {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	// Enough shards to keep lock contention low, few enough that each
	// shard holds many keys and its recency order stays meaningful.
	n := 1
	for n < 64 && maxKeys/(n*2) >= 256 {
		n *= 2
	}
	m := &Memory{seed: maphash.MakeSeed(), shards: make([]shard, n), mask: uint64(n - 1)}
	for i := range m.shards {
		m.shards[i].m = make(map[memKey]*entry)
	}
	m.maxKeys.Store(int64(maxKeys))
	return m
}

// SetMaxKeys changes the cap; buckets over a lower cap are evicted at once.
func (m *Memory) SetMaxKeys(n int) {
	if n <= 0 {
		n = DefaultMaxKeys
	}
	m.maxKeys.Store(int64(n))
	for m.size.Load() > int64(n) {
		evicted := false
		for i := range m.shards {
			s := &m.shards[i]
			s.mu.Lock()
			if m.size.Load() > int64(n) && s.evict() {
				m.size.Add(-1)
				m.evictions.Add(1)
				evicted = true
			}
			s.mu.Unlock()
		}
		if !evicted {
			return
		}
	}
}

// MaxKeys returns the cap.
func (m *Memory) MaxKeys() int { return int(m.maxKeys.Load()) }

// Len returns the number of buckets held.
func (m *Memory) Len() int { return int(m.size.Load()) }

// Evictions returns how many buckets were evicted to respect the cap.
func (m *Memory) Evictions() uint64 { return m.evictions.Load() }

// Allow takes one token from key's bucket at time now, creating the bucket
// (full) if needed. A bucket last used with a different limit is switched to
// *l first, keeping its tokens. *l must not change after the call (callers
// pass a limit fixed at configuration time). Allow allocates only when it
// creates a bucket. The store keeps a fixed-size form of key (see memKey),
// never key itself.
func (m *Memory) Allow(key []byte, l *Limit, now time.Time) Decision {
	k := memKeyOf(key)
	s := &m.shards[maphash.Comparable(m.seed, k)&m.mask]
	s.mu.Lock()
	e := s.m[k]
	if e == nil {
		e = m.insert(s, k, l)
	} else if e.limit != l {
		if *e.limit != *l {
			e.lim.SetLimitAt(now, l.Rate.Limit())
			e.lim.SetBurstAt(now, l.Burst)
		}
		e.limit = l
	}
	e.last = now.UnixNano()
	ok := e.lim.AllowN(now, 1)
	tokens := e.lim.TokensAt(now)
	s.mu.Unlock()
	return decide(ok, tokens, l)
}

// insert creates key's bucket in s, first evicting buckets until the zone
// is below its cap. s.mu is held.
func (m *Memory) insert(s *shard, key memKey, l *Limit) *entry {
	for {
		n := m.size.Load()
		if n < m.maxKeys.Load() {
			if m.size.CompareAndSwap(n, n+1) {
				break
			}
			continue
		}
		m.evictOne(s)
	}
	e := &entry{limit: l}
	// A zero Limiter given its limit and burst at the zero time is full
	// at its first use.
	e.lim.SetLimitAt(time.Time{}, l.Rate.Limit())
	e.lim.SetBurstAt(time.Time{}, l.Burst)
	s.m[key] = e
	return e
}

// evictOne evicts a bucket of s, or, when s is empty, of the first other
// shard it can lock without waiting. s.mu is held.
func (m *Memory) evictOne(s *shard) {
	if s.evict() {
		m.size.Add(-1)
		m.evictions.Add(1)
		return
	}
	for i := range m.shards {
		o := &m.shards[i]
		if o == s || !o.mu.TryLock() {
			continue
		}
		evicted := o.evict()
		o.mu.Unlock()
		if evicted {
			m.size.Add(-1)
			m.evictions.Add(1)
			return
		}
	}
	runtime.Gosched() // every other shard is busy or empty: try again
}

// evict deletes the least recently used of a random sample of s's buckets
// and reports whether s had any. s.mu is held.
func (s *shard) evict() bool {
	var victim *entry
	var key memKey
	n := 0
	for k, e := range s.m { // map iteration starts at a random position
		if victim == nil || e.last < victim.last {
			victim, key = e, k
		}
		if n++; n == evictionSamples {
			break
		}
	}
	if victim == nil {
		return false
	}
	delete(s.m, key)
	return true
}

// Sweep drops the buckets that have been idle for at least their fill time
// at now (they are full, like a new bucket) and returns how many it dropped.
// It locks one shard at a time.
func (m *Memory) Sweep(now time.Time) int {
	dropped := 0
	t := now.UnixNano()
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		for k, e := range s.m {
			if t-e.last >= int64(e.limit.FillTime()) {
				delete(s.m, k)
				m.size.Add(-1)
				dropped++
			}
		}
		s.mu.Unlock()
	}
	return dropped
}

// decide builds a Decision from the outcome of a take and the tokens left.
func decide(ok bool, tokens float64, l *Limit) Decision {
	ps := l.Rate.PerSecond()
	d := Decision{Allowed: ok}
	if tokens > 0 {
		d.Remaining = int(math.Floor(tokens))
	}
	if missing := float64(l.Burst) - tokens; missing > 0 {
		d.Reset = time.Duration(missing / ps * float64(time.Second))
	}
	if !ok {
		d.RetryAfter = time.Duration((1 - tokens) / ps * float64(time.Second))
	}
	return d
}

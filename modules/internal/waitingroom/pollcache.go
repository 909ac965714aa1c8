package waitingroom

import (
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// MaxPollCacheAge bounds how long a PollCache answers a queued visitor's
// polls from memory.
const MaxPollCacheAge = 5 * time.Second

// DefaultPollCacheEntries bounds the visitors a PollCache remembers.
const DefaultPollCacheEntries = 100_000

// PollCache is a Store in front of a shared one (Redis) that answers a
// queued visitor who polls again soon after their last answer from the
// gateway's memory, with that answer: a visitor pressing reload, or a
// script polling in a loop, costs the shared store one round trip per
// MaxPollCacheAge (or half the refresh interval, when shorter) instead of
// one per request. That is what keeps the store's load flat in a surge of
// impatient visitors.
//
// What a remembered answer changes: its place in line is one the visitor
// had moments ago (a place in line only moves forward, so the page never
// shows it going back); a place that frees for the visitor is taken at the
// next poll the store answers, which the reservation waits for (it lasts
// three refresh intervals); the poll does not renew the visitor's place in
// the store, which a poll within half a refresh interval never needs.
// Pages refresh at 80-100% of the refresh interval, so a visitor who waits
// as the page asks always reaches the store.
//
// A change of mode or limits or a reset seen by Status (the app reads it
// every second), an Update or a Reset forgets every remembered answer, so
// they apply on this gateway as soon as they are seen.
type PollCache struct {
	Store
	max    int // entries kept at most, over all shards
	seed   maphash.Seed
	shards [pollShards]pollShard

	seenMu sync.Mutex
	seen   Status // the mode and limits of the last Status

	// gen counts Forget calls: an answer the store gave before one is not
	// kept after it.
	gen atomic.Uint64
}

const pollShards = 32

type pollShard struct {
	mu    sync.Mutex
	m     map[string]pollEntry
	swept int64 // when a full shard was last swept (monotonic nanoseconds)
}

type pollEntry struct {
	ticket, issued, expiry int64
	d                      Decision
	at, until              int64 // monotonic nanoseconds (since pollEpoch)
}

var pollEpoch = time.Now()

func monoNow() int64 { return int64(time.Since(pollEpoch)) }

// NewPollCache returns inner behind a PollCache that keeps at most max
// visitors (DefaultPollCacheEntries when max <= 0).
func NewPollCache(inner Store, max int) *PollCache {
	if max <= 0 {
		max = DefaultPollCacheEntries
	}
	c := &PollCache{Store: inner, max: max, seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].m = make(map[string]pollEntry)
	}
	return c
}

func (c *PollCache) shard(sid string) *pollShard {
	return &c.shards[maphash.String(c.seed, sid)%pollShards]
}

// age is how long an answer is reused for the settings s.
func age(s *Settings) time.Duration {
	a := s.Refresh / 2
	if a <= 0 || a > MaxPollCacheAge {
		a = MaxPollCacheAge
	}
	return a
}

// Decide implements Store.
func (c *PollCache) Decide(ctx context.Context, s *Settings, v Visit) (Decision, error) {
	if v.Op != OpPoll {
		return c.Store.Decide(ctx, s, v)
	}
	sh := c.shard(v.SID)
	now := monoNow()
	sh.mu.Lock()
	e, ok := sh.m[v.SID]
	sh.mu.Unlock()
	if ok && e.ticket == v.Ticket && e.issued == v.Issued && e.expiry == v.Expiry && now < e.until {
		d := e.d
		d.Now += (now - e.at) / int64(time.Millisecond)
		return d, nil
	}
	gen := c.gen.Load()
	d, err := c.Store.Decide(ctx, s, v)
	if err != nil {
		return d, err
	}
	sh.mu.Lock()
	switch {
	case d.Outcome != Queued || d.BadCookie || d.Joined:
		delete(sh.m, v.SID)
	case c.gen.Load() != gen:
		// The room changed while the store answered: keep nothing of it.
	default:
		_, known := sh.m[v.SID]
		if !known && len(sh.m) >= c.max/pollShards && now-sh.swept >= int64(100*time.Millisecond) {
			// Full: drop what has expired, at most ten times a second, so
			// that a flood of visitors costs no sweep per request.
			sh.swept = now
			sweep(sh.m, now)
		}
		if known || len(sh.m) < c.max/pollShards {
			sh.m[v.SID] = pollEntry{ticket: v.Ticket, issued: v.Issued, expiry: v.Expiry, d: d, at: now, until: now + int64(age(s))}
		}
	}
	sh.mu.Unlock()
	return d, nil
}

// sweep drops the expired entries of a full shard.
func sweep(m map[string]pollEntry, now int64) {
	for k, e := range m {
		if now >= e.until {
			delete(m, k)
		}
	}
}

// Forget drops every remembered answer, and those of store calls under way.
func (c *PollCache) Forget() {
	c.gen.Add(1)
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		clear(sh.m)
		sh.mu.Unlock()
	}
}

// Len is the number of visitors remembered.
func (c *PollCache) Len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

// Status implements Store; a change of mode or limits, or a reset, since
// the last Status forgets the remembered answers.
func (c *PollCache) Status(ctx context.Context, s *Settings) (Status, error) {
	st, err := c.Store.Status(ctx, s)
	if err != nil {
		return st, err
	}
	c.seenMu.Lock()
	changed := st.Mode != c.seen.Mode || st.ActiveUsers != c.seen.ActiveUsers || st.NewUsersPerMinute != c.seen.NewUsersPerMinute || st.Epoch != c.seen.Epoch
	c.seen = Status{Mode: st.Mode, ActiveUsers: st.ActiveUsers, NewUsersPerMinute: st.NewUsersPerMinute, Epoch: st.Epoch}
	c.seenMu.Unlock()
	if changed {
		c.Forget()
	}
	return st, nil
}

// Update implements Store.
func (c *PollCache) Update(ctx context.Context, s *Settings, u Update) (Status, error) {
	st, err := c.Store.Update(ctx, s, u)
	c.Forget()
	return st, err
}

// Reset implements Store.
func (c *PollCache) Reset(ctx context.Context) error {
	err := c.Store.Reset(ctx)
	c.Forget()
	return err
}

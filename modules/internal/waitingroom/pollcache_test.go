package waitingroom

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// counted counts the decisions that reach the store behind a PollCache.
type counted struct {
	Store
	decides atomic.Int64
}

func (c *counted) Decide(ctx context.Context, s *Settings, v Visit) (Decision, error) {
	c.decides.Add(1)
	return c.Store.Decide(ctx, s, v)
}

// TestPollCacheRedis runs two gateways' poll caches on one real Redis.
func TestPollCacheRedis(t *testing.T) {
	harness.Long(t, "starts redis-server")
	srv := harness.Redis(t)
	name := roomName(t)
	gateway := func() (*PollCache, *counted) {
		s, err := NewRedis("redis://"+srv.Addr+"/0", name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		c := &counted{Store: s}
		return NewPollCache(c, 0), c
	}
	g1, store1 := gateway()
	g2, store2 := gateway()
	r1, r2 := room{Store: g1, sleep: time.Sleep}, room{Store: g2, sleep: time.Sleep}
	s := settings(1)
	s.Refresh = 4 * time.Second // answers are reused for 2 s
	s.SessionDuration = time.Minute

	var first, second visitor
	if d := decide(t, r1, s, &first); d.Outcome != Admitted {
		t.Fatalf("first visitor: %+v, want admitted", d)
	}
	if d := decide(t, r1, s, &second); d.Outcome != Queued || d.Position != 1 {
		t.Fatalf("second visitor: %+v, want queued first in line", d)
	}

	// Polls in quick succession: one reaches the store.
	before := store1.decides.Load()
	for range 20 {
		d := decide(t, r1, s, &second)
		if d.Outcome != Queued || d.Position != 1 {
			t.Fatalf("poll: %+v, want queued first in line", d)
		}
	}
	if n := store1.decides.Load() - before; n != 1 {
		t.Fatalf("20 quick polls made %d store calls, want 1", n)
	}
	if g1.Len() != 1 {
		t.Fatalf("cache holds %d visitors, want 1", g1.Len())
	}

	// Another gateway asks the store for itself.
	before2 := store2.decides.Load()
	if d := decide(t, r2, s, &second); d.Outcome != Queued || d.Position != 1 {
		t.Fatalf("poll through the second gateway: %+v", d)
	}
	if store2.decides.Load() != before2+1 {
		t.Fatal("the second gateway answered without its store")
	}

	// After half a refresh interval the store answers again.
	time.Sleep(2100 * time.Millisecond)
	before = store1.decides.Load()
	decide(t, r1, s, &second)
	if n := store1.decides.Load() - before; n != 1 {
		t.Fatalf("a poll after the answer's age made %d store calls, want 1", n)
	}

	// A mode change through the first gateway applies there at once...
	if _, err := g1.Update(context.Background(), s, Update{Mode: ModePassthrough}); err != nil {
		t.Fatal(err)
	}
	if d := decide(t, r1, s, &second); d.Outcome != Passed {
		t.Fatalf("after passthrough through this gateway: %+v, want passed", d)
	}
	// ...and on the second as soon as its app reads the room's state.
	// (The second gateway's answer of 2 s ago has aged out: it asks.)
	if d := decide(t, r2, s, &second); d.Outcome != Passed {
		t.Fatalf("second gateway after passthrough: %+v, want passed", d)
	}
	if g2.Len() != 0 {
		t.Fatalf("the second gateway keeps %d answers that are not queued ones", g2.Len())
	}
	if _, err := g1.Update(context.Background(), s, Update{Mode: ModeAuto}); err != nil {
		t.Fatal(err)
	}
	if d := decide(t, r2, s, &second); d.Outcome != Queued {
		t.Fatalf("back to auto: %+v, want queued", d)
	}
	if _, err := g1.Update(context.Background(), s, Update{Mode: ModePassthrough}); err != nil {
		t.Fatal(err)
	}
	if d := decide(t, r2, s, &second); d.Outcome != Queued {
		t.Fatalf("the second gateway's remembered answer: %+v, want queued (it has not read the state yet)", d)
	}
	if _, err := g2.Status(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if d := decide(t, r2, s, &second); d.Outcome != Passed {
		t.Fatalf("after the second gateway read the state: %+v, want passed", d)
	}
	if _, err := g1.Update(context.Background(), s, Update{Mode: ModeAuto}); err != nil {
		t.Fatal(err)
	}

	// A place that frees is taken at the next poll the store answers.
	if _, err := g1.Update(context.Background(), s, Update{ActiveUsers: 2}); err != nil {
		t.Fatal(err)
	}
	admitted := false
	for range 50 {
		if d := decide(t, r1, s, &second); d.Outcome == Admitted {
			admitted = true
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !admitted {
		t.Fatal("the visitor first in line was not admitted after a place was added")
	}
	if g1.Len() != 0 {
		t.Fatalf("an admitted visitor's answer is still kept (%d)", g1.Len())
	}

	// A reset through the first gateway reaches the second's remembered
	// answers when it reads the room's state.
	var third visitor
	if d := decide(t, r2, s, &third); d.Outcome != Queued {
		t.Fatalf("third visitor: %+v, want queued (two places, both taken)", d)
	}
	decide(t, r2, s, &third)
	if g2.Len() != 1 {
		t.Fatalf("second gateway keeps %d answers, want the third visitor's", g2.Len())
	}
	if err := g1.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := g2.Status(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if d := decide(t, r2, s, &third); !d.BadCookie {
		t.Fatalf("after a reset the second gateway has read: %+v, want the cookie counted as none", d)
	}
}

// TestPollCacheBounded checks that a flood of distinct visitors keeps the
// cache within its bound, and that the answers stay right.
func TestPollCacheBounded(t *testing.T) {
	m := memoryBackend(t, "")
	inner := &counted{Store: m.Store}
	c := NewPollCache(inner, 64)
	r := room{Store: c, sleep: m.sleep}
	s := settings(1)
	s.Refresh = time.Hour
	s.MaxQueued = 100000
	var holder visitor
	decide(t, r, s, &holder)
	visitors := make([]visitor, 1000)
	for i := range visitors {
		if d := decide(t, r, s, &visitors[i]); d.Outcome != Queued || d.Position != i+1 {
			t.Fatalf("visitor %d: %+v, want queued at %d", i, d, i+1)
		}
	}
	for round := range 3 {
		for i := range visitors {
			if d := decide(t, r, s, &visitors[i]); d.Outcome != Queued || d.Position != i+1 {
				t.Fatalf("round %d, visitor %d: %+v, want queued at %d", round, i, d, i+1)
			}
		}
	}
	if n := c.Len(); n > 64 {
		t.Fatalf("cache holds %d visitors, bound 64", n)
	}
	if n := c.Len(); n == 0 {
		t.Fatal("cache holds nobody")
	}
	// Of 3,000 polls, those of the remembered visitors did not reach the
	// store.
	if calls := inner.decides.Load() - 1001; calls >= 3000 || calls < 3000-3*64 {
		t.Fatalf("%d of 3000 polls reached the store, want 3000 less those of at most 64 remembered visitors", calls)
	}
}

// gated holds each Decide of the store behind it until released.
type gated struct {
	Store
	entered chan struct{}
	release chan struct{}
}

func (g *gated) Decide(ctx context.Context, s *Settings, v Visit) (Decision, error) {
	if v.Op == OpPoll {
		g.entered <- struct{}{}
		<-g.release
	}
	return g.Store.Decide(ctx, s, v)
}

// TestPollCacheForgetDuringCall checks that an answer the store gave while
// the room changed is not kept: it may be from before the change.
func TestPollCacheForgetDuringCall(t *testing.T) {
	m := memoryBackend(t, "")
	g := &gated{Store: m.Store, entered: make(chan struct{}), release: make(chan struct{})}
	c := NewPollCache(g, 0)
	r := room{Store: c, sleep: m.sleep}
	s := settings(1)
	s.Refresh = time.Hour
	var holder, waiting visitor
	decide(t, r, s, &holder)
	decide(t, r, s, &waiting) // joins: not kept
	done := make(chan Decision)
	go func() {
		v := Visit{Op: OpPoll, SID: waiting.c.SID, Ticket: waiting.c.Ticket, Issued: waiting.c.Issued, Expiry: waiting.c.Expiry}
		d, _ := c.Decide(context.Background(), s, v)
		done <- d
	}()
	<-g.entered
	c.Forget() // e.g. a mode change seen while the store was answering
	close(g.release)
	if d := <-done; d.Outcome != Queued {
		t.Fatalf("poll: %+v, want queued", d)
	}
	if n := c.Len(); n != 0 {
		t.Fatalf("an answer given across a Forget was kept (%d)", n)
	}
	// The next poll's answer is kept.
	go func() { <-g.entered }()
	decide(t, r, s, &waiting)
	if n := c.Len(); n != 1 {
		t.Fatalf("cache holds %d answers after a quiet poll, want 1", n)
	}
}

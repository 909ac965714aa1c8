package maintenance

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestGuesses(t *testing.T) {
	a := netip.MustParseAddr("192.0.2.1")

	t.Run("burst, then one per interval", func(t *testing.T) {
		g := NewGuesses(5, 12*time.Second, 100)
		for i := range 5 {
			ok, left, _ := g.Take(a, t0)
			if !ok || left != 4-i {
				t.Fatalf("guess %d: ok %v, left %d", i+1, ok, left)
			}
		}
		ok, _, wait := g.Take(a, t0)
		if ok || wait != 12*time.Second {
			t.Fatalf("sixth guess: ok %v, wait %s; want refused, 12s", ok, wait)
		}
		if ok, _, wait := g.Take(a, t0.Add(9*time.Second)); ok || wait != 3*time.Second {
			t.Fatalf("after 9 s: ok %v, wait %s; want refused, 3s", ok, wait)
		}
		if ok, left, _ := g.Take(a, t0.Add(12*time.Second)); !ok || left != 0 {
			t.Fatalf("after 12 s: ok %v, left %d; want one guess", ok, left)
		}
		if ok, _, _ := g.Take(a, t0.Add(13*time.Second)); ok {
			t.Fatal("a second guess 13 s after the burst")
		}
		// A long wait refills the bucket, never beyond the burst.
		for i := range 5 {
			if ok, _, _ := g.Take(a, t0.Add(time.Hour)); !ok {
				t.Fatalf("after an hour, guess %d refused", i+1)
			}
		}
		if ok, _, _ := g.Take(a, t0.Add(time.Hour)); ok {
			t.Fatal("the bucket grew beyond the burst")
		}
	})

	t.Run("right guesses are given back", func(t *testing.T) {
		g := NewGuesses(5, 12*time.Second, 100)
		for range 100 {
			if ok, _, _ := g.Take(a, t0); !ok {
				t.Fatal("a client with only right guesses was limited")
			}
			g.Refund(a, t0)
		}
		if g.Len() != 0 {
			t.Fatalf("%d buckets remembered for a client with no wrong guess", g.Len())
		}
		g.Refund(a, t0) // nothing taken: no bucket beyond the burst
		for range 5 {
			g.Take(a, t0)
		}
		if ok, _, _ := g.Take(a, t0); ok {
			t.Fatal("a refund without a take added a guess")
		}
	})

	t.Run("clients by network", func(t *testing.T) {
		g := NewGuesses(1, time.Minute, 100)
		for _, tt := range []struct {
			first, second string
			shared        bool
		}{
			{"192.0.2.1", "192.0.2.2", false},
			{"2001:db8:1:2::1", "2001:db8:1:2:ffff::9", true},
			{"2001:db8:1:3::1", "2001:db8:1:4::1", false},
			{"192.0.2.10", "::ffff:192.0.2.10", true},
		} {
			g.Take(netip.MustParseAddr(tt.first), t0)
			ok, _, _ := g.Take(netip.MustParseAddr(tt.second), t0)
			if ok == tt.shared {
				t.Errorf("%s then %s: second allowed %v, want shared bucket %v", tt.first, tt.second, ok, tt.shared)
			}
		}
		var none netip.Addr
		g.Take(none, t0)
		if ok, _, _ := g.Take(none, t0); ok {
			t.Error("requests without a client address are not limited together")
		}
	})

	t.Run("memory bounded, least recently used forgotten", func(t *testing.T) {
		g := NewGuesses(1, time.Hour, 3)
		addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{198, 51, 100, byte(i)}) }
		for i := range 3 {
			g.Take(addr(i), t0)
		}
		g.Take(addr(0), t0) // 0 is now the most recent; 1 the least
		for i := 3; i < 200; i++ {
			g.Take(addr(i), t0)
			if g.Len() > 3 {
				t.Fatalf("%d clients remembered, cap 3", g.Len())
			}
			if i == 3 {
				if ok, _, _ := g.Take(addr(0), t0); ok {
					t.Fatal("the most recent client was evicted")
				}
			}
		}
		if ok, _, _ := g.Take(addr(1), t0); !ok {
			t.Fatal("an evicted client still limited")
		}
	})

	t.Run("clock going back", func(t *testing.T) {
		g := NewGuesses(1, time.Minute, 10)
		g.Take(a, t0)
		if ok, _, wait := g.Take(a, t0.Add(-time.Hour)); ok || wait <= 0 {
			t.Fatalf("clock back: ok %v, wait %s", ok, wait)
		}
	})

	t.Run("defaults", func(t *testing.T) {
		g := NewGuesses(0, 0, 0)
		for range GuessBurst {
			g.Take(a, t0)
		}
		if ok, _, wait := g.Take(a, t0); ok || wait != GuessInterval {
			t.Fatalf("defaults: ok %v, wait %s", ok, wait)
		}
	})
}

// TestGuessesConcurrent: guesses sent at once cannot overrun the limit.
func TestGuessesConcurrent(t *testing.T) {
	g := NewGuesses(5, time.Minute, 100)
	a := netip.MustParseAddr("203.0.113.5")
	var checked atomic.Int64
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			if ok, _, _ := g.Take(a, t0); ok {
				checked.Add(1)
			}
		})
	}
	wg.Wait()
	if checked.Load() != 5 {
		t.Fatalf("%d of 200 concurrent guesses checked, want 5", checked.Load())
	}
}

func BenchmarkGuessesTake(b *testing.B) {
	g := NewGuesses(5, time.Minute, MaxGuessClients)
	a := netip.MustParseAddr("2001:db8::1")
	b.ReportAllocs()
	now := t0
	for b.Loop() {
		now = now.Add(time.Minute)
		g.Take(a, now)
	}
}

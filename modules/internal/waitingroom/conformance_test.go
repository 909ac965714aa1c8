package waitingroom

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontdoor-gateway/frontdoor/test/harness"
)

// room is one store under test with its clock: memory stores run on a fake
// clock that sleep advances, Redis ones on Redis's clock in real time.
type room struct {
	Store
	sleep func(time.Duration)
}

type backend func(t *testing.T, name string) room

var roomSeq atomic.Int64

// roomName is a unique room name for a test.
func roomName(t *testing.T) string {
	n := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, t.Name())
	if len(n) > 40 {
		n = n[len(n)-40:]
	}
	return fmt.Sprintf("%s-%d", strings.Trim(n, "-"), roomSeq.Add(1))
}

func memoryBackend(t *testing.T, _ string) room {
	var mu sync.Mutex
	now := time.Unix(1_800_000_000, 0)
	m := NewMemory()
	m.Now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	return room{Store: m, sleep: func(d time.Duration) {
		mu.Lock()
		now = now.Add(d)
		mu.Unlock()
	}}
}

func redisBackend(url string) backend {
	return func(t *testing.T, name string) room {
		s, err := NewRedis(url, name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return room{Store: s, sleep: time.Sleep}
	}
}

func TestConformanceMemory(t *testing.T) { conformance(t, memoryBackend) }

func TestConformanceRedis(t *testing.T) {
	harness.Long(t, "starts redis-server")
	srv := harness.Redis(t)
	conformance(t, redisBackend("redis://"+srv.Addr+"/0"))
}

func TestConformanceRedisCluster(t *testing.T) {
	harness.Long(t, "starts a three-master Redis Cluster")
	c := harness.RedisCluster(t)
	conformance(t, redisBackend(c.URL()))
}

// settings are the rules of most cases: one-second refresh (a visitor who
// stops polling for 3 s gives up the place), two-second sessions.
func settings(activeUsers int) *Settings {
	return &Settings{
		ActiveUsers:       activeUsers,
		NewUsersPerMinute: 6000,
		SessionDuration:   2 * time.Second,
		Refresh:           time.Second,
		MaxQueued:         1000,
		StoreTimeout:      2 * time.Second,
	}
}

// visitor is a client of the room holding its cookie.
type visitor struct {
	c     Cookie
	has   bool
	shown Shown
}

func decide(t *testing.T, r room, s *Settings, v *visitor) Decision {
	t.Helper()
	visit := Visit{Op: OpArrive, SID: NewSID(), Seed: rand.Uint64()}
	if v.has {
		visit = Visit{Op: OpPoll, SID: v.c.SID, Ticket: v.c.Ticket, Issued: v.c.Issued, Expiry: v.c.Expiry, Seed: rand.Uint64()}
		if v.c.Admitted {
			visit.Op = OpTouch
		}
	}
	d, err := r.Decide(context.Background(), s, visit)
	if err != nil {
		t.Fatalf("decide: %v", err)
	}
	if d.Now <= 0 {
		t.Fatalf("decision without the store's time: %+v", d)
	}
	switch d.Outcome {
	case Admitted:
		if !v.has || !v.c.Admitted || d.BadCookie {
			v.c = Cookie{Admitted: true, SID: visit.SID, Ticket: d.Ticket, Issued: d.Now, Expiry: d.Now + s.SessionDuration.Milliseconds()}
		} else {
			v.c.Issued, v.c.Expiry = d.Now, d.Now+s.SessionDuration.Milliseconds()
		}
		v.has = true
	case Queued:
		if d.Joined {
			v.c = Cookie{SID: visit.SID, Ticket: d.Ticket, Issued: d.Now, Expiry: d.Now + 24*3600*1000}
			v.has = true
		}
	}
	return d
}

func conformance(t *testing.T, newRoom backend) {
	t.Run("admits up to active_users, then queues in order", func(t *testing.T) {
		t.Parallel()
		r := newRoom(t, roomName(t))
		s := settings(3)
		for i := range 3 {
			if d := decide(t, r, s, &visitor{}); d.Outcome != Admitted || d.Active != i+1 {
				t.Fatalf("visitor %d: %+v, want admitted with %d active", i+1, d, i+1)
			}
		}
		var last int64
		for i := range 4 {
			d := decide(t, r, s, &visitor{})
			if d.Outcome != Queued || !d.Joined || d.Position != i+1 || d.Waiting != i+1 || d.Active != 3 {
				t.Fatalf("visitor %d after the room filled: %+v, want queued at %d", i+4, d, i+1)
			}
			if d.Ticket <= last {
				t.Fatalf("ticket %d after %d", d.Ticket, last)
			}
			last = d.Ticket
		}
		st, err := r.Status(context.Background(), s)
		if err != nil || st.Active != 3 || st.Queued != 4 || st.AdmittedLastMinute != 3 || st.Mode != ModeAuto || st.ActiveUsers != 3 {
			t.Fatalf("status %+v, %v", st, err)
		}
	})

	t.Run("a freed place is reserved for the first in line", func(t *testing.T) {
		t.Parallel()
		r := newRoom(t, roomName(t))
		s := settings(2)
		a, b := &visitor{}, &visitor{}
		decide(t, r, s, a)
		decide(t, r, s, b)
		q := make([]*visitor, 5)
		for i := range q {
			q[i] = &visitor{}
			decide(t, r, s, q[i])
		}
		// a and b go idle; the queue keeps polling (the last first, so
		// that order by polling would favour the later tickets).
		for range 3 {
			r.sleep(800 * time.Millisecond)
			for i := len(q) - 1; i >= 0; i-- {
				decide(t, r, s, q[i])
			}
		}
		admitted := []int{}
		for i := len(q) - 1; i >= 0; i-- {
			if q[i].c.Admitted {
				admitted = append(admitted, i)
			}
		}
		sort.Ints(admitted)
		if !slices.Equal(admitted, []int{0, 1}) {
			t.Fatalf("admitted from the line: %v, want the first two [0 1]", admitted)
		}
		for i := 2; i < len(q); i++ {
			d := decide(t, r, s, q[i])
			if d.Outcome != Queued || d.Position != i-1 {
				t.Fatalf("visitor %d of the line: %+v, want position %d", i, d, i-1)
			}
		}
	})

	t.Run("positions never go up", func(t *testing.T) {
		t.Parallel()
		r := newRoom(t, roomName(t))
		s := settings(1)
		decide(t, r, s, &visitor{})
		line := make([]*visitor, 6)
		last := make([]int, len(line))
		for i := range line {
			line[i] = &visitor{}
			last[i] = decide(t, r, s, line[i]).Position
		}
		for round := range 8 {
			r.sleep(700 * time.Millisecond)
			decide(t, r, s, &visitor{}) // newcomers join behind
			for i, v := range line {
				if v.c.Admitted {
					continue
				}
				d := decide(t, r, s, v)
				if d.Outcome == Queued {
					if d.Position > last[i] || d.Position < 1 {
						t.Fatalf("round %d: visitor %d went from position %d to %d", round, i, last[i], d.Position)
					}
					last[i] = d.Position
				}
			}
		}
		if !line[0].c.Admitted || !line[1].c.Admitted {
			t.Fatal("the line did not move: the first visitors were not admitted")
		}
	})

	t.Run("a visitor who stops polling gives up the place", func(t *testing.T) {
		t.Parallel()
		r := newRoom(t, roomName(t))
		s := settings(1)
		s.SessionDuration = time.Hour
		holder := &visitor{}
		decide(t, r, s, holder)
		gone, stays := &visitor{}, &visitor{}
		decide(t, r, s, gone)
		if d := decide(t, r, s, stays); d.Position != 2 {
			t.Fatalf("second in line: %+v", d)
		}
		var d Decision
		for range 5 {
			r.sleep(800 * time.Millisecond)
			d = decide(t, r, s, stays)
		}
		if d.Position != 1 || d.Waiting != 1 {
			t.Fatalf("4 s after the first in line stopped polling: %+v, want position 1 of 1", d)
		}
		// The one who left comes back: a new ticket at the end.
		if d := decide(t, r, s, gone); d.Outcome != Queued || !d.Joined || d.Position != 2 {
			t.Fatalf("the visitor who left comes back: %+v, want a new place at the end", d)
		}
	})

	t.Run("sessions slide and free their place when idle", func(t *testing.T) {
		t.Parallel()
		r := newRoom(t, roomName(t))
		s := settings(1)
		s.SessionDuration = 1500 * time.Millisecond
		on := &visitor{}
		decide(t, r, s, on)
		w := &visitor{}
		decide(t, r, s, w)
		for range 5 { // 3.5 s: twice the session duration, while active
			r.sleep(700 * time.Millisecond)
			if d := decide(t, r, s, on); d.Outcome != Admitted {
				t.Fatalf("active visitor: %+v", d)
			}
			if d := decide(t, r, s, w); d.Outcome != Queued {
				t.Fatalf("the active session's place went to the line: %+v", d)
			}
		}
		r.sleep(1700 * time.Millisecond) // idle for longer than the session
		decide(t, r, s, w)               // the place is reserved ...
		if !w.c.Admitted {
			if d := decide(t, r, s, w); d.Outcome != Admitted || !d.Claimed {
				t.Fatalf("after the session went idle: %+v, want admitted from the line", d)
			}
		}
	})

	t.Run("new_users_per_minute paces admissions", func(t *testing.T) {
		t.Parallel()
		r := newRoom(t, roomName(t))
		s := settings(100)
		s.NewUsersPerMinute = 60 // one a second, one at once
		s.SessionDuration = time.Hour
		vs := make([]*visitor, 10)
		admitted := 0
		for i := range vs {
			vs[i] = &visitor{}
			if decide(t, r, s, vs[i]).Outcome == Admitted {
				admitted++
			}
		}
		if admitted != 1 {
			t.Fatalf("%d admitted at once, want 1 (60 a minute, a second's worth at once)", admitted)
		}
		start := time.Now()
		for range 6 {
			r.sleep(500 * time.Millisecond)
			for _, v := range vs {
				decide(t, r, s, v)
			}
		}
		admitted = 0
		for _, v := range vs {
			if v.c.Admitted {
				admitted++
			}
		}
		// 3 s more at one a second (real time adds to Redis's clock).
		extra := max(0, int(time.Since(start)/time.Second)-3)
		if admitted < 3 || admitted > 5+extra {
			t.Fatalf("%d admitted after 3 s at one a second, want 3 to %d", admitted, 5+extra)
		}
		st, _ := r.Status(context.Background(), s)
		if st.AdmittedLastMinute != admitted && st.AdmittedLastMinute != admitted+1 {
			t.Fatalf("admitted_last_minute %d, %d admitted (+1 reserved at most)", st.AdmittedLastMinute, admitted)
		}
	})

	t.Run("pause, queue_all, passthrough and live limits", func(t *testing.T) {
		t.Parallel()
		r := newRoom(t, roomName(t))
		ctx := context.Background()
		s := settings(1)
		on := &visitor{}
		decide(t, r, s, on)

		st, err := r.Update(ctx, s, Update{Mode: ModePause})
		if err != nil || st.Mode != ModePause {
			t.Fatalf("pause: %+v %v", st, err)
		}
		st, _ = r.Update(ctx, s, Update{ActiveUsers: 5})
		if st.ActiveUsers != 5 || !st.ActiveUsersSet || st.Mode != ModePause {
			t.Fatalf("raising active_users while paused: %+v", st)
		}
		w := &visitor{}
		if d := decide(t, r, s, w); d.Outcome != Queued || !d.Paused || d.Position != 1 {
			t.Fatalf("arrival while paused: %+v, want queued", d)
		}
		if d := decide(t, r, s, on); d.Outcome != Admitted {
			t.Fatalf("a session while paused: %+v, want it kept", d)
		}

		r.Update(ctx, s, Update{Mode: ModeQueueAll})
		n := &visitor{}
		if d := decide(t, r, s, n); d.Outcome != Queued || d.Paused {
			t.Fatalf("arrival in queue_all with room to spare: %+v, want queued", d)
		}
		decide(t, r, s, w)              // the line moves: w first
		r.sleep(150 * time.Millisecond) // places are reserved at the next sweep
		decide(t, r, s, n)
		if d := decide(t, r, s, n); !w.c.Admitted || d.Outcome != Admitted {
			t.Fatalf("queue_all: the line did not move (%+v)", d)
		}

		st, _ = r.Update(ctx, s, Update{Mode: ModePassthrough})
		if st.Mode != ModePassthrough {
			t.Fatalf("passthrough: %+v", st)
		}
		if d := decide(t, r, s, &visitor{}); d.Outcome != Passed || d.Joined {
			t.Fatalf("arrival in passthrough: %+v", d)
		}
		if d := decide(t, r, s, on); d.Outcome != Admitted {
			t.Fatalf("a session in passthrough: %+v", d)
		}

		st, _ = r.Update(ctx, s, Update{Mode: ModeAuto, ActiveUsers: -1, NewUsersPerMinute: 7})
		if st.Mode != ModeAuto || st.ActiveUsers != 1 || st.ActiveUsersSet || st.NewUsersPerMinute != 7 || !st.NewUsersPerMinuteSet {
			t.Fatalf("back to auto with the configured active_users: %+v", st)
		}
		if d := decide(t, r, s, &visitor{}); d.Outcome != Queued {
			t.Fatalf("the room is full again at active_users 1: %+v", d)
		}
	})

	t.Run("an event draws the order at start", func(t *testing.T) {
		t.Parallel()
		r := newRoom(t, roomName(t))
		s := settings(1)
		s.SessionDuration = time.Hour
		probe, _ := r.Decide(context.Background(), s, Visit{Op: OpArrive, SID: NewSID()})
		now := time.UnixMilli(probe.Now) // the store's clock
		s.Prequeue, s.Start, s.End = now.Add(time.Second), now.Add(3*time.Second), now.Add(time.Hour)
		// probe was admitted (no event yet); the rest waits for start.
		if d := decide(t, r, s, &visitor{}); d.Outcome != Passed {
			t.Fatalf("before prequeue: %+v, want passthrough", d)
		}
		r.sleep(1100 * time.Millisecond)
		const n = 12
		early := make([]*visitor, n)
		for i := range early {
			early[i] = &visitor{}
			d := decide(t, r, s, early[i])
			if d.Outcome != Queued || !d.BeforeStart || d.Position != 0 || !d.Joined {
				t.Fatalf("arrival before start: %+v, want queued, no position", d)
			}
		}
		for time.UnixMilli(decide(t, r, s, early[0]).Now).Before(s.Start) {
			r.sleep(300 * time.Millisecond)
			for _, v := range early {
				decide(t, r, s, v)
			}
		}
		late := &visitor{}
		d := decide(t, r, s, late)
		if d.Outcome != Queued || d.BeforeStart || d.Position != n+1 {
			t.Fatalf("arrival after start: %+v, want position %d (behind the draw)", d, n+1)
		}
		positions := make([]int, n)
		for i, v := range early {
			positions[i] = decide(t, r, s, v).Position
		}
		sorted := slices.Clone(positions)
		slices.Sort(sorted)
		for i, p := range sorted {
			if p != i+1 {
				t.Fatalf("positions after start %v are not 1..%d", positions, n)
			}
		}
		if sort.IntsAreSorted(positions) {
			t.Fatalf("positions %v follow the arrival order: not shuffled", positions)
		}
		s2 := *s
		s2.End = time.UnixMilli(d.Now).Add(-time.Millisecond)
		if d := decide(t, r, &s2, late); d.Outcome != Passed {
			t.Fatalf("after the event's end: %+v, want passthrough", d)
		}
	})

	t.Run("a random room draws by lot", func(t *testing.T) {
		t.Parallel()
		r := newRoom(t, roomName(t))
		s := settings(1)
		s.Random = true
		s.SessionDuration = 500 * time.Millisecond
		decide(t, r, s, &visitor{})
		const n = 10
		vs := make([]*visitor, n)
		for i := range vs {
			vs[i] = &visitor{}
			if d := decide(t, r, s, vs[i]); d.Outcome != Queued || d.Position != 0 || d.Waiting != i+1 {
				t.Fatalf("random room arrival: %+v, want queued with no position", d)
			}
		}
		var order []int
		for len(order) < 5 {
			r.sleep(600 * time.Millisecond) // the session ends; one place frees
			for i, v := range vs {
				if !v.c.Admitted && decide(t, r, s, v).Outcome == Admitted {
					order = append(order, i)
				}
			}
			for i, v := range vs {
				if !v.c.Admitted && decide(t, r, s, v).Outcome == Admitted {
					order = append(order, i)
				}
			}
		}
		if slices.Equal(order[:5], []int{0, 1, 2, 3, 4}) {
			t.Fatalf("admission order %v is the arrival order: no lottery", order)
		}
	})

	t.Run("a reset voids older cookies", func(t *testing.T) {
		t.Parallel()
		r := newRoom(t, roomName(t))
		s := settings(1)
		on, w := &visitor{}, &visitor{}
		decide(t, r, s, on)
		decide(t, r, s, w)
		old := *on
		r.sleep(5 * time.Millisecond)
		if err := r.Reset(context.Background()); err != nil {
			t.Fatal(err)
		}
		r.sleep(5 * time.Millisecond)
		st, _ := r.Status(context.Background(), s)
		if st.Active != 0 || st.Queued != 0 {
			t.Fatalf("after reset: %+v", st)
		}
		d := decide(t, r, s, w)
		if !d.BadCookie || d.Outcome != Admitted {
			t.Fatalf("a queued cookie from before the reset: %+v, want a bad cookie, then admitted as new", d)
		}
		if d := decide(t, r, s, &old); !d.BadCookie || d.Outcome != Queued {
			t.Fatalf("an admitted cookie from before the reset: %+v, want a bad cookie, then queued as new", d)
		}
	})

	t.Run("a reset voids a cookie issued in its millisecond", func(t *testing.T) {
		t.Parallel()
		r := newRoom(t, roomName(t))
		s := settings(1)
		on, w := &visitor{}, &visitor{}
		decide(t, r, s, on)
		decide(t, r, s, w)
		if err := r.Reset(context.Background()); err != nil {
			t.Fatal(err)
		}
		// The memory store's clock has not moved: the cookie's time is the
		// reset's. (On Redis the reset comes a little later.)
		if d := decide(t, r, s, w); !d.BadCookie {
			t.Fatalf("a cookie issued in the reset's millisecond: %+v, want a bad cookie", d)
		}
	})

	t.Run("an expired cookie counts as none", func(t *testing.T) {
		t.Parallel()
		r := newRoom(t, roomName(t))
		s := settings(5)
		v := &visitor{}
		decide(t, r, s, v)
		v.c.Expiry = v.c.Issued - 1
		if d := decide(t, r, s, v); !d.BadCookie {
			t.Fatalf("expired cookie: %+v", d)
		}
	})

	t.Run("a session the store lost keeps its place", func(t *testing.T) {
		t.Parallel()
		r := newRoom(t, roomName(t))
		s := settings(2)
		d0 := decide(t, r, s, &visitor{})
		v := &visitor{has: true, c: Cookie{Admitted: true, SID: NewSID(), Issued: d0.Now, Expiry: d0.Now + 2000}}
		if d := decide(t, r, s, v); d.Outcome != Admitted || d.BadCookie {
			t.Fatalf("admitted cookie unknown to the store: %+v, want admitted", d)
		}
		r.sleep(150 * time.Millisecond) // the next sweep counts it
		if st, err := r.Status(context.Background(), s); err != nil || st.Active != 2 {
			t.Fatalf("status %+v %v, want the session counted (2 active)", st, err)
		}
	})

	t.Run("a claimed place survives a lost response", func(t *testing.T) {
		t.Parallel()
		r := newRoom(t, roomName(t))
		s := settings(1)
		s.SessionDuration = 500 * time.Millisecond
		decide(t, r, s, &visitor{})
		w := &visitor{}
		decide(t, r, s, w)
		queued := *w
		r.sleep(600 * time.Millisecond)
		decide(t, r, s, w)
		if !w.c.Admitted {
			decide(t, r, s, w)
		}
		if !w.c.Admitted {
			t.Fatal("not admitted")
		}
		if d := decide(t, r, s, &queued); d.Outcome != Admitted || d.Joined {
			t.Fatalf("polling again with the queued cookie: %+v, want admitted", d)
		}
	})

	t.Run("the line is bounded", func(t *testing.T) {
		t.Parallel()
		r := newRoom(t, roomName(t))
		s := settings(1)
		s.MaxQueued = 3
		s.SessionDuration = time.Hour
		decide(t, r, s, &visitor{})
		vs := []*visitor{{}, {}, {}}
		for _, v := range vs {
			decide(t, r, s, v)
		}
		extra := &visitor{}
		if d := decide(t, r, s, extra); d.Outcome != Full || d.Joined || extra.has {
			t.Fatalf("arrival at the cap: %+v, want full without a ticket", d)
		}
		for range 5 { // the first stops polling and gives up the place
			r.sleep(800 * time.Millisecond)
			decide(t, r, s, vs[1])
			decide(t, r, s, vs[2])
		}
		if d := decide(t, r, s, extra); d.Outcome != Queued || d.Position != 3 {
			t.Fatalf("arrival once a place in line freed: %+v", d)
		}
	})

	t.Run("concurrent arrivals never exceed active_users", func(t *testing.T) {
		t.Parallel()
		r := newRoom(t, roomName(t))
		s := settings(50)
		s.NewUsersPerMinute = 1_000_000
		var admitted, queued atomic.Int64
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 25 {
					d := decide(t, r, s, &visitor{})
					switch d.Outcome {
					case Admitted:
						admitted.Add(1)
					case Queued:
						queued.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if admitted.Load() != 50 || queued.Load() != 150 {
			t.Fatalf("200 concurrent arrivals: %d admitted, %d queued; want 50 and 150", admitted.Load(), queued.Load())
		}
	})
}

// TestMemoryMinuteCap runs a minute of a room on the memory store's clock
// (the pacing case of the conformance suite covers Redis in real time):
// admissions never exceed new_users_per_minute in a minute.
func TestMemoryMinuteCap(t *testing.T) {
	r := memoryBackend(t, "")
	s := settings(1000)
	s.NewUsersPerMinute = 30
	s.Refresh = time.Minute
	s.SessionDuration = time.Hour
	vs := make([]*visitor, 100)
	for i := range vs {
		vs[i] = &visitor{}
		decide(t, r, s, vs[i])
	}
	count := func() int {
		n := 0
		for _, v := range vs {
			if v.c.Admitted {
				n++
			}
		}
		return n
	}
	for range 120 { // 60 s in half-second steps
		r.sleep(500 * time.Millisecond)
		for _, v := range vs {
			decide(t, r, s, v)
		}
	}
	if n := count(); n < 29 || n > 31 {
		t.Fatalf("%d admitted in a minute at 30 a minute", n)
	}
}

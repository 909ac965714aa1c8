package waitingroom

import (
	"context"
	"math"
	"sync"
	"time"
)

// Memory is a Store in the gateway's memory: one gateway, state for the
// lifetime of the process. It follows the same rules as the Redis store
// (redis/*.lua) step for step; the conformance tests run both.
//
// Memory is bounded: at most MaxQueued visitors wait, sessions are at most
// the visitors admitted (ActiveUsers, plus those whose valid cookies come
// back after a reset of the process's state), and the admission counts are
// 60 one-second buckets.
type Memory struct {
	// Now is the clock; tests replace it. Default: time.Now.
	Now func() time.Time

	mu       sync.Mutex
	seq      int64
	epoch    int64
	t0       int64   // first admission, unix ms; 0 before
	swept    int64   // last sweep of idle sessions and lapsed tickets
	tat      float64 // pacing of admissions (GCRA), unix ms
	mode     Mode
	a, n     int // admin API overrides; 0 = the configuration's
	line     line
	waiters  map[string]*waiter // in line or with a reserved place
	reserved int
	polls    list[*waiter] // by last poll, oldest first
	sessions map[string]*session
	active   list[*session] // by last request, oldest first
	buckets  [60]bucket     // admissions per second
}

type waiter struct {
	id       string
	score    int64
	lastPoll int64
	reserved bool // its place is reserved: not in line any more
	el       element[*waiter]
}

type session struct {
	id       string
	lastSeen int64
	el       element[*session]
}

type bucket struct {
	sec   int64
	count int
}

// NewMemory returns an empty room.
func NewMemory() *Memory {
	m := &Memory{
		mode:     ModeAuto,
		waiters:  make(map[string]*waiter),
		sessions: make(map[string]*session),
	}
	m.polls.init()
	m.active.init()
	return m
}

func (m *Memory) now() int64 {
	if m.Now != nil {
		return m.Now().UnixMilli()
	}
	return time.Now().UnixMilli()
}

// Decide implements Store.
func (m *Memory) Decide(_ context.Context, s *Settings, v Visit) (Decision, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	d := Decision{Now: now, Ticket: v.Ticket, Paused: m.mode == ModePause}
	op := v.Op
	// A cookie issued in the millisecond of the reset counts as older: a
	// visit settled just before the reset has the same time.
	if op != OpArrive && (v.Issued <= m.epoch || v.Expiry <= now) {
		d.BadCookie = true
		op = OpArrive
		m.forget(v.SID)
	}
	ph := eventPhase(s, now)
	if m.mode == ModePassthrough || ph == phaseBefore || ph == phaseAfter {
		switch op {
		case OpTouch:
			m.touch(v.SID, now)
			d.Outcome = Admitted
		case OpPoll:
			if w := m.waiters[v.SID]; w != nil {
				m.polled(w, now)
			}
			d.Outcome = Passed
		default:
			d.Outcome = Passed
		}
		return d, nil
	}
	a, n := effective(s, m.a, m.n)
	m.housekeep(s, now, ph, a, n, v.Seed)
	d.Active, d.Waiting = len(m.sessions), len(m.waiters)

	if op == OpTouch {
		m.touch(v.SID, now)
		d.Active = len(m.sessions)
		d.Outcome = Admitted
		return d, nil
	}
	if ph == phasePre {
		d.BeforeStart = true
		if w := m.waiters[v.SID]; op == OpPoll && w != nil {
			m.polled(w, now)
			d.Outcome = Queued
			return d, nil
		}
		if len(m.waiters) >= maxQueued(s) {
			d.Outcome = Full
			return d, nil
		}
		m.seq++
		m.join(v.SID, drawScore(v.Seed), now)
		d.Ticket, d.Joined, d.Outcome = m.seq, true, Queued
		d.Waiting = len(m.waiters)
		return d, nil
	}
	if op == OpPoll {
		if w := m.waiters[v.SID]; w != nil {
			if w.reserved {
				m.leave(w)
				m.touch(v.SID, now)
				d.Outcome, d.Claimed = Admitted, true
				d.Active, d.Waiting = len(m.sessions), len(m.waiters)
				return d, nil
			}
			m.polled(w, now)
			if !s.Random {
				d.Position = m.reserved + m.line.Rank(w.score, w.id) + 1
			}
			d.AdmittedLastMinute, d.Window = m.used(now), m.window(now)
			d.Outcome = Queued
			return d, nil
		}
		if m.sessions[v.SID] != nil {
			m.touch(v.SID, now)
			d.Outcome = Admitted
			return d, nil
		}
		// The place was given up: the visitor joins again, at the end.
	}
	if m.mode == ModeAuto && m.line.Len() == 0 && m.budget(now, a-len(m.sessions)-m.reserved, n) >= 1 {
		m.touch(v.SID, now)
		m.admitted(now, 1, n)
		d.Outcome = Admitted
		d.Active = len(m.sessions)
		return d, nil
	}
	if len(m.waiters) >= maxQueued(s) {
		d.Outcome = Full
		d.AdmittedLastMinute, d.Window = m.used(now), m.window(now)
		return d, nil
	}
	m.seq++
	m.join(v.SID, fifoBase+m.seq, now)
	d.Ticket, d.Joined, d.Outcome = m.seq, true, Queued
	d.Waiting = len(m.waiters)
	if !s.Random {
		d.Position = len(m.waiters)
	}
	d.AdmittedLastMinute, d.Window = m.used(now), m.window(now)
	return d, nil
}

// housekeep, at most every sweepEvery, ends idle sessions, drops visitors
// who stopped polling, and reserves the places that are free for the first
// in line (or for visitors drawn by lot).
func (m *Memory) housekeep(s *Settings, now int64, ph phase, a, n int, seed uint64) {
	if now-m.swept >= sweepEvery || now < m.swept {
		idle := now - s.SessionDuration.Milliseconds()
		for e := m.active.front(); e != nil && e.v.lastSeen < idle; e = m.active.front() {
			m.active.remove(e)
			delete(m.sessions, e.v.id)
		}
		gone := now - AbandonAfter*s.Refresh.Milliseconds()
		for e := m.polls.front(); e != nil && e.v.lastPoll < gone; e = m.polls.front() {
			m.leave(e.v)
		}
		m.swept = now
	} else {
		return // places free only in a sweep (or when the limits change)
	}
	if ph != phaseOpen || m.mode == ModePause || m.line.Len() == 0 {
		return
	}
	k := min(m.line.Len(), m.budget(now, a-len(m.sessions)-m.reserved, n))
	if k <= 0 {
		return
	}
	rnd := lcg(seed)
	for range k {
		i := 0
		if s.Random {
			i = rnd.intn(m.line.Len())
		}
		_, id, _ := m.line.At(i)
		w := m.waiters[id]
		m.line.Remove(w.score, w.id)
		w.reserved = true
		m.reserved++
	}
	m.admitted(now, k, n)
}

// sweepEvery is how often (ms) idle sessions and visitors who stopped
// polling are swept: they are dropped at most that late (SWEEP in the Redis
// scripts).
const sweepEvery = 100

// budget is how many visitors may be admitted now: no more than free
// places, than n per minute (the last 60 one-second buckets), and than the
// pace of n per minute allows (at most a second's worth at once).
func (m *Memory) budget(now int64, free, n int) int {
	if free <= 0 {
		return 0
	}
	interval := 60000 / float64(n)
	burst := math.Max(1, math.Ceil(float64(n)/60))
	tat := math.Max(m.tat, float64(now))
	paced := int(math.Floor((float64(now) + burst*interval - tat) / interval))
	return max(0, min(free, n-m.used(now), paced))
}

func (m *Memory) admitted(now int64, k, n int) {
	sec := now / 1000
	b := &m.buckets[sec%60]
	if b.sec != sec {
		*b = bucket{sec: sec}
	}
	b.count += k
	m.tat = math.Max(m.tat, float64(now)) + float64(k)*60000/float64(n)
	if m.t0 == 0 {
		m.t0 = now
	}
}

// used is the number of admissions in the last 60 seconds.
func (m *Memory) used(now int64) int {
	sec := now / 1000
	total := 0
	for _, b := range m.buckets {
		if b.sec > sec-60 && b.sec <= sec {
			total += b.count
		}
	}
	return total
}

func (m *Memory) window(now int64) int64 {
	if m.t0 == 0 {
		return 0
	}
	return min(60000, now-m.t0)
}

func (m *Memory) join(id string, score, now int64) {
	w := &waiter{id: id, score: score, lastPoll: now}
	w.el.v = w
	m.waiters[id] = w
	m.line.Insert(score, id)
	m.polls.pushBack(&w.el)
}

func (m *Memory) polled(w *waiter, now int64) {
	w.lastPoll = now
	m.polls.moveToBack(&w.el)
}

// leave takes a visitor out of the line (or its reserved place).
func (m *Memory) leave(w *waiter) {
	if w.reserved {
		m.reserved--
	} else {
		m.line.Remove(w.score, w.id)
	}
	m.polls.remove(&w.el)
	delete(m.waiters, w.id)
}

// forget drops everything known of a session id (its cookie is no good).
func (m *Memory) forget(id string) {
	if w := m.waiters[id]; w != nil {
		m.leave(w)
	}
	if ss := m.sessions[id]; ss != nil {
		m.active.remove(&ss.el)
		delete(m.sessions, id)
	}
}

// touch starts or extends a session.
func (m *Memory) touch(id string, now int64) {
	ss := m.sessions[id]
	if ss == nil {
		ss = &session{id: id}
		ss.el.v = ss
		m.sessions[id] = ss
		m.active.pushBack(&ss.el)
	} else {
		m.active.moveToBack(&ss.el)
	}
	ss.lastSeen = now
}

// Status implements Store.
func (m *Memory) Status(_ context.Context, s *Settings) (Status, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.status(s), nil
}

func (m *Memory) status(s *Settings) Status {
	now := m.now()
	a, n := effective(s, m.a, m.n)
	if ph := eventPhase(s, now); m.mode != ModePassthrough && ph != phaseBefore && ph != phaseAfter {
		m.housekeep(s, now, ph, a, n, uint64(now))
	}
	return Status{
		Mode:                 m.mode,
		Active:               len(m.sessions),
		Queued:               len(m.waiters),
		AdmittedLastMinute:   m.used(now),
		ActiveUsers:          a,
		NewUsersPerMinute:    n,
		ActiveUsersSet:       m.a > 0,
		NewUsersPerMinuteSet: m.n > 0,
		Epoch:                m.epoch,
	}
}

// Update implements Store.
func (m *Memory) Update(_ context.Context, s *Settings, u Update) (Status, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if u.Mode != "" {
		m.mode = u.Mode
	}
	m.a = updated(m.a, u.ActiveUsers)
	m.n = updated(m.n, u.NewUsersPerMinute)
	m.swept = 0 // new limits or mode may free places: sweep (and reserve) now
	return m.status(s), nil
}

func updated(old, v int) int {
	switch {
	case v < 0:
		return 0
	case v > 0:
		return v
	}
	return old
}

// Reset implements Store.
func (m *Memory) Reset(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.epoch = m.now()
	m.seq, m.t0, m.tat, m.swept = 0, 0, 0, 0
	m.line = line{}
	m.waiters = make(map[string]*waiter)
	m.reserved = 0
	m.polls.init()
	m.sessions = make(map[string]*session)
	m.active.init()
	m.buckets = [60]bucket{}
	return nil
}

// Close implements Store.
func (m *Memory) Close() error { return nil }

// lcg draws lots from a seed: Park and Miller's minimal standard generator,
// as the Redis scripts do.
type lcgState struct{ x uint64 }

func lcg(seed uint64) *lcgState { return &lcgState{x: seed%2147483646 + 1} }

func (r *lcgState) intn(n int) int {
	r.x = r.x * 48271 % 2147483647
	return int(r.x % uint64(n))
}

// list is an intrusive doubly linked list with a sentinel.
type list[T any] struct{ root element[T] }

type element[T any] struct {
	prev, next *element[T]
	v          T
}

func (l *list[T]) init() { l.root.prev, l.root.next = &l.root, &l.root }

func (l *list[T]) front() *element[T] {
	if l.root.next == &l.root {
		return nil
	}
	return l.root.next
}

func (l *list[T]) pushBack(e *element[T]) {
	e.prev, e.next = l.root.prev, &l.root
	l.root.prev.next = e
	l.root.prev = e
}

func (l *list[T]) remove(e *element[T]) {
	if e.prev == nil {
		return
	}
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (l *list[T]) moveToBack(e *element[T]) {
	l.remove(e)
	l.pushBack(e)
}

// Interface guard
var _ Store = (*Memory)(nil)

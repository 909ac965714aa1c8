// Package waitingroom is the logic of frontdoor's virtual waiting room, free
// of Caddy: a room's state behind one small interface (Store) with a memory
// and a Redis backend, the signed cookie, the estimated wait and the queue
// page.
//
// A room lets at most ActiveUsers visitors on the site at once and admits at
// most NewUsersPerMinute of them per minute. The others wait in line: each
// gets a ticket, and when a place frees, it is reserved for the first in line
// (or, in a random room, for a visitor drawn by lot), who takes it at their
// next poll. A session that makes no request for SessionDuration frees its
// place; a visitor who stops polling for three Refresh intervals gives up
// theirs. With an event, everyone who arrives between Prequeue and Start is
// ordered at random and admitted from Start on, ahead of later arrivals; the
// room lets everyone through before Prequeue and after End.
//
// Every decision is one atomic step of the store, on the store's clock (for
// Redis, its TIME), so that gateways sharing a store agree whatever their own
// clocks say.
package waitingroom

import (
	"context"
	"errors"
	"time"
)

// Mode is a room's operating mode, set through the admin API.
type Mode string

// The modes.
const (
	// ModeAuto admits visitors while there is room, in order.
	ModeAuto Mode = "auto"
	// ModeQueueAll sends every new visitor to the line, even when there is
	// room; the line keeps moving.
	ModeQueueAll Mode = "queue_all"
	// ModePause admits nobody; the line stands still and sessions go on.
	ModePause Mode = "pause"
	// ModePassthrough lets everyone through, uncounted.
	ModePassthrough Mode = "passthrough"
)

// ValidMode reports whether m is one of the modes.
func ValidMode(m Mode) bool {
	switch m {
	case ModeAuto, ModeQueueAll, ModePause, ModePassthrough:
		return true
	}
	return false
}

// Defaults and bounds.
const (
	DefaultSessionDuration = 5 * time.Minute
	DefaultRefresh         = 20 * time.Second
	DefaultStoreTimeout    = 100 * time.Millisecond
	// DefaultMaxQueued bounds the visitors waiting in one room. A visitor
	// who arrives when the line is full gets the queue page without a
	// ticket, and tries again at each refresh.
	DefaultMaxQueued = 1_000_000
	// AbandonAfter is how many refresh intervals without a poll give up a
	// place in line.
	AbandonAfter = 3
	// MaxSessionDuration and MaxRefresh bound the durations (the Redis keys
	// of an idle room expire after stateTTL).
	MaxSessionDuration = 24 * time.Hour
	MaxRefresh         = time.Hour
	// MaxUsers bounds active_users and new_users_per_minute.
	MaxUsers = 10_000_000
)

// Settings are a room's configuration, sent with every decision (the mode
// and the admin API's overrides of ActiveUsers and NewUsersPerMinute are
// kept in the store and take precedence).
type Settings struct {
	ActiveUsers       int
	NewUsersPerMinute int
	SessionDuration   time.Duration
	Refresh           time.Duration
	Random            bool
	// Prequeue, Start and End describe an event; Start is zero without
	// one. Prequeue is at or before Start; End is zero or after Start.
	Prequeue, Start, End time.Time
	MaxQueued            int
	StoreTimeout         time.Duration
}

// HasEvent reports whether the settings describe an event.
func (s *Settings) HasEvent() bool { return !s.Start.IsZero() }

// Op is what a request asks of the store.
type Op uint8

// The operations.
const (
	// OpArrive: a visitor without a valid cookie.
	OpArrive Op = iota + 1
	// OpPoll: a visitor holding a ticket (a queued cookie).
	OpPoll
	// OpTouch: a visitor holding an admitted session.
	OpTouch
)

// Visit is one request as the store sees it.
type Visit struct {
	Op Op
	// SID is the session id: the cookie's, or a new one on arrival.
	SID string
	// Ticket, Issued and Expiry are the cookie's (unix milliseconds).
	Ticket         int64
	Issued, Expiry int64
	// Seed draws lots (random rooms, an event's order).
	Seed uint64
}

// Outcome is what happens to a request.
type Outcome uint8

// The outcomes.
const (
	// Admitted: on to the site, with a session.
	Admitted Outcome = iota + 1
	// Queued: the visitor waits (the queue page).
	Queued
	// Passed: on to the site without a session (passthrough, outside an
	// event's window).
	Passed
	// Full: the line is full; the visitor gets the queue page without a
	// ticket.
	Full
)

func (o Outcome) String() string {
	switch o {
	case Admitted:
		return "admitted"
	case Queued:
		return "queued"
	case Passed:
		return "passthrough"
	case Full:
		return "full"
	}
	return "unknown"
}

// Decision is the store's answer for one visit.
type Decision struct {
	Outcome Outcome
	// Now is the store's clock, in unix milliseconds: cookies are issued
	// on it.
	Now int64
	// Ticket is the visitor's ticket number (a new one when Joined).
	Ticket int64
	// Position is the place in line, 1 being next; 0 when it is not known
	// (before an event's start, in a random room).
	Position int
	// Waiting is how many visitors wait (in line or with a reserved place).
	Waiting int
	// Active is how many sessions are on the site; -1 when the store did
	// not count them for this decision.
	Active int
	// AdmittedLastMinute and Window measure the admission rate:
	// AdmittedLastMinute admissions over the last Window milliseconds (at
	// most a minute; 0 before the first admission).
	AdmittedLastMinute int
	Window             int64

	// Joined: the visitor got a new ticket (a new queued cookie).
	Joined bool
	// Claimed: the visitor took a place reserved for them in line.
	Claimed bool
	// BadCookie: the cookie was issued before a reset of the room, or has
	// expired; the visit was handled as an arrival.
	BadCookie bool
	// Paused: the room admits nobody for now.
	Paused bool
	// BeforeStart: an event has not started; the order is drawn at start.
	BeforeStart bool
}

// Status is a room's state as the admin API shows it.
type Status struct {
	Mode               Mode
	Active             int
	Queued             int
	AdmittedLastMinute int
	// ActiveUsers and NewUsersPerMinute are the values in force: the
	// admin API's when set (the *Set fields), else the configuration's.
	ActiveUsers          int
	NewUsersPerMinute    int
	ActiveUsersSet       bool
	NewUsersPerMinuteSet bool
	// Epoch is when the room was last reset (unix milliseconds on the
	// store's clock; 0: never): cookies issued before it count as none.
	Epoch int64
}

// Update changes a room through the admin API. An empty Mode leaves the mode
// as it is; for the two numbers, 0 leaves them, a negative value goes back
// to the configuration's, a positive one sets it.
type Update struct {
	Mode              Mode
	ActiveUsers       int
	NewUsersPerMinute int
}

// Store keeps the state of one room. Its methods are safe for concurrent
// use; each is one atomic step.
type Store interface {
	// Decide settles one visit.
	Decide(ctx context.Context, s *Settings, v Visit) (Decision, error)
	// Status reports the room's state.
	Status(ctx context.Context, s *Settings) (Status, error)
	// Update changes the mode or the limits and reports the new state.
	Update(ctx context.Context, s *Settings, u Update) (Status, error)
	// Reset empties the line and ends every session; cookies issued
	// before it count as none. The mode and limits set through the admin
	// API stay.
	Reset(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}

// ErrStoreDown is returned without a network call while a store that failed
// recently waits for its next probe.
var ErrStoreDown = errors.New("waiting-room store unavailable")

// effective returns the limits in force: the overrides when set.
func effective(s *Settings, activeUsers, perMinute int) (a, n int) {
	a, n = s.ActiveUsers, s.NewUsersPerMinute
	if activeUsers > 0 {
		a = activeUsers
	}
	if perMinute > 0 {
		n = perMinute
	}
	if n <= 0 {
		n = a
	}
	return max(a, 1), max(n, 1)
}

// phase is where the clock stands in a room's event.
type phase uint8

const (
	phaseOpen   phase = iota // no event, or between start and end
	phaseBefore              // before prequeue: everyone passes
	phasePre                 // between prequeue and start: the draw
	phaseAfter               // after end: everyone passes
)

func eventPhase(s *Settings, now int64) phase {
	if s.Start.IsZero() {
		return phaseOpen
	}
	start := s.Start.UnixMilli()
	pre := start
	if !s.Prequeue.IsZero() {
		pre = s.Prequeue.UnixMilli()
	}
	switch {
	case now < pre:
		return phaseBefore
	case now < start:
		return phasePre
	case !s.End.IsZero() && now >= s.End.UnixMilli():
		return phaseAfter
	}
	return phaseOpen
}

// fifoBase orders tickets after every member of an event's draw, whose
// scores are below it.
const fifoBase = 1 << 40

// drawScore is a random place in an event's draw, from seed.
func drawScore(seed uint64) int64 {
	return int64(seed%(fifoBase-1)) + 1
}

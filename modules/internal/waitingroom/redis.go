package waitingroom

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	//go:embed redis/common.lua
	commonLua string
	//go:embed redis/decide.lua
	decideLua string
	//go:embed redis/status.lua
	statusLua string
	//go:embed redis/update.lua
	updateLua string
	//go:embed redis/reset.lua
	resetLua string

	// Each script is common.lua followed by its own part; go-redis runs
	// them with EVALSHA and falls back to EVAL (which loads them) on
	// NOSCRIPT.
	decideScript = redis.NewScript(commonLua + decideLua)
	statusScript = redis.NewScript(commonLua + statusLua)
	updateScript = redis.NewScript(commonLua + updateLua + statusLua)
	resetScript  = redis.NewScript(commonLua + resetLua)
)

// Redis is a Store in Redis, shared by every gateway that uses the same
// server (or cluster) and room name. Each method is one script run (one
// round trip) bounded by the settings' StoreTimeout; the room's keys share
// the hash tag {<room>}, so they sit in one Redis Cluster slot.
//
// After a failure to reach Redis, or timeoutsToSkip timeouts in a row, the
// store is skipped (ErrStoreDown) for RetryInterval; then one request
// probes it while the others still skip it.
type Redis struct {
	client redis.UniversalClient
	keys   []string

	// RetryInterval is how long the store is skipped after a failure.
	RetryInterval time.Duration

	downUntil atomic.Int64 // unix nanoseconds; 0 when healthy
	probing   atomic.Bool
	timeouts  atomic.Int32

	args sync.Pool // *[]any of decide's arguments
}

const timeoutsToSkip = 3

// KeyPrefix starts the keys of a room.
func KeyPrefix(room string) string { return "frontdoor:waiting_room:{" + room + "}:" }

// NewRedis returns the store of room on the server (or cluster) of the URL,
// connecting lazily.
func NewRedis(store, room string) (*Redis, error) {
	quietOnce.Do(func() { redis.SetLogger(quietLogger{}) })
	c, err := newClient(store)
	if err != nil {
		return nil, err
	}
	p := KeyPrefix(room)
	r := &Redis{
		client:        c,
		keys:          []string{p + "cfg", p + "line", p + "res", p + "poll", p + "act", p + "adm"},
		RetryInterval: time.Second,
	}
	r.args.New = func() any { s := make([]any, 0, 16); return &s }
	return r, nil
}

// settingsArgs appends ARGV 1-10 of the scripts.
func settingsArgs(a []any, s *Settings, seed uint64) []any {
	random := "0"
	if s.Random {
		random = "1"
	}
	var pre, start, end int64
	if s.HasEvent() {
		start = s.Start.UnixMilli()
		pre = start
		if !s.Prequeue.IsZero() {
			pre = s.Prequeue.UnixMilli()
		}
		if !s.End.IsZero() {
			end = s.End.UnixMilli()
		}
	}
	return append(a, s.ActiveUsers, s.NewUsersPerMinute, s.SessionDuration.Milliseconds(),
		s.Refresh.Milliseconds(), random, pre, start, end, maxQueued(s), seed%2147483646)
}

func maxQueued(s *Settings) int {
	if s.MaxQueued > 0 {
		return s.MaxQueued
	}
	return DefaultMaxQueued
}

var ops = [...]string{OpArrive: "a", OpPoll: "p", OpTouch: "t"}

// Decide implements Store.
func (r *Redis) Decide(ctx context.Context, s *Settings, v Visit) (Decision, error) {
	if v.Op < OpArrive || v.Op > OpTouch {
		return Decision{}, fmt.Errorf("unknown operation %d", v.Op)
	}
	ap := r.args.Get().(*[]any)
	a := settingsArgs((*ap)[:0], s, v.Seed)
	a = append(a, ops[v.Op], v.SID, v.Ticket, v.Issued, v.Expiry, drawScore(v.Seed))
	var res []int64
	err := r.run(ctx, s, func(ctx context.Context) error {
		var err error
		res, err = decideScript.Run(ctx, r.client, r.keys, a...).Int64Slice()
		if err == nil && len(res) != 9 {
			err = fmt.Errorf("unexpected script reply %v", res)
		}
		return err
	})
	clear(a)
	*ap = a
	r.args.Put(ap)
	if err != nil {
		return Decision{}, err
	}
	if res[0] < int64(Admitted) || res[0] > int64(Full) {
		return Decision{}, fmt.Errorf("unexpected outcome %d", res[0])
	}
	f := res[8]
	return Decision{
		Outcome:            Outcome(res[0]),
		Now:                res[1],
		Ticket:             res[2],
		Position:           int(res[3]),
		Waiting:            int(res[4]),
		Active:             int(res[5]),
		AdmittedLastMinute: int(res[6]),
		Window:             res[7],
		Joined:             f&1 != 0,
		Claimed:            f&2 != 0,
		BadCookie:          f&4 != 0,
		Paused:             f&8 != 0,
		BeforeStart:        f&16 != 0,
	}, nil
}

// Status implements Store.
func (r *Redis) Status(ctx context.Context, s *Settings) (Status, error) {
	a := settingsArgs(nil, s, uint64(time.Now().UnixNano()))
	var st Status
	err := r.run(ctx, s, func(ctx context.Context) error {
		var err error
		st, err = readStatus(statusScript.Run(ctx, r.client, r.keys, a...))
		return err
	})
	return st, err
}

// Update implements Store.
func (r *Redis) Update(ctx context.Context, s *Settings, u Update) (Status, error) {
	if u.Mode != "" && !ValidMode(u.Mode) {
		return Status{}, fmt.Errorf("unknown mode %q", u.Mode)
	}
	num := func(v int) string {
		switch {
		case v < 0:
			return "-"
		case v > 0:
			return strconv.Itoa(v)
		}
		return ""
	}
	a := settingsArgs(nil, s, uint64(time.Now().UnixNano()))
	a = append(a, string(u.Mode), num(u.ActiveUsers), num(u.NewUsersPerMinute))
	var st Status
	err := r.run(ctx, s, func(ctx context.Context) error {
		var err error
		st, err = readStatus(updateScript.Run(ctx, r.client, r.keys, a...))
		return err
	})
	return st, err
}

// Reset implements Store.
func (r *Redis) Reset(ctx context.Context) error {
	s := &Settings{ActiveUsers: 1, StoreTimeout: time.Second}
	a := settingsArgs(nil, s, 0)
	return r.run(ctx, s, func(ctx context.Context) error {
		return resetScript.Run(ctx, r.client, r.keys, a...).Err()
	})
}

func readStatus(cmd *redis.Cmd) (Status, error) {
	v, err := cmd.Slice()
	if err != nil {
		return Status{}, err
	}
	if len(v) != 9 {
		return Status{}, fmt.Errorf("unexpected script reply %v", v)
	}
	mode, _ := v[0].(string)
	n := make([]int, 8)
	for i := range n {
		x, ok := v[i+1].(int64)
		if !ok {
			return Status{}, fmt.Errorf("unexpected script reply %v", v)
		}
		n[i] = int(x)
	}
	return Status{
		Mode: Mode(mode), Active: n[0], Queued: n[1], AdmittedLastMinute: n[2],
		ActiveUsers: n[3], NewUsersPerMinute: n[4],
		ActiveUsersSet: n[5] == 1, NewUsersPerMinuteSet: n[6] == 1,
		Epoch: int64(n[7]),
	}, nil
}

// run calls f with a deadline of the settings' store timeout, unless the
// store is being skipped after a failure.
func (r *Redis) run(ctx context.Context, s *Settings, f func(context.Context) error) error {
	if until := r.downUntil.Load(); until != 0 {
		if time.Now().UnixNano() < until || !r.probing.CompareAndSwap(false, true) {
			return ErrStoreDown
		}
		defer r.probing.Store(false)
	}
	timeout := s.StoreTimeout
	if timeout <= 0 {
		timeout = DefaultStoreTimeout
	}
	// A client that goes away must not make the store look down to
	// everyone: only the timeout ends the call.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if err := f(ctx); err != nil {
		if !isTimeout(err) || r.timeouts.Add(1) >= timeoutsToSkip {
			r.downUntil.Store(time.Now().Add(r.RetryInterval).UnixNano())
		}
		return err
	}
	r.timeouts.Store(0)
	r.downUntil.Store(0)
	return nil
}

// Close implements Store.
func (r *Redis) Close() error { return r.client.Close() }

var quietOnce sync.Once

// quietLogger discards go-redis's own log lines (one per failed dial):
// failures are returned, and reported at a bounded rate by the caller.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, redis.ErrPoolTimeout) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// Interface guard
var _ Store = (*Redis)(nil)

package limiter

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/redisurl"
)

// ErrStoreDown is returned without a network call while a store that failed
// recently is waiting for its next probe.
var ErrStoreDown = errors.New("rate-limit store unavailable")

// DefaultStoreTimeout bounds one round trip to the store.
const DefaultStoreTimeout = 100 * time.Millisecond

// gcra is a generic cell rate algorithm (a token bucket stored as its
// theoretical arrival time, tat) run atomically in Redis. The clock is
// Redis's, so gateways with skewed clocks agree. Times are microseconds.
// The bucket is a hash {t: tat, i: interval, b: burst}; when the limit
// changes, the bucket keeps the tokens it holds, like rate.Limiter.
//
// KEYS[1] the bucket; ARGV[1] emission interval; ARGV[2] burst.
// Returns {allowed, remaining, retry_after, reset}.
var gcra = redis.NewScript(`
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local v = redis.call('HMGET', KEYS[1], 't', 'i', 'b')
local tat = tonumber(v[1])
local changed = false
if not tat or tat < now then
	tat = now
else
	local oi, ob = tonumber(v[2]), tonumber(v[3])
	if oi and ob and (oi ~= interval or ob ~= burst) then
		local tokens = ob - (tat - now) / oi
		if tokens > burst then tokens = burst end
		if tokens < 0 then tokens = 0 end
		tat = now + (burst - tokens) * interval
		changed = true
	end
end
local new_tat = tat + interval
local allow_at = new_tat - interval * burst
local allowed = allow_at <= now
if allowed then
	tat = new_tat
end
if allowed or changed then
	redis.call('HSET', KEYS[1], 't', string.format('%.0f', tat), 'i', ARGV[1], 'b', ARGV[2])
	redis.call('PEXPIRE', KEYS[1], math.ceil((tat - now) / 1000) + 1000)
end
if not allowed then
	return {0, 0, allow_at - now, tat - now}
end
return {1, math.floor((now - allow_at) / interval), 0, tat - now}
`)

// Redis keeps token buckets in a Redis server so that every process using
// the same server and prefix shares them. Each decision is one round trip
// (EVALSHA of a Lua script) bounded by a timeout. After a failure to reach
// the server, or timeoutsToSkip timeouts in a row (one slow answer, a GC
// pause, does not count as the server being down), the store is skipped
// (ErrStoreDown) until RetryInterval has passed; then a single request
// probes it while the others still skip it.
type Redis struct {
	client *redis.Client
	prefix string

	// RetryInterval is how long the store is skipped after a failure.
	RetryInterval time.Duration

	downUntil atomic.Int64 // unix nanoseconds; 0 when healthy
	probing   atomic.Bool
	timeouts  atomic.Int32 // timeouts in a row
}

// timeoutsToSkip is how many timeouts in a row make the store skipped.
const timeoutsToSkip = 3

// NewRedis connects lazily to the server named by a redis://, rediss:// or
// unix:// URL. prefix starts every bucket's name.
//
// go-redis's own log lines (one per failed dial) are discarded: failures
// are returned to the caller, which reports them at a bounded rate.
func NewRedis(url, prefix string) (*Redis, error) {
	quietOnce.Do(func() { redis.SetLogger(quietLogger{}) })
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("store %q: %w", redisurl.Redact(url), redisurl.Error(url, err))
	}
	opt.DialTimeout = time.Second
	opt.DialerRetries = 1
	opt.ReadTimeout = time.Second
	opt.WriteTimeout = time.Second
	opt.PoolTimeout = time.Second
	opt.ContextTimeoutEnabled = true // the caller's deadline is the bound
	opt.MaxRetries = -1
	opt.DisableIdentity = true
	return &Redis{client: redis.NewClient(opt), prefix: prefix, RetryInterval: time.Second}, nil
}

// CheckStoreURL reports whether url is a Redis URL NewRedis accepts.
func CheckStoreURL(url string) error {
	if _, err := redis.ParseURL(url); err != nil {
		return fmt.Errorf("store %q: %w", redisurl.Redact(url), redisurl.Error(url, err))
	}
	return nil
}

// Allow takes one token from key's bucket. It returns an error, and no
// decision, when the store does not answer within timeout or is skipped
// after a recent failure. The bucket is named by the prefix and a digest of
// key (RedisKeyLen hex digits), never by key itself: a bucket costs Redis
// the same memory whatever the length of its key.
func (s *Redis) Allow(ctx context.Context, key []byte, l Limit, timeout time.Duration) (Decision, error) {
	if until := s.downUntil.Load(); until != 0 {
		if time.Now().UnixNano() < until || !s.probing.CompareAndSwap(false, true) {
			return Decision{}, ErrStoreDown
		}
		defer s.probing.Store(false)
	}
	if timeout <= 0 {
		timeout = DefaultStoreTimeout
	}
	// A client that goes away must not make the store look down to
	// everyone: only the timeout ends the call.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	interval := strconv.FormatFloat(float64(l.Interval())/float64(time.Microsecond), 'f', 3, 64)
	var name [128]byte
	bucket := string(appendRedisKey(name[:0], s.prefix, key))
	res, err := gcra.Run(ctx, s.client, []string{bucket}, interval, l.Burst).Int64Slice()
	if err == nil && len(res) != 4 {
		err = fmt.Errorf("unexpected script reply %v", res)
	}
	if err != nil {
		if !isTimeout(err) || s.timeouts.Add(1) >= timeoutsToSkip {
			s.downUntil.Store(time.Now().Add(s.RetryInterval).UnixNano())
		}
		return Decision{}, err
	}
	s.timeouts.Store(0)
	s.downUntil.Store(0)
	return Decision{
		Allowed:    res[0] == 1,
		Remaining:  int(res[1]),
		RetryAfter: time.Duration(res[2]) * time.Microsecond,
		Reset:      time.Duration(res[3]) * time.Microsecond,
	}, nil
}

var quietOnce sync.Once

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

// Close closes the connections to the server.
func (s *Redis) Close() error { return s.client.Close() }

// isTimeout tells a call that ran out of time (the server may be busy) from
// one that could not reach the server.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, redis.ErrPoolTimeout) ||
		(errors.As(err, &ne) && ne.Timeout())
}

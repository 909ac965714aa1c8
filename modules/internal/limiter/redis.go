package limiter

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

	"github.com/frontdoor-gateway/frontdoor/modules/internal/redisurl"
)

// ErrStoreDown is returned without a network call while a store that failed
// recently is waiting for its next probe.
var ErrStoreDown = errors.New("rate-limit store unavailable")

// DefaultStoreTimeout bounds one round trip to the store.
const DefaultStoreTimeout = 100 * time.Millisecond

// gcra is the bucket script (gcra.lua): a generic cell rate algorithm run
// atomically in Redis on the bucket's key alone, so that it runs on a Redis
// Cluster too. Run sends EVALSHA, and EVAL when a server (a cluster node,
// a restarted Redis) does not have it yet.
//
//go:embed gcra.lua
var gcraSource string

var gcra = redis.NewScript(gcraSource)

// Redis keeps token buckets in a Redis server, or a Redis Cluster, so that
// every process using the same server and prefix shares them. Each
// decision is one round trip (EVALSHA of a Lua script) bounded by a
// timeout. After a failure to reach the server, or timeoutsToSkip
// timeouts in a row (one slow answer, a GC pause, does not count as the
// server being down), the server is skipped (ErrStoreDown) until
// RetryInterval has passed; then a single request probes it while the
// others still skip it. On a cluster each master is skipped on its own:
// while one fails over to its replica, the buckets of the others are
// decided as usual.
type Redis struct {
	client  redis.UniversalClient
	cluster *redis.ClusterClient // client, for a cluster; nil for one server
	prefix  string

	// RetryInterval is how long the store is skipped after a failure.
	RetryInterval time.Duration

	health health   // the server's; a cluster's, while its slots are unknown
	nodes  sync.Map // cluster master address -> *health
}

// health is whether a server answers.
type health struct {
	downUntil atomic.Int64 // unix nanoseconds; 0 when healthy
	probing   atomic.Bool
	timeouts  atomic.Int32 // timeouts in a row
}

// enter reports whether a call may go to the server: it is healthy, or it
// is this call's turn to probe it (then the caller calls done).
func (h *health) enter() (probe, ok bool) {
	until := h.downUntil.Load()
	if until == 0 {
		return false, true
	}
	if time.Now().UnixNano() < until || !h.probing.CompareAndSwap(false, true) {
		return false, false
	}
	return true, true
}

// failed records a failed call.
func (h *health) failed(err error, retry time.Duration) {
	if !isTimeout(err) || h.timeouts.Add(1) >= timeoutsToSkip {
		h.downUntil.Store(time.Now().Add(retry).UnixNano())
	}
}

// answered records a call the server answered.
func (h *health) answered() {
	if h.timeouts.Load() != 0 {
		h.timeouts.Store(0)
	}
	if h.downUntil.Load() != 0 {
		h.downUntil.Store(0)
	}
}

// timeoutsToSkip is how many timeouts in a row make the store skipped.
const timeoutsToSkip = 3

// NewRedis connects lazily to the server named by a redis://, rediss:// or
// unix:// URL, or to the Redis Cluster named by a
// redis-cluster://[user:password@]host:port[,host:port...] URL (any of its
// nodes; the others are discovered, and followed through failovers).
// prefix starts every bucket's name. A bucket is one key, in the cluster
// slot of its name.
//
// go-redis's own log lines (one per failed dial) are discarded: failures
// are returned to the caller, which reports them at a bounded rate.
func NewRedis(url, prefix string) (*Redis, error) {
	quietOnce.Do(func() { redis.SetLogger(quietLogger{}) })
	c, err := redisurl.NewClient(url)
	if err != nil {
		return nil, fmt.Errorf("store %q: %w", redisurl.Redact(url), err)
	}
	cc, _ := c.(*redis.ClusterClient)
	return &Redis{client: c, cluster: cc, prefix: prefix, RetryInterval: time.Second}, nil
}

// CheckStoreURL reports whether url is a Redis URL NewRedis accepts.
func CheckStoreURL(url string) error {
	if err := redisurl.Check(url); err != nil {
		return fmt.Errorf("store %q: %w", redisurl.Redact(url), err)
	}
	return nil
}

// Allow takes one token from key's bucket. It returns an error, and no
// decision, when the store does not answer within timeout or is skipped
// after a recent failure. The bucket is named by the prefix and a digest of
// key (RedisKeyLen hex digits), never by key itself: a bucket costs Redis
// the same memory whatever the length of its key.
func (s *Redis) Allow(ctx context.Context, key []byte, l Limit, timeout time.Duration) (Decision, error) {
	h := &s.health
	probe, ok := h.enter()
	if !ok {
		return Decision{}, ErrStoreDown
	}
	if probe {
		defer h.probing.Store(false)
	}
	if timeout <= 0 {
		timeout = DefaultStoreTimeout
	}
	// A client that goes away must not make the store look down to
	// everyone: only the timeout ends the call.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	var name [128]byte
	bucket := string(appendRedisKey(name[:0], s.prefix, key))
	if s.cluster != nil {
		// The master of the bucket's slot, as the client last read the
		// slots (a network call only before the first read).
		master, err := s.cluster.MasterForKey(ctx, bucket)
		if err != nil {
			h.failed(err, s.RetryInterval)
			return Decision{}, err
		}
		h.answered()
		h = s.nodeHealth(master.Options().Addr)
		if probe, ok = h.enter(); !ok {
			return Decision{}, ErrStoreDown
		}
		if probe {
			defer h.probing.Store(false)
		}
	}
	interval := strconv.FormatFloat(float64(l.Interval())/float64(time.Microsecond), 'f', 3, 64)
	res, err := gcra.Run(ctx, s.client, []string{bucket}, interval, l.Burst).Int64Slice()
	if err == nil && len(res) != 4 {
		err = fmt.Errorf("unexpected script reply %v", res)
	}
	if err != nil {
		h.failed(err, s.RetryInterval)
		if s.cluster != nil {
			// A master that does not answer may have been replaced by
			// its replica: read the slots again (in the background, at
			// most every 200 ms) instead of in a minute.
			s.cluster.ReloadState(ctx)
		}
		return Decision{}, err
	}
	h.answered()
	return Decision{
		Allowed:    res[0] == 1,
		Remaining:  int(res[1]),
		RetryAfter: time.Duration(res[2]) * time.Microsecond,
		Reset:      time.Duration(res[3]) * time.Microsecond,
	}, nil
}

// nodeHealth returns the health of the cluster master at addr.
func (s *Redis) nodeHealth(addr string) *health {
	if h, ok := s.nodes.Load(addr); ok {
		return h.(*health)
	}
	h, _ := s.nodes.LoadOrStore(addr, new(health))
	return h.(*health)
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

package waitingroom

import (
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/redisurl"
)

// Store URLs: redis://[user:pass@]host:port/db, rediss://… (TLS), unix://…
// (a socket path), and a Redis Cluster as
// redis-cluster://[user:pass@]host:port[,host:port…] (any nodes: the others
// are discovered), read as the throttle stores read them (redisurl).

// Redacted returns the store URL without its password, for messages.
func Redacted(store string) string { return redisurl.Redact(store) }

// CheckStore reports whether store is a URL the Redis store accepts. Its
// errors never contain the password.
func CheckStore(store string) error {
	if err := redisurl.Check(store); err != nil {
		return fmt.Errorf("store %q: %w", Redacted(store), err)
	}
	return nil
}

// newClient connects lazily to the store, bounded by the caller's
// deadline (redisurl.NewClient).
func newClient(store string) (redis.UniversalClient, error) {
	c, err := redisurl.NewClient(store)
	if err != nil {
		return nil, fmt.Errorf("store %q: %w", Redacted(store), err)
	}
	return c, nil
}

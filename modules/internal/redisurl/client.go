package redisurl

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// errScheme is the error of a store that is not a Redis URL.
var errScheme = errors.New("expected redis://[user:password@]host:port/db, rediss://..., unix:///path or redis-cluster://host:port[,host:port...]")

// Check reports whether raw is a store URL NewClient accepts: redis://,
// rediss:// and unix:// as go-redis reads them (with a host, or a socket
// path), redis-cluster:// as Parse does. Its errors never quote the
// password.
func Check(raw string) error {
	_, _, err := options(raw)
	return err
}

// NewClient returns a client of the server, or the Redis Cluster, that raw
// names, connecting lazily. The caller's deadline bounds every call: the
// client never retries on its own (a moved cluster slot is followed), and
// dials, reads and writes for at most a second.
func NewClient(raw string) (redis.UniversalClient, error) {
	single, cluster, err := options(raw)
	if err != nil {
		return nil, err
	}
	if cluster != nil {
		cluster.DialTimeout = time.Second
		cluster.DialerRetries = 1
		cluster.ReadTimeout = time.Second
		cluster.WriteTimeout = time.Second
		cluster.PoolTimeout = time.Second
		cluster.ContextTimeoutEnabled = true
		cluster.MaxRetries = -1
		cluster.MaxRedirects = 3 // MOVED and ASK after a failover or a resharding
		cluster.DisableIdentity = true
		return redis.NewClusterClient(cluster), nil
	}
	single.DialTimeout = time.Second
	single.DialerRetries = 1
	single.ReadTimeout = time.Second
	single.WriteTimeout = time.Second
	single.PoolTimeout = time.Second
	single.ContextTimeoutEnabled = true
	single.MaxRetries = -1
	single.DisableIdentity = true
	return redis.NewClient(single), nil
}

// options parses raw into go-redis options: one of the two is set.
func options(raw string) (*redis.Options, *redis.ClusterOptions, error) {
	scheme, _, ok := strings.Cut(raw, "://")
	if !ok {
		return nil, nil, errScheme
	}
	switch strings.ToLower(scheme) {
	case SchemeCluster:
		u, err := Parse(raw)
		if err != nil {
			return nil, nil, err
		}
		return nil, &redis.ClusterOptions{Addrs: u.Addrs, Username: u.Username, Password: u.Password}, nil
	case SchemeRedis, SchemeRediss, "unix":
		// go-redis would take an empty host for localhost: a mistake here.
		if u, err := url.Parse(raw); err == nil {
			if u.Scheme == "unix" && u.Path == "" {
				return nil, nil, errors.New("no socket path: expected unix:///path/to/redis.sock")
			}
			if u.Scheme != "unix" && u.Host == "" {
				return nil, nil, errors.New("no host: expected host:port after ://")
			}
		}
		opt, err := redis.ParseURL(raw)
		if err != nil {
			return nil, nil, Error(raw, err)
		}
		return opt, nil, nil
	}
	return nil, nil, errScheme
}

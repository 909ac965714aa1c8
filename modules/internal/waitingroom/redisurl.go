package waitingroom

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/redisurl"
)

// Store URLs: redis://[user:pass@]host:port/db, rediss://… (TLS), unix://…
// (a socket path), and a Redis Cluster as
// redis-cluster://[user:pass@]host:port[,host:port…] (any nodes: the others
// are discovered).

// Redacted returns the store URL without its password, for messages.
func Redacted(store string) string { return redisurl.Redact(store) }

// CheckStore reports whether store is a URL the Redis store accepts. Its
// errors never contain the password.
func CheckStore(store string) error {
	_, err := clientOptions(store)
	return err
}

// clientOptions parses a store URL into go-redis options: one of the
// results is set.
type storeOptions struct {
	single  *redis.Options
	cluster *redis.ClusterOptions
}

func clientOptions(store string) (storeOptions, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("store %q: %s", Redacted(store), fmt.Sprintf(format, args...))
	}
	scheme, rest, ok := strings.Cut(store, "://")
	if !ok {
		return storeOptions{}, bad("want redis://host:port/db, rediss://, unix:// or redis-cluster://host:port,host:port")
	}
	switch scheme {
	case "redis", "rediss", "unix":
		opt, err := redis.ParseURL(store)
		if err != nil {
			// go-redis's messages may quote the URL: give our own.
			return storeOptions{}, bad("%s", redactErr(err, store))
		}
		return storeOptions{single: opt}, nil
	case "redis-cluster", "rediss-cluster":
		hosts, query, _ := strings.Cut(rest, "?")
		if query != "" {
			return storeOptions{}, bad("a cluster URL takes no query")
		}
		if i := strings.IndexByte(hosts, '/'); i >= 0 {
			if strings.Trim(hosts[i:], "/0") != "" {
				return storeOptions{}, bad("a Redis Cluster has only database 0")
			}
			hosts = hosts[:i]
		}
		opt := &redis.ClusterOptions{}
		if at := strings.LastIndex(hosts, "@"); at >= 0 {
			u, err := url.Parse("redis://" + hosts[:at] + "@x")
			if err != nil || u.User == nil {
				return storeOptions{}, bad("cannot read the user and password")
			}
			opt.Username = u.User.Username()
			opt.Password, _ = u.User.Password()
			hosts = hosts[at+1:]
		}
		for h := range strings.SplitSeq(hosts, ",") {
			host, port, err := net.SplitHostPort(h)
			if err != nil || host == "" || port == "" {
				return storeOptions{}, bad("node %q: want host:port", h)
			}
			opt.Addrs = append(opt.Addrs, h)
		}
		if scheme == "rediss-cluster" {
			opt.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		return storeOptions{cluster: opt}, nil
	}
	return storeOptions{}, bad("unknown scheme %q: want redis, rediss, unix or redis-cluster", scheme)
}

// redactErr is err's message with the URL's password removed (whether or
// not the URL parses).
func redactErr(err error, store string) string { return redisurl.Error(store, err).Error() }

// newClient connects lazily to the store. go-redis is bounded by the
// caller's deadline, never retries on its own, and dials for at most a
// second.
func newClient(store string) (redis.UniversalClient, error) {
	o, err := clientOptions(store)
	if err != nil {
		return nil, err
	}
	if o.single != nil {
		opt := o.single
		opt.DialTimeout = time.Second
		opt.DialerRetries = 1
		opt.ReadTimeout = time.Second
		opt.WriteTimeout = time.Second
		opt.PoolTimeout = time.Second
		opt.ContextTimeoutEnabled = true
		opt.MaxRetries = -1
		opt.DisableIdentity = true
		return redis.NewClient(opt), nil
	}
	opt := o.cluster
	opt.DialTimeout = time.Second
	opt.DialerRetries = 1
	opt.ReadTimeout = time.Second
	opt.WriteTimeout = time.Second
	opt.PoolTimeout = time.Second
	opt.ContextTimeoutEnabled = true
	// A moved slot is followed (the cluster changed); a failed node is
	// not retried: the caller's deadline is the bound.
	opt.MaxRedirects = 3
	opt.MaxRetries = -1
	opt.DisableIdentity = true
	if len(opt.Addrs) == 0 {
		return nil, errors.New("store: a cluster URL needs at least one node")
	}
	return redis.NewClusterClient(opt), nil
}

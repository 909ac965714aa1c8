package redisurl

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Schemes of the URLs Parse reads.
const (
	SchemeRedis   = "redis"         // one server
	SchemeRediss  = "rediss"        // one server over TLS
	SchemeCluster = "redis-cluster" // a Redis Cluster: any of its nodes, the rest are discovered
)

// DefaultPort is the port of an address written without one.
const DefaultPort = "6379"

// URL is a parsed Redis URL:
//
//	redis://[user[:password]@]host[:port][/db]
//	rediss://[user[:password]@]host[:port][/db]
//	redis-cluster://[user[:password]@]host:port[,host:port...]
//
// The user name and password are percent-decoded. Placeholders such as
// {env.REDIS_PASSWORD} are kept as written, anywhere but in the scheme, for
// the module that reads the URL to replace when it is provisioned.
type URL struct {
	Scheme   string
	Addrs    []string // host:port; one for redis and rediss, the seeds of a cluster
	Username string
	Password string
	// DB is the database number, or a placeholder; "0" when not written. A
	// cluster has database 0 only.
	DB string
}

// TLS reports whether the connection is made over TLS.
func (u *URL) TLS() bool { return u.Scheme == SchemeRediss }

// Cluster reports whether the URL names a Redis Cluster.
func (u *URL) Cluster() bool { return u.Scheme == SchemeCluster }

// IsURL reports whether raw is written as a URL with a scheme (it contains
// "://"), so that a caller can tell a URL from, say, a directory path.
func IsURL(raw string) bool { return strings.Contains(raw, "://") }

// Parse reads a redis://, rediss:// or redis-cluster:// URL. Its errors
// never quote the password.
func Parse(raw string) (*URL, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return nil, errors.New("expected redis://[user:password@]host:port/db, rediss://... or redis-cluster://host:port[,host:port...]")
	}
	u := &URL{Scheme: strings.ToLower(scheme), DB: "0"}
	switch u.Scheme {
	case SchemeRedis, SchemeRediss, SchemeCluster:
	default:
		if !validScheme(scheme) {
			return nil, errors.New("expected redis://[user:password@]host:port/db, rediss://... or redis-cluster://host:port[,host:port...]")
		}
		return nil, fmt.Errorf("scheme %q: expected redis://, rediss:// or redis-cluster://", scheme)
	}
	// The authority ends at the first "/", "?" or "#" after the userinfo,
	// whose password may hold any of them.
	authority, tail := rest, ""
	start := strings.LastIndex(rest, "@") + 1
	if i := strings.IndexAny(rest[start:], "/?#"); i >= 0 {
		authority, tail = rest[:start+i], rest[start+i:]
	}
	if start > 0 {
		userinfo := authority[:start-1]
		authority = authority[start:]
		user, pass, hasPass := strings.Cut(userinfo, ":")
		var err error
		if u.Username, err = url.PathUnescape(user); err != nil {
			return nil, errors.New("the user name has a bad %-escape")
		}
		if hasPass {
			if u.Password, err = url.PathUnescape(pass); err != nil {
				return nil, errors.New("the password has a bad %-escape")
			}
		} else {
			// A lone userinfo is a password, as go-redis reads it.
			u.Password, u.Username = u.Username, ""
		}
	}
	if authority == "" {
		return nil, errors.New("no host: expected host:port after ://")
	}
	for _, a := range strings.Split(authority, ",") {
		if a == "" {
			return nil, errors.New("no host between two commas or after the last one")
		}
		addr, err := hostPort(a, u.Scheme == SchemeCluster)
		if err != nil {
			return nil, err
		}
		u.Addrs = append(u.Addrs, addr)
	}
	if len(u.Addrs) > 1 && u.Scheme != SchemeCluster {
		return nil, fmt.Errorf("%d addresses: a list of nodes is for redis-cluster://", len(u.Addrs))
	}
	switch {
	case tail == "" || tail == "/":
	case tail[0] == '?' || tail[0] == '#' || strings.ContainsAny(tail, "?#"):
		return nil, errors.New("options after ? or # are not read here: write redis://[user:password@]host:port/db")
	default:
		db := tail[1:]
		if !isPlaceholder(db) {
			n, err := strconv.Atoi(db)
			if err != nil || n < 0 || db != strconv.Itoa(n) {
				return nil, fmt.Errorf("database %q: expected a number like /0", db)
			}
			if u.Scheme == SchemeCluster && n != 0 {
				return nil, fmt.Errorf("database %d: a Redis Cluster has database 0 only", n)
			}
		}
		u.DB = db
	}
	return u, nil
}

// hostPort checks one address and adds the default port to it; a cluster
// node needs its port written.
func hostPort(a string, needPort bool) (string, error) {
	bracketed := strings.HasPrefix(a, "[")
	noPort := bracketed && strings.HasSuffix(a, "]") || !bracketed && !strings.Contains(a, ":")
	if !bracketed && strings.Count(a, ":") > 1 {
		// Not quoted: a URL whose "@" was forgotten has its password here.
		return "", errors.New("an address has more than one ':': write host:port, an IPv6 address in brackets ([::1]:6379), and user:password@ before the host")
	}
	if noPort {
		if needPort {
			return "", fmt.Errorf("address %q: a cluster node is written host:port", a)
		}
		h := strings.TrimSuffix(strings.TrimPrefix(a, "["), "]")
		if err := checkHost(h); err != nil {
			return "", fmt.Errorf("address %q: %v", a, err)
		}
		return net.JoinHostPort(h, DefaultPort), nil
	}
	h, p, err := net.SplitHostPort(a)
	if err != nil {
		return "", fmt.Errorf("address %q: expected host:port", a)
	}
	if err := checkHost(h); err != nil {
		return "", fmt.Errorf("address %q: %v", a, err)
	}
	if !isPlaceholder(p) {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 || p != strconv.Itoa(n) {
			return "", fmt.Errorf("address %q: port %q is not a number from 1 to 65535", a, p)
		}
	}
	return net.JoinHostPort(h, p), nil
}

func checkHost(h string) error {
	if h == "" {
		return errors.New("no host")
	}
	if isPlaceholder(h) || net.ParseIP(h) != nil {
		return nil
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_') {
			return fmt.Errorf("host %q is not a name or an IP address", h)
		}
	}
	return nil
}

// validScheme reports whether s is a URL scheme (RFC 3986), so that it
// can be quoted: anything else may be part of a mistyped userinfo.
func validScheme(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return false
		}
	}
	return true
}

// isPlaceholder reports whether s is one placeholder like {env.REDIS_DB}.
func isPlaceholder(s string) bool {
	return len(s) > 2 && s[0] == '{' && s[len(s)-1] == '}' && !strings.ContainsAny(s[1:len(s)-1], "{}")
}

package redisurl

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want URL
	}{
		{"redis://127.0.0.1:6379/0", URL{Scheme: "redis", Addrs: []string{"127.0.0.1:6379"}, DB: "0"}},
		{"redis://redis.internal", URL{Scheme: "redis", Addrs: []string{"redis.internal:6379"}, DB: "0"}},
		{"redis://redis.internal/", URL{Scheme: "redis", Addrs: []string{"redis.internal:6379"}, DB: "0"}},
		{"REDIS://h:1/15", URL{Scheme: "redis", Addrs: []string{"h:1"}, DB: "15"}},
		{"rediss://frontdoor:s3cret@redis.example.com:6380/2", URL{Scheme: "rediss", Addrs: []string{"redis.example.com:6380"}, Username: "frontdoor", Password: "s3cret", DB: "2"}},
		{"redis://:p%40ss@h:6379/0", URL{Scheme: "redis", Addrs: []string{"h:6379"}, Password: "p@ss", DB: "0"}},
		{"redis://lonepass@h:6379", URL{Scheme: "redis", Addrs: []string{"h:6379"}, Password: "lonepass", DB: "0"}},
		{"redis://u:pa/ss@word@h:6379/1", URL{Scheme: "redis", Addrs: []string{"h:6379"}, Username: "u", Password: "pa/ss@word", DB: "1"}},
		{"redis://:{env.REDIS_PASSWORD}@127.0.0.1:6379/0", URL{Scheme: "redis", Addrs: []string{"127.0.0.1:6379"}, Password: "{env.REDIS_PASSWORD}", DB: "0"}},
		{"redis://{env.REDIS_USER}:{env.REDIS_PASSWORD}@{env.REDIS_HOST}:{env.REDIS_PORT}/{env.REDIS_DB}", URL{Scheme: "redis", Addrs: []string{"{env.REDIS_HOST}:{env.REDIS_PORT}"}, Username: "{env.REDIS_USER}", Password: "{env.REDIS_PASSWORD}", DB: "{env.REDIS_DB}"}},
		{"redis://[::1]:6379/3", URL{Scheme: "redis", Addrs: []string{"[::1]:6379"}, DB: "3"}},
		{"redis://[::1]", URL{Scheme: "redis", Addrs: []string{"[::1]:6379"}, DB: "0"}},
		{"redis-cluster://10.0.0.1:7000,10.0.0.2:7001", URL{Scheme: "redis-cluster", Addrs: []string{"10.0.0.1:7000", "10.0.0.2:7001"}, DB: "0"}},
		{"redis-cluster://app:pw@n1:7000/0", URL{Scheme: "redis-cluster", Addrs: []string{"n1:7000"}, Username: "app", Password: "pw", DB: "0"}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.in, *got, tt.want)
		}
	}
	if u, _ := Parse("rediss://h"); !u.TLS() || u.Cluster() {
		t.Error("rediss:// is TLS, not a cluster")
	}
	if u, _ := Parse("redis-cluster://h:1"); u.TLS() || !u.Cluster() {
		t.Error("redis-cluster:// is a cluster")
	}
}

// TestParseErrors: each mistake is refused with a message that says what
// is expected, and never the password.
func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "expected redis://"},
		{"/var/lib/caddy", "expected redis://"},
		{"mysql://u:s3cretpw@h:3306/0", `scheme "mysql"`},
		{"unix:///run/redis.sock", `scheme "unix"`},
		{"redis://", "no host"},
		{"redis://u:s3cretpw@", "no host"},
		{"redis://u:s3cretpw@h:0/0", "port"},
		{"redis://u:s3cretpw@h:99999/0", "port"},
		{"redis://u:s3cretpw@h:63x9/0", "port"},
		{"redis://u:s3cretpw@h:6379/x", `database "x"`},
		{"redis://u:s3cretpw@h:6379/-1", `database "-1"`},
		{"redis://u:s3cretpw@h:6379/0?dial_timeout=1s", "options"},
		{"redis://u:s3cretpw@a:1,b:2/0", "redis-cluster"},
		{"redis://u:s3cretpw@h%20x:1/0", "not a name"},
		{"redis://u:s3cretpw:6379/0", "more than one ':'"},
		{"redis://u:s3cret%zz@h:6379", "bad %-escape"},
		{"redis-cluster://u:s3cretpw@h/0", "host:port"},
		{"redis-cluster://u:s3cretpw@h:7000/1", "database 0 only"},
		{"redis-cluster://u:s3cretpw@h:7000,", "no host between"},
	}
	for _, tt := range tests {
		u, err := Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", tt.in, u)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q): %q, want it to say %q", tt.in, err, tt.want)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Parse(%q): %q shows the password", tt.in, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"redis://u:pw@h:1/0", "redis-cluster://a:1,b:2", "rediss://[::1]", "redis://:{env.X}@h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := Parse(raw)
		if err == nil && (len(u.Addrs) == 0 || u.DB == "") {
			t.Fatalf("Parse(%q) = %+v: no address or database", raw, u)
		}
		// The same URL with a password nothing else contains: no error
		// may show it.
		if pw, ok := password(raw); ok {
			i := strings.Index(raw, "//")
			marked := raw[:i] + strings.Replace(raw[i:], pw+"@", "Zq9Marker@", 1)
			if _, err := Parse(marked); err != nil && strings.Contains(err.Error(), "Zq9Marker") {
				t.Fatalf("Parse(%q): %q shows the password", marked, err)
			}
		}
	})
}

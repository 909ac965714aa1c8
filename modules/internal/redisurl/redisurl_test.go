package redisurl

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"redis://user:s3cret@127.0.0.1:6379/0", "redis://user:xxxxx@127.0.0.1:6379/0"},
		{"rediss://:s3cret@redis.example.com:6380", "rediss://:xxxxx@redis.example.com:6380"},
		{"redis://s3cret@127.0.0.1:6379", "redis://xxxxx@127.0.0.1:6379"},
		{"redis://user:pa/ss@word@host:6379/1", "redis://user:xxxxx@host:6379/1"},
		{"redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"},
		{"unix:///run/redis.sock", "unix:///run/redis.sock"},
		{"redis://user:s3cret@host:bad/0", "redis://user:xxxxx@host:bad/0"},
		{"redis://user:s3cret:6379/0", "redis://user:xxxxx:6379/0"},
		{"redis://::1:6379/0", "redis://::1:6379/0"},
		{"redis://[::1]:6379/0", "redis://[::1]:6379/0"},
		{"", ""},
		{"not a url", "not a url"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestErrorHidesThePassword feeds bad URLs with a password to the parsers
// the stores use: their errors quote the URL, the redacted ones do not.
func TestErrorHidesThePassword(t *testing.T) {
	for _, raw := range []string{
		"redis://user:s3cretpw@host:bad/0",
		"redis://user:s3cretpw@host:6379/notanumber",
		"redis://user:s3cretpw@host:6379/0?dial_timeout=soon",
		"foo://user:s3cretpw@host:6379/0",
		"redis://user:s3cretpw@[::1/0",
	} {
		_, err := redis.ParseURL(raw)
		if err == nil {
			t.Fatalf("redis.ParseURL(%q) accepted it", raw)
		}
		red := Error(raw, err)
		if strings.Contains(red.Error(), "s3cretpw") {
			t.Errorf("%q: redacted error %q still shows the password", raw, red)
		}
		if !errors.Is(red, err) || !Is(red) {
			t.Errorf("%q: the redacted error does not wrap the original", raw)
		}
	}
	_, err := url.Parse("redis://user:s3cretpw@host:bad/0")
	if err == nil || !strings.Contains(err.Error(), "s3cretpw") {
		t.Fatalf("url.Parse's error %v: the test expects it to quote the URL", err)
	}
	if Error("redis://host:6379", nil) != nil {
		t.Fatal("Error(nil) is not nil")
	}
}

package limiter

import (
	"bytes"
	"crypto/sha256"
	"net/netip"
	"strings"
	"testing"
)

func TestAppendAddrKey(t *testing.T) {
	tests := []struct {
		name string
		p    Prefixes
		a, b string
		same bool
	}{
		{"ipv6 same /64", DefaultPrefixes, "2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", true},
		{"ipv6 other /64", DefaultPrefixes, "2001:db8:1:2::1", "2001:db8:1:3::1", false},
		{"ipv6 per address", Prefixes{V4: 32, V6: 128}, "2001:db8::1", "2001:db8::2", false},
		{"ipv6 /48", Prefixes{V4: 32, V6: 48}, "2001:db8:1:2::1", "2001:db8:1:ffff::1", true},
		{"ipv4 per address", DefaultPrefixes, "192.0.2.1", "192.0.2.2", false},
		{"ipv4 /24", Prefixes{V4: 24, V6: 64}, "192.0.2.1", "192.0.2.200", true},
		{"ipv4-mapped is ipv4", DefaultPrefixes, "::ffff:192.0.2.1", "192.0.2.1", true},
		{"ipv4-mapped /24", Prefixes{V4: 24, V6: 64}, "::ffff:192.0.2.1", "192.0.2.9", true},
		{"zone ignored", DefaultPrefixes, "fe80::1%eth0", "fe80::2", true},
		{"ipv4 vs ipv6 zero", Prefixes{V4: 0, V6: 0}, "0.0.0.0", "::", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ka := tt.p.AppendAddrKey(nil, netip.MustParseAddr(tt.a))
			kb := tt.p.AppendAddrKey(nil, netip.MustParseAddr(tt.b))
			if got := bytes.Equal(ka, kb); got != tt.same {
				t.Fatalf("key(%s)=%x key(%s)=%x: same=%v, want %v", tt.a, ka, tt.b, kb, got, tt.same)
			}
		})
	}
}

func TestTextKeyNeverEqualsAddrKey(t *testing.T) {
	addr := DefaultPrefixes.AppendAddrKey(nil, netip.MustParseAddr("192.0.2.1"))
	text := AppendTextKey(nil, string(addr))
	if bytes.Equal(addr, text) || bytes.Equal(addr, AppendTextKey(nil, string(addr[1:]))) {
		t.Fatal("a text key equals an address key")
	}
}

func TestAppendAddrKeyAllocs(t *testing.T) {
	addr := netip.MustParseAddr("2001:db8::1")
	buf := make([]byte, 0, 32)
	if n := testing.AllocsPerRun(100, func() { buf = DefaultPrefixes.AppendAddrKey(buf[:0], addr) }); n != 0 {
		t.Fatalf("AppendAddrKey allocates %v times", n)
	}
}

// TestMemKeyDistinct checks that distinct keys get distinct memKeys: short
// keys of every length, keys that differ only by trailing zero bytes, long
// keys that differ in their last byte, and a long key against a short key
// spelling its digest.
func TestMemKeyDistinct(t *testing.T) {
	long := strings.Repeat("k", 16<<10)
	sum := sha256.Sum256([]byte(long))
	keys := []string{
		"", "\x00", "\x00\x00", "a", "a\x00", "ab", "ab\x00",
		strings.Repeat("x", 18), strings.Repeat("x", 19), strings.Repeat("x", 20), strings.Repeat("x", 21),
		long, long[:len(long)-1] + "j", long + "k",
		string(sum[:19]), "\xff" + string(sum[:18]), "\xff" + string(sum[:19]),
		string(DefaultPrefixes.AppendAddrKey(nil, netip.MustParseAddr("10.0.0.1"))),
		string(DefaultPrefixes.AppendAddrKey(nil, netip.MustParseAddr("a00:1:2000::"))),
		string(Prefixes{V4: 32, V6: 128}.AppendAddrKey(nil, netip.MustParseAddr("a00:1:2000::"))),
	}
	seen := map[memKey]string{}
	for _, k := range keys {
		mk := memKeyOf([]byte(k))
		if prev, ok := seen[mk]; ok {
			t.Fatalf("keys %q and %q share the memKey %x", trim(prev), trim(k), mk)
		}
		seen[mk] = k
		if again := memKeyOf([]byte(k)); again != mk {
			t.Fatalf("memKeyOf(%q) is not stable", trim(k))
		}
	}
}

func trim(s string) string {
	if len(s) > 24 {
		return s[:24] + "..."
	}
	return s
}

func TestRedisKeyFixedLength(t *testing.T) {
	seen := map[string]bool{}
	for _, n := range []int{0, 1, 6, 18, 19, 20, 64, 16 << 10, 1 << 20} {
		key := bytes.Repeat([]byte{'k'}, n)
		name := string(appendRedisKey(nil, "p:", key))
		if len(name) != len("p:")+RedisKeyLen || !strings.HasPrefix(name, "p:") {
			t.Fatalf("key of %d bytes named %q (%d bytes), want p: and %d hex digits", n, trim(name), len(name), RedisKeyLen)
		}
		if seen[name] {
			t.Fatalf("key of %d bytes shares the name %s", n, name)
		}
		seen[name] = true
	}
}

func TestKeyDigestAllocs(t *testing.T) {
	short := DefaultPrefixes.AppendAddrKey(nil, netip.MustParseAddr("2001:db8::1"))
	long := bytes.Repeat([]byte{'k'}, 4096)
	var sink memKey
	if n := testing.AllocsPerRun(100, func() { sink = memKeyOf(short); sink = memKeyOf(long) }); n != 0 {
		t.Fatalf("memKeyOf allocates %v times", n)
	}
	buf := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() { buf = appendRedisKey(buf[:0], "frontdoor:throttle:z:", long) }); n != 0 {
		t.Fatalf("appendRedisKey allocates %v times into a large enough buffer", n)
	}
	_ = sink
}

package limiter

import (
	"bytes"
	"net/netip"
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

package limiter

import "net/netip"

// addrN returns a distinct IPv4 address for every n < 2^24.
func addrN(n int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)})
}

func ptr[T any](v T) *T { return &v }

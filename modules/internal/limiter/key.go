package limiter

import "net/netip"

// Key kinds: the first byte of every key, so that an address key can never
// equal a text key.
const (
	kindAddr = 'a'
	kindText = 't'
)

// Prefixes says how client addresses are grouped into buckets: IPv4 addresses
// by their first V4 bits, IPv6 addresses by their first V6 bits. IPv4-mapped
// IPv6 addresses (::ffff:a.b.c.d) count as IPv4.
type Prefixes struct {
	V4 int
	V6 int
}

// DefaultPrefixes groups IPv4 clients per address and IPv6 clients per /64,
// the block one subscriber usually gets.
var DefaultPrefixes = Prefixes{V4: 32, V6: 64}

// Group returns the network of addr that shares one bucket.
func (p Prefixes) Group(addr netip.Addr) netip.Prefix {
	addr = addr.Unmap().WithZone("")
	bits := p.V6
	if addr.Is4() {
		bits = p.V4
	}
	pfx, err := addr.Prefix(bits)
	if err != nil {
		return netip.PrefixFrom(addr, addr.BitLen())
	}
	return pfx
}

// AppendAddrKey appends the key of addr's group to dst. It allocates nothing
// when dst has room for 18 bytes.
func (p Prefixes) AppendAddrKey(dst []byte, addr netip.Addr) []byte {
	pfx := p.Group(addr)
	dst = append(dst, kindAddr)
	a := pfx.Addr()
	if a.Is4() {
		b := a.As4()
		dst = append(dst, b[:]...)
	} else {
		b := a.As16()
		dst = append(dst, b[:]...)
	}
	return append(dst, byte(pfx.Bits()))
}

// AppendTextKey appends the key of a text value (an expanded key template)
// to dst.
func AppendTextKey(dst []byte, text string) []byte {
	dst = append(dst, kindText)
	return append(dst, text...)
}

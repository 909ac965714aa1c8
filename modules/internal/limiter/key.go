package limiter

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
)

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

// memKey is a bucket's key in a Memory store: fixed size, so that a bucket
// costs the same memory whatever the length of its key. A key shorter than
// memKey (every address key, short text keys) is kept as it is, after its
// length; a longer one is replaced by a marker and the first 19 bytes of its
// SHA-256. The two forms never meet (a length is below the marker), and two
// long keys share a bucket only if they collide in 152 bits of SHA-256,
// which no client can arrange.
type memKey [20]byte

// digestMarker is the first byte of a memKey holding a digest.
const digestMarker = 0xff

// memKeyOf returns the memKey of key. It allocates nothing.
func memKeyOf(key []byte) memKey {
	var k memKey
	if len(key) < len(k) {
		k[0] = byte(len(key))
		copy(k[1:], key)
		return k
	}
	k[0] = digestMarker
	sum := sha256.Sum256(key)
	copy(k[1:], sum[:])
	return k
}

// redisDigestSize is how many bytes of SHA-256 name a bucket in Redis.
const redisDigestSize = 20

// RedisKeyLen is the length of every bucket name in Redis after its prefix:
// the digest in hexadecimal.
const RedisKeyLen = 2 * redisDigestSize

// appendRedisKey appends the name of key's bucket in Redis after prefix: the
// first 20 bytes of the key's SHA-256 in hexadecimal. Every gateway names a
// key the same way, and a name has the same length whatever the key.
func appendRedisKey(dst []byte, prefix string, key []byte) []byte {
	sum := sha256.Sum256(key)
	dst = append(dst, prefix...)
	return hex.AppendEncode(dst, sum[:redisDigestSize])
}

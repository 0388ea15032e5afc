package flowhash

import (
	"encoding/binary"
	"math/bits"
)

// A Key is the 128-bit SipHash key, as two little-endian 64-bit words: K0
// holds key bytes 0-7 and K1 key bytes 8-15.
type Key struct {
	K0, K1 uint64
}

// DefaultKey is the fixed key used by [Sum]. It is the ASCII text
// "sdnfabric/slb/v1" read as two little-endian words. Changing it changes
// every flow's backend, so it is part of the contract between Muxes; a
// deployment that sets its own key must give every Mux the same one.
var DefaultKey = Key{K0: 0x69726261666e6473, K1: 0x31762f626c732f63}

// SipHash24 returns SipHash-2-4 of msg under key k.
func SipHash24[T ~string | ~[]byte](k Key, msg T) uint64 {
	v0, v1, v2, v3 := k.init()
	n := len(msg)
	i := 0
	for ; i+8 <= n; i += 8 {
		m := load64(msg[i : i+8])
		v3 ^= m
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0 ^= m
	}
	b := lastBlock(msg[i:], n)
	v3 ^= b
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0 ^= b
	v2 ^= 0xff
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	return v0 ^ v1 ^ v2 ^ v3
}

// SipHash13 returns SipHash-1-3 of msg under key k.
func SipHash13[T ~string | ~[]byte](k Key, msg T) uint64 {
	v0, v1, v2, v3 := k.init()
	n := len(msg)
	i := 0
	for ; i+8 <= n; i += 8 {
		v0, v1, v2, v3 = block13(v0, v1, v2, v3, load64(msg[i:i+8]))
	}
	return final13(v0, v1, v2, v3, lastBlock(msg[i:], n))
}

// init returns SipHash's initial state for key k.
func (k Key) init() (v0, v1, v2, v3 uint64) {
	return k.K0 ^ 0x736f6d6570736575, k.K1 ^ 0x646f72616e646f6d,
		k.K0 ^ 0x6c7967656e657261, k.K1 ^ 0x7465646279746573
}

// block13 compresses one message word with SipHash-1-3's single round.
func block13(v0, v1, v2, v3, m uint64) (uint64, uint64, uint64, uint64) {
	v3 ^= m
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	return v0 ^ m, v1, v2, v3
}

// final13 compresses the last block b and runs SipHash-1-3's three
// finalisation rounds.
func final13(v0, v1, v2, v3, b uint64) uint64 {
	v0, v1, v2, v3 = block13(v0, v1, v2, v3, b)
	v2 ^= 0xff
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
	return v0 ^ v1 ^ v2 ^ v3
}

// load64 reads 8 bytes little-endian.
func load64[T ~string | ~[]byte](b T) uint64 {
	if s, ok := any(b).([]byte); ok {
		return binary.LittleEndian.Uint64(s)
	}
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// lastBlock is SipHash's final message word: the 0-7 remaining bytes rest,
// little-endian, with the message length n modulo 256 in the top byte.
func lastBlock[T ~string | ~[]byte](rest T, n int) uint64 {
	b := uint64(n) << 56
	for j := range len(rest) {
		b |= uint64(rest[j]) << (8 * j)
	}
	return b
}

func sipRound(v0, v1, v2, v3 uint64) (uint64, uint64, uint64, uint64) {
	v0 += v1
	v1 = bits.RotateLeft64(v1, 13)
	v1 ^= v0
	v0 = bits.RotateLeft64(v0, 32)
	v2 += v3
	v3 = bits.RotateLeft64(v3, 16)
	v3 ^= v2
	v0 += v3
	v3 = bits.RotateLeft64(v3, 21)
	v3 ^= v0
	v2 += v1
	v1 = bits.RotateLeft64(v1, 17)
	v1 ^= v2
	v2 = bits.RotateLeft64(v2, 32)
	return v0, v1, v2, v3
}

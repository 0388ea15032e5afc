package flowhash

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"net/netip"
)

// A Mode selects which fields of a [Tuple] are hashed. The names and the
// fields follow the Azure Load Balancer distribution modes.
type Mode uint8

const (
	// FiveTuple hashes source and destination address, protocol and both
	// ports: every transport connection is placed on its own (Azure
	// "Default").
	FiveTuple Mode = iota
	// SourceIPProtocol hashes source and destination address and the
	// protocol: a client's TCP flows share a backend, and so do its UDP
	// flows (Azure "SourceIPProtocol", the three-tuple).
	SourceIPProtocol
	// SourceIP hashes source and destination address: all of a client's
	// flows to a VIP share a backend (Azure "SourceIP", the two-tuple).
	SourceIP
)

// String returns the Azure name of the mode.
func (m Mode) String() string {
	switch m {
	case FiveTuple:
		return "Default"
	case SourceIPProtocol:
		return "SourceIPProtocol"
	case SourceIP:
		return "SourceIP"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// A Tuple is the part of a packet's headers that identifies its flow.
// Src and Dst are the packet's addresses as the Mux sees them (the client
// and the VIP); a Mux hashing the inner packet of an ICMP error swaps them
// and the ports first, so that the error follows the flow that caused it.
type Tuple struct {
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	Proto            uint8 // IP protocol number (6 TCP, 17 UDP, ...)
}

// maxTupleBytes is the longest canonical encoding: two IPv6 addresses,
// the protocol and two ports.
const maxTupleBytes = 16 + 16 + 1 + 2 + 2

// Sum hashes t under [DefaultKey] in mode m. See [Key.Sum].
func Sum(m Mode, t Tuple) uint64 {
	return DefaultKey.Sum(m, t)
}

// Sum returns SipHash-1-3 under k of the canonical encoding of t's fields
// selected by m, which is the concatenation of
//
//   - the source address: 4 bytes for IPv4 (IPv4-mapped IPv6 addresses are
//     unmapped first), 16 for IPv6, none for the zero Addr; zones are
//     ignored,
//   - the destination address, encoded the same way,
//   - for FiveTuple and SourceIPProtocol, the protocol (1 byte),
//   - for FiveTuple, the source and then the destination port (2 bytes
//     each, big-endian).
//
// An unknown mode hashes like FiveTuple. Sum allocates nothing. Tuples
// whose addresses are both IPv4 or both IPv6 take a path that forms the
// SipHash message words directly from the addresses instead of
// serialising them first.
func (k Key) Sum(m Mode, t Tuple) uint64 {
	src, dst := t.Src.Unmap(), t.Dst.Unmap()
	v0, v1, v2, v3 := k.init()
	var n uint64
	switch {
	case src.Is4() && dst.Is4():
		s, d := src.As4(), dst.As4()
		m0 := uint64(binary.LittleEndian.Uint32(s[:])) | uint64(binary.LittleEndian.Uint32(d[:]))<<32
		v3 ^= m0
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0 ^= m0
		n = 4 + 4
	case src.Is6() && dst.Is6():
		s, d := src.As16(), dst.As16()
		m0, m1 := binary.LittleEndian.Uint64(s[:8]), binary.LittleEndian.Uint64(s[8:])
		m2, m3 := binary.LittleEndian.Uint64(d[:8]), binary.LittleEndian.Uint64(d[8:])
		v3 ^= m0
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0 ^= m0
		v3 ^= m1
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0 ^= m1
		v3 ^= m2
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0 ^= m2
		v3 ^= m3
		v0, v1, v2, v3 = sipRound(v0, v1, v2, v3)
		v0 ^= m3
		n = 16 + 16
	default:
		return k.sumMixed(m, t)
	}
	return final13(v0, v1, v2, v3, tail(m, t, n))
}

// tail is SipHash's last message block for a tuple whose n address bytes
// filled whole blocks: the protocol and ports selected by m, and the
// message length in the top byte.
func tail(m Mode, t Tuple, n uint64) uint64 {
	switch m {
	case SourceIP:
		return n << 56
	case SourceIPProtocol:
		return (n+1)<<56 | uint64(t.Proto)
	}
	return (n+5)<<56 | uint64(t.Proto) |
		uint64(bits.ReverseBytes16(t.SrcPort))<<8 | uint64(bits.ReverseBytes16(t.DstPort))<<24
}

// sumMixed hashes tuples whose addresses differ in family or are missing
// by serialising the canonical encoding; no real packet has such a tuple.
func (k Key) sumMixed(m Mode, t Tuple) uint64 {
	var buf [maxTupleBytes]byte
	n := putAddr(buf[:], t.Src)
	n += putAddr(buf[n:], t.Dst)
	switch m {
	case SourceIP:
	case SourceIPProtocol:
		buf[n] = t.Proto
		n++
	default:
		buf[n] = t.Proto
		binary.BigEndian.PutUint16(buf[n+1:], t.SrcPort)
		binary.BigEndian.PutUint16(buf[n+3:], t.DstPort)
		n += 5
	}
	return SipHash13(k, buf[:n])
}

// putAddr writes a's canonical bytes at the start of b and returns how
// many it wrote.
func putAddr(b []byte, a netip.Addr) int {
	switch {
	case a.Is4() || a.Is4In6():
		v := a.As4()
		return copy(b, v[:])
	case a.Is6():
		v := a.As16()
		return copy(b, v[:])
	}
	return 0
}

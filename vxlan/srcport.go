package vxlan

import (
	"encoding/binary"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

// PortRange is an inclusive range of UDP source ports for encapsulated
// packets.
type PortRange struct{ Min, Max uint16 }

// DefaultPortRange is the dynamic/private port range RFC 7348 section 5
// recommends for the outer UDP source port.
var DefaultPortRange = PortRange{Min: 49152, Max: 65535}

// Valid reports whether r is non-empty and does not include port 0.
func (r PortRange) Valid() bool { return r.Min != 0 && r.Min <= r.Max }

// Port maps a flow hash into r: equal hashes give equal ports, and hashes
// spread evenly over the range. An invalid range maps to DefaultPortRange.
func (r PortRange) Port(hash uint32) uint16 {
	if !r.Valid() {
		r = DefaultPortRange
	}
	n := uint64(r.Max-r.Min) + 1
	return r.Min + uint16(uint64(hash)*n>>32)
}

// FlowHash hashes the flow an inner Ethernet frame belongs to, for the
// outer UDP source port (RFC 7348 section 5): Ethernet addresses and
// EtherType, and for IPv4 and IPv6 the addresses, protocol and, unless the
// packet is a fragment, TCP/UDP/SCTP ports. Every frame of one flow hashes
// alike; nothing is allocated, and frames too short for a field are hashed
// on what they have.
func FlowHash(frame []byte) uint32 {
	if len(frame) < header.EthernetMinSize {
		return finish(mix(hashSeed, frame))
	}
	h := mix(hashSeed, frame[:header.EthernetMinSize])
	et := binary.BigEndian.Uint16(frame[12:14])
	l3 := frame[14:]
	var l4 []byte
	var proto byte
	switch header.EtherType(et) {
	case header.EtherTypeIPv4:
		if len(l3) < header.IPv4MinSize {
			return finish(h)
		}
		ihl := int(l3[0]&0x0f) * 4
		proto = l3[9]
		h = mix(h, l3[12:20])
		h = (h ^ uint32(proto)) * 0xc2b2ae35
		fragment := binary.BigEndian.Uint16(l3[6:8])&0x3fff != 0
		if ihl >= header.IPv4MinSize && ihl <= len(l3) && !fragment {
			l4 = l3[ihl:]
		}
	case header.EtherTypeIPv6:
		if len(l3) < header.IPv6Size {
			return finish(h)
		}
		proto = l3[6]
		h = mix(h, l3[8:40])
		h = (h ^ uint32(proto)) * 0xc2b2ae35
		l4 = l3[header.IPv6Size:]
	default:
		return finish(h)
	}
	switch proto {
	case header.ProtocolTCP, header.ProtocolUDP, 132: // 132: SCTP
		if len(l4) >= 4 {
			h = mix(h, l4[:4])
		}
	}
	return finish(h)
}

const hashSeed = 0x9e3779b9

// mix folds b into h, four bytes at a time (a multiply-xorshift mix).
func mix(h uint32, b []byte) uint32 {
	for len(b) >= 4 {
		h = (h ^ binary.LittleEndian.Uint32(b)) * 0x85ebca6b
		h ^= h >> 15
		b = b[4:]
	}
	for _, c := range b {
		h = (h ^ uint32(c)) * 0xc2b2ae35
		h ^= h >> 13
	}
	return h
}

// finish is the 32-bit avalanche of MurmurHash3, so that nearby inputs give
// far-apart ports.
func finish(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

package router

import (
	"encoding/binary"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

// mix folds v into the hash h (a multiply-xorshift step).
func mix(h, v uint64) uint64 {
	h ^= v
	h *= 0x9e3779b97f4a7c15
	return h ^ h>>29
}

// FlowHash4 returns the ECMP flow hash of an IPv4 packet: source and
// destination addresses, protocol and, for TCP and UDP datagrams that are
// not fragments, the ports. Packets of one flow hash alike, so they take
// one path; all fragments of a datagram hash alike too.
func FlowHash4(ip header.IPv4, seed uint64) uint64 {
	h := mix(seed, uint64(binary.BigEndian.Uint32(ip[12:16]))<<32|uint64(binary.BigEndian.Uint32(ip[16:20])))
	p := ip.Protocol()
	var ports uint64
	if (p == header.ProtocolTCP || p == header.ProtocolUDP) && !ip.IsFragment() {
		if l4 := ip.Payload(); len(l4) >= 4 {
			ports = uint64(binary.BigEndian.Uint32(l4))
		}
	}
	return mix(h, ports<<8|uint64(p))
}

// FlowHash6 returns the ECMP flow hash of an IPv6 packet: addresses, flow
// label, next header and, when the next header is TCP or UDP, the ports.
func FlowHash6(ip header.IPv6, seed uint64) uint64 {
	h := mix(seed, binary.BigEndian.Uint64(ip[8:16]))
	h = mix(h, binary.BigEndian.Uint64(ip[16:24]))
	h = mix(h, binary.BigEndian.Uint64(ip[24:32]))
	h = mix(h, binary.BigEndian.Uint64(ip[32:40]))
	p := ip.NextHeader()
	var ports uint64
	if p == header.ProtocolTCP || p == header.ProtocolUDP {
		if l4 := ip.Payload(); len(l4) >= 4 {
			ports = uint64(binary.BigEndian.Uint32(l4))
		}
	}
	return mix(h, ports<<28|uint64(ip.FlowLabel())<<8|uint64(p))
}

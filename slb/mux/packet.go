package mux

import (
	"encoding/binary"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/slb/flowhash"
)

// IP protocol numbers and ICMP types the Mux looks at.
const (
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoICMPv6 = 58

	tcpFlagSYN = 0x02
	tcpFlagACK = 0x10

	maxV6Extensions = 8
)

// Fragment kinds of a packet (RFC 791 section 3.2; RFC 8200 section 4.5).
const (
	notFragment   = iota
	firstFragment // offset 0 with more fragments: carries the ports
	laterFragment // offset > 0: no transport header
)

// A packet is what Process needs from an inner IP packet: its flow tuple
// as the Mux sees it (client to VIP), where the transport header starts,
// and whether it is a fragment or an ICMP error.
type packet struct {
	tuple  flowhash.Tuple
	length int // the IP packet's length (IPv4 total length, IPv6 40 + payload length)
	l4     int // offset of the transport header
	frag   uint8
	fragID uint32
	flags  uint8 // TCP flags; 0 for other protocols
	// icmpErr marks an ICMP error: tuple is then the reversed tuple of
	// the quoted packet (the flow the error is about, as the client sent
	// it), and quotedMismatch that the quoted source is not the packet's
	// destination.
	icmpErr        bool
	quotedMismatch bool
	// src and dst are tuple's addresses as two big-endian words (IPv4
	// in its IPv4-mapped form), read straight from the packet: the flow
	// table and the rule lookup hash these rather than netip.Addr values.
	src, dst words
	// osrc, odst and oproto are an ICMP error's own addresses and
	// protocol, under which its fragments are remembered.
	osrc, odst words
	oproto     uint8
	v6         bool
	hash       uint64 // Mux.tableHash, set after parse
	// sh and bk are hash's shard and buckets in the flow table, located
	// once with hash.
	sh      *shard
	bk      pair
	touched uint64 // what Mux.parse loaded early (pair.touch), kept so that the loads stay
	// inPlace: the packet sits in its buffer after the headroom, and
	// its outer headers are written in front of it (Worker.ProcessInPlace).
	inPlace bool
}

// words is an IPv6 address, or an IPv4-mapped one, as two big-endian
// 64-bit words.
type words struct{ hi, lo uint64 }

func words4(b []byte) words {
	return words{lo: 0xffff<<32 | uint64(binary.BigEndian.Uint32(b))}
}

func words16(b []byte) words {
	return words{hi: binary.BigEndian.Uint64(b[:8]), lo: binary.BigEndian.Uint64(b[8:16])}
}

func addrWords(a netip.Addr) words {
	b := a.As16()
	return words16(b[:])
}

// parse fills p, which must be zero, from pkt. It reads nothing beyond
// the IP packet's own length and never panics.
func parse(pkt []byte, p *packet) error {
	if len(pkt) == 0 {
		return errEmpty
	}
	switch pkt[0] >> 4 {
	case 4:
		return parse4(pkt, p)
	case 6:
		return parse6(pkt, p)
	}
	return errVersion
}

func parse4(pkt []byte, p *packet) error {
	if len(pkt) < 20 {
		return errV4Short
	}
	ihl := int(pkt[0]&0x0f) * 4
	if ihl < 20 {
		return errV4IHL
	}
	tl := int(binary.BigEndian.Uint16(pkt[2:4]))
	if tl < ihl {
		return errV4TotalLen
	}
	if tl > len(pkt) {
		return errV4Short
	}
	pkt = pkt[:tl]
	p.length, p.l4 = tl, ihl
	p.tuple.Src = netip.AddrFrom4([4]byte(pkt[12:16]))
	p.tuple.Dst = netip.AddrFrom4([4]byte(pkt[16:20]))
	p.src, p.dst = words4(pkt[12:16]), words4(pkt[16:20])
	p.tuple.Proto = pkt[9]
	fw := binary.BigEndian.Uint16(pkt[6:8])
	switch {
	case fw&0x1fff != 0:
		p.frag = laterFragment
	case fw&0x2000 != 0:
		p.frag = firstFragment
	}
	p.fragID = uint32(binary.BigEndian.Uint16(pkt[4:6]))
	if p.frag == laterFragment {
		return nil
	}
	return transport(pkt[ihl:], p, false)
}

func parse6(pkt []byte, p *packet) error {
	if len(pkt) < 40 {
		return errV6Short
	}
	pl := int(binary.BigEndian.Uint16(pkt[4:6]))
	if pl == 0 && pkt[6] == 0 {
		return errV6Jumbo
	}
	if 40+pl > len(pkt) {
		return errV6Short
	}
	pkt = pkt[:40+pl]
	p.length = 40 + pl
	p.tuple.Src = netip.AddrFrom16([16]byte(pkt[8:24]))
	p.tuple.Dst = netip.AddrFrom16([16]byte(pkt[24:40]))
	p.src, p.dst = words16(pkt[8:24]), words16(pkt[24:40])
	p.v6 = true
	proto, off, err := extensions(pkt, p)
	if err != nil {
		return err
	}
	p.tuple.Proto, p.l4 = proto, off
	if p.frag == laterFragment {
		return nil
	}
	return transport(pkt[off:], p, true)
}

// extensions walks the IPv6 extension headers (RFC 8200 section 4) of pkt
// and returns the upper-layer protocol and its offset, noting a Fragment
// header in p.
func extensions(pkt []byte, p *packet) (proto uint8, off int, err error) {
	proto, off = pkt[6], 40
	for range maxV6Extensions {
		var n int
		switch proto {
		case 0, 43, 60: // hop-by-hop, routing, destination options
			if off+2 > len(pkt) {
				return 0, 0, errV6Ext
			}
			n = (int(pkt[off+1]) + 1) * 8
		case 51: // authentication header (RFC 4302)
			if off+2 > len(pkt) {
				return 0, 0, errV6Ext
			}
			n = (int(pkt[off+1]) + 2) * 4
		case 44: // fragment
			n = 8
			if off+n > len(pkt) {
				return 0, 0, errV6Ext
			}
			fo := binary.BigEndian.Uint16(pkt[off+2 : off+4])
			switch {
			case fo&0xfff8 != 0:
				p.frag = laterFragment
			case fo&1 != 0:
				p.frag = firstFragment
			}
			p.fragID = binary.BigEndian.Uint32(pkt[off+4 : off+8])
		default:
			return proto, off, nil
		}
		if off+n > len(pkt) {
			return 0, 0, errV6Ext
		}
		proto = pkt[off]
		off += n
	}
	return 0, 0, errV6ExtCount
}

// transport reads the ports (TCP, UDP) or the ICMP error's quoted packet
// from l4, the transport header onward.
func transport(l4 []byte, p *packet, v6 bool) error {
	switch p.tuple.Proto {
	case protoTCP:
		if len(l4) < 20 {
			return errTCPShort
		}
		if d := int(l4[12]>>4) * 4; d < 20 {
			return errTCPOffset
		} else if d > len(l4) {
			return errTCPShort
		}
		p.flags = l4[13]
		fallthrough
	case protoUDP:
		if len(l4) < 8 {
			return errL4Short
		}
		p.tuple.SrcPort = binary.BigEndian.Uint16(l4[0:2])
		p.tuple.DstPort = binary.BigEndian.Uint16(l4[2:4])
	case protoICMP:
		if v6 {
			return nil
		}
		if len(l4) < 8 {
			return errICMPShort
		}
		switch l4[0] {
		case 3, 11, 12: // destination unreachable, time exceeded, parameter problem (RFC 792)
			return quoted(l4[8:], p, false)
		}
	case protoICMPv6:
		if !v6 {
			return nil
		}
		if len(l4) < 8 {
			return errICMPShort
		}
		switch l4[0] {
		case 1, 2, 3, 4: // destination unreachable, packet too big, time exceeded, parameter problem (RFC 4443)
			return quoted(l4[8:], p, true)
		}
	}
	return nil
}

// quoted reads the packet an ICMP error quotes (RFC 792: its IP header and
// at least 8 bytes; RFC 4443: as much as fits) and replaces p's tuple with
// the quoted flow's reversed tuple.
func quoted(q []byte, p *packet, v6 bool) error {
	var t flowhash.Tuple
	var l4 []byte
	var qsrc, qdst words
	if v6 {
		if len(q) < 40 {
			return errQuotedShort
		}
		if q[0]>>4 != 6 {
			return errQuotedVersion
		}
		t.Src = netip.AddrFrom16([16]byte(q[8:24]))
		t.Dst = netip.AddrFrom16([16]byte(q[24:40]))
		qsrc, qdst = words16(q[8:24]), words16(q[24:40])
		var qp packet
		proto, off, err := extensions(q, &qp)
		if err != nil {
			return err
		}
		if qp.frag == laterFragment {
			return errQuotedFrag
		}
		t.Proto, l4 = proto, q[off:]
	} else {
		if len(q) < 20 {
			return errQuotedShort
		}
		if q[0]>>4 != 4 {
			return errQuotedVersion
		}
		ihl := int(q[0]&0x0f) * 4
		if ihl < 20 {
			return errQuotedIHL
		}
		if ihl > len(q) {
			return errQuotedShort
		}
		if binary.BigEndian.Uint16(q[6:8])&0x1fff != 0 {
			return errQuotedFrag
		}
		t.Src = netip.AddrFrom4([4]byte(q[12:16]))
		t.Dst = netip.AddrFrom4([4]byte(q[16:20]))
		qsrc, qdst = words4(q[12:16]), words4(q[16:20])
		t.Proto, l4 = q[9], q[ihl:]
	}
	if t.Proto == protoTCP || t.Proto == protoUDP {
		if len(l4) < 4 {
			return errQuotedL4
		}
		t.SrcPort = binary.BigEndian.Uint16(l4[0:2])
		t.DstPort = binary.BigEndian.Uint16(l4[2:4])
	}
	p.osrc, p.odst, p.oproto = p.src, p.dst, p.tuple.Proto
	p.src, p.dst = qdst, qsrc
	p.quotedMismatch = t.Src != p.tuple.Dst
	p.icmpErr = true
	p.tuple = flowhash.Tuple{Src: t.Dst, Dst: t.Src, SrcPort: t.DstPort, DstPort: t.SrcPort, Proto: t.Proto}
	return nil
}

// opens reports whether p opens a TCP connection: a SYN without ACK.
// A retransmitted SYN opens the same connection again; the SYN-ACK and
// everything after it belong to an open one.
func (p *packet) opens() bool { return p.flags&(tcpFlagSYN|tcpFlagACK) == tcpFlagSYN }

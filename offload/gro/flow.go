package gro

import (
	"encoding/binary"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// TCP flags (RFC 9293 section 3.1, RFC 3168) as bytes.
const (
	flagFIN = uint8(header.TCPFlagFIN)
	flagPSH = uint8(header.TCPFlagPSH)
	flagCWR = uint8(header.TCPFlagCWR)

	// flagsNoHold: a packet with any of these is never held; one that
	// joins a held packet ends it.
	flagsNoHold = uint8(header.TCPFlagURG | header.TCPFlagPSH | header.TCPFlagRST | header.TCPFlagSYN | header.TCPFlagFIN)
	// flagsMayDiffer: the flags a joining segment may have that the held
	// packet has not (or the other way round).
	flagsMayDiffer = uint8(header.TCPFlagCWR | header.TCPFlagFIN | header.TCPFlagPSH)
)

// flowKey identifies a flow, together with the link-layer header bytes.
type flowKey struct {
	src, dst netip.Addr
	ports    uint32 // source and destination port
	proto    uint8
}

// seg is a parsed received packet.
type seg struct {
	pkt      []byte // up to the end of the IP datagram (link padding cut)
	ip       int    // offset of the IP header
	l4       int    // offset of the transport header
	hdrEnd   int    // offset of the payload
	key      flowKey
	v6       bool
	attr     uint64 // IP fields that must match: TOS, TTL, DF; or traffic class, flow label, hop limit
	id       uint16
	df       bool
	flags    uint8
	seq, ack uint32
	udpCk    bool // UDP: a checksum is present
}

func (s *seg) payload() int { return len(s.pkt) - s.hdrEnd }

// parse fills s from pkt and reports whether pkt is a coalescing candidate.
func (c *Coalescer) parse(s *seg, h virtio.NetHdr, pkt []byte) bool {
	if h.IsGSO() {
		return false
	}
	off := c.cfg.NetworkOffset
	if len(pkt) <= off {
		return false
	}
	s.ip = off
	var l4 []byte // the transport header and payload
	switch pkt[off] >> 4 {
	case header.IPv4Version:
		// Linux's inet_gro_receive takes only option-less, unfragmented
		// headers with a valid checksum.
		ip, err := header.ParseIPv4(pkt[off:])
		if err != nil || ip.HeaderLen() != header.IPv4MinSize || ip.IsFragment() || !ip.ValidChecksum() {
			return false
		}
		s.key.src, s.key.dst, s.key.proto = ip.Source(), ip.Destination(), ip.Protocol()
		s.id, s.df = ip.ID(), ip.DontFragment()
		s.attr = uint64(ip.TOS())<<16 | uint64(ip.TTL())<<8 | uint64(ip[6]&0x40)
		l4, s.l4 = ip.Payload(), off+header.IPv4MinSize
	case header.IPv6Version:
		// Only TCP or UDP right after the fixed header.
		ip, err := header.ParseIPv6(pkt[off:])
		if err != nil || ip.PayloadLength() == 0 {
			return false
		}
		s.key.src, s.key.dst, s.key.proto, s.v6 = ip.Source(), ip.Destination(), ip.NextHeader(), true
		s.attr = uint64(ip.TrafficClass())<<28 | uint64(ip.FlowLabel())<<8 | uint64(ip.HopLimit())
		l4, s.l4 = ip.Payload(), off+header.IPv6Size
	default:
		return false
	}
	end := s.l4 + len(l4)
	switch s.key.proto {
	case header.ProtocolTCP:
		t, err := header.ParseTCP(l4)
		if err != nil {
			return false
		}
		s.hdrEnd = s.l4 + t.HeaderLen()
		s.flags, s.seq, s.ack = uint8(t.Flags()), t.Seq(), t.Ack()
		s.key.ports = uint32(t.SourcePort())<<16 | uint32(t.DestinationPort())
	case header.ProtocolUDP:
		u, err := header.ParseUDP(l4)
		if !c.cfg.UDP || err != nil || len(u) != len(l4) {
			return false
		}
		s.hdrEnd = s.l4 + header.UDPSize
		s.udpCk = u.Checksum() != 0 || s.v6
		s.key.ports = uint32(u.SourcePort())<<16 | uint32(u.DestinationPort())
	default:
		return false
	}
	s.pkt = pkt[:end]
	return true
}

// verify checks the transport checksum unless the virtio-net header
// vouches for it.
func (s *seg) verify(h virtio.NetHdr) bool {
	if h.Flags&(virtio.FlagDataValid|virtio.FlagNeedsCsum) != 0 {
		return true
	}
	if s.key.proto == header.ProtocolUDP && !s.udpCk {
		return true
	}
	l4 := s.pkt[s.l4:]
	return checksum.Sum(l4, checksum.PseudoHeader(s.key.src, s.key.dst, s.key.proto, len(l4))) == 0xffff
}

// ID modes of an IPv4 flow, fixed by its second segment.
const (
	idUnknown = iota
	idIncrementing
	idFixed
)

// flow is one held packet and what later segments must match.
type flow struct {
	buf     []byte // the held packet; capacity NetworkOffset+MaxSize
	used    bool
	born    uint64
	h0      virtio.NetHdr // the header of the first segment
	key     flowKey
	v6      bool
	ip      int
	l4      int
	hdrEnd  int
	attr    uint64
	id0     uint16
	idMode  int
	ack     uint32
	nextSeq uint32
	mss     int // payload length of the first segment: gso_size
	count   int
	udpCk   bool
}

// start makes s the held packet of f.
func (f *flow) start(s *seg, h virtio.NetHdr, now uint64) {
	f.buf = append(f.buf[:0], s.pkt...)
	f.used, f.born, f.h0 = true, now, h
	f.key, f.v6 = s.key, s.v6
	f.ip, f.l4, f.hdrEnd = s.ip, s.l4, s.hdrEnd
	f.attr, f.id0, f.idMode = s.attr, s.id, idUnknown
	f.ack, f.nextSeq = s.ack, s.seq+uint32(s.payload())
	f.mss, f.count, f.udpCk = s.payload(), 1, s.udpCk
}

// maxSegments is the segment cap for f's protocol.
func (c *Coalescer) maxSegments(f *flow) int {
	if c.cfg.MaxSegments == 0 && f.key.proto == header.ProtocolUDP {
		return udpMaxSegs
	}
	return c.cfg.MaxSegments
}

// canMerge reports whether s may be appended to f's packet.
func (c *Coalescer) canMerge(f *flow, s *seg) bool {
	n := s.payload()
	if f.attr != s.attr || n == 0 || n > f.mss {
		return false
	}
	if len(f.buf)-f.ip+n > c.cfg.MaxSize {
		return false
	}
	if m := c.maxSegments(f); m > 0 && f.count >= m {
		return false
	}
	if !f.v6 {
		inc := s.id == f.id0+uint16(f.count)
		fixed := s.df && s.id == f.id0
		switch f.idMode {
		case idUnknown:
			if !inc && !fixed {
				return false
			}
		case idIncrementing:
			if !inc {
				return false
			}
		case idFixed:
			if !fixed {
				return false
			}
		}
	}
	if f.key.proto == header.ProtocolUDP {
		return s.udpCk == f.udpCk
	}
	held := f.buf[f.l4:f.hdrEnd]
	th := s.pkt[s.l4:s.hdrEnd]
	return s.flags&flagCWR == 0 &&
		(s.flags^held[13])&^flagsMayDiffer == 0 &&
		s.ack == f.ack &&
		s.seq == f.nextSeq &&
		string(th[20:]) == string(held[20:]) // same length and bytes
}

// merge appends s's payload to f's packet.
func (f *flow) merge(s *seg) {
	if !f.v6 && f.idMode == idUnknown {
		f.idMode = idIncrementing
		if s.id == f.id0 {
			f.idMode = idFixed
		}
	}
	f.buf = append(f.buf, s.pkt[s.hdrEnd:]...)
	f.count++
	if f.key.proto == header.ProtocolTCP {
		f.nextSeq += uint32(s.payload())
		f.buf[f.l4+13] |= s.flags & (flagFIN | flagPSH)
	}
}

// ends reports whether f, just joined by s, must be flushed now: s was
// short or carried PSH or FIN, or f holds as many segments as allowed. (A
// packet near the size cap stays held: a short last segment may still
// fit.)
func (c *Coalescer) ends(f *flow, s *seg) bool {
	if s.payload() < f.mss || s.flags&flagsNoHold != 0 {
		return true
	}
	m := c.maxSegments(f)
	return m > 0 && f.count >= m
}

// finish completes f's packet for emission and returns it with its
// virtio-net header.
func (f *flow) finish() (virtio.NetHdr, []byte) {
	if f.count == 1 {
		return f.h0, f.buf
	}
	b := f.buf
	iph := b[f.ip:]
	if f.v6 {
		binary.BigEndian.PutUint16(iph[4:], uint16(len(iph)-40))
	} else {
		binary.BigEndian.PutUint16(iph[2:], uint16(len(iph)))
		binary.BigEndian.PutUint16(iph[10:], 0)
		binary.BigEndian.PutUint16(iph[10:], ^checksum.Sum(iph[:20], 0))
	}
	l4 := b[f.l4:]
	h := virtio.NetHdr{
		Flags:     virtio.FlagNeedsCsum,
		HdrLen:    uint16(f.hdrEnd),
		GSOSize:   uint16(f.mss),
		CsumStart: uint16(f.l4),
	}
	ph := checksum.PseudoHeader(f.key.src, f.key.dst, f.key.proto, len(l4))
	if f.key.proto == header.ProtocolUDP {
		h.GSOType, h.CsumOffset = virtio.GSOUDPL4, csumOffsetUDP
		binary.BigEndian.PutUint16(l4[4:], uint16(len(l4)))
	} else {
		h.GSOType, h.CsumOffset = virtio.GSOTCPv4, csumOffsetTCP
		if f.v6 {
			h.GSOType = virtio.GSOTCPv6
		}
		if l4[13]&flagCWR != 0 {
			h.GSOType |= virtio.GSOECN
		}
	}
	binary.BigEndian.PutUint16(l4[h.CsumOffset:], ph)
	return h, b
}

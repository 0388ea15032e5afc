package gro

import (
	"encoding/binary"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// TCP flags (RFC 9293 section 3.1).
const (
	flagFIN = 0x01
	flagSYN = 0x02
	flagRST = 0x04
	flagPSH = 0x08
	flagURG = 0x20
	flagCWR = 0x80

	// flagsNoHold: a packet with any of these is never held; one that
	// joins a held packet ends it.
	flagsNoHold = flagURG | flagPSH | flagRST | flagSYN | flagFIN
	// flagsMayDiffer: the flags a joining segment may have that the held
	// packet has not (or the other way round).
	flagsMayDiffer = flagCWR | flagFIN | flagPSH
)

// flowKey identifies a flow, together with the link-layer header bytes.
type flowKey struct {
	src, dst [16]byte
	ports    uint32
	proto    uint8
	v6       bool
}

// seg is a parsed received packet.
type seg struct {
	pkt      []byte // up to the end of the IP datagram (link padding cut)
	ip       int    // offset of the IP header
	l4       int    // offset of the transport header
	hdrEnd   int    // offset of the payload
	key      flowKey
	src, dst netip.Addr
	attr     uint64 // IP fields that must match: TOS, TTL, DF; or the IPv6 first word and hop limit
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
	if len(pkt) < off+20 {
		return false
	}
	s.ip = off
	iph := pkt[off:]
	var end int
	switch iph[0] >> 4 {
	case 4:
		// Linux's inet_gro_receive takes only option-less, unfragmented
		// headers with a valid checksum.
		if iph[0] != 0x45 || binary.BigEndian.Uint16(iph[6:])&0x3fff != 0 {
			return false
		}
		tot := int(binary.BigEndian.Uint16(iph[2:]))
		if tot < 20 || tot > len(iph) || checksum.Sum(iph[:20], 0) != 0xffff {
			return false
		}
		end, s.l4 = off+tot, off+20
		s.key.proto = iph[9]
		copy(s.key.src[:], iph[12:16])
		copy(s.key.dst[:], iph[16:20])
		s.src, s.dst = netip.AddrFrom4([4]byte(iph[12:16])), netip.AddrFrom4([4]byte(iph[16:20]))
		s.id = binary.BigEndian.Uint16(iph[4:])
		s.df = iph[6]&0x40 != 0
		s.attr = uint64(iph[1])<<16 | uint64(iph[8])<<8 | uint64(iph[6]&0x40)
	case 6:
		if len(iph) < 40 {
			return false
		}
		plen := int(binary.BigEndian.Uint16(iph[4:]))
		if plen == 0 || 40+plen > len(iph) {
			return false
		}
		end, s.l4 = off+40+plen, off+40
		s.key.proto, s.key.v6 = iph[6], true
		copy(s.key.src[:], iph[8:24])
		copy(s.key.dst[:], iph[24:40])
		s.src, s.dst = netip.AddrFrom16(s.key.src), netip.AddrFrom16(s.key.dst)
		s.attr = uint64(binary.BigEndian.Uint32(iph))<<8 | uint64(iph[7])
	default:
		return false
	}
	switch s.key.proto {
	case protoTCP:
		if s.l4+20 > end {
			return false
		}
		th := pkt[s.l4:end]
		doff := int(th[12]>>4) * 4
		if doff < 20 || doff > len(th) {
			return false
		}
		s.hdrEnd = s.l4 + doff
		s.flags = th[13]
		s.seq = binary.BigEndian.Uint32(th[4:])
		s.ack = binary.BigEndian.Uint32(th[8:])
	case protoUDP:
		if !c.cfg.UDP || s.l4+8 > end || int(binary.BigEndian.Uint16(pkt[s.l4+4:])) != end-s.l4 {
			return false
		}
		s.hdrEnd = s.l4 + 8
		s.udpCk = binary.BigEndian.Uint16(pkt[s.l4+6:]) != 0 || s.key.v6
	default:
		return false
	}
	s.key.ports = binary.BigEndian.Uint32(pkt[s.l4:])
	s.pkt = pkt[:end]
	return true
}

// verify checks the transport checksum unless the virtio-net header
// vouches for it.
func (s *seg) verify(h virtio.NetHdr) bool {
	if h.Flags&(virtio.FlagDataValid|virtio.FlagNeedsCsum) != 0 {
		return true
	}
	if s.key.proto == protoUDP && !s.udpCk {
		return true
	}
	l4 := s.pkt[s.l4:]
	return checksum.Sum(l4, checksum.PseudoHeader(s.src, s.dst, s.key.proto, len(l4))) == 0xffff
}

// ID modes of an IPv4 flow, fixed by its second segment.
const (
	idUnknown = iota
	idIncrementing
	idFixed
)

// flow is one held packet and what later segments must match.
type flow struct {
	buf      []byte // the held packet; capacity NetworkOffset+MaxSize
	used     bool
	born     uint64
	h0       virtio.NetHdr // the header of the first segment
	key      flowKey
	src, dst netip.Addr
	ip       int
	l4       int
	hdrEnd   int
	attr     uint64
	id0      uint16
	idMode   int
	ack      uint32
	nextSeq  uint32
	mss      int // payload length of the first segment: gso_size
	count    int
	udpCk    bool
}

// start makes s the held packet of f.
func (f *flow) start(s *seg, h virtio.NetHdr, now uint64) {
	f.buf = append(f.buf[:0], s.pkt...)
	f.used, f.born, f.h0 = true, now, h
	f.key, f.src, f.dst = s.key, s.src, s.dst
	f.ip, f.l4, f.hdrEnd = s.ip, s.l4, s.hdrEnd
	f.attr, f.id0, f.idMode = s.attr, s.id, idUnknown
	f.ack, f.nextSeq = s.ack, s.seq+uint32(s.payload())
	f.mss, f.count, f.udpCk = s.payload(), 1, s.udpCk
}

// maxSegments is the segment cap for f's protocol.
func (c *Coalescer) maxSegments(f *flow) int {
	if c.cfg.MaxSegments == 0 && f.key.proto == protoUDP {
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
	if !f.key.v6 {
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
	if f.key.proto == protoUDP {
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
	if !f.key.v6 && f.idMode == idUnknown {
		f.idMode = idIncrementing
		if s.id == f.id0 {
			f.idMode = idFixed
		}
	}
	f.buf = append(f.buf, s.pkt[s.hdrEnd:]...)
	f.count++
	if f.key.proto == protoTCP {
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
	if f.key.v6 {
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
	ph := checksum.PseudoHeader(f.src, f.dst, f.key.proto, len(l4))
	if f.key.proto == protoUDP {
		h.GSOType, h.CsumOffset = virtio.GSOUDPL4, csumOffsetUDP
		binary.BigEndian.PutUint16(l4[4:], uint16(len(l4)))
	} else {
		h.GSOType, h.CsumOffset = virtio.GSOTCPv4, csumOffsetTCP
		if f.key.v6 {
			h.GSOType = virtio.GSOTCPv6
		}
		if l4[13]&flagCWR != 0 {
			h.GSOType |= virtio.GSOECN
		}
	}
	binary.BigEndian.PutUint16(l4[h.CsumOffset:], ph)
	return h, b
}

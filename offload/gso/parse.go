package gso

import (
	"encoding/binary"
	"errors"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// plan is a validated super-packet: where its headers are and how it splits.
type plan struct {
	inner    ipLayer // the IP header of the segmented packet
	outer    ipLayer // the outer IP header, when tunneled
	tunneled bool
	udp      int // offset of the outer UDP header, when tunneled
	l4       int // offset of the (inner) transport header
	proto    uint8
	hdrEnd   int // offset of the first payload byte
	end      int // end of the packet per the (outer) IP length
	mss      int
	nseg     int
}

// ipLayer is one IPv4 or IPv6 header of the super-packet.
type ipLayer struct {
	off      int
	v6       bool
	src, dst netip.Addr
}

// fix sets the length fields (and for IPv4 the ID and header checksum) of
// this header in segment i.
func (l *ipLayer) fix(seg []byte, i int, fixedID bool) {
	h := seg[l.off:]
	if l.v6 {
		binary.BigEndian.PutUint16(h[4:], uint16(len(h)-40))
		return
	}
	binary.BigEndian.PutUint16(h[2:], uint16(len(h)))
	if !fixedID {
		id := binary.BigEndian.Uint16(h[4:])
		binary.BigEndian.PutUint16(h[4:], id+uint16(i))
	}
	ihl := int(h[0]&0x0f) * 4
	binary.BigEndian.PutUint16(h[10:], 0)
	binary.BigEndian.PutUint16(h[10:], ^checksum.Sum(h[:ihl], 0))
}

// parse validates pkt against h and opts and computes the plan.
func parse(pkt []byte, h virtio.NetHdr, opts *Options) (plan, error) {
	var p plan
	var wantProto uint8
	var wantV6 int // 0 either, 1 IPv4, 2 IPv6
	switch h.GSOKind() {
	case virtio.GSOTCPv4:
		wantProto, wantV6 = header.ProtocolTCP, 1
	case virtio.GSOTCPv6:
		wantProto, wantV6 = header.ProtocolTCP, 2
	case virtio.GSOUDPL4:
		wantProto = header.ProtocolUDP
	case virtio.GSOUDP:
		return p, &Error{Field: "gso_type UDP (UFO)", Offset: -1, Err: ErrUnsupported}
	default:
		return p, metaErr("gso_type")
	}
	if h.GSOSize == 0 {
		return p, metaErr("gso_size")
	}
	off := opts.NetworkOffset
	if off < 0 || off > len(pkt) {
		return p, metaErr("Options.NetworkOffset")
	}
	ip, l4, proto, end, err := parseIP(pkt, off, len(pkt))
	if err != nil {
		return p, err
	}
	p.end = end
	if opts.Tunnel.Enabled {
		if proto != header.ProtocolUDP {
			return p, malformed("outer protocol (want UDP)", off)
		}
		if err := checkUDP(pkt, l4, end); err != nil {
			return p, err
		}
		if opts.Tunnel.HeaderLen < 0 || opts.Tunnel.HeaderLen > end-l4-8 {
			return p, metaErr("Tunnel.HeaderLen")
		}
		p.tunneled, p.outer, p.udp = true, ip, l4
		eth := l4 + 8 + opts.Tunnel.HeaderLen
		nh, err := innerNetwork(pkt, eth, end)
		if err != nil {
			return p, err
		}
		var innerEnd int
		ip, l4, proto, innerEnd, err = parseIP(pkt, nh, end)
		if err != nil {
			return p, err
		}
		if innerEnd != end {
			return p, malformed("inner ip length (differs from outer)", nh)
		}
	}
	p.inner, p.l4, p.proto = ip, l4, proto
	if proto != wantProto {
		return p, metaErr("gso_type (transport protocol differs)")
	}
	if wantV6 != 0 && ip.v6 != (wantV6 == 2) {
		return p, metaErr("gso_type (IP version differs)")
	}
	csumOff := 6
	if proto == header.ProtocolTCP {
		csumOff = 16
		t, err := header.ParseTCP(pkt[l4:end])
		if err != nil {
			return p, headerErr(err, l4)
		}
		p.hdrEnd = l4 + t.HeaderLen()
	} else {
		if err := checkUDP(pkt, l4, end); err != nil {
			return p, err
		}
		p.hdrEnd = l4 + header.UDPSize
	}
	if h.NeedsChecksum() {
		if int(h.CsumStart) != l4 {
			return p, metaErr("csum_start")
		}
		if int(h.CsumOffset) != csumOff {
			return p, metaErr("csum_offset")
		}
	}
	p.mss = int(h.GSOSize)
	p.nseg = max(1, (end-p.hdrEnd+p.mss-1)/p.mss)
	return p, nil
}

// checkUDP validates the UDP header at l4 of a datagram ending at end.
func checkUDP(pkt []byte, l4, end int) error {
	u, err := header.ParseUDP(pkt[l4:end])
	if err != nil {
		return headerErr(err, l4)
	}
	if len(u) != end-l4 {
		return malformed("udp length (short of the IP length)", l4+4)
	}
	return nil
}

// innerNetwork returns the offset of the IP header inside the inner
// Ethernet frame at eth (after up to two 802.1Q/802.1ad tags).
func innerNetwork(pkt []byte, eth, end int) (int, error) {
	if eth > end {
		return 0, malformed("inner ethernet", eth)
	}
	e, err := header.ParseEthernet(pkt[eth:end])
	if err != nil {
		return 0, headerErr(err, eth)
	}
	if t := e.EtherType(); t != header.EtherTypeIPv4 && t != header.EtherTypeIPv6 {
		return 0, unsupported("inner ethertype", eth+e.HeaderLen()-2)
	}
	return eth + e.HeaderLen(), nil
}

// parseIP validates the IPv4 or IPv6 header at off (the packet must end by
// limit) and returns it with the offset of its transport header, the
// transport protocol and the end of the IP packet.
func parseIP(pkt []byte, off, limit int) (l ipLayer, l4 int, proto uint8, end int, err error) {
	l.off = off
	if off >= limit {
		return l, 0, 0, 0, malformed("ip header", off)
	}
	b := pkt[off:limit]
	switch b[0] >> 4 {
	case header.IPv4Version:
		h, err := header.ParseIPv4(b)
		if err != nil {
			return l, 0, 0, 0, headerErr(err, off)
		}
		if h.IsFragment() {
			return l, 0, 0, 0, unsupported("ipv4 fragment", off+6)
		}
		l.src, l.dst = h.Source(), h.Destination()
		return l, off + h.HeaderLen(), h.Protocol(), off + len(h), nil
	case header.IPv6Version:
		h, err := header.ParseIPv6(b)
		if err != nil {
			return l, 0, 0, 0, headerErr(err, off)
		}
		if h.PayloadLength() == 0 {
			return l, 0, 0, 0, unsupported("ipv6 payload length 0 (jumbogram)", off+4)
		}
		if header.IsIPv6Extension(h.NextHeader()) {
			for e, err := range h.Extensions() {
				if err != nil {
					return l, 0, 0, 0, headerErr(err, off)
				}
				if e.Type == header.ProtocolFragment || e.Type == header.ProtocolAH {
					return l, 0, 0, 0, unsupported("ipv6 fragment or AH header", off+e.Offset)
				}
			}
		}
		proto, t, err := h.Transport()
		if err != nil {
			return l, 0, 0, 0, headerErr(err, off)
		}
		l.v6 = true
		l.src, l.dst = h.Source(), h.Destination()
		return l, off + t, proto, off + len(h), nil
	}
	return l, 0, 0, 0, malformed("ip version", off)
}

// headerErr wraps an error of the header package for a header at off.
func headerErr(err error, off int) error {
	e := &Error{Field: "header", Offset: off, Err: ErrMalformed, Cause: err}
	var he *header.Error
	if errors.As(err, &he) {
		e.Field, e.Offset = he.Layer+" "+he.Field, off+he.Offset
	}
	return e
}

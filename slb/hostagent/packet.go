package hostagent

import (
	"encoding/binary"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
)

// IP protocol numbers the agent translates.
const (
	protoTCP = 6
	protoUDP = 17
)

// A packet is a parsed view of a raw IPv4 or IPv6 packet in the caller's
// buffer: where the transport header starts and the flow it belongs to.
type packet struct {
	b     []byte // the IP packet, cut to its length fields
	l4    int    // offset of the transport header; -1 for a non-first fragment
	v4    bool
	proto uint8
	flags header.TCPFlags
	key   flowKey // the flow as it appears on the wire (VNI filled in by the caller)
	// A fragment's identification and whether more fragments follow:
	// a first fragment has l4 >= 0 and more set.
	fragID uint32
	more   bool
}

// parse checks b enough for the rewrites that follow to stay within it,
// and extracts the flow key. Protocols other than TCP and UDP parse with
// ports zero; a non-first fragment has l4 -1.
func parse(b []byte, p *packet) error {
	if len(b) == 0 {
		return &header.Error{Layer: "ip", Field: "version", Err: header.ErrTruncated}
	}
	switch b[0] >> 4 {
	case 4:
		h, err := header.ParseIPv4(b)
		if err != nil {
			return err
		}
		return p.fillIPv4(h, false)
	case 6:
		h, err := header.ParseIPv6(b)
		if err != nil {
			return err
		}
		return p.fillIPv6(h, false)
	}
	return &header.Error{Layer: "ip", Field: "version", Err: header.ErrBadValue, Value: int(b[0] >> 4), Rel: "not", Bound: 4}
}

// parseQuoted parses the packet quoted in an ICMP error: an IP header and
// at least the first 8 bytes of its transport header (RFC 792), perhaps
// cut short.
func parseQuoted(b []byte, q *packet) error {
	if len(b) == 0 {
		return &header.Error{Layer: "ip", Field: "version", Err: header.ErrTruncated}
	}
	switch b[0] >> 4 {
	case 4:
		h, err := header.ParseIPv4Partial(b)
		if err != nil {
			return err
		}
		return q.fillIPv4(h, true)
	case 6:
		h, err := header.ParseIPv6Partial(b)
		if err != nil {
			return err
		}
		return q.fillIPv6(h, true)
	}
	return &header.Error{Layer: "ip", Field: "version", Err: header.ErrBadValue, Value: int(b[0] >> 4), Rel: "not", Bound: 4}
}

func (p *packet) fillIPv4(h header.IPv4, quoted bool) error {
	p.b, p.v4, p.proto = h, true, h.Protocol()
	p.key.src = [16]byte{10: 0xff, 11: 0xff}
	p.key.dst = p.key.src
	copy(p.key.src[12:], h[12:16])
	copy(p.key.dst[12:], h[16:20])
	p.l4 = h.HeaderLen()
	if h.FragmentOffset() != 0 {
		p.l4 = -1
	}
	p.fragID, p.more = uint32(h.ID()), h.MoreFragments()
	return p.transport(quoted)
}

func (p *packet) fillIPv6(h header.IPv6, quoted bool) error {
	p.b, p.v4 = h, false
	p.key.src = [16]byte(h[8:24])
	p.key.dst = [16]byte(h[24:40])
	proto, off, err := h.Transport()
	if err != nil {
		return err
	}
	p.proto, p.l4 = proto, off
	p.fragID, p.more = 0, false
	if header.IsIPv6Extension(h[6]) {
		for e, err := range h.Extensions() {
			if err != nil {
				return err
			}
			if fo, more, id, ok := e.Fragment(); ok {
				p.fragID, p.more = id, more
				if fo != 0 {
					p.l4 = -1
				}
			}
		}
	}
	return p.transport(quoted)
}

// transport checks the TCP or UDP header at p.l4 (only its first 8 bytes
// in a quoted packet) and reads the ports into the key.
func (p *packet) transport(quoted bool) error {
	p.key.proto, p.key.v4 = p.proto, p.v4
	p.key.sport, p.key.dport, p.flags = 0, 0, 0
	if p.l4 < 0 {
		return nil
	}
	t := p.b[p.l4:]
	need := 8
	switch p.proto {
	case protoTCP:
		if !quoted {
			need = header.TCPMinSize
		}
	case protoUDP:
	default:
		return nil
	}
	if len(t) < need {
		return &header.Error{Layer: protoName(p.proto), Field: "header", Offset: p.l4, Err: header.ErrTruncated,
			Value: len(t), Rel: "<", Bound: need}
	}
	if p.proto == protoTCP && len(t) > 13 {
		p.flags = header.TCP(t).Flags()
	}
	p.key.sport = binary.BigEndian.Uint16(t[0:2])
	p.key.dport = binary.BigEndian.Uint16(t[2:4])
	return nil
}

func protoName(proto uint8) string {
	if proto == protoTCP {
		return "tcp"
	}
	return "udp"
}

// addrOff returns the offset of the source (dst false) or destination
// address in the IP header, and its length.
func (p *packet) addrOff(dst bool) (int, int) {
	if p.v4 {
		if dst {
			return 16, 4
		}
		return 12, 4
	}
	if dst {
		return 24, 16
	}
	return 8, 16
}

// rewrite replaces the source (dst false) or destination address with
// addr (16 bytes, IPv4-mapped for IPv4) and, when port is not 0 and the
// packet has a transport header, the matching port, updating the IPv4
// header checksum and the TCP or UDP checksum (which covers the
// pseudo-header) incrementally by RFC 1624. A UDP-over-IPv4 checksum of
// zero means none, and is left alone.
func (p *packet) rewrite(dst bool, addr *[16]byte, port uint16) {
	off, n := p.addrOff(dst)
	var old4, new4 uint32
	var old6 netip.Addr
	if p.v4 {
		old4 = binary.BigEndian.Uint32(p.b[off:])
		new4 = binary.BigEndian.Uint32(addr[12:])
		binary.BigEndian.PutUint32(p.b[off:], new4)
		h := header.IPv4(p.b)
		h.SetChecksum(checksum.Update32(h.Checksum(), old4, new4))
	} else {
		old6 = netip.AddrFrom16([16]byte(p.b[off : off+n]))
		copy(p.b[off:off+n], addr[:])
	}
	if p.l4 < 0 {
		return
	}
	t := p.b[p.l4:]
	portOff := 0
	if dst {
		portOff = 2
	}
	var csumOff int
	switch p.proto {
	case protoTCP:
		csumOff = 16
	case protoUDP:
		csumOff = 6
	default:
		return
	}
	oldPort := binary.BigEndian.Uint16(t[portOff:])
	if port != 0 {
		binary.BigEndian.PutUint16(t[portOff:], port)
	} else {
		port = oldPort
	}
	if len(t) < csumOff+2 { // a quoted TCP header cut before its checksum
		return
	}
	c := binary.BigEndian.Uint16(t[csumOff:])
	if p.proto == protoUDP && p.v4 && c == 0 {
		return
	}
	if p.v4 {
		c = checksum.Update32(c, old4, new4)
	} else {
		c = checksum.UpdateAddr(c, old6, netip.AddrFrom16(*addr))
	}
	c = checksum.Update16(c, oldPort, port)
	if p.proto == protoUDP && c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(t[csumOff:], c)
}

package vxlan

import (
	"encoding/binary"
	"net/netip"
	"sync/atomic"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
)

// EncapsulatePayload appends the UDP payload of a VXLAN packet (h, then the
// inner Ethernet frame) to dst, for sending through a UDP socket. It fails
// if the VNI is out of range or the frame is shorter than an Ethernet
// header; it does not allocate when dst has room.
func EncapsulatePayload(dst []byte, h Header, frame []byte) ([]byte, error) {
	if len(frame) < header.EthernetMinSize {
		return dst, &Error{Layer: "inner ethernet", Field: "header", Offset: len(frame), Err: ErrTruncated}
	}
	dst, err := h.Append(dst)
	if err != nil {
		return dst, err
	}
	return append(dst, frame...), nil
}

// DecapsulatePayload decodes the UDP payload of a VXLAN packet: the header
// and the inner Ethernet frame that follows it (a subslice of b).
func DecapsulatePayload(b []byte) (Header, []byte, error) {
	h, err := Decode(b)
	if err != nil {
		return Header{}, nil, err
	}
	frame := b[HeaderSize:]
	if len(frame) < header.EthernetMinSize {
		return Header{}, nil, &Error{Layer: "inner ethernet", Field: "header", Offset: len(b), Err: ErrTruncated}
	}
	return h, frame, nil
}

// Outer describes the outer headers Encapsulate writes: an optional
// Ethernet header, IPv4 or IPv6, and UDP. The zero value of each optional
// field picks the usual default.
type Outer struct {
	// Ethernet, when set, puts an Ethernet header from SrcMAC to DstMAC in
	// front of the IP header (for TAP and raw sockets).
	Ethernet       bool
	SrcMAC, DstMAC header.MAC

	// Src and Dst are the tunnel endpoints, both IPv4 or both IPv6.
	Src, Dst netip.Addr
	// DstPort is the UDP destination port; 0 means Port (4789). Linux
	// vxlan devices created without dstport use LinuxPort (8472).
	DstPort uint16
	// SrcPorts is the range the UDP source port is chosen from by a hash
	// of the inner flow (RFC 7348 section 5); zero means DefaultPortRange.
	SrcPorts PortRange

	TTL          uint8 // IPv4 TTL or IPv6 hop limit; 0 means 64
	TOS          uint8 // IPv4 TOS or IPv6 traffic class
	DontFragment bool  // IPv4 DF bit (RFC 7348 section 4.3: VTEPs must not fragment)

	// UDPChecksum computes the UDP checksum over IPv4; otherwise it is
	// sent as zero, as RFC 7348 section 5 recommends.
	UDPChecksum bool
	// ZeroUDP6Checksum sends a zero UDP checksum over IPv6, which RFC 6935
	// allows for tunnels and RFC 6936 section 5 only between endpoints
	// configured for it; otherwise the checksum is computed.
	ZeroUDP6Checksum bool
}

// Sizes of the outer headers Encapsulate writes.
const (
	OverheadIPv4 = header.IPv4MinSize + header.UDPSize + HeaderSize // 36
	OverheadIPv6 = header.IPv6Size + header.UDPSize + HeaderSize    // 56
)

// ipID numbers IPv4 packets sent without DF.
var ipID atomic.Uint32

// Encapsulate appends a whole VXLAN packet to dst: the outer headers o
// describes, h, and the inner Ethernet frame. Lengths and the IPv4 header
// checksum are filled in; the UDP checksum as o says. It does not allocate
// when dst has room.
func (o *Outer) Encapsulate(dst []byte, h Header, frame []byte) ([]byte, error) {
	if len(frame) < header.EthernetMinSize {
		return dst, &Error{Layer: "inner ethernet", Field: "header", Offset: len(frame), Err: ErrTruncated}
	}
	if !h.VNI.Valid() {
		return dst, &Error{Layer: "vxlan", Field: "vni", Offset: 4, Err: ErrBadValue}
	}
	var vh [HeaderSize]byte
	h.put(vh[:])
	return o.encapsulate(dst, vh, frame, Port, FlowHash(frame))
}

// EncapsulateGPE appends a whole VXLAN-GPE packet to dst: the outer headers
// o describes (destination port GPEPort unless o.DstPort is set), h, and
// the payload h.NextProtocol names.
func (o *Outer) EncapsulateGPE(dst []byte, h GPEHeader, payload []byte) ([]byte, error) {
	if err := h.check(); err != nil {
		return dst, err
	}
	var hash uint32
	if h.NextProtocol == NextEthernet {
		hash = FlowHash(payload)
	} else {
		hash = finish(mix(hashSeed, payload[:min(len(payload), 40)]))
	}
	var vh [HeaderSize]byte
	h.put(vh[:])
	return o.encapsulate(dst, vh, payload, GPEPort, hash)
}

func (o *Outer) encapsulate(dst []byte, vh [HeaderSize]byte, payload []byte, defPort uint16, hash uint32) ([]byte, error) {
	v4 := o.Src.Is4() && o.Dst.Is4()
	if !v4 && !(o.Src.Is6() && o.Dst.Is6() && !o.Src.Is4In6() && !o.Dst.Is4In6()) {
		return dst, &Error{Layer: "outer", Field: "addresses (need both IPv4 or both IPv6)", Offset: -1, Err: ErrBadValue}
	}
	ipLen := header.IPv6Size
	if v4 {
		ipLen = header.IPv4MinSize
	}
	udpLen := header.UDPSize + HeaderSize + len(payload)
	total := ipLen + udpLen
	if (v4 && total > 0xffff) || (!v4 && udpLen > 0xffff) {
		return dst, &Error{Layer: "outer", Field: "length", Offset: -1, Err: ErrBadLength}
	}
	ethLen := 0
	if o.Ethernet {
		ethLen = header.EthernetMinSize
	}
	start := len(dst)
	dst = grow(dst, ethLen+total)
	b := dst[start:]
	ttl := o.TTL
	if ttl == 0 {
		ttl = 64
	}
	if o.Ethernet {
		typ := header.EtherTypeIPv6
		if v4 {
			typ = header.EtherTypeIPv4
		}
		copy(b[0:6], o.DstMAC[:])
		copy(b[6:12], o.SrcMAC[:])
		binary.BigEndian.PutUint16(b[12:14], uint16(typ))
		b = b[ethLen:]
	}
	if v4 {
		ip := header.IPv4(b[:ipLen])
		clear(ip)
		ip[0] = 0x45
		ip.SetTotalLength(uint16(total))
		if o.DontFragment {
			ip.SetDontFragment(true)
		} else {
			ip.SetID(uint16(ipID.Add(1)))
		}
		ip.SetTOS(o.TOS)
		ip.SetTTL(ttl)
		ip.SetProtocol(header.ProtocolUDP)
		ip.SetSource(o.Src)
		ip.SetDestination(o.Dst)
		ip.SetChecksum(^checksum.Sum(ip, 0))
	} else {
		ip := header.IPv6(b[:ipLen])
		clear(ip)
		ip[0] = 0x60
		ip.SetTrafficClass(o.TOS)
		ip.SetPayloadLength(uint16(udpLen))
		ip.SetNextHeader(header.ProtocolUDP)
		ip.SetHopLimit(ttl)
		ip.SetSource(o.Src)
		ip.SetDestination(o.Dst)
	}
	u := header.UDP(b[ipLen:total])
	port := o.DstPort
	if port == 0 {
		port = defPort
	}
	u.SetSourcePort(o.SrcPorts.Port(hash))
	u.SetDestinationPort(port)
	u.SetLength(uint16(udpLen))
	u.SetChecksum(0)
	copy(u[header.UDPSize:], vh[:])
	copy(u[header.UDPSize+HeaderSize:], payload)
	if (v4 && o.UDPChecksum) || (!v4 && !o.ZeroUDP6Checksum) {
		c := ^checksum.Sum(u, checksum.PseudoHeader(o.Src, o.Dst, header.ProtocolUDP, udpLen))
		if c == 0 {
			c = 0xffff
		}
		u.SetChecksum(c)
	}
	return dst, nil
}

// Decap says which outer packets Decapsulate accepts.
type Decap struct {
	// Ethernet says packets start with an outer Ethernet header.
	Ethernet bool
	// Port is the UDP destination port to accept; 0 accepts any.
	Port uint16
	// VerifyChecksum verifies non-zero UDP checksums and the IPv4 header
	// checksum (RFC 7348 section 5 makes this optional).
	VerifyChecksum bool
	// ZeroUDP6Checksum accepts IPv6 packets with a zero UDP checksum
	// (RFC 6935); without it they are dropped, as RFC 6936 section 5
	// requires of endpoints not configured for zero checksums.
	ZeroUDP6Checksum bool
}

// Packet is a decapsulated VXLAN packet: the outer endpoints, the VXLAN
// header and the inner Ethernet frame (a subslice of the input).
type Packet struct {
	Src, Dst netip.AddrPort
	Header   Header
	Frame    []byte
}

// GPEPacket is a decapsulated VXLAN-GPE packet; Payload is what
// Header.NextProtocol names (a subslice of the input).
type GPEPacket struct {
	Src, Dst netip.AddrPort
	Header   GPEHeader
	Payload  []byte
}

// Decapsulate parses a whole VXLAN packet (outer [Ethernet,] IPv4 or IPv6
// and UDP headers, VXLAN header, inner Ethernet frame). Malformed packets,
// outer fragments, a wrong port and failed checksums give an *Error with
// the offset of the field at fault; nothing is allocated otherwise.
func (d *Decap) Decapsulate(b []byte) (Packet, error) {
	src, dst, off, end, err := d.outer(b)
	if err != nil {
		return Packet{}, err
	}
	h, frame, err := DecapsulatePayload(b[off:end])
	if err != nil {
		return Packet{}, rebase(err, off)
	}
	return Packet{Src: src, Dst: dst, Header: h, Frame: frame}, nil
}

// DecapsulateGPE parses a whole VXLAN-GPE packet, as Decapsulate does.
func (d *Decap) DecapsulateGPE(b []byte) (GPEPacket, error) {
	src, dst, off, end, err := d.outer(b)
	if err != nil {
		return GPEPacket{}, err
	}
	h, err := DecodeGPE(b[off:end])
	if err != nil {
		return GPEPacket{}, rebase(err, off)
	}
	return GPEPacket{Src: src, Dst: dst, Header: h, Payload: b[off+HeaderSize : end]}, nil
}

// rebase returns err, from a decoder given b[off:], with its offset
// counted from the start of b. It copies the *Error: Decode's are shared.
func rebase(err error, off int) error {
	if e, ok := err.(*Error); ok && e.Offset >= 0 && off != 0 {
		c := *e
		c.Offset += off
		return &c
	}
	return err
}

// outer parses the outer headers and returns the UDP endpoints and the
// offsets of the UDP payload in b, cut to the UDP length.
func (d *Decap) outer(b []byte) (src, dst netip.AddrPort, off, end int, err error) {
	base := 0
	if d.Ethernet {
		eth, err := header.ParseEthernet(b)
		if err != nil {
			return src, dst, 0, 0, wrapHeader(err, 0)
		}
		base = eth.HeaderLen()
		switch eth.EtherType() {
		case header.EtherTypeIPv4, header.EtherTypeIPv6:
		default:
			return src, dst, 0, 0, &Error{Layer: "ethernet", Field: "ethertype", Offset: base - 2, Err: ErrBadValue}
		}
	}
	if len(b) <= base {
		return src, dst, 0, 0, &Error{Layer: "ip", Field: "version", Offset: base, Err: ErrTruncated}
	}
	var sa, da netip.Addr
	var udpOff int
	var l4 []byte
	v6 := false
	switch b[base] >> 4 {
	case 4:
		ip, err := header.ParseIPv4(b[base:])
		if err != nil {
			return src, dst, 0, 0, wrapHeader(err, base)
		}
		if ip.IsFragment() {
			return src, dst, 0, 0, &Error{Layer: "ipv4", Field: "fragment offset/MF", Offset: base + 6, Err: ErrBadValue}
		}
		if ip.Protocol() != header.ProtocolUDP {
			return src, dst, 0, 0, &Error{Layer: "ipv4", Field: "protocol", Offset: base + 9, Err: ErrBadValue}
		}
		if d.VerifyChecksum && !ip.ValidChecksum() {
			return src, dst, 0, 0, &Error{Layer: "ipv4", Field: "checksum", Offset: base + 10, Err: ErrBadChecksum}
		}
		sa, da = ip.Source(), ip.Destination()
		udpOff = base + ip.HeaderLen()
		l4 = ip.Payload()
	case 6:
		ip, err := header.ParseIPv6(b[base:])
		if err != nil {
			return src, dst, 0, 0, wrapHeader(err, base)
		}
		proto, toff, err := ip.Transport()
		if err != nil {
			return src, dst, 0, 0, wrapHeader(err, base)
		}
		if proto != header.ProtocolUDP {
			return src, dst, 0, 0, &Error{Layer: "ipv6", Field: "next header", Offset: base + 6, Err: ErrBadValue}
		}
		sa, da = ip.Source(), ip.Destination()
		udpOff = base + toff
		l4 = ip[toff:]
		v6 = true
	default:
		return src, dst, 0, 0, &Error{Layer: "ip", Field: "version", Offset: base, Err: ErrBadValue}
	}
	u, err := header.ParseUDP(l4)
	if err != nil {
		return src, dst, 0, 0, wrapHeader(err, udpOff)
	}
	if d.Port != 0 && u.DestinationPort() != d.Port {
		return src, dst, 0, 0, &Error{Layer: "udp", Field: "destination port", Offset: udpOff + 2, Err: ErrBadValue}
	}
	c := u.Checksum()
	if c == 0 && v6 && !d.ZeroUDP6Checksum {
		return src, dst, 0, 0, &Error{Layer: "udp", Field: "checksum (zero over IPv6)", Offset: udpOff + 6, Err: ErrBadChecksum}
	}
	if c != 0 && d.VerifyChecksum && checksum.Sum(u, checksum.PseudoHeader(sa, da, header.ProtocolUDP, len(u))) != 0xffff {
		return src, dst, 0, 0, &Error{Layer: "udp", Field: "checksum", Offset: udpOff + 6, Err: ErrBadChecksum}
	}
	src = netip.AddrPortFrom(sa, u.SourcePort())
	dst = netip.AddrPortFrom(da, u.DestinationPort())
	return src, dst, udpOff + header.UDPSize, udpOff + len(u), nil
}

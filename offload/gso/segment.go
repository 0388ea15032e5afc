package gso

import (
	"encoding/binary"
	"math/bits"
	"strconv"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// Options say where the packet's headers start and how to treat the fields
// Linux leaves to configuration. The zero value segments a bare IP packet
// (as read from a TUN device) with full checksums and incrementing IPv4 IDs.
type Options struct {
	// NetworkOffset is the offset of the (outer) IP header in the packet:
	// 0 for a TUN packet, 14 for an Ethernet frame, 18 with one 802.1Q
	// tag. The bytes before it are copied into every segment unchanged.
	NetworkOffset int
	// Headroom is the number of bytes Segment leaves free at the start of
	// each destination buffer (for example for a virtio-net header to be
	// written in front of each segment). The reported sizes exclude it.
	Headroom int
	// PartialChecksum leaves each segment's (inner) transport checksum
	// partial, as Linux does for CHECKSUM_PARTIAL: the field holds the
	// folded pseudo-header sum for the segment's own transport length, to
	// be finished by a device given NEEDS_CSUM. IPv4 header checksums and
	// outer UDP checksums are always complete.
	PartialChecksum bool
	// FixedID keeps the (inner) IPv4 identification of the super-packet
	// in every segment instead of incrementing it (SKB_GSO_TCP_FIXEDID).
	// Only meaningful with DF set (RFC 6864); Segment does not check.
	FixedID bool
	// Tunnel, when Enabled, segments a packet inside a UDP tunnel.
	Tunnel Tunnel
}

// Tunnel describes a UDP encapsulation such as VXLAN: outer IP, outer UDP,
// HeaderLen bytes of tunnel header, then an inner Ethernet frame carrying
// the TCP or UDP super-packet that the virtio-net header describes.
type Tunnel struct {
	Enabled bool
	// HeaderLen is the length of the tunnel header after the outer UDP
	// header; VXLAN (RFC 7348) uses 8. It is copied unchanged.
	HeaderLen int
	// ZeroChecksum sends every segment with a zero outer UDP checksum
	// (RFC 7348 section 5 over IPv4; RFC 6935 over IPv6). Otherwise the
	// outer UDP checksum is computed for each segment.
	ZeroChecksum bool
	// FixedID keeps the outer IPv4 identification in every segment.
	FixedID bool
}

// VXLAN is the Tunnel for a VXLAN (RFC 7348) packet with computed outer
// UDP checksums.
var VXLAN = Tunnel{Enabled: true, HeaderLen: 8}

const (
	tcpFlagFIN = uint8(header.TCPFlagFIN)
	tcpFlagPSH = uint8(header.TCPFlagPSH)
	tcpFlagCWR = uint8(header.TCPFlagCWR)
)

// Count returns how many segments Segment would produce for pkt, after
// validating it exactly as Segment does.
func Count(pkt []byte, h virtio.NetHdr, opts Options) (int, error) {
	if h.GSOType == virtio.GSONone {
		return 1, nil
	}
	p, err := parse(pkt, h, &opts)
	return p.nseg, err
}

// Segment splits the super-packet pkt, described by its virtio-net header
// h, into segments. Segment i is written to dst[i][opts.Headroom:] and its
// length (excluding the headroom) stored in sizes[i]; n is the number of
// segments. pkt is not modified.
//
// A packet with GSO type NONE yields one segment: a copy of pkt, with its
// checksum finished at csum_start/csum_offset when NEEDS_CSUM is set
// (unless opts.PartialChecksum).
//
// Segment validates everything before writing: on error nothing in dst has
// been written, and the error is an *Error wrapping ErrShortBuffer,
// ErrMetadata, ErrMalformed or ErrUnsupported. It never allocates on
// success.
func Segment(dst [][]byte, sizes []int, pkt []byte, h virtio.NetHdr, opts Options) (n int, err error) {
	if opts.Headroom < 0 {
		return 0, &Error{Field: "Options.Headroom", Offset: -1, Err: ErrMetadata}
	}
	if h.GSOType == virtio.GSONone {
		return copyOne(dst, sizes, pkt, h, &opts)
	}
	p, err := parse(pkt, h, &opts)
	if err != nil {
		return 0, err
	}
	if len(dst) < p.nseg || len(sizes) < p.nseg {
		return 0, &Error{Field: "dst: need " + strconv.Itoa(p.nseg) + " segments", Offset: -1, Err: ErrShortBuffer}
	}
	for i := range p.nseg {
		if len(dst[i])-opts.Headroom < p.segLen(i) {
			return 0, &Error{Field: "dst[" + strconv.Itoa(i) + "]", Offset: -1, Err: ErrShortBuffer}
		}
	}
	for i := range p.nseg {
		sizes[i] = p.write(dst[i][opts.Headroom:], pkt, i, &opts)
	}
	return p.nseg, nil
}

// copyOne handles GSO type NONE: one segment, the checksum finished if the
// header asks for it.
func copyOne(dst [][]byte, sizes []int, pkt []byte, h virtio.NetHdr, opts *Options) (int, error) {
	if len(dst) < 1 || len(sizes) < 1 {
		return 0, &Error{Field: "dst: need 1 segment", Offset: -1, Err: ErrShortBuffer}
	}
	if len(dst[0])-opts.Headroom < len(pkt) {
		return 0, &Error{Field: "dst[0]", Offset: -1, Err: ErrShortBuffer}
	}
	finish := h.NeedsChecksum() && !opts.PartialChecksum
	if finish {
		if err := h.Validate(len(pkt)); err != nil {
			return 0, &Error{Field: "csum_start/csum_offset", Offset: -1, Err: ErrMetadata, Cause: err}
		}
	}
	seg := dst[0][opts.Headroom : opts.Headroom+len(pkt)]
	copy(seg, pkt)
	if finish {
		_ = h.FinishChecksum(seg) // cannot fail: validated above
	}
	sizes[0] = len(pkt)
	return 1, nil
}

// segLen is the length of segment i.
func (p *plan) segLen(i int) int {
	if i < p.nseg-1 {
		return p.hdrEnd + p.mss
	}
	return p.hdrEnd + (p.end - p.hdrEnd - i*p.mss)
}

// write builds segment i into b and returns its length.
func (p *plan) write(b, pkt []byte, i int, opts *Options) int {
	n := p.segLen(i)
	seg := b[:n]
	start := p.hdrEnd + i*p.mss
	copy(seg, pkt[:p.hdrEnd])
	copy(seg[p.hdrEnd:], pkt[start:start+n-p.hdrEnd])

	p.inner.fix(seg, i, opts.FixedID)
	l4 := seg[p.l4:]
	var csumOff int
	if p.proto == header.ProtocolTCP {
		csumOff = 16
		seq := binary.BigEndian.Uint32(l4[4:])
		binary.BigEndian.PutUint32(l4[4:], seq+uint32(i*p.mss))
		if i != p.nseg-1 {
			l4[13] &^= tcpFlagFIN | tcpFlagPSH
		}
		if i != 0 {
			l4[13] &^= tcpFlagCWR
		}
	} else {
		csumOff = 6
		binary.BigEndian.PutUint16(l4[4:], uint16(len(l4)))
	}
	binary.BigEndian.PutUint16(l4[csumOff:], 0)
	ph := checksum.PseudoHeader(p.inner.src, p.inner.dst, p.proto, len(l4))
	if opts.PartialChecksum {
		binary.BigEndian.PutUint16(l4[csumOff:], ph)
	} else {
		c := ^checksum.Sum(l4, ph)
		if c == 0 && p.proto == header.ProtocolUDP {
			c = 0xffff
		}
		binary.BigEndian.PutUint16(l4[csumOff:], c)
	}

	if p.tunneled {
		p.outer.fix(seg, i, opts.Tunnel.FixedID)
		udp := seg[p.udp:]
		binary.BigEndian.PutUint16(udp[4:], uint16(len(udp)))
		binary.BigEndian.PutUint16(udp[6:], 0)
		if !opts.Tunnel.ZeroChecksum {
			binary.BigEndian.PutUint16(udp[6:], p.outerChecksum(seg, ph))
		}
	}
	return n
}

// outerChecksum computes the outer UDP checksum of a tunnelled segment whose
// inner transport checksum is (or will be, once a device finishes it)
// complete. A complete inner transport checksum makes the inner transport
// bytes sum to the complement of the inner pseudo-header sum innerPH, so
// only the bytes from the outer UDP header to the inner transport header
// need summing.
func (p *plan) outerChecksum(seg []byte, innerPH uint16) uint16 {
	udp := seg[p.udp:]
	ph := checksum.PseudoHeader(p.outer.src, p.outer.dst, header.ProtocolUDP, len(udp))
	inner := ^innerPH
	if (p.l4-p.udp)%2 == 1 {
		inner = bits.ReverseBytes16(inner) // RFC 1071 section 2(B)
	}
	c := ^checksum.Combine(checksum.Sum(seg[p.udp:p.l4], ph), inner)
	if c == 0 {
		c = 0xffff
	}
	return c
}

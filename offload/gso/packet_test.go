package gso_test

import (
	"encoding/binary"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/gso"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// spec describes a super-packet as a Linux TAP device would hand it over.
type spec struct {
	V6      bool   // inner IPv6
	Eth     bool   // an Ethernet header in front (always true when Tunnel)
	TS      bool   // a timestamps option (NOP, NOP, TS: 12 bytes)
	UDP     bool   // USO instead of TSO
	Flags   uint8  // TCP flags besides ACK (FIN, PSH, CWR, ECE...)
	Payload []byte // transport payload
	MSS     int
	Seq     uint32
	ID      uint16
	Tunnel  bool // inside VXLAN
	OuterV6 bool
	ZeroCk  bool // zero outer UDP checksum
}

const (
	flagFIN = 0x01
	flagPSH = 0x08
	flagACK = 0x10
	flagECE = 0x40
	flagCWR = 0x80
)

var (
	src4 = netip.MustParseAddr("10.99.0.1")
	dst4 = netip.MustParseAddr("10.99.0.2")
	src6 = netip.MustParseAddr("2001:db8::1")
	dst6 = netip.MustParseAddr("2001:db8::2")
	osrc = netip.MustParseAddr("192.0.2.1")
	odst = netip.MustParseAddr("192.0.2.2")
	osr6 = netip.MustParseAddr("2001:db8:ff::1")
	ods6 = netip.MustParseAddr("2001:db8:ff::2")
)

// build returns the super-packet, its virtio-net header (NEEDS_CSUM, the
// transport checksum field holding the pseudo-header sum with the whole
// transport length, as Linux leaves it) and matching Options.
func build(s spec) ([]byte, virtio.NetHdr, gso.Options) {
	var b []byte
	var opts gso.Options
	if s.Tunnel {
		b = appendEth(b, s.OuterV6)
		opts.NetworkOffset = len(b)
		opts.Tunnel = gso.VXLAN
		opts.Tunnel.ZeroChecksum = s.ZeroCk
		oip := len(b)
		b = appendIP(b, s.OuterV6, 17, 0x1234, osrc, odst, osr6, ods6)
		udp := len(b)
		b = append(b, 0xc0, 0x01, 0x12, 0xb5, 0, 0, 0, 0) // 49153 -> 4789
		b = append(b, 0x08, 0, 0, 0, 0, 0x10, 0x01, 0)    // VXLAN, VNI 4097
		b = appendEth(b, s.V6)
		inner, l4, nh := appendInner(b, s)
		b = inner
		setIPLen(b, oip, s.OuterV6)
		binary.BigEndian.PutUint16(b[udp+4:], uint16(len(b)-udp))
		_ = nh
		h := hdrFor(s, l4, len(b))
		return b, h, opts
	}
	if s.Eth {
		b = appendEth(b, s.V6)
		opts.NetworkOffset = 14
	}
	b, l4, _ := appendInner(b, s)
	return b, hdrFor(s, l4, len(b)), opts
}

func hdrFor(s spec, l4, n int) virtio.NetHdr {
	h := virtio.NetHdr{Flags: virtio.FlagNeedsCsum, GSOSize: uint16(s.MSS), CsumStart: uint16(l4)}
	switch {
	case s.UDP:
		h.GSOType, h.CsumOffset, h.HdrLen = virtio.GSOUDPL4, 6, uint16(l4+8)
	case s.V6:
		h.GSOType, h.CsumOffset = virtio.GSOTCPv6, 16
	default:
		h.GSOType, h.CsumOffset = virtio.GSOTCPv4, 16
	}
	if !s.UDP {
		h.HdrLen = uint16(l4 + 20)
		if s.TS {
			h.HdrLen += 12
		}
		if s.Flags&flagCWR != 0 {
			h.GSOType |= virtio.GSOECN
		}
	}
	return h
}

func appendEth(b []byte, v6 bool) []byte {
	b = append(b, 0x52, 0x54, 0, 0, 0, 2, 0x52, 0x54, 0, 0, 0, 1, 0x08, 0x00)
	if v6 {
		b[len(b)-2], b[len(b)-1] = 0x86, 0xdd
	}
	return b
}

func appendIP(b []byte, v6 bool, proto uint8, id uint16, s4, d4, s6, d6 netip.Addr) []byte {
	if v6 {
		b = append(b, 0x60, 0x01, 0x23, 0x45, 0, 0, proto, 64)
		b = append(b, s6.AsSlice()...)
		return append(b, d6.AsSlice()...)
	}
	b = append(b, 0x45, 0, 0, 0, byte(id>>8), byte(id), 0x40, 0, 64, proto, 0, 0)
	b = append(b, s4.AsSlice()...)
	return append(b, d4.AsSlice()...)
}

// setIPLen sets the length field (and IPv4 header checksum) of the IP
// header at off for a packet ending at len(b).
func setIPLen(b []byte, off int, v6 bool) {
	if v6 {
		binary.BigEndian.PutUint16(b[off+4:], uint16(len(b)-off-40))
		return
	}
	binary.BigEndian.PutUint16(b[off+2:], uint16(len(b)-off))
	binary.BigEndian.PutUint16(b[off+10:], 0)
	binary.BigEndian.PutUint16(b[off+10:], ^checksum.Sum(b[off:off+20], 0))
}

func appendInner(b []byte, s spec) (pkt []byte, l4, nh int) {
	nh = len(b)
	proto := uint8(6)
	if s.UDP {
		proto = 17
	}
	b = appendIP(b, s.V6, proto, s.ID, src4, dst4, src6, dst6)
	l4 = len(b)
	if s.UDP {
		b = append(b, 0x9c, 0x40, 0x14, 0x51, 0, 0, 0, 0)
	} else {
		doff := byte(5)
		if s.TS {
			doff = 8
		}
		b = binary.BigEndian.AppendUint16(b, 40000)
		b = binary.BigEndian.AppendUint16(b, 5201)
		b = binary.BigEndian.AppendUint32(b, s.Seq)
		b = binary.BigEndian.AppendUint32(b, 0x01020304)
		b = append(b, doff<<4, s.Flags|flagACK, 0x01, 0xf6, 0, 0, 0, 0)
		if s.TS {
			b = append(b, 1, 1, 8, 10, 0, 0, 0x30, 0x39, 0, 0, 0x10, 0x92)
		}
	}
	b = append(b, s.Payload...)
	setIPLen(b, nh, s.V6)
	if s.UDP {
		binary.BigEndian.PutUint16(b[l4+4:], uint16(len(b)-l4))
	}
	ck := l4 + 16
	if s.UDP {
		ck = l4 + 6
	}
	sa, da := src4, dst4
	if s.V6 {
		sa, da = src6, dst6
	}
	binary.BigEndian.PutUint16(b[ck:], checksum.PseudoHeader(sa, da, proto, len(b)-l4))
	return b, l4, nh
}

// buffers returns n destination buffers of size bytes each.
func buffers(n, size int) ([][]byte, []int) {
	dst := make([][]byte, n)
	for i := range dst {
		dst[i] = make([]byte, size)
	}
	return dst, make([]int, n)
}

func payload(n int, seed byte) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7) + seed
	}
	return p
}

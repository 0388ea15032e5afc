package virtio

import "encoding/binary"

// NetHdrLen is the length of an encoded NetHdr: struct virtio_net_hdr
// without num_buffers.
const NetHdrLen = 10

// Byte offsets of the fields in the encoded header.
const (
	offFlags      = 0
	offGSOType    = 1
	offHdrLen     = 2
	offGSOSize    = 4
	offCsumStart  = 6
	offCsumOffset = 8
)

// Flag bits of NetHdr.Flags (VIRTIO_NET_HDR_F_*).
const (
	// FlagNeedsCsum: the packet carries a partial checksum described by
	// CsumStart and CsumOffset.
	FlagNeedsCsum = 1
	// FlagDataValid: the device verified the packet's checksums (device to
	// driver only; a driver must not set it on transmit).
	FlagDataValid = 2
	// FlagRSCInfo: the device coalesced the packet and reuses csum_start
	// and csum_offset for coalescing statistics (VIRTIO_NET_F_RSC_EXT,
	// device to driver only). With it set, CsumStart and CsumOffset are
	// not checksum positions.
	FlagRSCInfo = 4
)

// GSO types of NetHdr.GSOType (VIRTIO_NET_HDR_GSO_*).
const (
	GSONone  = 0    // not a GSO packet
	GSOTCPv4 = 1    // TCP over IPv4 (TSO)
	GSOUDP   = 3    // UDP over IPv4, split by IP fragmentation (UFO)
	GSOTCPv6 = 4    // TCP over IPv6 (TSO)
	GSOUDPL4 = 5    // UDP split into datagrams (USO), IPv4 or IPv6
	GSOECN   = 0x80 // ORed into a TCP type: the stream uses ECN
)

// Checksum field offsets within the transport header.
const (
	csumOffsetTCP = 16
	csumOffsetUDP = 6
)

// NetHdr is a decoded virtio-net header. The zero value is a plain packet
// with a complete checksum and no segmentation.
type NetHdr struct {
	Flags      uint8  // FlagNeedsCsum, FlagDataValid, FlagRSCInfo
	GSOType    uint8  // GSONone, GSOTCPv4, ... optionally | GSOECN
	HdrLen     uint16 // length of the headers every segment repeats (a hint)
	GSOSize    uint16 // payload bytes per segment (the MSS)
	CsumStart  uint16 // where checksumming starts
	CsumOffset uint16 // where, from CsumStart, the checksum is stored
}

// DecodeNetHdr decodes the header at the start of b and checks everything
// that can be checked without the packet (see the package documentation).
// The bytes after NetHdrLen are not looked at. On error the returned NetHdr
// holds the fields as read.
func DecodeNetHdr(b []byte) (NetHdr, error) {
	if len(b) < NetHdrLen {
		return NetHdr{}, &Error{Field: "header", Offset: 0, Value: len(b), Err: ErrTruncated}
	}
	h := NetHdr{
		Flags:      b[offFlags],
		GSOType:    b[offGSOType],
		HdrLen:     binary.LittleEndian.Uint16(b[offHdrLen:]),
		GSOSize:    binary.LittleEndian.Uint16(b[offGSOSize:]),
		CsumStart:  binary.LittleEndian.Uint16(b[offCsumStart:]),
		CsumOffset: binary.LittleEndian.Uint16(b[offCsumOffset:]),
	}
	return h, h.check()
}

// IsGSO reports whether the packet still needs segmentation.
func (h NetHdr) IsGSO() bool { return h.GSOType != GSONone }

// GSOKind returns GSOType without the GSOECN bit.
func (h NetHdr) GSOKind() uint8 { return h.GSOType &^ GSOECN }

// NeedsChecksum reports whether FlagNeedsCsum is set and FlagRSCInfo is not
// (with FlagRSCInfo the checksum fields carry coalescing statistics).
func (h NetHdr) NeedsChecksum() bool {
	return h.Flags&FlagNeedsCsum != 0 && h.Flags&FlagRSCInfo == 0
}

// check validates what does not need the packet.
func (h NetHdr) check() error {
	if h.GSOType == GSONone {
		return nil
	}
	var wantOffset uint16
	switch h.GSOKind() {
	case GSOTCPv4, GSOTCPv6:
		wantOffset = csumOffsetTCP
	case GSOUDP, GSOUDPL4:
		wantOffset = csumOffsetUDP
	default: // includes GSOECN alone
		return &Error{Field: "gso_type", Offset: offGSOType, Value: int(h.GSOType), Err: ErrGSOType}
	}
	if h.GSOSize == 0 {
		return &Error{Field: "gso_size", Offset: offGSOSize, Value: 0, Err: ErrGSOSize}
	}
	if h.NeedsChecksum() && h.CsumOffset != wantOffset {
		return &Error{Field: "csum_offset", Offset: offCsumOffset, Value: int(h.CsumOffset), Err: ErrChecksumOffset}
	}
	return nil
}

// Validate checks h as DecodeNetHdr does and, when h needs a checksum, that
// the checksum field csum_start+csum_offset (two bytes) lies inside a packet
// of pktLen bytes (the packet that follows the header, not counting it).
func (h NetHdr) Validate(pktLen int) error {
	if err := h.check(); err != nil {
		return err
	}
	if !h.NeedsChecksum() {
		return nil
	}
	if int(h.CsumStart) >= pktLen {
		return &Error{Field: "csum_start", Offset: offCsumStart, Value: int(h.CsumStart), Err: ErrChecksumOffset}
	}
	if int(h.CsumStart)+int(h.CsumOffset)+2 > pktLen {
		return &Error{Field: "csum_offset", Offset: offCsumOffset, Value: int(h.CsumOffset), Err: ErrChecksumOffset}
	}
	return nil
}

// Encode writes h into b[:NetHdrLen]. It panics if b is shorter, like
// encoding/binary's PutUint16.
func (h NetHdr) Encode(b []byte) {
	_ = b[NetHdrLen-1]
	b[offFlags] = h.Flags
	b[offGSOType] = h.GSOType
	binary.LittleEndian.PutUint16(b[offHdrLen:], h.HdrLen)
	binary.LittleEndian.PutUint16(b[offGSOSize:], h.GSOSize)
	binary.LittleEndian.PutUint16(b[offCsumStart:], h.CsumStart)
	binary.LittleEndian.PutUint16(b[offCsumOffset:], h.CsumOffset)
}

// Append appends the encoded h to dst.
func (h NetHdr) Append(dst []byte) []byte {
	var b [NetHdrLen]byte
	h.Encode(b[:])
	return append(dst, b[:]...)
}

package vxlan

import (
	"encoding/binary"
	"fmt"
)

// HeaderSize is the size of a VXLAN and of a VXLAN-GPE header.
const HeaderSize = 8

// Well-known UDP destination ports.
const (
	Port      = 4789 // IANA port for VXLAN (RFC 7348 section 5)
	LinuxPort = 8472 // Linux's default when a vxlan device is created without dstport
	GPEPort   = 4790 // IANA port for VXLAN-GPE
)

// VNI is a 24-bit VXLAN Network Identifier.
type VNI uint32

// MaxVNI is the largest VNI.
const MaxVNI VNI = 1<<24 - 1

// Valid reports whether v fits in 24 bits.
func (v VNI) Valid() bool { return v <= MaxVNI }

func (v VNI) String() string { return fmt.Sprintf("%d", uint32(v)) }

// Flag bits of the first header byte.
const (
	flagI = 0x08 // VNI valid (RFC 7348); I bit of VXLAN-GPE too
	flagG = 0x80 // Group Policy present (GBP)
)

// Header is a VXLAN header (RFC 7348 section 5), optionally carrying the
// Group Based Policy extension (draft-smith-vxlan-group-policy), which uses
// bits RFC 7348 reserves.
//
//	 0                   1                   2                   3
//	|G|R|R|R|I|R|R|R|R|D|R|R|A|R|R|R|        Group Policy ID        |
//	|                VXLAN Network Identifier (VNI) |   Reserved    |
//
// Decode ignores reserved bits; Append writes them as zero. Without the G
// bit, the GBP bits are reserved bits and are neither read nor written.
type Header struct {
	VNI    VNI
	Policy GroupPolicy // zero unless Policy.Present (the G bit)
}

// Decode parses the VXLAN header at the start of b. It requires the I flag
// (a header without it carries no valid VNI, RFC 7348 section 5) and ignores
// every reserved bit. With the G bit set it also reads the group policy.
// It never allocates except for the returned *Error.
func Decode(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, errHeaderShort
	}
	if b[0]&flagI == 0 {
		return Header{}, errHeaderNoI
	}
	h := Header{VNI: VNI(binary.BigEndian.Uint32(b[4:]) >> 8)}
	if b[0]&flagG != 0 {
		h.Policy = decodeGBP(b)
	}
	return h, nil
}

// Decode's errors are allocated once, so that Decode is small enough to
// inline into its callers. Callers must not modify them.
var (
	errHeaderShort = &Error{Layer: "vxlan", Field: "header", Offset: 0, Err: ErrTruncated}
	errHeaderNoI   = &Error{Layer: "vxlan", Field: "flags (I bit clear)", Offset: 0, Err: ErrBadValue}
)

// Put writes h into the first HeaderSize bytes of b. It fails, writing
// nothing, if b is too short or the VNI does not fit in 24 bits.
func (h Header) Put(b []byte) error {
	if !h.VNI.Valid() {
		return &Error{Layer: "vxlan", Field: "vni", Offset: 4, Err: ErrBadValue}
	}
	if len(b) < HeaderSize {
		return &Error{Layer: "vxlan", Field: "header", Offset: len(b), Err: ErrTruncated}
	}
	h.put(b)
	return nil
}

func (h Header) put(b []byte) {
	_ = b[7]
	var f0, f1 byte = flagI, 0
	var id uint16
	if h.Policy.Present {
		f0 |= flagG
		if h.Policy.DontLearn {
			f1 |= gbpD
		}
		if h.Policy.Applied {
			f1 |= gbpA
		}
		id = h.Policy.ID
	}
	b[0], b[1] = f0, f1
	binary.BigEndian.PutUint16(b[2:4], id)
	binary.BigEndian.PutUint32(b[4:8], uint32(h.VNI)<<8)
}

// Append appends h to dst. It fails, leaving dst as it was, if the VNI does
// not fit in 24 bits. It does not allocate when dst has room.
func (h Header) Append(dst []byte) ([]byte, error) {
	if !h.VNI.Valid() {
		return dst, &Error{Layer: "vxlan", Field: "vni", Offset: 4, Err: ErrBadValue}
	}
	n := len(dst)
	dst = grow(dst, HeaderSize)
	h.put(dst[n:])
	return dst, nil
}

// grow extends b by n bytes (contents unspecified), reallocating only when
// b lacks the capacity.
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), 2*cap(b)+n)
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}

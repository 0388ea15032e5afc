package vxlan

import (
	"encoding/binary"
	"fmt"
)

// NextProtocol is the VXLAN-GPE Next Protocol field: what follows the header.
type NextProtocol uint8

// Next Protocol values (draft-ietf-nvo3-vxlan-gpe section 3.2, IANA
// "VXLAN-GPE Next Protocol").
const (
	NextIPv4     NextProtocol = 1
	NextIPv6     NextProtocol = 2
	NextEthernet NextProtocol = 3
	NextNSH      NextProtocol = 4
	NextMPLS     NextProtocol = 5
)

func (p NextProtocol) String() string {
	switch p {
	case NextIPv4:
		return "IPv4"
	case NextIPv6:
		return "IPv6"
	case NextEthernet:
		return "Ethernet"
	case NextNSH:
		return "NSH"
	case NextMPLS:
		return "MPLS"
	}
	return fmt.Sprintf("NextProtocol(%d)", uint8(p))
}

// GPEVersion is the only VXLAN-GPE version defined.
const GPEVersion = 0

// Flag bits of the first VXLAN-GPE header byte (after the I bit, flagI).
const (
	gpeP       = 0x04 // Next Protocol present
	gpeB       = 0x02 // BUM traffic
	gpeO       = 0x01 // OAM packet
	gpeVerMask = 0x30
)

// GPEHeader is a VXLAN Generic Protocol Extension header
// (draft-ietf-nvo3-vxlan-gpe), sent to UDP port GPEPort. It differs from
// Header in the meaning of the flag bits and in carrying a Next Protocol,
// so the payload need not be Ethernet.
//
//	 0                   1                   2                   3
//	|R|R|Ver|I|P|B|O|       Reserved                |Next Protocol  |
//	|                VXLAN Network Identifier (VNI) |   Reserved    |
type GPEHeader struct {
	VNI          VNI
	NextProtocol NextProtocol
	// BUM is the B bit: the packet is broadcast, unknown unicast or
	// multicast traffic (ingress-replicated).
	BUM bool
	// OAM is the O bit: the packet is an OAM packet.
	OAM bool
}

// DecodeGPE parses the VXLAN-GPE header at the start of b. It rejects a
// version other than GPEVersion (the draft asks receivers to drop
// versions they do not know) and a header without the I bit; reserved bits
// are ignored. A header without the P bit (as a plain VXLAN sender writes)
// carries Ethernet, the only payload VXLAN knows.
func DecodeGPE(b []byte) (GPEHeader, error) {
	if len(b) < HeaderSize {
		return GPEHeader{}, &Error{Layer: "vxlan-gpe", Field: "header", Offset: len(b), Err: ErrTruncated}
	}
	f := b[0]
	if f&gpeVerMask != GPEVersion<<4 {
		return GPEHeader{}, &Error{Layer: "vxlan-gpe", Field: "version", Offset: 0, Err: ErrBadValue}
	}
	if f&flagI == 0 {
		return GPEHeader{}, &Error{Layer: "vxlan-gpe", Field: "flags (I bit clear)", Offset: 0, Err: ErrBadValue}
	}
	h := GPEHeader{
		VNI:          VNI(binary.BigEndian.Uint32(b[4:8]) >> 8),
		NextProtocol: NextEthernet,
		BUM:          f&gpeB != 0,
		OAM:          f&gpeO != 0,
	}
	if f&gpeP != 0 {
		h.NextProtocol = NextProtocol(b[3])
		if h.NextProtocol == 0 {
			return GPEHeader{}, &Error{Layer: "vxlan-gpe", Field: "next protocol", Offset: 3, Err: ErrBadValue}
		}
	}
	return h, nil
}

// Put writes h into the first HeaderSize bytes of b, with the I and P bits
// set and version 0. It fails, writing nothing, if b is too short, the VNI
// does not fit in 24 bits or NextProtocol is 0.
func (h GPEHeader) Put(b []byte) error {
	if err := h.check(); err != nil {
		return err
	}
	if len(b) < HeaderSize {
		return &Error{Layer: "vxlan-gpe", Field: "header", Offset: len(b), Err: ErrTruncated}
	}
	h.put(b)
	return nil
}

// Append appends h to dst, as Put writes it.
func (h GPEHeader) Append(dst []byte) ([]byte, error) {
	if err := h.check(); err != nil {
		return dst, err
	}
	n := len(dst)
	dst = grow(dst, HeaderSize)
	h.put(dst[n:])
	return dst, nil
}

func (h GPEHeader) check() error {
	if !h.VNI.Valid() {
		return &Error{Layer: "vxlan-gpe", Field: "vni", Offset: 4, Err: ErrBadValue}
	}
	if h.NextProtocol == 0 {
		return &Error{Layer: "vxlan-gpe", Field: "next protocol", Offset: 3, Err: ErrBadValue}
	}
	return nil
}

func (h GPEHeader) put(b []byte) {
	_ = b[7]
	f := byte(flagI | gpeP)
	if h.BUM {
		f |= gpeB
	}
	if h.OAM {
		f |= gpeO
	}
	b[0], b[1], b[2], b[3] = f, 0, 0, byte(h.NextProtocol)
	binary.BigEndian.PutUint32(b[4:8], uint32(h.VNI)<<8)
}

package header

import (
	"encoding/binary"
	"iter"
)

// MaxIPv6Extensions is the most extension headers Extensions and Transport
// walk. A legitimate packet carries at most six (RFC 8200 section 4.1:
// Hop-by-Hop, Destination Options, Routing, Fragment, AH, Destination
// Options); a longer chain is an error wrapping ErrTooManyExtensions, so a
// hostile chain cannot make a walk long.
const MaxIPv6Extensions = 8

// IPv6Extension is one IPv6 extension header within a packet.
type IPv6Extension struct {
	// Type is the protocol number that announced this header:
	// ProtocolHopByHop, ProtocolRouting, ProtocolFragment, ProtocolAH or
	// ProtocolDstOpts.
	Type uint8
	// Offset is the offset of the header from the start of the IPv6 packet.
	Offset int
	// Bytes is the whole extension header, its Next Header byte first.
	Bytes []byte
}

// NextHeader returns the Next Header field of the extension header.
func (e IPv6Extension) NextHeader() uint8 { return e.Bytes[0] }

// Data returns the header's contents after its Next Header and length
// bytes (for Hop-by-Hop and Destination Options, the options; for Routing,
// the routing type first).
func (e IPv6Extension) Data() []byte { return e.Bytes[2:] }

// Fragment returns the fields of a Fragment header: the fragment offset in
// bytes, the M (more fragments) flag and the identification. ok is false if
// e is not a Fragment header.
func (e IPv6Extension) Fragment() (offset int, more bool, id uint32, ok bool) {
	if e.Type != ProtocolFragment || len(e.Bytes) < 8 {
		return 0, false, 0, false
	}
	v := binary.BigEndian.Uint16(e.Bytes[2:])
	return int(v &^ 7), v&1 != 0, binary.BigEndian.Uint32(e.Bytes[4:]), true
}

// IsIPv6Extension reports whether proto is an extension header that
// Extensions walks (and whose length it knows): Hop-by-Hop, Routing,
// Fragment, Destination Options and AH. ESP and No Next Header end a walk.
func IsIPv6Extension(proto uint8) bool {
	switch proto {
	case ProtocolHopByHop, ProtocolRouting, ProtocolFragment, ProtocolDstOpts, ProtocolAH:
		return true
	}
	return false
}

// Extensions iterates over the extension headers of the packet in order,
// stopping before the first header that is not an extension header (the
// upper-layer header, ESP or No Next Header). It yields a final
// (IPv6Extension{}, err) and stops if a header is truncated, a Hop-by-Hop
// header is not the first (ErrBadValue), or the chain is longer than
// MaxIPv6Extensions (ErrTooManyExtensions).
//
// Lengths follow RFC 8200 ((Hdr Ext Len + 1) * 8 bytes; a Fragment header
// is always 8) and RFC 4302 for AH ((Payload Len + 2) * 4 bytes).
func (h IPv6) Extensions() iter.Seq2[IPv6Extension, error] {
	return func(yield func(IPv6Extension, error) bool) {
		h.walk(yield)
	}
}

// walk visits the extension headers, calling yield (if not nil) for each,
// and returns the upper-layer protocol and its offset.
func (h IPv6) walk(yield func(IPv6Extension, error) bool) (proto uint8, off int, err error) {
	end := min(IPv6Size+int(h.PayloadLength()), len(h))
	proto, off = h.NextHeader(), IPv6Size
	for n := 0; IsIPv6Extension(proto); n++ {
		if n == MaxIPv6Extensions {
			err = failRel("ipv6", "extension header", off, ErrTooManyExtensions, n+1, ">", MaxIPv6Extensions)
			break
		}
		if proto == ProtocolHopByHop && n > 0 {
			err = fail("ipv6", "hop-by-hop header", off, ErrBadValue)
			break
		}
		if off+2 > end {
			err = failRel("ipv6", "extension header", off, ErrTruncated, off+2, ">", end)
			break
		}
		var size int
		switch proto {
		case ProtocolFragment:
			size = 8
		case ProtocolAH:
			size = (int(h[off+1]) + 2) * 4
		default:
			size = (int(h[off+1]) + 1) * 8
		}
		if off+size > end {
			err = failRel("ipv6", "extension header length", off+1, ErrTruncated, off+size, ">", end)
			break
		}
		if yield != nil && !yield(IPv6Extension{Type: proto, Offset: off, Bytes: h[off : off+size]}, nil) {
			return proto, off, nil
		}
		proto, off = h[off], off+size
	}
	if err != nil {
		if yield != nil {
			yield(IPv6Extension{}, err)
		}
		return 0, 0, err
	}
	return proto, off, nil
}

// Transport walks the extension headers (as Extensions does) and returns
// the protocol number of the header that follows them and its offset from
// the start of the packet. That header is the upper-layer header (TCP, UDP,
// ICMPv6...), or ProtocolESP or ProtocolNoNext, after which nothing can be
// parsed. The offset may equal the packet's end (an empty upper layer).
//
// If the chain holds a Fragment header with a non-zero offset, the bytes at
// offset continue a fragmented payload rather than starting an upper-layer
// header; check with Extensions and IPv6Extension.Fragment when fragments
// are possible.
func (h IPv6) Transport() (proto uint8, offset int, err error) {
	if !IsIPv6Extension(h[6]) { // the common case: no extension headers
		return h[6], IPv6Size, nil
	}
	return h.walk(nil)
}

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

// IPv6 Hop-by-Hop and Destination option types (RFC 8200 section 4.2, the
// IANA registry).
const (
	IPv6OptionPad1        = 0
	IPv6OptionPadN        = 1
	IPv6OptionJumbo       = 0xc2 // RFC 2675
	IPv6OptionRouterAlert = 0x05 // RFC 2711
)

// IPv6Option is one option of a Hop-by-Hop or Destination Options header.
type IPv6Option struct {
	Type   uint8
	Offset int    // offset of the type byte from the start of the IPv6 packet
	Data   []byte // the option data; nil for Pad1
}

// Action returns the two high-order bits of the option type: what a node
// that does not recognise the option must do (0 skip, 1 discard, 2 discard
// and send ICMP, 3 discard and send ICMP unless multicast).
func (o IPv6Option) Action() uint8 { return o.Type >> 6 }

// Options iterates over the TLV-encoded options of a Hop-by-Hop or
// Destination Options header (it yields nothing for other extension
// headers). Pad1 and PadN are yielded like any other option. An option
// whose length byte is missing or whose data run past the header yields a
// final (IPv6Option{}, err) with field "option length" and ErrTruncated.
func (e IPv6Extension) Options() iter.Seq2[IPv6Option, error] {
	return func(yield func(IPv6Option, error) bool) {
		if e.Type != ProtocolHopByHop && e.Type != ProtocolDstOpts {
			return
		}
		b := e.Bytes
		for off := 2; off < len(b); {
			t := b[off]
			if t == IPv6OptionPad1 {
				if !yield(IPv6Option{Type: t, Offset: e.Offset + off}, nil) {
					return
				}
				off++
				continue
			}
			if off+2 > len(b) {
				yield(IPv6Option{}, fail("ipv6", "option length", e.Offset+off+1, ErrTruncated))
				return
			}
			n := 2 + int(b[off+1])
			if off+n > len(b) {
				yield(IPv6Option{}, failRel("ipv6", "option length", e.Offset+off+1, ErrTruncated, off+n, ">", len(b)))
				return
			}
			if !yield(IPv6Option{Type: t, Offset: e.Offset + off, Data: b[off+2 : off+n]}, nil) {
				return
			}
			off += n
		}
	}
}

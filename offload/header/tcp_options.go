package header

import (
	"encoding/binary"
	"iter"
	"strconv"
)

// TCPOptionKind is the kind byte of a TCP option.
type TCPOptionKind uint8

// TCP option kinds (RFC 9293, RFC 7323, RFC 2018).
const (
	TCPOptionEOL           TCPOptionKind = 0
	TCPOptionNOP           TCPOptionKind = 1
	TCPOptionMSS           TCPOptionKind = 2
	TCPOptionWindowScale   TCPOptionKind = 3
	TCPOptionSACKPermitted TCPOptionKind = 4
	TCPOptionSACK          TCPOptionKind = 5
	TCPOptionTimestamps    TCPOptionKind = 8
)

// Option lengths (kind and length bytes included).
const (
	TCPOptionMSSLen           = 4
	TCPOptionWindowScaleLen   = 3
	TCPOptionSACKPermittedLen = 2
	TCPOptionTimestampsLen    = 10
	TCPSACKBlockLen           = 8
	TCPMaxSACKBlocks          = 4
)

// String returns the option's name, or its number.
func (k TCPOptionKind) String() string {
	switch k {
	case TCPOptionEOL:
		return "EOL"
	case TCPOptionNOP:
		return "NOP"
	case TCPOptionMSS:
		return "MSS"
	case TCPOptionWindowScale:
		return "WS"
	case TCPOptionSACKPermitted:
		return "SACK-permitted"
	case TCPOptionSACK:
		return "SACK"
	case TCPOptionTimestamps:
		return "TS"
	}
	return "kind-" + strconv.Itoa(int(k))
}

// TCPOptions is the options area of a TCP header.
type TCPOptions []byte

// TCPOption is one TCP option.
type TCPOption struct {
	Kind   TCPOptionKind
	Offset int    // offset of the kind byte from the start of the options area
	Data   []byte // bytes after the kind and length bytes; nil for EOL and NOP
}

// All iterates over the options in order. EOL is yielded and ends the
// walk; NOP is yielded. A TLV option whose length byte is missing, below 2,
// past the end of the area, or wrong for its kind (MSS 4, Window Scale 3,
// SACK-Permitted 2, Timestamps 10, SACK 2 + 8n with n from 1 to 4) yields a
// final (TCPOption{}, err) with field "option length" and ErrTruncated or
// ErrBadLength. Unknown kinds are yielded with their data.
func (o TCPOptions) All() iter.Seq2[TCPOption, error] {
	return func(yield func(TCPOption, error) bool) {
		for off := 0; off < len(o); {
			k := TCPOptionKind(o[off])
			if k == TCPOptionEOL || k == TCPOptionNOP {
				if !yield(TCPOption{Kind: k, Offset: off}, nil) || k == TCPOptionEOL {
					return
				}
				off++
				continue
			}
			if off+1 >= len(o) {
				yield(TCPOption{}, fail("tcp", "option length", off+1, ErrTruncated))
				return
			}
			n := int(o[off+1])
			if n < 2 {
				yield(TCPOption{}, failRel("tcp", "option length", off+1, ErrBadLength, n, "<", 2))
				return
			}
			if off+n > len(o) {
				yield(TCPOption{}, failRel("tcp", "option length", off+1, ErrTruncated, off+n, ">", len(o)))
				return
			}
			if want := tcpOptionLen(k, n); want != n {
				yield(TCPOption{}, failRel("tcp", "option length", off+1, ErrBadLength, n, "!=", want))
				return
			}
			if !yield(TCPOption{Kind: k, Offset: off, Data: o[off+2 : off+n]}, nil) {
				return
			}
			off += n
		}
	}
}

// tcpOptionLen returns the length a well-formed option of kind k should
// have, given the length n it claims: n itself for kinds of variable or
// unknown length that are well formed.
func tcpOptionLen(k TCPOptionKind, n int) int {
	switch k {
	case TCPOptionMSS:
		return TCPOptionMSSLen
	case TCPOptionWindowScale:
		return TCPOptionWindowScaleLen
	case TCPOptionSACKPermitted:
		return TCPOptionSACKPermittedLen
	case TCPOptionTimestamps:
		return TCPOptionTimestampsLen
	case TCPOptionSACK:
		blocks := (n - 2) / TCPSACKBlockLen
		blocks = max(1, min(blocks, TCPMaxSACKBlocks))
		return 2 + blocks*TCPSACKBlockLen
	}
	return n
}

// MSS returns the value of an MSS option.
func (o TCPOption) MSS() (uint16, bool) {
	if o.Kind != TCPOptionMSS || len(o.Data) != 2 {
		return 0, false
	}
	return binary.BigEndian.Uint16(o.Data), true
}

// WindowScale returns the shift count of a Window Scale option.
func (o TCPOption) WindowScale() (uint8, bool) {
	if o.Kind != TCPOptionWindowScale || len(o.Data) != 1 {
		return 0, false
	}
	return o.Data[0], true
}

// Timestamps returns TSval and TSecr of a Timestamps option.
func (o TCPOption) Timestamps() (val, ecr uint32, ok bool) {
	if o.Kind != TCPOptionTimestamps || len(o.Data) != 8 {
		return 0, 0, false
	}
	return binary.BigEndian.Uint32(o.Data), binary.BigEndian.Uint32(o.Data[4:]), true
}

// SACKBlocks iterates over the (left edge, right edge) pairs of a SACK
// option; it yields nothing for other options.
func (o TCPOption) SACKBlocks() iter.Seq2[uint32, uint32] {
	return func(yield func(uint32, uint32) bool) {
		if o.Kind != TCPOptionSACK {
			return
		}
		for b := o.Data; len(b) >= TCPSACKBlockLen; b = b[TCPSACKBlockLen:] {
			if !yield(binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:])) {
				return
			}
		}
	}
}

// AppendMSS appends an MSS option to b.
func AppendMSS(b []byte, mss uint16) []byte {
	return append(b, byte(TCPOptionMSS), TCPOptionMSSLen, byte(mss>>8), byte(mss))
}

// AppendWindowScale appends a Window Scale option to b.
func AppendWindowScale(b []byte, shift uint8) []byte {
	return append(b, byte(TCPOptionWindowScale), TCPOptionWindowScaleLen, shift)
}

// AppendSACKPermitted appends a SACK-Permitted option to b.
func AppendSACKPermitted(b []byte) []byte {
	return append(b, byte(TCPOptionSACKPermitted), TCPOptionSACKPermittedLen)
}

// AppendTimestamps appends a Timestamps option to b.
func AppendTimestamps(b []byte, val, ecr uint32) []byte {
	b = append(b, byte(TCPOptionTimestamps), TCPOptionTimestampsLen)
	b = binary.BigEndian.AppendUint32(b, val)
	return binary.BigEndian.AppendUint32(b, ecr)
}

// AppendSACK appends a SACK option with the given (left, right) edge
// pairs; edges holds 2, 4, 6 or 8 values (1 to 4 blocks). It panics on
// another count.
func AppendSACK(b []byte, edges ...uint32) []byte {
	if len(edges) == 0 || len(edges)%2 != 0 || len(edges) > 2*TCPMaxSACKBlocks {
		panic("header: AppendSACK needs 1 to 4 (left, right) pairs")
	}
	b = append(b, byte(TCPOptionSACK), byte(2+len(edges)*4))
	for _, e := range edges {
		b = binary.BigEndian.AppendUint32(b, e)
	}
	return b
}

// AppendNOP appends a NOP option to b.
func AppendNOP(b []byte) []byte { return append(b, byte(TCPOptionNOP)) }

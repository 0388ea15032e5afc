package header

import (
	"encoding/binary"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
)

// TCP sizes.
const (
	TCPMinSize = 20 // header without options
	TCPMaxSize = 60 // data offset 15
)

// TCPFlags are the eight control bits in byte 13 of the TCP header.
type TCPFlags uint8

// TCP control bits (RFC 9293 section 3.1, RFC 3168 for CWR and ECE).
const (
	TCPFlagFIN TCPFlags = 1 << iota
	TCPFlagSYN
	TCPFlagRST
	TCPFlagPSH
	TCPFlagACK
	TCPFlagURG
	TCPFlagECE
	TCPFlagCWR
)

// String returns the set flags in tcpdump's order and letters as a
// bracketed list, for example "[S.]" for SYN|ACK, "[P.]" for PSH|ACK, "[]"
// for none. The letters are F S R P U E W and "." for ACK.
func (f TCPFlags) String() string {
	var b [10]byte
	n := 0
	b[n] = '['
	n++
	for _, x := range [...]struct {
		f TCPFlags
		c byte
	}{{TCPFlagFIN, 'F'}, {TCPFlagSYN, 'S'}, {TCPFlagRST, 'R'}, {TCPFlagPSH, 'P'}, {TCPFlagURG, 'U'}, {TCPFlagECE, 'E'}, {TCPFlagCWR, 'W'}, {TCPFlagACK, '.'}} {
		if f&x.f != 0 {
			b[n] = x.c
			n++
		}
	}
	b[n] = ']'
	return string(b[:n+1])
}

// Has reports whether every flag in g is set in f.
func (f TCPFlags) Has(g TCPFlags) bool { return f&g == g }

// TCP is a view of a TCP segment: header, options and payload. TCP has no
// length field; the segment is the view (the IP payload).
//
// SourcePort, DestinationPort and Seq read only the first 8 bytes, so they
// are safe on an unparsed view of at least 8 bytes, such as the start of a
// TCP header quoted in an ICMP error message.
type TCP []byte

// ParseTCP validates the TCP header at the start of b: at least 20 bytes,
// data offset >= 5 and the header within b. The view is all of b. Options
// are not validated here, since a TCP receiver ignores what it cannot
// parse; Options and the option helpers report malformed options.
func ParseTCP(b []byte) (TCP, error) {
	if len(b) < TCPMinSize {
		return nil, failRel("tcp", "header", 0, ErrTruncated, len(b), "<", TCPMinSize)
	}
	doff := int(b[12] >> 4)
	if doff < 5 {
		return nil, failRel("tcp", "data offset", 12, ErrBadValue, doff, "<", 5)
	}
	if doff*4 > len(b) {
		return nil, failRel("tcp", "data offset", 12, ErrTruncated, doff*4, ">", len(b))
	}
	return TCP(b), nil
}

// InitTCP lays out a TCP header of hdrLen bytes (20 to 60, a multiple of 4)
// at the start of b: it zeroes the header (options become End of Option
// List) and writes the data offset. The view is all of b.
func InitTCP(b []byte, hdrLen int) (TCP, error) {
	if err := checkHeaderLen("tcp", "data offset", 12, hdrLen, TCPMinSize, TCPMaxSize); err != nil {
		return nil, err
	}
	if len(b) < hdrLen {
		return nil, failRel("tcp", "header", 0, ErrTruncated, len(b), "<", hdrLen)
	}
	clear(b[:hdrLen])
	b[12] = uint8(hdrLen/4) << 4
	return TCP(b), nil
}

// SourcePort returns the source port.
func (t TCP) SourcePort() uint16 { return binary.BigEndian.Uint16(t[0:]) }

// DestinationPort returns the destination port.
func (t TCP) DestinationPort() uint16 { return binary.BigEndian.Uint16(t[2:]) }

// Seq returns the sequence number.
func (t TCP) Seq() uint32 { return binary.BigEndian.Uint32(t[4:]) }

// Ack returns the acknowledgment number.
func (t TCP) Ack() uint32 { return binary.BigEndian.Uint32(t[8:]) }

// HeaderLen returns the header length in bytes (data offset * 4).
func (t TCP) HeaderLen() int { return int(t[12]>>4) * 4 }

// Flags returns the control bits.
func (t TCP) Flags() TCPFlags { return TCPFlags(t[13]) }

// Window returns the (unscaled) window field.
func (t TCP) Window() uint16 { return binary.BigEndian.Uint16(t[14:]) }

// Checksum returns the checksum field.
func (t TCP) Checksum() uint16 { return binary.BigEndian.Uint16(t[16:]) }

// UrgentPointer returns the urgent pointer field.
func (t TCP) UrgentPointer() uint16 { return binary.BigEndian.Uint16(t[18:]) }

// Options returns the options area, the header bytes after the first 20.
func (t TCP) Options() TCPOptions { return TCPOptions(t[TCPMinSize:t.clampedHeaderLen()]) }

// Payload returns the bytes after the header.
func (t TCP) Payload() []byte { return t[t.clampedHeaderLen():] }

func (t TCP) clampedHeaderLen() int { return max(min(t.HeaderLen(), len(t)), TCPMinSize) }

// SetSourcePort sets the source port.
func (t TCP) SetSourcePort(p uint16) { binary.BigEndian.PutUint16(t[0:], p) }

// SetDestinationPort sets the destination port.
func (t TCP) SetDestinationPort(p uint16) { binary.BigEndian.PutUint16(t[2:], p) }

// SetSeq sets the sequence number.
func (t TCP) SetSeq(v uint32) { binary.BigEndian.PutUint32(t[4:], v) }

// SetAck sets the acknowledgment number.
func (t TCP) SetAck(v uint32) { binary.BigEndian.PutUint32(t[8:], v) }

// SetFlags sets the control bits.
func (t TCP) SetFlags(f TCPFlags) { t[13] = uint8(f) }

// SetWindow sets the window field.
func (t TCP) SetWindow(w uint16) { binary.BigEndian.PutUint16(t[14:], w) }

// SetChecksum sets the checksum field.
func (t TCP) SetChecksum(c uint16) { binary.BigEndian.PutUint16(t[16:], c) }

// SetUrgentPointer sets the urgent pointer.
func (t TCP) SetUrgentPointer(p uint16) { binary.BigEndian.PutUint16(t[18:], p) }

// ComputeChecksum returns the checksum the segment (the whole view) should
// carry, given the pseudo-header sum
// checksum.PseudoHeader(src, dst, ProtocolTCP, len(t)). The checksum field
// is taken as zero.
func (t TCP) ComputeChecksum(pseudo uint16) uint16 {
	s := checksum.Sum(t[:16], pseudo)
	s = checksum.Sum(t[18:], s)
	return ^s
}

// ValidChecksum reports whether the checksum field is correct for the
// segment (the whole view) and the pseudo-header sum.
func (t TCP) ValidChecksum(pseudo uint16) bool {
	return checksum.Sum(t, pseudo) == 0xffff
}

// UpdateChecksumAddr updates the checksum field incrementally (RFC 1624)
// for an address rewrite in the enclosing IP header, which the checksum
// covers through the pseudo-header (NAT).
func (t TCP) UpdateChecksumAddr(old, new netip.Addr) {
	t.SetChecksum(checksum.UpdateAddr(t.Checksum(), old, new))
}

// SetSourcePortUpdatingChecksum sets the source port and updates the
// checksum incrementally.
func (t TCP) SetSourcePortUpdatingChecksum(p uint16) {
	t.SetChecksum(checksum.Update16(t.Checksum(), t.SourcePort(), p))
	t.SetSourcePort(p)
}

// SetDestinationPortUpdatingChecksum sets the destination port and updates
// the checksum incrementally.
func (t TCP) SetDestinationPortUpdatingChecksum(p uint16) {
	t.SetChecksum(checksum.Update16(t.Checksum(), t.DestinationPort(), p))
	t.SetDestinationPort(p)
}

// MSS returns the value of the Maximum Segment Size option, if the header
// carries a well-formed one.
func (t TCP) MSS() (uint16, bool) {
	for o, err := range t.Options().All() {
		if err != nil {
			break
		}
		if v, ok := o.MSS(); ok {
			return v, true
		}
	}
	return 0, false
}

// WindowScale returns the shift count of the Window Scale option, if the
// header carries a well-formed one.
func (t TCP) WindowScale() (uint8, bool) {
	for o, err := range t.Options().All() {
		if err != nil {
			break
		}
		if v, ok := o.WindowScale(); ok {
			return v, true
		}
	}
	return 0, false
}

// SACKPermitted reports whether the header carries the SACK-Permitted
// option.
func (t TCP) SACKPermitted() bool {
	for o, err := range t.Options().All() {
		if err != nil {
			break
		}
		if o.Kind == TCPOptionSACKPermitted {
			return true
		}
	}
	return false
}

// Timestamps returns the TSval and TSecr of the Timestamps option (RFC
// 7323), if the header carries a well-formed one. The usual layout (NOP,
// NOP, Timestamps first) is recognised without walking the options.
func (t TCP) Timestamps() (val, ecr uint32, ok bool) {
	opts := t.Options()
	if len(opts) >= 12 && binary.BigEndian.Uint32(opts) == 0x0101080a {
		return binary.BigEndian.Uint32(opts[4:]), binary.BigEndian.Uint32(opts[8:]), true
	}
	for o, err := range opts.All() {
		if err != nil {
			break
		}
		if val, ecr, ok := o.Timestamps(); ok {
			return val, ecr, true
		}
	}
	return 0, 0, false
}

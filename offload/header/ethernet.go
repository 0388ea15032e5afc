package header

import (
	"encoding/binary"
	"errors"
)

// Ethernet sizes.
const (
	EthernetMinSize = 14 // destination, source, EtherType
	VLANTagSize     = 4  // TPID and TCI
	// EthernetMaxSize is the largest Ethernet header ParseEthernet accepts:
	// two VLAN tags (QinQ).
	EthernetMaxSize = EthernetMinSize + MaxVLANTags*VLANTagSize
	// MaxVLANTags is the number of stacked VLAN tags ParseEthernet walks.
	MaxVLANTags = 2
)

// EtherType is the 16-bit type field of an Ethernet II frame or VLAN tag.
// Values below 0x0600 are IEEE 802.3 length fields, not types.
type EtherType uint16

// EtherTypes used by the fabric.
const (
	EtherTypeIPv4 EtherType = 0x0800
	EtherTypeARP  EtherType = 0x0806
	EtherTypeVLAN EtherType = 0x8100 // IEEE 802.1Q C-tag
	EtherTypeIPv6 EtherType = 0x86dd
	EtherTypeQinQ EtherType = 0x88a8 // IEEE 802.1ad S-tag
)

// String returns the conventional name of t, or its value in hex.
func (t EtherType) String() string {
	switch t {
	case EtherTypeIPv4:
		return "IPv4"
	case EtherTypeARP:
		return "ARP"
	case EtherTypeVLAN:
		return "802.1Q"
	case EtherTypeIPv6:
		return "IPv6"
	case EtherTypeQinQ:
		return "802.1ad"
	}
	return "0x" + hex4(uint16(t))
}

func hex4(v uint16) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[v>>12], digits[v>>8&0xf], digits[v>>4&0xf], digits[v&0xf]})
}

// isTagType reports whether t announces a VLAN tag.
func isTagType(t EtherType) bool { return t == EtherTypeVLAN || t == EtherTypeQinQ }

// MAC is an IEEE 802 48-bit MAC address. It is a comparable value type, so
// it can be a map key and passing it around never allocates.
type MAC [6]byte

// BroadcastMAC is ff:ff:ff:ff:ff:ff.
var BroadcastMAC = MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// errMACSyntax is returned by ParseMAC.
var errMACSyntax = errors.New("header: MAC address must be six hex octets separated by ':' or '-'")

// ParseMAC parses a MAC address written as six two-digit hex octets
// separated by ':' or '-', such as "02:00:5e:10:00:01".
func ParseMAC(s string) (MAC, error) {
	var m MAC
	if len(s) != 17 {
		return MAC{}, errMACSyntax
	}
	sep := s[2]
	if sep != ':' && sep != '-' {
		return MAC{}, errMACSyntax
	}
	for i := range 6 {
		if i > 0 && s[3*i-1] != sep {
			return MAC{}, errMACSyntax
		}
		hi, ok1 := unhex(s[3*i])
		lo, ok2 := unhex(s[3*i+1])
		if !ok1 || !ok2 {
			return MAC{}, errMACSyntax
		}
		m[i] = hi<<4 | lo
	}
	return m, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// String returns m as "02:00:5e:10:00:01".
func (m MAC) String() string {
	var b [17]byte
	return string(m.appendTo(b[:0]))
}

// AppendText appends the String form of m to b (encoding.TextAppender).
func (m MAC) AppendText(b []byte) ([]byte, error) { return m.appendTo(b), nil }

// MarshalText returns the String form of m (encoding.TextMarshaler).
func (m MAC) MarshalText() ([]byte, error) { return m.appendTo(make([]byte, 0, 17)), nil }

// UnmarshalText parses text with ParseMAC (encoding.TextUnmarshaler).
func (m *MAC) UnmarshalText(text []byte) error {
	v, err := ParseMAC(string(text))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

func (m MAC) appendTo(b []byte) []byte {
	const digits = "0123456789abcdef"
	for i, o := range m {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, digits[o>>4], digits[o&0xf])
	}
	return b
}

// IsBroadcast reports whether m is ff:ff:ff:ff:ff:ff.
func (m MAC) IsBroadcast() bool { return m == BroadcastMAC }

// IsMulticast reports whether m is a group address (the I/G bit is set);
// the broadcast address is also multicast.
func (m MAC) IsMulticast() bool { return m[0]&1 != 0 }

// IsLocallyAdministered reports whether the U/L bit of m is set.
func (m MAC) IsLocallyAdministered() bool { return m[0]&2 != 0 }

// IsZero reports whether m is 00:00:00:00:00:00.
func (m MAC) IsZero() bool { return m == MAC{} }

// VLANTag is one IEEE 802.1Q tag: the TPID that announced it and the tag
// control information (priority, drop eligibility, VLAN ID).
type VLANTag struct {
	TPID EtherType // EtherTypeVLAN or EtherTypeQinQ
	TCI  uint16
}

// NewVLANTag returns a tag with the given TPID, priority code point (0-7),
// drop eligible indicator and VLAN ID (0-4095); out-of-range bits of pcp
// and id are dropped.
func NewVLANTag(tpid EtherType, pcp uint8, dei bool, id uint16) VLANTag {
	tci := uint16(pcp&7)<<13 | id&0x0fff
	if dei {
		tci |= 1 << 12
	}
	return VLANTag{TPID: tpid, TCI: tci}
}

// ID returns the 12-bit VLAN identifier.
func (t VLANTag) ID() uint16 { return t.TCI & 0x0fff }

// PCP returns the 3-bit priority code point.
func (t VLANTag) PCP() uint8 { return uint8(t.TCI >> 13) }

// DEI reports whether the drop eligible indicator is set.
func (t VLANTag) DEI() bool { return t.TCI&(1<<12) != 0 }

// Ethernet is a view of an Ethernet II header, with up to MaxVLANTags
// IEEE 802.1Q/802.1ad tags, followed by its payload.
type Ethernet []byte

// ParseEthernet validates the Ethernet header at the start of b: at least
// EthernetMinSize bytes, plus VLANTagSize for each tag announced by a TPID
// of 0x8100 or 0x88a8. At most MaxVLANTags tags are walked; a frame with
// more is rejected with ErrTooManyExtensions. The returned view is all of b
// (the frame check sequence, if the caller's buffer holds one, is payload).
// A type field below 0x0600 is an IEEE 802.3 length (an LLC frame); it is
// returned by EtherType as is.
func ParseEthernet(b []byte) (Ethernet, error) {
	if len(b) < EthernetMinSize {
		return nil, failRel("ethernet", "header", 0, ErrTruncated, len(b), "<", EthernetMinSize)
	}
	off := 12
	for tags := 0; isTagType(EtherType(binary.BigEndian.Uint16(b[off:]))); tags++ {
		if tags == MaxVLANTags {
			return nil, failRel("ethernet", "vlan tag", off, ErrTooManyExtensions, tags+1, ">", MaxVLANTags)
		}
		if len(b) < off+2+VLANTagSize {
			return nil, failRel("ethernet", "vlan tag", off, ErrTruncated, len(b), "<", off+2+VLANTagSize)
		}
		off += VLANTagSize
	}
	return Ethernet(b), nil
}

// InitEthernet writes an Ethernet header with the given addresses, tags
// (outermost first, at most MaxVLANTags) and EtherType at the start of b
// and returns a view of all of b. It fails with ErrTruncated if b is too
// short and with ErrTooManyExtensions if there are too many tags.
func InitEthernet(b []byte, dst, src MAC, typ EtherType, tags ...VLANTag) (Ethernet, error) {
	if len(tags) > MaxVLANTags {
		return nil, failRel("ethernet", "vlan tag", 12, ErrTooManyExtensions, len(tags), ">", MaxVLANTags)
	}
	n := EthernetMinSize + len(tags)*VLANTagSize
	if len(b) < n {
		return nil, failRel("ethernet", "header", 0, ErrTruncated, len(b), "<", n)
	}
	copy(b[0:6], dst[:])
	copy(b[6:12], src[:])
	off := 12
	for _, t := range tags {
		binary.BigEndian.PutUint16(b[off:], uint16(t.TPID))
		binary.BigEndian.PutUint16(b[off+2:], t.TCI)
		off += VLANTagSize
	}
	binary.BigEndian.PutUint16(b[off:], uint16(typ))
	return Ethernet(b), nil
}

// Destination returns the destination MAC address.
func (e Ethernet) Destination() MAC { return MAC(e[0:6]) }

// Source returns the source MAC address.
func (e Ethernet) Source() MAC { return MAC(e[6:12]) }

// SetDestination sets the destination MAC address.
func (e Ethernet) SetDestination(m MAC) { copy(e[0:6], m[:]) }

// SetSource sets the source MAC address.
func (e Ethernet) SetSource(m MAC) { copy(e[6:12], m[:]) }

// Tags returns the number of VLAN tags (0 to MaxVLANTags).
func (e Ethernet) Tags() int {
	n := 0
	for n < MaxVLANTags && isTagType(EtherType(binary.BigEndian.Uint16(e[12+n*VLANTagSize:]))) {
		n++
	}
	return n
}

// Tag returns the i-th VLAN tag, outermost first. It panics if i is not
// below Tags().
func (e Ethernet) Tag(i int) VLANTag {
	if i < 0 || i >= e.Tags() {
		panic("header: Ethernet.Tag index out of range")
	}
	off := 12 + i*VLANTagSize
	return VLANTag{TPID: EtherType(binary.BigEndian.Uint16(e[off:])), TCI: binary.BigEndian.Uint16(e[off+2:])}
}

// SetTag overwrites the TCI of the i-th VLAN tag, and its TPID if t.TPID is
// a tag type. It panics if i is not below Tags().
func (e Ethernet) SetTag(i int, t VLANTag) {
	if i < 0 || i >= e.Tags() {
		panic("header: Ethernet.SetTag index out of range")
	}
	off := 12 + i*VLANTagSize
	if isTagType(t.TPID) {
		binary.BigEndian.PutUint16(e[off:], uint16(t.TPID))
	}
	binary.BigEndian.PutUint16(e[off+2:], t.TCI)
}

// VLANID returns the VLAN ID of the innermost tag and true, or 0 and false
// for an untagged frame.
func (e Ethernet) VLANID() (uint16, bool) {
	n := e.Tags()
	if n == 0 {
		return 0, false
	}
	return e.Tag(n - 1).ID(), true
}

// EtherType returns the type of the payload: the EtherType after the last
// VLAN tag.
func (e Ethernet) EtherType() EtherType {
	return EtherType(binary.BigEndian.Uint16(e[12+e.Tags()*VLANTagSize:]))
}

// SetEtherType sets the type of the payload (the EtherType after the last
// VLAN tag).
func (e Ethernet) SetEtherType(t EtherType) {
	binary.BigEndian.PutUint16(e[12+e.Tags()*VLANTagSize:], uint16(t))
}

// HeaderLen returns the header length including VLAN tags, which is the
// offset of the L3 payload.
func (e Ethernet) HeaderLen() int { return EthernetMinSize + e.Tags()*VLANTagSize }

// Payload returns the bytes after the header.
func (e Ethernet) Payload() []byte { return e[e.HeaderLen():] }

// PopTag removes the outermost VLAN tag in place: it moves the two
// addresses 4 bytes forward over the tag and returns the shorter frame,
// which starts 4 bytes into e, with the removed tag. For an untagged frame
// it returns e unchanged and false.
func (e Ethernet) PopTag() (Ethernet, VLANTag, bool) {
	if e.Tags() == 0 {
		return e, VLANTag{}, false
	}
	t := e.Tag(0)
	copy(e[VLANTagSize:VLANTagSize+12], e[:12])
	return e[VLANTagSize:], t, true
}

// PushTag adds tag as the new outermost VLAN tag of the frame that starts
// 4 bytes into b (the caller leaves that headroom), moving the addresses 4
// bytes back, and returns the longer frame, all of b. It fails if b does
// not hold a valid frame after the headroom, if the frame already carries
// MaxVLANTags tags (ErrTooManyExtensions), or if tag.TPID is not
// EtherTypeVLAN or EtherTypeQinQ (ErrBadValue).
func PushTag(b []byte, tag VLANTag) (Ethernet, error) {
	if !isTagType(tag.TPID) {
		return nil, failRel("ethernet", "vlan tpid", 12, ErrBadValue, int(tag.TPID), "!=", int(EtherTypeVLAN))
	}
	if len(b) < VLANTagSize {
		return nil, failRel("ethernet", "header", 0, ErrTruncated, len(b), "<", VLANTagSize+EthernetMinSize)
	}
	inner, err := ParseEthernet(b[VLANTagSize:])
	if err != nil {
		return nil, err
	}
	if n := inner.Tags(); n == MaxVLANTags {
		return nil, failRel("ethernet", "vlan tag", 12, ErrTooManyExtensions, n+1, ">", MaxVLANTags)
	}
	copy(b[:12], b[VLANTagSize:VLANTagSize+12])
	binary.BigEndian.PutUint16(b[12:], uint16(tag.TPID))
	binary.BigEndian.PutUint16(b[14:], tag.TCI)
	return Ethernet(b), nil
}

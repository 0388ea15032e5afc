package mrt

import (
	"encoding/binary"
	"iter"
	"net/netip"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// Subtypes of TABLE_DUMP_V2 (RFC 6396 section 4.3, RFC 8050 section 4).
const (
	SubPeerIndexTable          uint16 = 1
	SubRIBIPv4Unicast          uint16 = 2
	SubRIBIPv4Multicast        uint16 = 3
	SubRIBIPv6Unicast          uint16 = 4
	SubRIBIPv6Multicast        uint16 = 5
	SubRIBGeneric              uint16 = 6
	SubRIBIPv4UnicastAddPath   uint16 = 8
	SubRIBIPv4MulticastAddPath uint16 = 9
	SubRIBIPv6UnicastAddPath   uint16 = 10
	SubRIBIPv6MulticastAddPath uint16 = 11
	SubRIBGenericAddPath       uint16 = 12
	addPathOffset                     = SubRIBIPv4UnicastAddPath - SubRIBIPv4Unicast
	peerTypeIPv6, peerTypeAS4         = 0x01, 0x02
	maxPeers                          = 1 << 16
)

// A Peer is one entry of the PEER_INDEX_TABLE.
type Peer struct {
	BGPID netip.Addr // the peer's BGP identifier
	Addr  netip.Addr // IPv4 or IPv6
	AS    uint32
}

// PeerIndexTable is the first record of a TABLE_DUMP_V2 dump: the
// collector and the peers that RIB entries refer to by index.
type PeerIndexTable struct {
	CollectorID netip.Addr
	ViewName    string
	Peers       []Peer
}

// PeerIndexTable decodes a PEER_INDEX_TABLE record. It allocates the
// table (one per dump).
func (r Record) PeerIndexTable() (PeerIndexTable, error) {
	if r.Type != TypeTableDumpV2 || r.Subtype != SubPeerIndexTable {
		return PeerIndexTable{}, r.err("type", 0, ErrType)
	}
	b := r.Data
	if len(b) < 6 {
		return PeerIndexTable{}, r.err("collector BGP ID", 0, ErrTruncated)
	}
	var t PeerIndexTable
	t.CollectorID = netip.AddrFrom4([4]byte(b))
	vl := int(binary.BigEndian.Uint16(b[4:]))
	off := 6
	if off+vl+2 > len(b) {
		return PeerIndexTable{}, r.err("view name", off, ErrTruncated)
	}
	t.ViewName = string(b[off : off+vl])
	off += vl
	n := int(binary.BigEndian.Uint16(b[off:]))
	off += 2
	// Each entry takes at least 11 bytes: do not trust the count further
	// than the data can hold.
	t.Peers = make([]Peer, 0, min(n, (len(b)-off)/11))
	for range n {
		if off+5 > len(b) {
			return PeerIndexTable{}, r.err("peer entry", off, ErrTruncated)
		}
		typ := b[off]
		p := Peer{BGPID: netip.AddrFrom4([4]byte(b[off+1:]))}
		off += 5
		al, asl := 4, 2
		if typ&peerTypeIPv6 != 0 {
			al = 16
		}
		if typ&peerTypeAS4 != 0 {
			asl = 4
		}
		if off+al+asl > len(b) {
			return PeerIndexTable{}, r.err("peer entry", off-5, ErrTruncated)
		}
		if al == 4 {
			p.Addr = netip.AddrFrom4([4]byte(b[off:]))
		} else {
			p.Addr = netip.AddrFrom16([16]byte(b[off:]))
		}
		off += al
		if asl == 4 {
			p.AS = binary.BigEndian.Uint32(b[off:])
		} else {
			p.AS = uint32(binary.BigEndian.Uint16(b[off:]))
		}
		off += asl
		t.Peers = append(t.Peers, p)
	}
	if off != len(b) {
		return PeerIndexTable{}, r.err("peer entries", off, ErrValue)
	}
	return t, nil
}

// Record returns the table as a PEER_INDEX_TABLE record stamped ts. It
// fails on a view name or peer list too long for their length fields, or
// a collector ID or peer BGP ID that is not IPv4.
func (t PeerIndexTable) Record(ts time.Time) (Record, error) {
	r := Record{Time: ts, Type: TypeTableDumpV2, Subtype: SubPeerIndexTable}
	if !t.CollectorID.Is4() {
		return Record{}, r.err("collector BGP ID", 0, ErrValue)
	}
	if len(t.ViewName) > 0xffff {
		return Record{}, r.err("view name", 6, ErrValue)
	}
	if len(t.Peers) >= maxPeers {
		return Record{}, r.err("peer count", 6+len(t.ViewName), ErrValue)
	}
	b := t.CollectorID.AsSlice()
	b = binary.BigEndian.AppendUint16(b, uint16(len(t.ViewName)))
	b = append(b, t.ViewName...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(t.Peers)))
	for _, p := range t.Peers {
		if !p.BGPID.Is4() || !p.Addr.IsValid() {
			return Record{}, r.err("peer entry", len(b), ErrValue)
		}
		typ := byte(peerTypeAS4)
		if p.Addr.Is6() && !p.Addr.Is4In6() {
			typ |= peerTypeIPv6
		}
		b = append(b, typ)
		b = append(b, p.BGPID.AsSlice()...)
		if typ&peerTypeIPv6 != 0 {
			a := p.Addr.As16()
			b = append(b, a[:]...)
		} else {
			a := p.Addr.Unmap().As4()
			b = append(b, a[:]...)
		}
		b = binary.BigEndian.AppendUint32(b, p.AS)
	}
	r.Data = b
	return r, nil
}

// A RIB is a view of one TABLE_DUMP_V2 RIB record: every path to one
// prefix, one RIBEntry per peer (and path identifier, with ADD-PATH).
type RIB struct {
	Sequence uint32
	Family   wire.Family
	Prefix   netip.Prefix
	AddPath  bool // entries carry path identifiers (RFC 8050)
	count    int
	entries  []byte
}

// RIBEntry is one path of a RIB record. Attrs are the path attributes in
// BGP wire form with 4-octet AS numbers, MP_REACH_NLRI abbreviated to its
// next hop (RFC 6396 section 4.3.4); they alias the record.
type RIBEntry struct {
	PeerIndex  uint16
	Originated time.Time
	PathID     uint32
	Attrs      []byte
}

func ribFamily(sub uint16) (fam wire.Family, addPath, generic, ok bool) {
	if sub >= SubRIBIPv4UnicastAddPath && sub <= SubRIBGenericAddPath {
		addPath = true
		sub -= addPathOffset
	}
	switch sub {
	case SubRIBIPv4Unicast:
		return wire.IPv4Unicast, addPath, false, true
	case SubRIBIPv4Multicast:
		return wire.IPv4Multicast, addPath, false, true
	case SubRIBIPv6Unicast:
		return wire.IPv6Unicast, addPath, false, true
	case SubRIBIPv6Multicast:
		return wire.IPv6Multicast, addPath, false, true
	case SubRIBGeneric:
		return wire.Family{}, addPath, true, true
	}
	return wire.Family{}, false, false, false
}

// RIB decodes a TABLE_DUMP_V2 RIB record and checks the framing of all its
// entries, so that Entries cannot fail. RIB_GENERIC records are decoded for
// the families whose NLRI are plain prefixes. It allocates nothing.
func (r Record) RIB() (RIB, error) {
	fam, addPath, generic, ok := ribFamily(r.Subtype)
	if r.Type != TypeTableDumpV2 || !ok {
		return RIB{}, r.err("type", 0, ErrType)
	}
	b := r.Data
	if len(b) < 4 {
		return RIB{}, r.err("sequence number", 0, ErrTruncated)
	}
	rib := RIB{Sequence: binary.BigEndian.Uint32(b), AddPath: addPath}
	off := 4
	if generic {
		if len(b) < off+3 {
			return RIB{}, r.err("AFI/SAFI", off, ErrTruncated)
		}
		fam = wire.Family{AFI: wire.AFI(binary.BigEndian.Uint16(b[off:])), SAFI: wire.SAFI(b[off+2])}
		if !fam.Known() {
			return RIB{}, r.err("AFI/SAFI", off, ErrValue)
		}
		off += 3
	}
	rib.Family = fam
	p, n := readPrefix(b[off:], fam)
	if n == 0 {
		return RIB{}, r.err("prefix", off, ErrValue)
	}
	rib.Prefix = p
	off += n
	if off+2 > len(b) {
		return RIB{}, r.err("entry count", off, ErrTruncated)
	}
	rib.count = int(binary.BigEndian.Uint16(b[off:]))
	off += 2
	rib.entries = b[off:]
	fixed := 8
	if addPath {
		fixed = 12
	}
	for range rib.count {
		if off+fixed > len(b) {
			return RIB{}, r.err("RIB entry", off, ErrTruncated)
		}
		al := int(binary.BigEndian.Uint16(b[off+fixed-2:]))
		if off+fixed+al > len(b) {
			return RIB{}, r.err("RIB entry attributes", off+fixed-2, ErrTruncated)
		}
		if bad := checkAttrs(b[off+fixed : off+fixed+al]); bad >= 0 {
			return RIB{}, r.err("path attribute", off+fixed+bad, ErrValue)
		}
		off += fixed + al
	}
	if off != len(b) {
		return RIB{}, r.err("RIB entries", off, ErrValue)
	}
	return rib, nil
}

// Len is the number of entries.
func (r RIB) Len() int { return r.count }

// Entries yields the entries in order, without allocating.
func (r RIB) Entries() iter.Seq[RIBEntry] {
	return func(yield func(RIBEntry) bool) {
		b := r.entries
		for range r.count {
			e := RIBEntry{
				PeerIndex:  binary.BigEndian.Uint16(b),
				Originated: time.Unix(int64(binary.BigEndian.Uint32(b[2:])), 0).UTC(),
			}
			off := 6
			if r.AddPath {
				e.PathID = binary.BigEndian.Uint32(b[off:])
				off += 4
			}
			al := int(binary.BigEndian.Uint16(b[off:]))
			e.Attrs = b[off+2 : off+2+al]
			b = b[off+2+al:]
			if !yield(e) {
				return
			}
		}
	}
}

// RIBRecord returns a TABLE_DUMP_V2 RIB record for prefix of family fam
// with the given entries, using the family's own subtype (RIB_GENERIC for
// none) and the RFC 8050 variant when addPath is set.
func RIBRecord(ts time.Time, seq uint32, fam wire.Family, prefix netip.Prefix, addPath bool, entries []RIBEntry) (Record, error) {
	r := Record{Time: ts, Type: TypeTableDumpV2}
	generic := false
	switch fam {
	case wire.IPv4Unicast:
		r.Subtype = SubRIBIPv4Unicast
	case wire.IPv4Multicast:
		r.Subtype = SubRIBIPv4Multicast
	case wire.IPv6Unicast:
		r.Subtype = SubRIBIPv6Unicast
	case wire.IPv6Multicast:
		r.Subtype = SubRIBIPv6Multicast
	default:
		r.Subtype, generic = SubRIBGeneric, true
	}
	if addPath {
		r.Subtype += addPathOffset
	}
	if !fam.Known() || !prefix.IsValid() || prefix.Addr().Is4() != (fam.AFI == wire.AFIIPv4) {
		return Record{}, r.err("prefix", 4, ErrValue)
	}
	if len(entries) > 0xffff {
		return Record{}, r.err("entry count", 4, ErrValue)
	}
	b := binary.BigEndian.AppendUint32(nil, seq)
	if generic {
		b = binary.BigEndian.AppendUint16(b, uint16(fam.AFI))
		b = append(b, byte(fam.SAFI))
	}
	b = wire.NLRI{Prefix: prefix.Masked()}.Append(b, false)
	b = binary.BigEndian.AppendUint16(b, uint16(len(entries)))
	for _, e := range entries {
		if len(e.Attrs) > 0xffff || checkAttrs(e.Attrs) >= 0 {
			return Record{}, r.err("path attribute", len(b), ErrValue)
		}
		b = binary.BigEndian.AppendUint16(b, e.PeerIndex)
		b = binary.BigEndian.AppendUint32(b, uint32(e.Originated.Unix()))
		if addPath {
			b = binary.BigEndian.AppendUint32(b, e.PathID)
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(e.Attrs)))
		b = append(b, e.Attrs...)
	}
	r.Data = b
	return r, nil
}

// readPrefix decodes a length-prefixed prefix of family fam, masking bits
// beyond the length. n is 0 if b does not hold one.
func readPrefix(b []byte, fam wire.Family) (netip.Prefix, int) {
	if len(b) == 0 {
		return netip.Prefix{}, 0
	}
	bits := int(b[0])
	size := 4
	if fam.AFI == wire.AFIIPv6 {
		size = 16
	}
	nb := (bits + 7) / 8
	if bits > size*8 || 1+nb > len(b) {
		return netip.Prefix{}, 0
	}
	var a [16]byte
	copy(a[:], b[1:1+nb])
	var addr netip.Addr
	if size == 4 {
		addr = netip.AddrFrom4([4]byte(a[:4]))
	} else {
		addr = netip.AddrFrom16(a)
	}
	p, _ := addr.Prefix(bits)
	return p, 1 + nb
}

// checkAttrs checks the framing of a run of path attributes and returns
// the offset of the first bad one, or -1.
func checkAttrs(b []byte) int {
	off := 0
	for off < len(b) {
		_, _, _, n := readAttr(b[off:])
		if n == 0 {
			return off
		}
		off += n
	}
	return -1
}

// readAttr reads one path attribute: flags, type and value, and the bytes
// it takes (0 if b does not hold a whole attribute).
func readAttr(b []byte) (flags, typ byte, value []byte, n int) {
	if len(b) < 3 {
		return 0, 0, nil, 0
	}
	flags, typ = b[0], b[1]
	hl, vl := 3, int(b[2])
	if flags&attrExtendedLength != 0 {
		if len(b) < 4 {
			return 0, 0, nil, 0
		}
		hl, vl = 4, int(binary.BigEndian.Uint16(b[2:]))
	}
	if hl+vl > len(b) {
		return 0, 0, nil, 0
	}
	return flags, typ, b[hl : hl+vl], hl + vl
}

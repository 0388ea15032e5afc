package mrt

import (
	"encoding/binary"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

const (
	attrOptional       = byte(wire.FlagOptional)
	attrExtendedLength = byte(wire.FlagExtendedLength)
	attrTypeMPReach    = byte(wire.AttrMPReachNLRI)
)

// AppendUpdate appends to dst a BGP UPDATE message that announces the
// entry's path to rib.Prefix: the entry's attributes with, for any family
// but IPv4 unicast (or an IPv4 unicast entry with an MP_REACH_NLRI, as RFC
// 8950 next hops come), a full MP_REACH_NLRI rebuilt from the abbreviated
// one of RFC 6396 section 4.3.4. Writers that put a full MP_REACH_NLRI in
// RIB entries, as some do, are accepted too. The message uses 4-octet AS
// numbers, and path identifiers when rib.AddPath is set; parse it with
// wire.DecodeOptions{AS4: true, AddPath: ...} and ExtendedMessage when it
// is longer than 4096 bytes.
//
// The optional and transitive flags of the attributes RFC 4271 and its
// extensions define are set to their defined values: some writers dump
// them wrong (BIRD 2 writes zero flags for routes it did not learn by BGP),
// and a receiver would treat such an UPDATE as a withdrawal (RFC 7606).
func AppendUpdate(dst []byte, rib RIB, e RIBEntry) ([]byte, error) {
	start := len(dst)
	for range 16 {
		dst = append(dst, 0xff)
	}
	dst = append(dst, 0, 0, byte(wire.TypeUpdate), 0, 0) // length, type, no withdrawn routes
	attrLenAt := len(dst)
	dst = append(dst, 0, 0)
	nlri := wire.NLRI{PathID: e.PathID, Prefix: rib.Prefix}
	mp := rib.Family != wire.IPv4Unicast
	for off := 0; off < len(e.Attrs); {
		flags, typ, v, n := readAttr(e.Attrs[off:])
		if n == 0 {
			return dst[:start], &Error{Type: TypeTableDumpV2, Field: "path attribute", Offset: off, Err: ErrValue}
		}
		off += n
		if typ != attrTypeMPReach {
			dst = appendAttr(dst, fixFlags(flags, typ), typ, v)
			continue
		}
		nh, ok := mpNextHop(v, rib.Family)
		if !ok {
			return dst[:start], &Error{Type: TypeTableDumpV2, Field: "MP_REACH_NLRI next hop", Offset: off - n, Err: ErrValue}
		}
		val := make([]byte, 0, 5+len(nh)+21)
		val = binary.BigEndian.AppendUint16(val, uint16(rib.Family.AFI))
		val = append(val, byte(rib.Family.SAFI), byte(len(nh)))
		val = append(val, nh...)
		val = append(val, 0)
		val = nlri.Append(val, rib.AddPath)
		dst = appendAttr(dst, attrOptional, attrTypeMPReach, val)
		mp = false // announced in the attribute
		if rib.Family == wire.IPv4Unicast {
			nlri = wire.NLRI{}
		}
	}
	if mp {
		return dst[:start], &Error{Type: TypeTableDumpV2, Field: "MP_REACH_NLRI", Offset: 0, Err: ErrValue}
	}
	attrLen := len(dst) - attrLenAt - 2
	if rib.Family == wire.IPv4Unicast && nlri.Prefix.IsValid() {
		dst = nlri.Append(dst, rib.AddPath)
	}
	n := len(dst) - start
	if attrLen > 0xffff || n > wire.MaxExtendedMessageLen {
		return dst[:start], &Error{Type: TypeTableDumpV2, Field: "path attributes", Offset: 0, Err: ErrTooLarge}
	}
	binary.BigEndian.PutUint16(dst[attrLenAt:], uint16(attrLen))
	binary.BigEndian.PutUint16(dst[start+16:], uint16(n))
	return dst, nil
}

// mpNextHop returns the next hop field of an MP_REACH_NLRI value in RIB
// entry form: abbreviated (length, next hop) or, as some writers do, full.
func mpNextHop(v []byte, fam wire.Family) ([]byte, bool) {
	if len(v) > 0 && int(v[0]) == len(v)-1 && validNextHopLen(int(v[0])) {
		return v[1:], true
	}
	if len(v) >= 5 && wire.AFI(binary.BigEndian.Uint16(v)) == fam.AFI && wire.SAFI(v[2]) == fam.SAFI {
		l := int(v[3])
		if 4+l <= len(v) && validNextHopLen(l) {
			return v[4 : 4+l], true
		}
	}
	return nil, false
}

// definedFlags are the optional and transitive bits of the path attributes
// with a defined category (RFC 4271 section 5 and the RFCs of each
// attribute).
var definedFlags = [256]byte{
	1: 0x40, 2: 0x40, 3: 0x40, 5: 0x40, 6: 0x40, // ORIGIN, AS_PATH, NEXT_HOP, LOCAL_PREF, ATOMIC_AGGREGATE
	4: 0x80, 9: 0x80, 10: 0x80, 14: 0x80, 15: 0x80, // MED, ORIGINATOR_ID, CLUSTER_LIST, MP_REACH, MP_UNREACH
	7: 0xc0, 8: 0xc0, 16: 0xc0, 17: 0xc0, 18: 0xc0, 32: 0xc0, // AGGREGATOR, COMMUNITIES, EXT_COMM, AS4_PATH, AS4_AGGREGATOR, LARGE_COMMUNITY
}

// fixFlags gives an attribute of a defined category its defined optional
// and transitive bits, keeping the Partial bit only where it may be set
// (optional transitive).
func fixFlags(flags, typ byte) byte {
	d := definedFlags[typ]
	if d == 0 {
		return flags
	}
	if d == 0xc0 {
		return d | flags&0x20
	}
	return d
}

func validNextHopLen(n int) bool { return n == 4 || n == 16 || n == 32 }

func appendAttr(dst []byte, flags, typ byte, v []byte) []byte {
	if len(v) > 255 {
		dst = append(dst, flags|attrExtendedLength, typ)
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(v)))
	} else {
		dst = append(dst, flags&^attrExtendedLength, typ, byte(len(v)))
	}
	return append(dst, v...)
}

// EntryAttrs converts the path attributes of a parsed UPDATE (decoded
// with 4-octet AS numbers) to RIB entry form, appending them to dst: every
// attribute but MP_UNREACH_NLRI, with MP_REACH_NLRI abbreviated to its next
// hop (RFC 6396 section 4.3.4).
func EntryAttrs(dst []byte, u *wire.Update) []byte {
	for a := range u.Attrs() {
		switch a.Type {
		case wire.AttrMPUnreachNLRI:
		case wire.AttrMPReachNLRI:
			m, ok := a.MPReach()
			if !ok {
				continue
			}
			v := append([]byte{byte(len(m.RawNextHop))}, m.RawNextHop...)
			dst = appendAttr(dst, attrOptional, attrTypeMPReach, v)
		default:
			dst = appendAttr(dst, byte(a.Flags), byte(a.Type), a.Value)
		}
	}
	return dst
}

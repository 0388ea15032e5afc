package wire

import (
	"encoding/binary"
	"fmt"
)

// UpdateBuilder encodes announcements and withdrawals of one family into as
// many UPDATE messages as the negotiated maximum size needs.
//
// IPv4 unicast with an IPv4 next hop uses the Withdrawn Routes and NLRI
// fields and NEXT_HOP; IPv4 unicast with an IPv6 next hop (RFC 8950, when
// EncodeOptions.ExtendedNextHop allows it) and every other family use
// MP_REACH_NLRI and MP_UNREACH_NLRI, placed first (RFC 7606 section 5.1).
// Withdrawals and announcements go in separate messages (RFC 7606 section
// 5.1: one kind of NLRI per UPDATE).
type UpdateBuilder struct {
	Family    Family
	Attrs     *Attributes // path attributes of NLRI; required when NLRI is not empty
	NLRI      []NLRI      // prefixes to announce
	Withdrawn []NLRI      // prefixes to withdraw
}

// Append appends the UPDATE messages to dst, back to back, and returns the
// extended buffer and the number of messages. With a dst of enough capacity
// it allocates nothing.
func (b *UpdateBuilder) Append(dst []byte, o *EncodeOptions) (out []byte, count int, err error) {
	if o == nil {
		o = &EncodeOptions{}
	}
	fam := b.Family
	if !fam.Known() {
		return dst, 0, fmt.Errorf("bgp: cannot encode NLRI of %v: %w", fam, ErrValue)
	}
	addPath := o.AddPath.Has(fam)
	max := o.maxLen()
	start := len(dst)
	classic := fam == IPv4Unicast
	w := b.Withdrawn
	for len(w) > 0 {
		m := len(dst)
		dst = appendHeader(dst, TypeUpdate)
		if classic {
			dst = append(dst, 0, 0)
			dst, w, err = appendPrefixes(dst, w, fam, addPath, max-2-(len(dst)-m))
			if err != nil {
				return dst[:start], 0, err
			}
			binary.BigEndian.PutUint16(dst[m+HeaderLen:], uint16(len(dst)-m-HeaderLen-2))
			dst = append(dst, 0, 0)
		} else {
			dst = append(dst, 0, 0, 0, 0, byte(FlagOptional|FlagExtendedLength), byte(AttrMPUnreachNLRI), 0, 0)
			dst = binary.BigEndian.AppendUint16(dst, uint16(fam.AFI))
			dst = append(dst, byte(fam.SAFI))
			dst, w, err = appendPrefixes(dst, w, fam, addPath, max-(len(dst)-m))
			if err != nil {
				return dst[:start], 0, err
			}
			binary.BigEndian.PutUint16(dst[m+HeaderLen+2:], uint16(len(dst)-m-HeaderLen-4))
			binary.BigEndian.PutUint16(dst[m+HeaderLen+6:], uint16(len(dst)-m-HeaderLen-8))
		}
		binary.BigEndian.PutUint16(dst[m+16:], uint16(len(dst)-m))
		count++
	}
	if len(b.NLRI) == 0 {
		return dst, count, nil
	}
	at := b.Attrs
	if at == nil {
		return dst[:start], 0, fmt.Errorf("bgp: announcement without attributes: %w", ErrMissing)
	}
	var nh []byte
	var nhBuf [32]byte
	switch {
	case fam.AFI == AFIIPv4 && at.NextHop.Is4():
		if !classic {
			a := at.NextHop.As4()
			nh = append(nhBuf[:0], a[:]...)
		}
	case at.NextHop.Is6() && (fam.AFI == AFIIPv6 || o.ExtendedNextHop.Has(fam)):
		classic = false
		a := at.NextHop.As16()
		nh = append(nhBuf[:0], a[:]...)
		if at.LinkLocal.IsValid() {
			ll := at.LinkLocal.As16()
			nh = append(nh, ll[:]...)
		}
	default:
		return dst[:start], 0, fmt.Errorf("bgp: next hop %v cannot carry %v: %w", at.NextHop, fam, ErrValue)
	}
	// Encode the attributes once at the end of dst, copy them into each
	// message, and move the messages down over them at the end.
	attrStart := len(dst)
	dst, err = at.appendAttrs(dst, o, classic)
	if err != nil {
		return dst[:start], 0, err
	}
	attrs := dst[attrStart:]
	msgs := len(dst)
	for p := b.NLRI; len(p) > 0; {
		m := len(dst)
		dst = appendHeader(dst, TypeUpdate)
		dst = append(dst, 0, 0, 0, 0)
		if classic {
			binary.BigEndian.PutUint16(dst[m+HeaderLen+2:], uint16(len(attrs)))
			dst = append(dst, attrs...)
			dst, p, err = appendPrefixes(dst, p, fam, addPath, max-(len(dst)-m))
		} else {
			mp := len(dst)
			dst = append(dst, byte(FlagOptional|FlagExtendedLength), byte(AttrMPReachNLRI), 0, 0)
			dst = binary.BigEndian.AppendUint16(dst, uint16(fam.AFI))
			dst = append(dst, byte(fam.SAFI), byte(len(nh)))
			dst = append(dst, nh...)
			dst = append(dst, 0)
			dst, p, err = appendPrefixes(dst, p, fam, addPath, max-(len(dst)-m)-len(attrs))
			binary.BigEndian.PutUint16(dst[mp+2:], uint16(len(dst)-mp-4))
			dst = append(dst, attrs...)
			binary.BigEndian.PutUint16(dst[m+HeaderLen+2:], uint16(len(dst)-mp))
		}
		if err != nil {
			return dst[:start], 0, err
		}
		binary.BigEndian.PutUint16(dst[m+16:], uint16(len(dst)-m))
		count++
	}
	n := copy(dst[attrStart:], dst[msgs:])
	return dst[:attrStart+n], count, nil
}

// appendPrefixes appends as many of ps as fit in room bytes and returns the
// rest. It fails if not even the first fits, or a prefix is not of fam.
func appendPrefixes(dst []byte, ps []NLRI, fam Family, addPath bool, room int) ([]byte, []NLRI, error) {
	i := 0
	if fam.AFI == AFIIPv4 && !addPath {
		// The common case: append the length and four address octets, then
		// cut back to the octets the prefix length needs.
		for ; i < len(ps); i++ {
			pf := ps[i].Prefix
			if !pf.IsValid() || !pf.Addr().Is4() {
				return dst, nil, fmt.Errorf("bgp: prefix %v is not %v: %w", pf, fam, ErrValue)
			}
			bits := pf.Bits()
			nb := (bits + 7) >> 3
			if 1+nb > room {
				break
			}
			room -= 1 + nb
			a := pf.Addr().As4()
			v := binary.BigEndian.Uint32(a[:]) & (^uint32(0) << (32 - bits))
			dst = append(dst, byte(bits), byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
			dst = dst[:len(dst)-4+nb]
		}
	}
	for ; i < len(ps); i++ {
		p := ps[i]
		a := p.Prefix.Addr()
		if !p.Prefix.IsValid() || (fam.AFI == AFIIPv4) != a.Is4() {
			return dst, nil, fmt.Errorf("bgp: prefix %v is not %v: %w", p.Prefix, fam, ErrValue)
		}
		l := p.Len(addPath)
		if l > room {
			break
		}
		room -= l
		dst = p.Append(dst, addPath)
	}
	if i == 0 {
		return dst, nil, fmt.Errorf("bgp: no room for a prefix in an UPDATE: %w", ErrTooLarge)
	}
	return dst, ps[i:], nil
}

// AppendEndOfRIB appends the End-of-RIB marker of fam (RFC 4724 section 2).
func AppendEndOfRIB(dst []byte, fam Family) []byte {
	m := len(dst)
	dst = appendHeader(dst, TypeUpdate)
	if fam == IPv4Unicast {
		dst = append(dst, 0, 0, 0, 0)
	} else {
		dst = append(dst, 0, 0, 0, 6, byte(FlagOptional), byte(AttrMPUnreachNLRI), 3)
		dst = binary.BigEndian.AppendUint16(dst, uint16(fam.AFI))
		dst = append(dst, byte(fam.SAFI))
	}
	binary.BigEndian.PutUint16(dst[m+16:], uint16(len(dst)-m))
	return dst
}

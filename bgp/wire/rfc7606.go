package wire

import (
	"encoding/binary"
	"net/netip"
)

// This file holds the UPDATE validation rules: RFC 4271 section 6.3 as
// revised by RFC 7606, with the attribute-specific rules of RFC 4456, RFC
// 4760, RFC 6793, RFC 8092 and RFC 8950.

// attrError builds an *Error about attribute a, whose bytes (flags to
// value) are raw, at message offset off. The NOTIFICATION Data is the
// attribute, except for the subcodes RFC 4271 section 6.3 sends without
// data.
func attrError(a Attr, raw []byte, off int, action Action, field string, sub uint8, err error) *Error {
	data := raw
	if sub == SubMalformedASPath || sub == SubMalformedAttributeList {
		data = nil
	}
	return &Error{Msg: TypeUpdate, Field: field, Attr: a.Type, Offset: off, Action: action,
		Code: CodeUpdate, Subcode: sub, Data: data, Err: err}
}

// validate walks the path attributes once, checking each, and returns the
// error to reset the session with, if any; lesser problems go to u.note.
func (u *Update) validate() *Error {
	var seen [4]uint64
	var haveMP bool
	b := u.attrs
	for off := 0; off < len(b); {
		// The framing, as readAttr reads it, without building an Attr
		// in memory first.
		var a Attr
		n := -1
		if r := b[off:]; len(r) >= 3 {
			a.Flags, a.Type = AttrFlags(r[0]), AttrType(r[1])
			h, l := 3, int(r[2])
			if a.Flags&FlagExtendedLength != 0 {
				h, l = 4, -1
				if len(r) >= 4 {
					l = int(binary.BigEndian.Uint16(r[2:]))
				}
			}
			if l >= 0 && h+l <= len(r) {
				a.Value, n = r[h:h+l], h+l
			}
		}
		if n <= 0 {
			a, _ = readAttr(b[off:])
			// RFC 7606 section 4: the last attribute overruns the path
			// attribute field, or fewer than 3 (4) octets remain. The total
			// attribute length still locates the NLRI field, so the
			// UPDATE is treated as withdraw, provided we know every prefix
			// it carries: if no MP_REACH/MP_UNREACH_NLRI came before the
			// damage, one may hide in it, and only a reset is safe.
			e := attrError(a, b[off:], u.attrsOff+off, ActionTreatAsWithdraw, "attribute length", SubAttributeLength, ErrLength)
			u.attrs = b[:off]
			if !haveMP && len(u.nlri) == 0 {
				e.Action, e.Subcode, e.Data = ActionSessionReset, SubMalformedAttributeList, nil
				return e
			}
			u.note(e)
			break
		}
		at := u.attrsOff + off
		raw := b[off : off+n]
		off += n
		w, m := a.Type>>6, uint64(1)<<(a.Type&63)
		if seen[w]&m != 0 {
			if a.Type == AttrMPReachNLRI || a.Type == AttrMPUnreachNLRI {
				return attrError(a, raw, at, ActionSessionReset, "repeated attribute", SubMalformedAttributeList, ErrDuplicate)
			}
			// Only the first occurrence counts (RFC 7606 section 3(g));
			// Attrs skips the others.
			u.note(attrError(a, raw, at, ActionAttributeDiscard, "repeated attribute", SubMalformedAttributeList, ErrDuplicate))
			continue
		}
		seen[w] |= m
		switch a.Type {
		case AttrMPReachNLRI:
			haveMP, u.mpReach = true, at-u.attrsOff+1
		case AttrMPUnreachNLRI:
			haveMP, u.mpUnreach = true, at-u.attrsOff+1
		}
		a.as4, a.addPath = u.opts.AS4, u.opts.AddPath
		if e := u.checkAttr(a, raw, at); e != nil {
			if e.Action == ActionSessionReset {
				return e
			}
			switch e.Action {
			case ActionAttributeDiscard:
				u.discard[w] |= m
			case ActionAFISAFIDisable:
				u.disable = u.disable.With(e.Family)
			}
			u.note(e)
		}
	}

	// Mandatory attributes (RFC 4271 section 5.1.2, RFC 4760 section 3,
	// RFC 7606 section 3(d)): ORIGIN and AS_PATH whenever prefixes are
	// announced, NEXT_HOP when the NLRI field holds some.
	reach := seen[0]&(1<<AttrMPReachNLRI) != 0 || len(u.nlri) > 0
	if reach {
		for _, t := range [...]AttrType{AttrOrigin, AttrASPath, AttrNextHop} {
			if t == AttrNextHop && len(u.nlri) == 0 {
				continue
			}
			if seen[0]&(1<<t) == 0 {
				u.note(&Error{Field: "mandatory attribute", Attr: t, Offset: u.attrsOff,
					Action: ActionTreatAsWithdraw, Code: CodeUpdate, Subcode: SubMissingWellKnown,
					Data: []byte{byte(t)}, Err: ErrMissing})
			}
		}
	}
	return nil
}

// mpError is the error for a malformed MP_REACH_NLRI or MP_UNREACH_NLRI
// at message offset off: AFI/SAFI disable when its AFI and SAFI can be
// read and name a family this package decodes, session reset otherwise.
func mpError(a Attr, raw []byte, off int, field string, err error) *Error {
	e := attrError(a, raw, off, ActionSessionReset, field, SubOptionalAttribute, err)
	if len(a.Value) >= 3 {
		e.Family = Family{AFI(binary.BigEndian.Uint16(a.Value)), SAFI(a.Value[2])}
		if e.Family.Known() {
			e.Action = ActionAFISAFIDisable
		}
	}
	return e
}

// checkAttr applies the rules for one attribute.
func (u *Update) checkAttr(a Attr, raw []byte, off int) *Error {
	want, known := a.Type.wantFlags()
	if !known {
		if a.Flags&FlagOptional == 0 {
			// RFC 4271 section 6.3, unchanged by RFC 7606.
			return attrError(a, raw, off, ActionSessionReset, "flags", SubUnrecognizedWellKnown, ErrType)
		}
		return nil // unknown optional: kept (transitive) or ignored
	}
	var flagsErr *Error
	if a.Flags&(FlagOptional|FlagTransitive) != want {
		// RFC 7606 section 3(c).
		flagsErr = attrError(a, raw, off, ActionTreatAsWithdraw, "flags", SubAttributeFlags, ErrFlags)
		if a.Type != AttrMPReachNLRI && a.Type != AttrMPUnreachNLRI {
			return flagsErr
		}
	}
	l := len(a.Value)
	// What a malformed value of most attributes leads to (RFC 7606
	// section 7); the others say so in their case.
	const taw = ActionTreatAsWithdraw
	switch a.Type {
	case AttrOrigin: // RFC 7606 section 7.1
		if l != 1 {
			return attrError(a, raw, off, taw, "length", SubAttributeLength, ErrLength)
		}
		if a.Value[0] > byte(OriginIncomplete) {
			return attrError(a, raw, off, taw, "value", SubInvalidOrigin, ErrValue)
		}
	case AttrASPath: // RFC 7606 section 7.2
		bad, confed := a.ASPath().check()
		if bad >= 0 {
			return attrError(a, raw, off+bad, ActionTreatAsWithdraw, "segment", SubMalformedASPath, ErrValue)
		}
		if confed && u.opts.EBGP {
			return attrError(a, raw, off, taw, "confederation segment from external peer", SubMalformedASPath, ErrValue)
		}
	case AttrNextHop: // RFC 7606 section 7.3, RFC 4271 section 6.3
		act := taw
		if len(u.nlri) == 0 {
			// RFC 4760 section 3: without prefixes in the NLRI field the
			// attribute is to be ignored, so a bad one is only discarded.
			act = ActionAttributeDiscard
		}
		if l != 4 {
			return attrError(a, raw, off, act, "length", SubAttributeLength, ErrLength)
		}
		nh := a.NextHop()
		if nh.IsUnspecified() || nh.IsMulticast() || nh == netip.AddrFrom4([4]byte{255, 255, 255, 255}) ||
			(u.opts.LocalAddr.IsValid() && nh == u.opts.LocalAddr) {
			return attrError(a, raw, off, act, "next hop address", SubInvalidNextHop, ErrValue)
		}
	case AttrMED: // RFC 7606 section 7.4
		if l != 4 {
			return attrError(a, raw, off, taw, "length", SubAttributeLength, ErrLength)
		}
	case AttrLocalPref: // RFC 7606 section 7.5
		if u.opts.EBGP {
			return attrError(a, raw, off, ActionAttributeDiscard, "from external peer", SubAttributeFlags, ErrValue)
		}
		if l != 4 {
			return attrError(a, raw, off, taw, "length", SubAttributeLength, ErrLength)
		}
	case AttrAtomicAggregate: // RFC 7606 section 7.6
		if l != 0 {
			return attrError(a, raw, off, ActionAttributeDiscard, "length", SubAttributeLength, ErrLength)
		}
	case AttrAggregator: // RFC 7606 section 7.7
		if (u.opts.AS4 && l != 8) || (!u.opts.AS4 && l != 6) {
			return attrError(a, raw, off, ActionAttributeDiscard, "length", SubAttributeLength, ErrLength)
		}
	case AttrCommunities: // RFC 7606 section 7.8
		if l == 0 || l%4 != 0 {
			return attrError(a, raw, off, taw, "length", SubOptionalAttribute, ErrLength)
		}
	case AttrOriginatorID: // RFC 7606 section 7.9
		if u.opts.EBGP {
			return attrError(a, raw, off, ActionAttributeDiscard, "from external peer", SubOptionalAttribute, ErrValue)
		}
		if l != 4 {
			return attrError(a, raw, off, taw, "length", SubAttributeLength, ErrLength)
		}
	case AttrClusterList: // RFC 7606 section 7.10
		if u.opts.EBGP {
			return attrError(a, raw, off, ActionAttributeDiscard, "from external peer", SubOptionalAttribute, ErrValue)
		}
		if l == 0 || l%4 != 0 {
			return attrError(a, raw, off, taw, "length", SubAttributeLength, ErrLength)
		}
	case AttrMPReachNLRI: // RFC 7606 section 7.11, RFC 4760 section 7
		// The NLRI cannot be located, or cannot be read, so
		// treat-as-withdraw is impossible: RFC 7606 leaves "AFI/SAFI
		// disable" or "session reset", and we disable when the family is
		// one we decode; otherwise only a reset is safe.
		m, ok := a.MPReach()
		if !ok {
			return mpError(a, raw, off, "next hop length", ErrLength)
		}
		if !m.nextHopOK(u.opts.ExtendedNextHop) {
			return mpError(a, raw, off+len(raw)-len(a.Value)+3, "next hop length", ErrLength)
		}
		if m.Family.Known() {
			if bad := checkPrefixes(m.RawNLRI, m.Family, m.addPath); bad >= 0 {
				return mpError(a, raw, off+len(raw)-len(m.RawNLRI)+bad, "NLRI", ErrValue)
			}
		}
	case AttrMPUnreachNLRI:
		m, ok := a.MPUnreach()
		if !ok {
			return mpError(a, raw, off, "length", ErrLength)
		}
		if m.Family.Known() {
			if bad := checkPrefixes(m.RawNLRI, m.Family, m.addPath); bad >= 0 {
				return mpError(a, raw, off+len(raw)-len(m.RawNLRI)+bad, "withdrawn NLRI", ErrValue)
			}
		}
	case AttrExtendedCommunities: // RFC 7606 section 7.14
		if l == 0 || l%8 != 0 {
			return attrError(a, raw, off, taw, "length", SubOptionalAttribute, ErrLength)
		}
	case AttrAS4Path: // RFC 6793 sections 3 and 6
		if u.opts.AS4 {
			return attrError(a, raw, off, ActionAttributeDiscard, "AS4_PATH on a 4-octet AS session", SubOptionalAttribute, ErrValue)
		}
		bad, confed := a.ASPath().check()
		if bad >= 0 || confed {
			return attrError(a, raw, off, ActionAttributeDiscard, "segment", SubOptionalAttribute, ErrValue)
		}
	case AttrAS4Aggregator: // RFC 6793 sections 3 and 6
		if u.opts.AS4 {
			return attrError(a, raw, off, ActionAttributeDiscard, "AS4_AGGREGATOR on a 4-octet AS session", SubOptionalAttribute, ErrValue)
		}
		if l != 8 {
			return attrError(a, raw, off, ActionAttributeDiscard, "length", SubOptionalAttribute, ErrLength)
		}
	case AttrLargeCommunities: // RFC 8092 section 6
		if l == 0 || l%12 != 0 {
			return attrError(a, raw, off, taw, "length", SubOptionalAttribute, ErrLength)
		}
	}
	if flagsErr != nil {
		return flagsErr
	}
	return nil
}

package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"slices"
	"testing"
)

// buildUpdate frames withdrawn routes, attributes and NLRI as an UPDATE.
func buildUpdate(withdrawn, attrs, nlri []byte) []byte {
	b := appendHeader(nil, TypeUpdate)
	b = binary.BigEndian.AppendUint16(b, uint16(len(withdrawn)))
	b = append(b, withdrawn...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(attrs)))
	b = append(b, attrs...)
	b = append(b, nlri...)
	binary.BigEndian.PutUint16(b[16:], uint16(len(b)))
	return b
}

func cat(parts ...[]byte) []byte { return slices.Concat(parts...) }

var (
	aOrigin  = []byte{0x40, 1, 1, 0}
	aASPath  = []byte{0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xe9} // 4-octet SEQ 65001
	aNextHop = []byte{0x40, 3, 4, 192, 0, 2, 1}
	base     = cat(aOrigin, aASPath, aNextHop)
	nlri10   = []byte{8, 10} // 10.0.0.0/8
	mpV6     = []byte{0x90, 14, 0, 26, 0, 2, 1, 16, 0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 32, 0x20, 1, 0x0d, 0xb8}
)

func TestRFC7606(t *testing.T) {
	ibgp := &DecodeOptions{AS4: true}
	ebgp := &DecodeOptions{AS4: true, EBGP: true, LocalAddr: netip.MustParseAddr("192.0.2.9")}
	cases := []struct {
		name   string
		msg    []byte
		opts   *DecodeOptions
		action Action
		attr   AttrType
		sub    uint8
		want   error
	}{
		{"well formed", buildUpdate(nil, base, nlri10), ibgp, ActionNone, 0, 0, nil},
		{"withdraw only, no attributes", buildUpdate(nlri10, nil, nil), ibgp, ActionNone, 0, 0, nil},
		{"ORIGIN length", buildUpdate(nil, cat([]byte{0x40, 1, 2, 0, 0}, aASPath, aNextHop), nlri10), ibgp, ActionTreatAsWithdraw, AttrOrigin, SubAttributeLength, ErrLength},
		{"ORIGIN value", buildUpdate(nil, cat([]byte{0x40, 1, 1, 3}, aASPath, aNextHop), nlri10), ibgp, ActionTreatAsWithdraw, AttrOrigin, SubInvalidOrigin, ErrValue},
		{"ORIGIN flags", buildUpdate(nil, cat([]byte{0xc0, 1, 1, 0}, aASPath, aNextHop), nlri10), ibgp, ActionTreatAsWithdraw, AttrOrigin, SubAttributeFlags, ErrFlags},
		{"AS_PATH empty segment", buildUpdate(nil, cat(aOrigin, []byte{0x40, 2, 2, 2, 0}, aNextHop), nlri10), ibgp, ActionTreatAsWithdraw, AttrASPath, SubMalformedASPath, ErrValue},
		{"AS_PATH segment type", buildUpdate(nil, cat(aOrigin, []byte{0x40, 2, 6, 5, 1, 0, 0, 0, 1}, aNextHop), nlri10), ibgp, ActionTreatAsWithdraw, AttrASPath, SubMalformedASPath, ErrValue},
		{"AS_PATH overrun", buildUpdate(nil, cat(aOrigin, []byte{0x40, 2, 6, 2, 2, 0, 0, 0, 1}, aNextHop), nlri10), ibgp, ActionTreatAsWithdraw, AttrASPath, SubMalformedASPath, ErrValue},
		{"AS_PATH trailing octet", buildUpdate(nil, cat(aOrigin, []byte{0x40, 2, 7, 2, 1, 0, 0, 0, 1, 2}, aNextHop), nlri10), ibgp, ActionTreatAsWithdraw, AttrASPath, SubMalformedASPath, ErrValue},
		{"AS_PATH confed from eBGP", buildUpdate(nil, cat(aOrigin, []byte{0x40, 2, 6, 3, 1, 0, 0, 0, 1}, aNextHop), nlri10), ebgp, ActionTreatAsWithdraw, AttrASPath, SubMalformedASPath, ErrValue},
		{"NEXT_HOP length", buildUpdate(nil, cat(aOrigin, aASPath, []byte{0x40, 3, 5, 1, 2, 3, 4, 5}), nlri10), ibgp, ActionTreatAsWithdraw, AttrNextHop, SubAttributeLength, ErrLength},
		{"NEXT_HOP 0.0.0.0", buildUpdate(nil, cat(aOrigin, aASPath, []byte{0x40, 3, 4, 0, 0, 0, 0}), nlri10), ibgp, ActionTreatAsWithdraw, AttrNextHop, SubInvalidNextHop, ErrValue},
		{"NEXT_HOP multicast", buildUpdate(nil, cat(aOrigin, aASPath, []byte{0x40, 3, 4, 224, 0, 0, 1}), nlri10), ibgp, ActionTreatAsWithdraw, AttrNextHop, SubInvalidNextHop, ErrValue},
		{"NEXT_HOP is us", buildUpdate(nil, cat(aOrigin, aASPath, []byte{0x40, 3, 4, 192, 0, 2, 9}), nlri10), ebgp, ActionTreatAsWithdraw, AttrNextHop, SubInvalidNextHop, ErrValue},
		{"bad NEXT_HOP beside MP_REACH only", buildUpdate(nil, cat(mpV6, aOrigin, aASPath, []byte{0x40, 3, 4, 0, 0, 0, 0}), nil), ibgp, ActionAttributeDiscard, AttrNextHop, SubInvalidNextHop, ErrValue},
		{"MED length", buildUpdate(nil, cat(base, []byte{0x80, 4, 3, 0, 0, 0}), nlri10), ibgp, ActionTreatAsWithdraw, AttrMED, SubAttributeLength, ErrLength},
		{"LOCAL_PREF from eBGP", buildUpdate(nil, cat(base, []byte{0x40, 5, 4, 0, 0, 0, 100}), nlri10), ebgp, ActionAttributeDiscard, AttrLocalPref, SubAttributeFlags, ErrValue},
		{"LOCAL_PREF length", buildUpdate(nil, cat(base, []byte{0x40, 5, 3, 0, 0, 100}), nlri10), ibgp, ActionTreatAsWithdraw, AttrLocalPref, SubAttributeLength, ErrLength},
		{"ATOMIC_AGGREGATE length", buildUpdate(nil, cat(base, []byte{0x40, 6, 1, 0}), nlri10), ibgp, ActionAttributeDiscard, AttrAtomicAggregate, SubAttributeLength, ErrLength},
		{"AGGREGATOR length", buildUpdate(nil, cat(base, []byte{0xc0, 7, 6, 0, 1, 1, 2, 3, 4}), nlri10), ibgp, ActionAttributeDiscard, AttrAggregator, SubAttributeLength, ErrLength},
		{"COMMUNITIES length", buildUpdate(nil, cat(base, []byte{0xc0, 8, 3, 0, 1, 1}), nlri10), ibgp, ActionTreatAsWithdraw, AttrCommunities, SubOptionalAttribute, ErrLength},
		{"COMMUNITIES empty", buildUpdate(nil, cat(base, []byte{0xc0, 8, 0}), nlri10), ibgp, ActionTreatAsWithdraw, AttrCommunities, SubOptionalAttribute, ErrLength},
		{"COMMUNITIES repeated", buildUpdate(nil, cat(base, []byte{0xc0, 8, 4, 0, 1, 0, 1}, []byte{0xc0, 8, 4, 0, 2, 0, 2}), nlri10), ibgp, ActionAttributeDiscard, AttrCommunities, SubMalformedAttributeList, ErrDuplicate},
		{"ORIGINATOR_ID from eBGP", buildUpdate(nil, cat(base, []byte{0x80, 9, 4, 1, 2, 3, 4}), nlri10), ebgp, ActionAttributeDiscard, AttrOriginatorID, SubOptionalAttribute, ErrValue},
		{"ORIGINATOR_ID length", buildUpdate(nil, cat(base, []byte{0x80, 9, 3, 1, 2, 3}), nlri10), ibgp, ActionTreatAsWithdraw, AttrOriginatorID, SubAttributeLength, ErrLength},
		{"CLUSTER_LIST from eBGP", buildUpdate(nil, cat(base, []byte{0x80, 10, 4, 1, 2, 3, 4}), nlri10), ebgp, ActionAttributeDiscard, AttrClusterList, SubOptionalAttribute, ErrValue},
		{"CLUSTER_LIST length", buildUpdate(nil, cat(base, []byte{0x80, 10, 5, 1, 2, 3, 4, 5}), nlri10), ibgp, ActionTreatAsWithdraw, AttrClusterList, SubAttributeLength, ErrLength},
		{"EXTENDED_COMMUNITIES length", buildUpdate(nil, cat(base, []byte{0xc0, 16, 7, 0, 2, 0, 1, 0, 0, 1}), nlri10), ibgp, ActionTreatAsWithdraw, AttrExtendedCommunities, SubOptionalAttribute, ErrLength},
		{"LARGE_COMMUNITY length", buildUpdate(nil, cat(base, []byte{0xc0, 32, 11, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0}), nlri10), ibgp, ActionTreatAsWithdraw, AttrLargeCommunities, SubOptionalAttribute, ErrLength},
		{"AS4_PATH on 4-octet session", buildUpdate(nil, cat(base, []byte{0xc0, 17, 6, 2, 1, 0, 0, 0, 1}), nlri10), ibgp, ActionAttributeDiscard, AttrAS4Path, SubOptionalAttribute, ErrValue},
		{"AS4_AGGREGATOR length", buildUpdate(nil, cat(aOrigin, []byte{0x40, 2, 4, 2, 1, 0xfd, 0xe9}, aNextHop, []byte{0xc0, 18, 6, 0, 1, 1, 2, 3, 4}), nlri10), &DecodeOptions{}, ActionAttributeDiscard, AttrAS4Aggregator, SubOptionalAttribute, ErrLength},
		{"missing ORIGIN", buildUpdate(nil, cat(aASPath, aNextHop), nlri10), ibgp, ActionTreatAsWithdraw, AttrOrigin, SubMissingWellKnown, ErrMissing},
		{"missing NEXT_HOP", buildUpdate(nil, cat(aOrigin, aASPath), nlri10), ibgp, ActionTreatAsWithdraw, AttrNextHop, SubMissingWellKnown, ErrMissing},
		{"MP_REACH without NEXT_HOP", buildUpdate(nil, cat(mpV6, aOrigin, aASPath), nil), ibgp, ActionNone, 0, 0, nil},
		{"MP_REACH missing AS_PATH", buildUpdate(nil, cat(mpV6, aOrigin), nil), ibgp, ActionTreatAsWithdraw, AttrASPath, SubMissingWellKnown, ErrMissing},
		{"unknown optional transitive", buildUpdate(nil, cat(base, []byte{0xc0, 99, 2, 1, 2}), nlri10), ibgp, ActionNone, 0, 0, nil},
		{"unknown well-known", buildUpdate(nil, cat(base, []byte{0x40, 99, 2, 1, 2}), nlri10), ibgp, ActionSessionReset, 99, SubUnrecognizedWellKnown, ErrType},
		{"last attribute overruns", buildUpdate(nil, cat(base, []byte{0xc0, 8, 8, 0, 1, 0, 1}), nlri10), ibgp, ActionTreatAsWithdraw, AttrCommunities, SubAttributeLength, ErrLength},
		{"two octets left", buildUpdate(nil, cat(base, []byte{0xc0, 8}), nlri10), ibgp, ActionTreatAsWithdraw, 0, SubAttributeLength, ErrLength},
		{"overrun and nothing located", buildUpdate(nil, cat(aOrigin, []byte{0xc0, 8, 8, 0, 1}), nil), ibgp, ActionSessionReset, AttrCommunities, SubMalformedAttributeList, ErrLength},
		{"MP_REACH next hop length", buildUpdate(nil, cat([]byte{0x90, 14, 0, 11, 0, 2, 1, 4, 1, 2, 3, 4, 0, 8, 0x20}, aOrigin, aASPath), nil), ibgp, ActionAFISAFIDisable, AttrMPReachNLRI, SubOptionalAttribute, ErrLength},
		{"MP_REACH NLRI overrun", buildUpdate(nil, cat([]byte{0x90, 14, 0, 23, 0, 2, 1, 16, 0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 64, 0x20}, aOrigin, aASPath), nil), ibgp, ActionAFISAFIDisable, AttrMPReachNLRI, SubOptionalAttribute, ErrValue},
		{"MP_REACH NLRI overrun beside NLRI field", buildUpdate(nil, cat([]byte{0x90, 14, 0, 23, 0, 2, 1, 16, 0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 64, 0x20}, base), nlri10), ibgp, ActionAFISAFIDisable, AttrMPReachNLRI, SubOptionalAttribute, ErrValue},
		{"MP_REACH unknown family, next hop overrun", buildUpdate(nil, cat([]byte{0x90, 14, 0, 6, 0, 25, 65, 40, 1, 2}, aOrigin, aASPath), nil), ibgp, ActionSessionReset, AttrMPReachNLRI, SubOptionalAttribute, ErrLength},
		{"MP_REACH too short for AFI/SAFI", buildUpdate(nil, cat([]byte{0x90, 14, 0, 2, 0, 2}, aOrigin, aASPath), nil), ibgp, ActionSessionReset, AttrMPReachNLRI, SubOptionalAttribute, ErrLength},
		{"MP_UNREACH NLRI overrun", buildUpdate(nil, []byte{0x90, 15, 0, 5, 0, 2, 1, 64, 0x20}, nil), ibgp, ActionAFISAFIDisable, AttrMPUnreachNLRI, SubOptionalAttribute, ErrValue},
		{"MP_REACH repeated", buildUpdate(nil, cat(mpV6, mpV6, aOrigin, aASPath), nil), ibgp, ActionSessionReset, AttrMPReachNLRI, SubMalformedAttributeList, ErrDuplicate},
		{"MP_UNREACH short", buildUpdate(nil, []byte{0x80, 15, 2, 0, 2}, nil), ibgp, ActionSessionReset, AttrMPUnreachNLRI, SubOptionalAttribute, ErrLength},
		{"IPv4 over IPv6 next hop not negotiated", buildUpdate(nil, cat([]byte{0x90, 14, 0, 23, 0, 1, 1, 16, 0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 8, 10}, aOrigin, aASPath), nil), ibgp, ActionAFISAFIDisable, AttrMPReachNLRI, SubOptionalAttribute, ErrLength},
		{"IPv4 over IPv6 next hop", buildUpdate(nil, cat([]byte{0x90, 14, 0, 23, 0, 1, 1, 16, 0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 8, 10}, aOrigin, aASPath), nil), &DecodeOptions{AS4: true, ExtendedNextHop: FamilySet(0).With(IPv4Unicast)}, ActionNone, 0, 0, nil},
		{"withdrawn length overrun", buildUpdate([]byte{8, 10}, nil, nil)[:21], ibgp, ActionSessionReset, 0, SubMalformedAttributeList, ErrLength},
		{"NLRI prefix length 33", buildUpdate(nil, base, []byte{33, 1, 2, 3, 4, 5}), ibgp, ActionSessionReset, 0, SubInvalidNetworkField, ErrValue},
		{"NLRI overrun", buildUpdate(nil, base, []byte{24, 1, 2}), ibgp, ActionSessionReset, 0, SubInvalidNetworkField, ErrValue},
		{"withdrawn prefix overrun", buildUpdate([]byte{16, 1}, nil, nil), ibgp, ActionSessionReset, 0, SubInvalidNetworkField, ErrValue},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg := c.msg
			if c.name == "withdrawn length overrun" {
				msg = append(msg, 0) // 22 bytes: too short for the attribute length
				binary.BigEndian.PutUint16(msg[16:], uint16(len(msg)))
				msg = append(msg, 0)
				binary.BigEndian.PutUint16(msg[16:], uint16(len(msg)))
				msg[20] = 200
			}
			u, err := ParseUpdate(msg, c.opts)
			action := u.Action()
			if err != nil {
				action = ActionSessionReset
			} else {
				err = u.Err()
			}
			if action != c.action {
				t.Fatalf("action %v, want %v (err %v)", action, c.action, err)
			}
			if c.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
			if e.Attr != c.attr || e.Subcode != c.sub || e.Msg != TypeUpdate {
				t.Fatalf("error %+v: want attribute %v subcode %d", e, c.attr, c.sub)
			}
			if e.Action == ActionSessionReset && e.Notification().Code != CodeUpdate {
				t.Fatalf("notification %v", e.Notification())
			}
			if (action == ActionAFISAFIDisable) != e.Family.Known() {
				t.Fatalf("family %v for %v", e.Family, c.attr)
			}
			if action == ActionAFISAFIDisable {
				if !u.Disable().Has(e.Family) {
					t.Fatalf("Disable() = %b, want %v", u.Disable(), e.Family)
				}
				for f, p := range u.Reachable() {
					t.Fatalf("AFI/SAFI disable but %v %v reachable", f, p)
				}
				for f, p := range u.Unreachable() {
					if f == e.Family {
						t.Fatalf("prefix %v of the disabled family yielded", p)
					}
				}
			}
			if e.Offset < 0 || e.Offset > len(msg) {
				t.Fatalf("offset %d outside message of %d", e.Offset, len(msg))
			}
			if action == ActionTreatAsWithdraw {
				for f, p := range u.Reachable() {
					t.Fatalf("treat-as-withdraw but %v %v reachable", f, p)
				}
				n := 0
				for range u.Unreachable() {
					n++
				}
				if n == 0 {
					t.Fatal("treat-as-withdraw withdrew nothing")
				}
			}
			if action == ActionAttributeDiscard {
				seen := 0
				for a := range u.Attrs() {
					if a.Type == c.attr {
						seen++
					}
				}
				if c.want == ErrDuplicate && seen != 1 || c.want != ErrDuplicate && seen != 0 {
					t.Fatalf("%v seen %d times after discard", c.attr, seen)
				}
			}
		})
	}
}

// TestAttributeErrorData checks the NOTIFICATION Data field of RFC 4271
// section 6.3: the erroneous attribute (type, length and value).
func TestAttributeErrorData(t *testing.T) {
	bad := []byte{0x40, 1, 1, 7}
	u, err := ParseUpdate(buildUpdate(nil, cat(bad, aASPath, aNextHop), nlri10), nil)
	if err != nil {
		t.Fatal(err)
	}
	var e *Error
	if !errors.As(u.Err(), &e) || string(e.Data) != string(bad) || e.Offset != 23 {
		t.Fatalf("%+v", e)
	}
}

func TestReconcileAS4Path(t *testing.T) {
	seg2 := func(typ SegmentType, asns ...uint16) []byte {
		b := []byte{byte(typ), byte(len(asns))}
		for _, a := range asns {
			b = binary.BigEndian.AppendUint16(b, a)
		}
		return b
	}
	seg4 := func(typ SegmentType, asns ...uint32) []byte {
		b := []byte{byte(typ), byte(len(asns))}
		for _, a := range asns {
			b = binary.BigEndian.AppendUint32(b, a)
		}
		return b
	}
	cases := []struct {
		name            string
		asPath, as4Path []byte
		want            []byte
	}{
		{"RFC 6793 merge", seg2(ASSequence, 100, ASTrans, 200), seg4(ASSequence, 4200000000, 200),
			seg4(ASSequence, 100, 4200000000, 200)},
		{"AS4_PATH longer is ignored", seg2(ASSequence, 100), seg4(ASSequence, 1, 2),
			seg4(ASSequence, 100)},
		{"leading confed kept", cat(seg2(ASConfedSequence, 65001), seg2(ASSequence, ASTrans)), seg4(ASSequence, 4200000000),
			cat(seg4(ASConfedSequence, 65001), seg4(ASSequence, 4200000000))},
		{"set counts one", cat(seg2(ASSequence, 1, 2), seg2(ASSet, 3, 4)), seg4(ASSet, 3, 4),
			cat(seg4(ASSequence, 1, 2), seg4(ASSet, 3, 4))},
	}
	for _, c := range cases {
		got := ReconcileAS4Path(nil, ASPathFrom(c.asPath, false), ASPathFrom(c.as4Path, true))
		if string(got) != string(c.want) {
			t.Errorf("%s: got % x, want % x", c.name, got, c.want)
		}
	}
}

// TestUnknownAttributePassedOn: an unknown optional transitive attribute is
// kept with the Partial bit set and its unused flag bits cleared; an unknown
// optional non-transitive one is dropped (RFC 4271 section 5).
func TestUnknownAttributePassedOn(t *testing.T) {
	msg := buildUpdate(nil, cat(base, []byte{0xc3, 99, 2, 1, 2}, []byte{0x80, 98, 1, 7}), nlri10)
	u, err := ParseUpdate(msg, &DecodeOptions{AS4: true})
	if err != nil || u.Action() != ActionNone {
		t.Fatal(err, u.Err())
	}
	at := u.Attributes()
	if len(at.Unknown) != 1 || at.Unknown[0].Type != 99 || at.Unknown[0].Flags != FlagOptional|FlagTransitive|FlagPartial ||
		string(at.Unknown[0].Value) != "\x01\x02" {
		t.Fatalf("unknown = %+v", at.Unknown)
	}
	out, _, err := (&UpdateBuilder{Family: IPv4Unicast, Attrs: &at, NLRI: []NLRI{{Prefix: netip.MustParsePrefix("10.0.0.0/8")}}}).Append(nil, &EncodeOptions{AS4: true})
	if err != nil || !bytes.Contains(out, []byte{0xe0, 99, 2, 1, 2}) {
		t.Fatalf("% x %v", out, err)
	}
}

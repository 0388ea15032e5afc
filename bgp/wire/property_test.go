package wire

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"
)

var cmpOpts = []cmp.Option{
	cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
}

func genAddr4(t *rapid.T, label string) netip.Addr {
	return netip.AddrFrom4([4]byte(rapid.SliceOfN(rapid.Byte(), 4, 4).Draw(t, label)))
}

func genPrefix(t *rapid.T, fam Family, label string) netip.Prefix {
	bits := rapid.IntRange(0, fam.addrLen()*8).Draw(t, label+"-bits")
	raw := rapid.SliceOfN(rapid.Byte(), fam.addrLen(), fam.addrLen()).Draw(t, label)
	var a netip.Addr
	if fam.AFI == AFIIPv6 {
		a = netip.AddrFrom16([16]byte(raw))
	} else {
		a = netip.AddrFrom4([4]byte(raw))
	}
	return netip.PrefixFrom(a, bits).Masked()
}

func genNLRIs(t *rapid.T, fam Family, addPath bool, max int, label string) []NLRI {
	n := rapid.IntRange(0, max).Draw(t, label+"-n")
	out := make([]NLRI, n)
	for i := range out {
		out[i].Prefix = genPrefix(t, fam, label)
		if addPath {
			out[i].PathID = rapid.Uint32().Draw(t, label+"-id")
		}
	}
	return out
}

func genSegments(t *rapid.T, as4 bool) []Segment {
	var segs []Segment
	if rapid.Bool().Draw(t, "confed") {
		segs = append(segs, Segment{Type: ASConfedSequence,
			ASNs: rapid.SliceOfN(rapid.Uint32Range(64512, 65534), 1, 4).Draw(t, "confed-asns")})
	}
	asn := rapid.Uint32()
	if rapid.Bool().Draw(t, "small-asns") {
		asn = rapid.Uint32Range(1, 65535)
	}
	for range rapid.IntRange(0, 3).Draw(t, "nseg") {
		typ := rapid.SampledFrom([]SegmentType{ASSequence, ASSequence, ASSet}).Draw(t, "segtype")
		segs = append(segs, Segment{Type: typ, ASNs: rapid.SliceOfN(asn, 1, 300).Draw(t, "asns")})
		if typ == ASSet && len(segs[len(segs)-1].ASNs) > 255 {
			segs[len(segs)-1].ASNs = segs[len(segs)-1].ASNs[:255]
		}
	}
	// The encoder splits long sequences into 255-AS segments; the decoder
	// sees the split form, so generate it that way.
	var out []Segment
	for _, s := range segs {
		for len(s.ASNs) > 255 {
			out = append(out, Segment{Type: s.Type, ASNs: s.ASNs[:255]})
			s.ASNs = s.ASNs[255:]
		}
		out = append(out, s)
	}
	return out
}

func genAttributes(t *rapid.T, fam Family, as4 bool, nhFam AFI) *Attributes {
	at := &Attributes{
		Origin: Origin(rapid.IntRange(0, 2).Draw(t, "origin")),
		ASPath: genSegments(t, as4),
	}
	if nhFam == AFIIPv4 {
		at.NextHop = genAddr4(t, "nh")
		for at.NextHop.IsUnspecified() || at.NextHop.IsMulticast() || at.NextHop == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
			at.NextHop = genAddr4(t, "nh")
		}
	} else {
		at.NextHop = netip.AddrFrom16([16]byte(rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, "nh6")))
		if at.NextHop.Is4In6() {
			at.NextHop = netip.MustParseAddr("2001:db8::1")
		}
		if rapid.Bool().Draw(t, "ll") {
			at.LinkLocal = netip.MustParseAddr("fe80::1")
		}
	}
	if rapid.Bool().Draw(t, "med") {
		at.MED, at.HasMED = rapid.Uint32().Draw(t, "medv"), true
	}
	if rapid.Bool().Draw(t, "lp") {
		at.LocalPref, at.HasLocalPref = rapid.Uint32().Draw(t, "lpv"), true
	}
	at.AtomicAggregate = rapid.Bool().Draw(t, "atomic")
	if rapid.Bool().Draw(t, "agg") {
		at.Aggregator = Aggregator{ASN: rapid.Uint32().Draw(t, "aggas"), Addr: genAddr4(t, "aggaddr")}
		if !as4 && at.Aggregator.ASN <= 0xffff && needsAS4Path(at.ASPath) {
			// RFC 6793 4.2.3: an AGGREGATOR with a 2-octet AS voids
			// AS4_PATH, so such a path does not survive a 2-octet
			// session. Keep to paths that do.
			at.Aggregator.ASN += 0x10000
		}
	}
	for range rapid.IntRange(0, 3).Draw(t, "ncomm") {
		at.Communities = append(at.Communities, Community(rapid.Uint32().Draw(t, "comm")))
	}
	if rapid.Bool().Draw(t, "orig") {
		at.OriginatorID = genAddr4(t, "origid")
	}
	for range rapid.IntRange(0, 2).Draw(t, "ncl") {
		at.ClusterList = append(at.ClusterList, genAddr4(t, "cl"))
	}
	for range rapid.IntRange(0, 2).Draw(t, "next") {
		at.ExtendedCommunities = append(at.ExtendedCommunities, ExtendedCommunity(rapid.SliceOfN(rapid.Byte(), 8, 8).Draw(t, "ext")))
	}
	for range rapid.IntRange(0, 2).Draw(t, "nlarge") {
		at.LargeCommunities = append(at.LargeCommunities, LargeCommunity{rapid.Uint32().Draw(t, "g"), rapid.Uint32().Draw(t, "l1"), rapid.Uint32().Draw(t, "l2")})
	}
	if rapid.Bool().Draw(t, "unknown") {
		at.Unknown = []RawAttr{{Flags: FlagOptional | FlagTransitive | FlagPartial,
			Type: AttrType(rapid.IntRange(33, 255).Draw(t, "utype")), Value: rapid.SliceOfN(rapid.Byte(), 0, 300).Draw(t, "uval")}}
	}
	return at
}

// splitMessages cuts a run of back-to-back messages.
func splitMessages(t *rapid.T, b []byte, max int) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		h, err := ParseHeader(b, max)
		if err != nil {
			t.Fatalf("header: %v", err)
		}
		out = append(out, b[:h.Length])
		b = b[h.Length:]
	}
	return out
}

// TestUpdateRoundTrip: random attributes and prefix sets of every family,
// with and without ADD-PATH, 4-octet AS and extended messages, survive
// UpdateBuilder -> ParseUpdate unchanged, split over as many messages as
// needed, each within the maximum size.
func TestUpdateRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		fam := rapid.SampledFrom([]Family{IPv4Unicast, IPv6Unicast, IPv4Multicast}).Draw(t, "family")
		as4 := rapid.Bool().Draw(t, "as4")
		addPath := rapid.Bool().Draw(t, "addpath")
		ext := rapid.Bool().Draw(t, "extmsg")
		nhAFI := fam.AFI
		eo := EncodeOptions{AS4: as4, ExtendedMessage: ext}
		do := DecodeOptions{AS4: as4, ExtendedMessage: ext}
		if fam == IPv4Unicast && rapid.Bool().Draw(t, "v6nexthop") {
			nhAFI = AFIIPv6
			eo.ExtendedNextHop = eo.ExtendedNextHop.With(fam)
			do.ExtendedNextHop = do.ExtendedNextHop.With(fam)
		}
		if addPath {
			eo.AddPath = eo.AddPath.With(fam)
			do.AddPath = do.AddPath.With(fam)
		}
		b := UpdateBuilder{
			Family:    fam,
			Attrs:     genAttributes(t, fam, as4, nhAFI),
			NLRI:      genNLRIs(t, fam, addPath, 1200, "nlri"),
			Withdrawn: genNLRIs(t, fam, addPath, 1200, "withdrawn"),
		}
		out, n, err := b.Append([]byte("prefix"), &eo)
		if err != nil {
			t.Fatal(err)
		}
		if string(out[:6]) != "prefix" {
			t.Fatal("dst prefix overwritten")
		}
		msgs := splitMessages(t, out[6:], eo.maxLen())
		if len(msgs) != n {
			t.Fatalf("%d messages, reported %d", len(msgs), n)
		}
		var gotNLRI, gotWithdrawn []NLRI
		for _, m := range msgs {
			u, err := ParseUpdate(m, &do)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if u.Action() != ActionNone {
				t.Fatalf("action %v: %v", u.Action(), u.Err())
			}
			for f, p := range u.Reachable() {
				if f != fam {
					t.Fatalf("family %v", f)
				}
				gotNLRI = append(gotNLRI, p)
			}
			for f, p := range u.Unreachable() {
				if f != fam {
					t.Fatalf("family %v", f)
				}
				gotWithdrawn = append(gotWithdrawn, p)
			}
			if _, ok := u.MPReach(); ok || len(u.nlri) > 0 {
				if diff := cmp.Diff(*b.Attrs, u.Attributes(), cmpOpts...); diff != "" {
					t.Fatalf("attributes (-want +got):\n%s", diff)
				}
			}
		}
		if diff := cmp.Diff(b.NLRI, gotNLRI, cmpOpts...); diff != "" {
			t.Fatalf("NLRI (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(b.Withdrawn, gotWithdrawn, cmpOpts...); diff != "" {
			t.Fatalf("withdrawn (-want +got):\n%s", diff)
		}
	})
}

func TestOpenRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		famGen := rapid.Custom(func(t *rapid.T) Family {
			return Family{AFI(rapid.Uint16().Draw(t, "afi")), SAFI(rapid.Byte().Draw(t, "safi"))}
		})
		o := Open{
			ASN:      rapid.Uint32Range(1, 65535).Draw(t, "asn"),
			HoldTime: rapid.SampledFrom([]uint16{0, 3, 90, 180, 65535}).Draw(t, "hold"),
			RouterID: genAddr4(t, "id"),
		}
		for o.RouterID.IsUnspecified() {
			o.RouterID = genAddr4(t, "id")
		}
		c := &o.Capabilities
		c.FourOctetAS = rapid.Bool().Draw(t, "as4")
		if c.FourOctetAS {
			o.ASN = rapid.Uint32().Draw(t, "asn4")
		}
		c.Multiprotocol = rapid.SliceOfN(famGen, 0, 70).Draw(t, "mp")
		c.RouteRefresh = rapid.Bool().Draw(t, "rr")
		c.EnhancedRouteRefresh = rapid.Bool().Draw(t, "err")
		c.ExtendedMessage = rapid.Bool().Draw(t, "ext")
		if rapid.Bool().Draw(t, "gr") {
			g := &GracefulRestart{Restarting: rapid.Bool().Draw(t, "r"), Notification: rapid.Bool().Draw(t, "n"),
				Time: rapid.Uint16Range(0, 4095).Draw(t, "time")}
			for _, f := range rapid.SliceOfN(famGen, 0, 4).Draw(t, "grf") {
				g.Families = append(g.Families, GracefulRestartFamily{f, rapid.Bool().Draw(t, "fp")})
			}
			c.GracefulRestart = g
		}
		for _, f := range rapid.SliceOfN(famGen, 0, 4).Draw(t, "ap") {
			c.AddPath = append(c.AddPath, AddPathFamily{f, AddPathMode(rapid.IntRange(1, 3).Draw(t, "mode"))})
		}
		for _, f := range rapid.SliceOfN(famGen, 0, 3).Draw(t, "enh") {
			c.ExtendedNextHop = append(c.ExtendedNextHop, ExtendedNextHop{f, AFIIPv6})
		}
		if rapid.Bool().Draw(t, "unknown") {
			c.Unknown = []RawCapability{{Code: CapabilityCode(rapid.IntRange(128, 255).Draw(t, "code")),
				Value: rapid.SliceOfN(rapid.Byte(), 0, 20).Draw(t, "val")}}
		}
		b, err := o.Append(nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseOpen(b)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(o, got, cmpOpts...); diff != "" {
			t.Fatalf("(-want +got):\n%s", diff)
		}
	})
}

func TestSmallMessagesRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := Notification{Code: ErrorCode(rapid.IntRange(1, 7).Draw(t, "code")), Subcode: rapid.Byte().Draw(t, "sub"),
			Data: rapid.SliceOfN(rapid.Byte(), 0, 100).Draw(t, "data")}
		got, err := ParseNotification(n.Append(nil))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(n, got, cmpOpts...); diff != "" {
			t.Fatalf("notification (-want +got):\n%s", diff)
		}
		r := RouteRefresh{Family: Family{AFI(rapid.Uint16().Draw(t, "afi")), SAFI(rapid.Byte().Draw(t, "safi"))},
			Subtype: rapid.Byte().Draw(t, "subtype")}
		if r.Subtype == RefreshNormal {
			r.ORF = rapid.SliceOfN(rapid.Byte(), 0, 20).Draw(t, "orf")
		}
		rb, err := r.Append(nil)
		if err != nil {
			t.Fatal(err)
		}
		gotR, err := ParseRouteRefresh(rb, MaxMessageLen)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(r, gotR, cmpOpts...); diff != "" {
			t.Fatalf("route refresh (-want +got):\n%s", diff)
		}
		msg := rapid.StringN(0, 300, -1).Draw(t, "shutdown")
		s := NewShutdown(SubAdministrativeShutdown, msg)
		got, err = ParseNotification(s.Append(nil))
		if err != nil {
			t.Fatal(err)
		}
		m, ok := got.ShutdownMessage()
		if msg != "" && (!ok || len(m) > 255 || msg[:len(m)] != m) {
			t.Fatalf("shutdown %q -> %q %v", msg, m, ok)
		}
	})
}

// TestEndOfRIB checks the markers of RFC 4724 section 2.
func TestEndOfRIB(t *testing.T) {
	for _, f := range []Family{IPv4Unicast, IPv6Unicast} {
		u, err := ParseUpdate(AppendEndOfRIB(nil, f), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := u.EndOfRIB(); !ok || got != f {
			t.Errorf("%v: EndOfRIB = %v %v", f, got, ok)
		}
	}
}

// TestCorruptedUpdate: any corruption of a valid UPDATE decodes to a
// usable view or to typed errors that point inside the message, never to a
// panic; each error names the attribute when it is about one.
func TestCorruptedUpdate(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		fam := rapid.SampledFrom([]Family{IPv4Unicast, IPv6Unicast}).Draw(t, "family")
		o := EncodeOptions{AS4: rapid.Bool().Draw(t, "as4")}
		d := DecodeOptions{AS4: o.AS4, EBGP: rapid.Bool().Draw(t, "ebgp")}
		b := UpdateBuilder{Family: fam, Attrs: genAttributes(t, fam, o.AS4, fam.AFI), NLRI: genNLRIs(t, fam, false, 20, "nlri")}
		if len(b.NLRI) == 0 {
			b.NLRI = []NLRI{{Prefix: genPrefix(t, fam, "p")}}
		}
		out, _, err := b.Append(nil, &o)
		if err != nil {
			t.Fatal(err)
		}
		h, _ := ParseHeader(out, MaxMessageLen)
		msg := out[:h.Length]
		for range rapid.IntRange(1, 4).Draw(t, "flips") {
			i := rapid.IntRange(HeaderLen, len(msg)-1).Draw(t, "at")
			msg[i] = rapid.Byte().Draw(t, "value")
		}
		checkErr := func(err error) {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("untyped error %v", err)
			}
			if e.Offset < 0 || e.Offset > len(msg) || e.Code == 0 || e.Field == "" {
				t.Fatalf("error %+v outside the message of %d bytes", e, len(msg))
			}
		}
		u, err := ParseUpdate(msg, &d)
		if err != nil {
			checkErr(err)
			return
		}
		if u.Action() != ActionNone {
			checkErr(u.Err())
		}
		walkUpdate(&u)
	})
}

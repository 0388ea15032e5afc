package wire

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// seedMessages are the hand-written captures plus encoder output.
func seedMessages(f *testing.F) [][]byte {
	seeds := [][]byte{}
	for _, h := range []string{keepaliveHex, openHex, updateHex, withdrawHex, updateV6Hex, notificationHex, routeRefreshHex} {
		seeds = append(seeds, mustHex(f, h))
	}
	for _, c := range loadCaptures(f) {
		seeds = append(seeds, c.msg)
	}
	at := &Attributes{
		Origin:      OriginIGP,
		ASPath:      []Segment{{ASSequence, []uint32{65001, 4200000000}}},
		NextHop:     netip.MustParseAddr("192.0.2.1"),
		Communities: []Community{CommunityNoExport},
		Aggregator:  Aggregator{ASN: 4200000001, Addr: netip.MustParseAddr("192.0.2.2")},
		Unknown:     []RawAttr{{FlagOptional | FlagTransitive, 99, []byte{1, 2, 3}}},
	}
	b := UpdateBuilder{Family: IPv4Unicast, Attrs: at,
		NLRI:      []NLRI{{1, netip.MustParsePrefix("10.0.0.0/8")}},
		Withdrawn: []NLRI{{2, netip.MustParsePrefix("10.1.0.0/16")}}}
	for _, o := range []EncodeOptions{{}, {AS4: true, AddPath: FamilySet(0).With(IPv4Unicast)}} {
		out, _, err := b.Append(nil, &o)
		if err != nil {
			f.Fatal(err)
		}
		for len(out) > 0 {
			h, _ := ParseHeader(out, MaxMessageLen)
			seeds = append(seeds, out[:h.Length])
			out = out[h.Length:]
		}
	}
	v6 := *at
	v6.NextHop, v6.LinkLocal = netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("fe80::1")
	b6 := UpdateBuilder{Family: IPv6Unicast, Attrs: &v6, NLRI: []NLRI{{7, netip.MustParsePrefix("2001:db8::/32")}}}
	out, _, _ := b6.Append(nil, &EncodeOptions{AS4: true, AddPath: FamilySet(0).With(IPv6Unicast)})
	seeds = append(seeds, out, AppendEndOfRIB(nil, IPv6Unicast))
	return seeds
}

var fuzzDecodeOptions = []DecodeOptions{
	{},
	{AS4: true},
	{AS4: true, AddPath: FamilySet(0).With(IPv4Unicast).With(IPv6Unicast), ExtendedMessage: true},
	{EBGP: true, ExtendedNextHop: FamilySet(0).With(IPv4Unicast), LocalAddr: netip.MustParseAddr("192.0.2.1")},
}

// walkUpdate touches every view of a decoded UPDATE.
func walkUpdate(u *Update) int {
	n := 0
	for range u.Reachable() {
		n++
	}
	for range u.Unreachable() {
		n++
	}
	for a := range u.Attrs() {
		n += int(a.Origin()) + int(a.Uint32()&1) + a.ASPath().Len() + a.Communities().Len()
		for s := range a.ASPath().Segments() {
			for range s.ASNs() {
				n++
			}
		}
		for range a.ClusterList().All() {
			n++
		}
		for range a.ExtendedCommunities().All() {
			n++
		}
		for range a.LargeCommunities().All() {
			n++
		}
		if m, ok := a.MPReach(); ok {
			for range m.NLRI() {
				n++
			}
		}
		if m, ok := a.MPUnreach(); ok {
			for range m.NLRI() {
				n++
			}
		}
		_ = a.Aggregator()
		_ = a.NextHop()
	}
	u.EndOfRIB()
	u.ASPath(nil)
	u.Aggregator()
	_ = u.Attributes()
	return n
}

func FuzzParseHeader(f *testing.F) {
	for _, s := range seedMessages(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b, MaxExtendedMessageLen)
		if err == nil && (int(h.Length) < HeaderLen || h.Type.minLen() == 0) {
			t.Fatalf("accepted %+v", h)
		}
		if _, err := ReadMessage(bytes.NewReader(b), nil, MaxExtendedMessageLen); err == nil && len(b) < HeaderLen {
			t.Fatal("read a message from too few bytes")
		}
	})
}

func FuzzParseUpdate(f *testing.F) {
	for _, s := range seedMessages(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for i := range fuzzDecodeOptions {
			u, err := ParseUpdate(b, &fuzzDecodeOptions[i])
			if err != nil {
				continue
			}
			walkUpdate(&u)
			// RFC 7606 actions: nothing announced once the UPDATE is
			// treated as withdraw or disables a family, and nothing at
			// all of a disabled family.
			if (u.Action() >= ActionTreatAsWithdraw) != (u.Action() >= ActionTreatAsWithdraw && u.Err() != nil) {
				t.Fatalf("action %v without an error", u.Action())
			}
			if (u.Disable() != 0) != (u.Action() == ActionAFISAFIDisable) {
				t.Fatalf("action %v, disabled families %b", u.Action(), u.Disable())
			}
			for f, p := range u.Reachable() {
				if u.Action() >= ActionTreatAsWithdraw {
					t.Fatalf("%v %v announced under %v", f, p, u.Action())
				}
			}
			for f, p := range u.Unreachable() {
				if u.Disable().Has(f) {
					t.Fatalf("%v %v of a disabled family withdrawn", f, p)
				}
			}
		}
	})
}

func FuzzParseOpen(f *testing.F) {
	for _, s := range seedMessages(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := ParseOpen(b)
		if err != nil {
			return
		}
		// What decodes re-encodes to something that decodes the same.
		if !o.FourOctetAS && o.ASN > 0xffff {
			t.Fatal("2-octet AS above 65535")
		}
		enc, err := o.Append(nil)
		if err != nil {
			return // e.g. capabilities too large to re-encode in 4096 bytes
		}
		o2, err := ParseOpen(enc)
		if err != nil {
			t.Fatalf("re-encoded OPEN: %v", err)
		}
		if diff := cmp.Diff(o, o2, cmpOpts...); diff != "" {
			t.Fatalf("(-first +second):\n%s", diff)
		}
	})
}

func FuzzParseNotification(f *testing.F) {
	for _, s := range seedMessages(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := ParseNotification(b)
		if err != nil {
			return
		}
		n.ShutdownMessage()
		_ = n.String()
		if !bytes.Equal(n.Append(nil), b) {
			t.Fatal("NOTIFICATION does not re-encode to the same bytes")
		}
	})
}

func FuzzParseRouteRefresh(f *testing.F) {
	for _, s := range seedMessages(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRouteRefresh(b, MaxExtendedMessageLen)
		if err != nil {
			return
		}
		enc, err := r.Append(nil)
		if err != nil || !bytes.Equal(enc, b) {
			t.Fatalf("ROUTE-REFRESH does not re-encode to the same bytes: %v", err)
		}
	})
}

func FuzzParseKeepalive(f *testing.F) {
	for _, s := range seedMessages(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if ParseKeepalive(b) == nil && !bytes.Equal(b, AppendKeepalive(nil)) {
			t.Fatal("accepted a KEEPALIVE that is not the one")
		}
	})
}

// FuzzAttr feeds one path attribute (flags, type, length, value) to the
// attribute validation of every option set and to every typed accessor.
func FuzzAttr(f *testing.F) {
	for _, s := range seedMessages(f) {
		if h, err := ParseHeader(s, MaxMessageLen); err == nil && h.Type == TypeUpdate {
			if u, err := ParseUpdate(s, &DecodeOptions{AS4: true}); err == nil {
				for a := range u.Attrs() {
					f.Add(appendAttr(nil, a.Flags, a.Type, a.Value))
				}
			}
		}
	}
	f.Add([]byte{0x40, 2, 7, 2, 1, 0, 0, 0, 1, 2})
	f.Add([]byte{0x90, 14, 0, 4, 0, 2, 1, 40})
	f.Fuzz(func(t *testing.T, b []byte) {
		for i := range fuzzDecodeOptions {
			msg := buildUpdate(nil, append(append([]byte(nil), base...), b...), nlri10)
			if len(msg) > MaxExtendedMessageLen {
				return
			}
			u, err := ParseUpdate(msg, &fuzzDecodeOptions[i])
			if err != nil {
				continue
			}
			walkUpdate(&u)
		}
		a, n := readAttr(b)
		if n > 0 {
			a.as4 = true
			_ = a.Aggregator()
			for s := range a.ASPath().Segments() {
				_ = s.Value()
			}
		}
	})
}

// FuzzReconcileAS4Path: reconciliation never panics and always yields a
// well-formed 4-octet AS_PATH when AS_PATH is well formed.
func FuzzReconcileAS4Path(f *testing.F) {
	f.Add([]byte{2, 3, 0, 100, 0x5b, 0xa0, 0, 200}, []byte{2, 2, 0xfa, 0x56, 0xea, 0, 0, 0, 0, 200})
	f.Add([]byte{3, 1, 0xfd, 0xe9, 2, 1, 0x5b, 0xa0}, []byte{2, 1, 0xfa, 0x56, 0xea, 0})
	f.Fuzz(func(t *testing.T, p2, p4 []byte) {
		as, as4 := ASPathFrom(p2, false), ASPathFrom(p4, true)
		out := ReconcileAS4Path(nil, as, as4)
		if bad, _ := as.check(); bad >= 0 {
			return
		}
		got := ASPathFrom(out, true)
		if bad, _ := got.check(); bad >= 0 {
			t.Fatalf("malformed result % x", out)
		}
		if got.Len() != as.Len() {
			t.Fatalf("path length %d, AS_PATH had %d", got.Len(), as.Len())
		}
	})
}

// FuzzNLRI: whatever checkPrefixes accepts, prefixes decodes completely.
func FuzzNLRI(f *testing.F) {
	f.Add([]byte{8, 10, 16, 10, 1, 32, 1, 2, 3, 4}, false, false)
	f.Add([]byte{0, 0, 0, 1, 24, 192, 0, 2}, true, false)
	f.Add([]byte{48, 0x20, 1, 0x0d, 0xb8, 0, 1}, false, true)
	f.Fuzz(func(t *testing.T, b []byte, addPath, v6 bool) {
		fam := IPv4Unicast
		if v6 {
			fam = IPv6Unicast
		}
		if checkPrefixes(b, fam, addPath) >= 0 {
			return
		}
		var enc []byte
		for p := range prefixes(b, fam, addPath) {
			if !p.Prefix.IsValid() {
				t.Fatal("invalid prefix")
			}
			enc = p.Append(enc, addPath)
		}
		if len(enc) != len(b) {
			t.Fatalf("decoded %d of %d bytes", len(enc), len(b))
		}
	})
}

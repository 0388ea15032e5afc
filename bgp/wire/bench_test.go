package wire

import (
	"net/netip"
	"testing"
)

// benchUpdate builds one UPDATE announcing n prefixes of fam with a
// realistic attribute set (ORIGIN, a 4-AS path, next hop, MED, LOCAL_PREF,
// two communities, one large community).
//
// IPv4 prefixes are /24s, or with mixed set, a cycle of eight lengths from
// /16 to /32 so that no two neighbours share a length (the worst case for
// checkPrefixes' guess).
func benchUpdate(tb testing.TB, fam Family, n int, addPath bool, mixed ...bool) ([]byte, *DecodeOptions) {
	at := &Attributes{
		Origin:           OriginIGP,
		ASPath:           []Segment{{ASSequence, []uint32{65001, 3356, 1299, 4200000001}}},
		NextHop:          netip.MustParseAddr("192.0.2.1"),
		MED:              10,
		HasMED:           true,
		LocalPref:        100,
		HasLocalPref:     true,
		Communities:      []Community{0xfde90064, 0xfde900c8},
		LargeCommunities: []LargeCommunity{{4200000001, 1, 2}},
	}
	if fam.AFI == AFIIPv6 {
		at.NextHop, at.LinkLocal = netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("fe80::1")
	}
	nlri := make([]NLRI, n)
	for i := range nlri {
		if fam.AFI == AFIIPv6 {
			nlri[i] = NLRI{uint32(i + 1), netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(i >> 8), byte(i)}), 48)}
		} else {
			bits := 24
			if len(mixed) > 0 && mixed[0] {
				bits = [...]int{24, 22, 32, 23, 16, 28, 21, 30}[i%8]
			}
			nlri[i] = NLRI{uint32(i + 1), netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 0}), bits).Masked()}
		}
	}
	o := EncodeOptions{AS4: true}
	d := &DecodeOptions{AS4: true}
	if addPath {
		o.AddPath = o.AddPath.With(fam)
		d.AddPath = d.AddPath.With(fam)
	}
	b := UpdateBuilder{Family: fam, Attrs: at, NLRI: nlri}
	msg, count, err := b.Append(nil, &o)
	if err != nil || count != 1 {
		tb.Fatalf("%d messages: %v", count, err)
	}
	return msg, d
}

// consume is what "decoded" means in the benchmarks: the UPDATE is
// validated by ParseUpdate (every attribute checked, every prefix length
// checked), then every attribute is read into typed values and every prefix
// is turned into a netip.Prefix, as a RIB would.
func consume(u *Update) (sum uint64) {
	for a := range u.Attrs() {
		switch a.Type {
		case AttrOrigin:
			sum += uint64(a.Origin())
		case AttrASPath:
			for s := range a.ASPath().Segments() {
				for asn := range s.ASNs() {
					sum += uint64(asn)
				}
			}
		case AttrNextHop:
			sum += uint64(a.NextHop().As4()[3])
		case AttrMED, AttrLocalPref:
			sum += uint64(a.Uint32())
		case AttrCommunities:
			for c := range a.Communities().All() {
				sum += uint64(c)
			}
		case AttrLargeCommunities:
			for c := range a.LargeCommunities().All() {
				sum += uint64(c.LocalData2)
			}
		case AttrMPReachNLRI:
			m, _ := a.MPReach()
			sum += uint64(m.NextHop.As16()[15])
		}
	}
	for _, p := range u.Reachable() {
		sum += uint64(p.Prefix.Bits()) + uint64(p.PathID)
	}
	return sum
}

var benchCases = []struct {
	name    string
	fam     Family
	n       int
	addPath bool
	mixed   bool
}{
	{"prefixes=1", IPv4Unicast, 1, false, false},
	{"prefixes=100", IPv4Unicast, 100, false, false},
	{"prefixes=500", IPv4Unicast, 500, false, false},
	{"mixed-lengths/prefixes=500", IPv4Unicast, 500, false, true},
	{"ipv6-addpath/prefixes=100", IPv6Unicast, 100, true, false},
}

var sink uint64

func BenchmarkDecodeUpdate(b *testing.B) {
	for _, c := range benchCases {
		msg, opts := benchUpdate(b, c.fam, c.n, c.addPath, c.mixed)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				u, err := ParseUpdate(msg, opts)
				if err != nil {
					b.Fatal(err)
				}
				sink += consume(&u)
			}
		})
	}
}

func BenchmarkEncodeUpdate(b *testing.B) {
	for _, c := range benchCases {
		msg, opts := benchUpdate(b, c.fam, c.n, c.addPath, c.mixed)
		u, _ := ParseUpdate(msg, opts)
		at := u.Attributes()
		var nlri []NLRI
		for _, p := range u.Reachable() {
			nlri = append(nlri, p)
		}
		eo := EncodeOptions{AS4: true, AddPath: opts.AddPath}
		ub := UpdateBuilder{Family: c.fam, Attrs: &at, NLRI: nlri}
		buf := make([]byte, 0, 2*MaxMessageLen)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				out, _, err := ub.Append(buf[:0], &eo)
				if err != nil || len(out) != len(msg) {
					b.Fatal(err, len(out))
				}
			}
		})
	}
}

// TestZeroAllocs holds UPDATE decoding (parse, validate, iterate every
// attribute and prefix) and encoding into a big enough buffer at zero
// allocations.
func TestZeroAllocs(t *testing.T) {
	for _, c := range benchCases {
		msg, opts := benchUpdate(t, c.fam, c.n, c.addPath, c.mixed)
		if n := testing.AllocsPerRun(100, func() {
			u, err := ParseUpdate(msg, opts)
			if err != nil {
				t.Fatal(err)
			}
			sink += consume(&u)
			for _, p := range u.Unreachable() {
				sink += uint64(p.PathID)
			}
			if m, ok := u.MPReach(); ok {
				for p := range m.NLRI() {
					sink += uint64(p.PathID)
				}
			}
			for p := range u.NLRI() {
				sink += uint64(p.PathID)
			}
			for p := range u.Withdrawn() {
				sink += uint64(p.PathID)
			}
			if p, ok := u.Attr(AttrASPath); ok {
				sink += uint64(p.ASPath().Len())
			}
		}); n != 0 {
			t.Errorf("decode %s: %v allocations", c.name, n)
		}
		u, _ := ParseUpdate(msg, opts)
		at := u.Attributes()
		var nlri []NLRI
		for _, p := range u.Reachable() {
			nlri = append(nlri, p)
		}
		ub := UpdateBuilder{Family: c.fam, Attrs: &at, NLRI: nlri}
		eo := EncodeOptions{AS4: true, AddPath: opts.AddPath}
		buf := make([]byte, 0, 2*MaxMessageLen)
		if n := testing.AllocsPerRun(100, func() {
			if _, _, err := ub.Append(buf[:0], &eo); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("encode %s: %v allocations", c.name, n)
		}
	}
	// The AS4 reconciliation into a scratch buffer does not allocate either.
	scratch := make([]byte, 0, 256)
	as2 := ASPathFrom([]byte{2, 3, 0, 100, 0x5b, 0xa0, 0, 200}, false)
	as4 := ASPathFrom([]byte{2, 2, 0xfa, 0x56, 0xea, 0, 0, 0, 0, 200}, true)
	if n := testing.AllocsPerRun(100, func() { scratch = ReconcileAS4Path(scratch[:0], as2, as4) }); n != 0 {
		t.Errorf("ReconcileAS4Path: %v allocations", n)
	}
}

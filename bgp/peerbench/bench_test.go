package peerbench

import (
	"math"
	"net/netip"
	"testing"
	"time"

	gobgp "github.com/osrg/gobgp/v4/pkg/packet/bgp"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// update builds one UPDATE announcing n prefixes with ORIGIN, a 4-AS
// AS_PATH, next hop, MED, LOCAL_PREF, two communities and one large
// community, as 4-octet-AS speakers exchange them.
func update(tb testing.TB, fam wire.Family, n int, addPath bool) ([]byte, *wire.DecodeOptions, *gobgp.MarshallingOption) {
	at := &wire.Attributes{
		Origin:           wire.OriginIGP,
		ASPath:           []wire.Segment{{Type: wire.ASSequence, ASNs: []uint32{65001, 3356, 1299, 4200000001}}},
		NextHop:          netip.MustParseAddr("192.0.2.1"),
		MED:              10,
		HasMED:           true,
		LocalPref:        100,
		HasLocalPref:     true,
		Communities:      []wire.Community{0xfde90064, 0xfde900c8},
		LargeCommunities: []wire.LargeCommunity{{GlobalAdmin: 4200000001, LocalData1: 1, LocalData2: 2}},
	}
	if fam.AFI == wire.AFIIPv6 {
		at.NextHop, at.LinkLocal = netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("fe80::1")
	}
	nlri := make([]wire.NLRI, n)
	for i := range nlri {
		if fam.AFI == wire.AFIIPv6 {
			nlri[i] = wire.NLRI{PathID: uint32(i + 1), Prefix: netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(i >> 8), byte(i)}), 48)}
		} else {
			nlri[i] = wire.NLRI{Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 0}), 24)}
		}
	}
	eo := wire.EncodeOptions{AS4: true}
	do := &wire.DecodeOptions{AS4: true}
	gopt := &gobgp.MarshallingOption{}
	if addPath {
		eo.AddPath = eo.AddPath.With(fam)
		do.AddPath = do.AddPath.With(fam)
		gopt.AddPath = map[gobgp.Family]gobgp.BGPAddPathMode{gobgp.RF_IPv6_UC: gobgp.BGP_ADD_PATH_BOTH}
	}
	msg, count, err := (&wire.UpdateBuilder{Family: fam, Attrs: at, NLRI: nlri}).Append(nil, &eo)
	if err != nil || count != 1 {
		tb.Fatalf("%d messages: %v", count, err)
	}
	return msg, do, gopt
}

var cases = []struct {
	name    string
	fam     wire.Family
	n       int
	addPath bool
}{
	{"prefixes=1", wire.IPv4Unicast, 1, false},
	{"prefixes=100", wire.IPv4Unicast, 100, false},
	{"prefixes=500", wire.IPv4Unicast, 500, false},
	{"ipv6-addpath/prefixes=100", wire.IPv6Unicast, 100, true},
}

var sink uint64

// decodeOurs is a real decode: ParseUpdate validates every attribute
// (flags, length, value, duplicates, mandatory set, RFC 7606) and every
// prefix, then every attribute is read into typed values and every prefix
// (NLRI field and MP_REACH_NLRI) into a netip.Prefix and path ID.
func decodeOurs(b []byte, opts *wire.DecodeOptions) (sum uint64, err error) {
	u, err := wire.ParseUpdate(b, opts)
	if err != nil {
		return 0, err
	}
	for a := range u.Attrs() {
		switch a.Type {
		case wire.AttrOrigin:
			sum += uint64(a.Origin())
		case wire.AttrASPath:
			for s := range a.ASPath().Segments() {
				for asn := range s.ASNs() {
					sum += uint64(asn)
				}
			}
		case wire.AttrNextHop:
			sum += uint64(a.NextHop().As4()[3])
		case wire.AttrMED, wire.AttrLocalPref:
			sum += uint64(a.Uint32())
		case wire.AttrCommunities:
			for c := range a.Communities().All() {
				sum += uint64(c)
			}
		case wire.AttrLargeCommunities:
			for c := range a.LargeCommunities().All() {
				sum += uint64(c.LocalData2)
			}
		case wire.AttrMPReachNLRI:
			m, _ := a.MPReach()
			sum += uint64(m.NextHop.As16()[15])
		}
	}
	for _, p := range u.Reachable() {
		sum += uint64(p.Prefix.Bits()) + uint64(p.PathID)
	}
	return sum, nil
}

// decodeGoBGP parses the same bytes with ParseBGPMessage, which builds the
// attribute and prefix objects, and reads the same values from them.
func decodeGoBGP(b []byte, opt *gobgp.MarshallingOption) (sum uint64, err error) {
	m, err := gobgp.ParseBGPMessage(b, opt)
	if err != nil {
		return 0, err
	}
	u := m.Body.(*gobgp.BGPUpdate)
	prefix := func(p gobgp.PathNLRI) {
		if x, ok := p.NLRI.(*gobgp.IPAddrPrefix); ok {
			sum += uint64(x.Prefix.Bits()) + uint64(p.ID)
		}
	}
	for _, a := range u.PathAttributes {
		switch a := a.(type) {
		case *gobgp.PathAttributeOrigin:
			sum += uint64(a.Value)
		case *gobgp.PathAttributeAsPath:
			for _, s := range a.Value {
				for _, asn := range s.GetAS() {
					sum += uint64(asn)
				}
			}
		case *gobgp.PathAttributeNextHop:
			sum += uint64(a.Value.As4()[3])
		case *gobgp.PathAttributeMultiExitDisc:
			sum += uint64(a.Value)
		case *gobgp.PathAttributeLocalPref:
			sum += uint64(a.Value)
		case *gobgp.PathAttributeCommunities:
			for _, c := range a.Value {
				sum += uint64(c)
			}
		case *gobgp.PathAttributeLargeCommunities:
			for _, c := range a.Values {
				sum += uint64(c.LocalData2)
			}
		case *gobgp.PathAttributeMpReachNLRI:
			sum += uint64(a.Nexthop.As16()[15])
			for _, p := range a.Value {
				prefix(p)
			}
		}
	}
	for _, p := range u.NLRI {
		prefix(p)
	}
	return sum, nil
}

// TestSameResult checks both decoders read the same values from the same
// bytes, so the benchmarks compare equal work.
func TestSameResult(t *testing.T) {
	for _, c := range cases {
		msg, do, gopt := update(t, c.fam, c.n, c.addPath)
		ours, err := decodeOurs(msg, do)
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := decodeGoBGP(msg, gopt)
		if err != nil {
			t.Fatal(err)
		}
		if ours != theirs {
			t.Errorf("%s: sdnfabric %d, gobgp %d", c.name, ours, theirs)
		}
	}
}

// batch is how many operations bestLoop times together.
const batch = 16

// bestLoop runs op b.N times and reports, besides ns/op, best-ns/op: the
// time per operation of the fastest batch of 16 in a row. On a shared
// machine ns/op includes whatever time the benchmark spent preempted; the
// fastest batch is what the code itself costs (a little more: the timer
// reads are in it).
func bestLoop(b *testing.B, op func()) {
	best := time.Duration(math.MaxInt64)
	var t0 time.Time
	i := 0
	for b.Loop() {
		if i%batch == 0 {
			t0 = time.Now()
		}
		op()
		i++
		if i%batch == 0 {
			best = min(best, time.Since(t0))
		}
	}
	if i >= batch {
		b.ReportMetric(float64(best.Nanoseconds())/batch, "best-ns/op")
	}
}

func BenchmarkDecodeUpdate(b *testing.B) {
	for _, c := range cases {
		msg, do, gopt := update(b, c.fam, c.n, c.addPath)
		b.Run("impl=sdnfabric/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			bestLoop(b, func() {
				s, err := decodeOurs(msg, do)
				if err != nil {
					b.Fatal(err)
				}
				sink += s
			})
		})
		b.Run("impl=gobgp/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			bestLoop(b, func() {
				s, err := decodeGoBGP(msg, gopt)
				if err != nil {
					b.Fatal(err)
				}
				sink += s
			})
		})
	}
}

// BenchmarkEncodeUpdate encodes the same route set: ours with UpdateBuilder
// into a reused buffer, GoBGP by serializing the message it parsed from
// the same bytes.
func BenchmarkEncodeUpdate(b *testing.B) {
	for _, c := range cases {
		msg, do, gopt := update(b, c.fam, c.n, c.addPath)
		u, err := wire.ParseUpdate(msg, do)
		if err != nil {
			b.Fatal(err)
		}
		at := u.Attributes()
		var nlri []wire.NLRI
		for _, p := range u.Reachable() {
			nlri = append(nlri, p)
		}
		ub := wire.UpdateBuilder{Family: c.fam, Attrs: &at, NLRI: nlri}
		eo := wire.EncodeOptions{AS4: true, AddPath: do.AddPath}
		buf := make([]byte, 0, 2*wire.MaxMessageLen)
		b.Run("impl=sdnfabric/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				if _, _, err := ub.Append(buf[:0], &eo); err != nil {
					b.Fatal(err)
				}
			}
		})
		gm, err := gobgp.ParseBGPMessage(msg, gopt)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("impl=gobgp/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				if _, err := gm.Serialize(gopt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package rib

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

const testASN = 65000

var testRouterID = netip.MustParseAddr("10.255.255.255")

// refPath is a path as the reference decision process sees it.
type refPath struct {
	Peer    PeerID
	PathID  uint32
	ebgp    bool
	weight  uint32
	lp      uint32
	asPath  []uint32
	origin  wire.Origin
	med     uint32
	age     int
	igp     uint32
	rid     netip.Addr
	cluster int
	addr    netip.Addr
	nh      netip.Addr
}

func (p refPath) neighborAS() uint32 {
	if len(p.asPath) == 0 {
		return 0
	}
	return p.asPath[0]
}

// refKeys is the path's key for each step, StepWeight to StepPathID; the
// smallest key wins. MED needs the whole set: a path is out when another
// one with the same earlier keys (and neighbor AS) has a lower MED.
func refKeys(p refPath, all []refPath, o Options) []int64 {
	b := func(x bool) int64 {
		if x {
			return 1
		}
		return 0
	}
	medOut := false
	for _, q := range all {
		if q.weight == p.weight && q.lp == p.lp && len(q.asPath) == len(p.asPath) && q.origin == p.origin &&
			(o.AlwaysCompareMED || q.neighborAS() == p.neighborAS()) && q.med < p.med {
			medOut = true
		}
	}
	oldest := int64(0)
	if o.PreferOldest && p.ebgp {
		oldest = int64(p.age)
	}
	rid := p.rid.As4()
	addr := p.addr.As4()
	return []int64{-int64(p.weight), -int64(p.lp), int64(len(p.asPath)), int64(p.origin), b(medOut), b(!p.ebgp),
		int64(p.igp), oldest, int64(uint32(rid[0])<<24 | uint32(rid[1])<<16 | uint32(rid[2])<<8 | uint32(rid[3])),
		int64(p.cluster), int64(uint32(addr[0])<<24 | uint32(addr[1])<<16 | uint32(addr[2])<<8 | uint32(addr[3])), int64(p.PathID)}
}

// refDecide is the decision process as the simplest sort over the rules:
// it returns the ECMP set (best first) and the step that chose the best.
func refDecide(paths []refPath, o Options) ([]refPath, Step) {
	keys := map[[2]uint32][]int64{}
	for _, p := range paths {
		keys[[2]uint32{uint32(p.Peer), p.PathID}] = refKeys(p, paths, o)
	}
	k := func(p refPath) []int64 { return keys[[2]uint32{uint32(p.Peer), p.PathID}] }
	sorted := slices.Clone(paths)
	slices.SortFunc(sorted, func(a, b refPath) int { return slices.Compare(k(a), k(b)) })
	best := sorted[0]
	by := StepOnly
	for _, q := range sorted[1:] {
		i := 0
		for k(q)[i] == k(best)[i] {
			i++
		}
		by = max(by, StepWeight+Step(i))
	}
	set := []refPath{best}
	for _, q := range sorted[1:] {
		if len(set) >= max(o.MaxPaths, 1) {
			break
		}
		if !slices.Equal(k(q)[:7], k(best)[:7]) {
			continue
		}
		if !o.ASPathRelax && !slices.Equal(q.asPath, best.asPath) {
			continue
		}
		if slices.ContainsFunc(set, func(m refPath) bool { return m.nh == q.nh }) {
			continue
		}
		set = append(set, q)
	}
	return set, by
}

func TestDecisionMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		nhs := []netip.Addr{netip.MustParseAddr("10.9.0.1"), netip.MustParseAddr("10.9.0.2"), netip.MustParseAddr("10.9.0.3"), netip.MustParseAddr("10.9.0.4")}
		igp := map[netip.Addr]uint32{}
		for _, nh := range nhs {
			igp[nh] = uint32(rapid.IntRange(0, 1).Draw(t, "igp"))
		}
		o := Options{
			LocalASN: testASN, RouterID: testRouterID, DefaultLocalPref: 100,
			AlwaysCompareMED: rapid.Bool().Draw(t, "alwaysMED"),
			MissingMEDWorst:  false,
			PreferOldest:     rapid.Bool().Draw(t, "oldest"),
			MaxPaths:         rapid.IntRange(1, 4).Draw(t, "maxpaths"),
			ASPathRelax:      rapid.Bool().Draw(t, "relax"),
		}
		if rapid.Bool().Draw(t, "hasIGP") {
			o.IGPCost = func(a netip.Addr) uint32 { return igp[a] }
		}
		r := New(o)
		prefix := netip.MustParsePrefix("198.51.100.0/24")
		var ref []refPath
		npeers := rapid.IntRange(1, 8).Draw(t, "peers")
		age := 0
		for i := range npeers {
			ibgp := rapid.Bool().Draw(t, "ibgp")
			cfg := PeerConfig{
				Addr:     netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)}),
				ASN:      uint32(rapid.IntRange(1, 3).Draw(t, "peerAS")),
				RouterID: netip.AddrFrom4([4]byte{10, 1, 0, byte(rapid.IntRange(1, 3).Draw(t, "rid"))}),
				Weight:   uint32(rapid.SampledFrom([]int{0, 0, 0, 5}).Draw(t, "weight")),

				AllowWithoutPolicy: true,
			}
			if ibgp {
				cfg.ASN = testASN
			}
			id := r.AddPeer(cfg)
			npaths := rapid.IntRange(1, 2).Draw(t, "npaths")
			for j := range npaths {
				pathID := uint32(0)
				if npaths > 1 {
					pathID = uint32(j + 1)
				}
				a := &wire.Attributes{
					Origin:  wire.Origin(rapid.IntRange(0, 2).Draw(t, "origin")),
					NextHop: rapid.SampledFrom(nhs).Draw(t, "nh"),
				}
				var asns []uint32
				if !ibgp {
					asns = append(asns, cfg.ASN)
				}
				for range rapid.IntRange(0, 2).Draw(t, "aslen") {
					asns = append(asns, uint32(rapid.IntRange(1, 4).Draw(t, "asn")))
				}
				if len(asns) > 0 {
					a.ASPath = []wire.Segment{{Type: wire.ASSequence, ASNs: asns}}
				}
				rp := refPath{Peer: id, PathID: pathID, ebgp: !ibgp, weight: cfg.Weight, lp: 100, asPath: asns,
					origin: a.Origin, rid: cfg.RouterID, addr: cfg.Addr, nh: a.NextHop}
				if rapid.Bool().Draw(t, "hasMED") {
					a.MED, a.HasMED = uint32(rapid.IntRange(0, 2).Draw(t, "med")*10), true
					rp.med = a.MED
				}
				if rapid.Bool().Draw(t, "hasLP") {
					a.LocalPref, a.HasLocalPref = uint32(rapid.SampledFrom([]int{50, 100, 200}).Draw(t, "lp")), true
					if ibgp {
						rp.lp = a.LocalPref
					}
				}
				if ibgp && rapid.Bool().Draw(t, "reflected") {
					a.OriginatorID = netip.AddrFrom4([4]byte{10, 1, 0, byte(rapid.IntRange(1, 3).Draw(t, "orig"))})
					rp.rid = a.OriginatorID
					for range rapid.IntRange(0, 2).Draw(t, "clusters") {
						a.ClusterList = append(a.ClusterList, netip.AddrFrom4([4]byte{10, 2, 0, 1}))
					}
					rp.cluster = len(a.ClusterList)
				}
				if o.IGPCost != nil {
					rp.igp = igp[a.NextHop]
				}
				age++
				rp.age = age
				if err := r.Announce(id, wire.NLRI{Prefix: prefix, PathID: pathID}, a); err != nil {
					t.Fatal(err)
				}
				ref = append(ref, rp)
			}
		}
		wantSet, wantBy := refDecide(ref, o)
		got := r.Multipath(prefix)
		ids := func(ps []Path) []string {
			var s []string
			for _, p := range ps {
				s = append(s, fmt.Sprint(p.Peer, "/", p.PathID))
			}
			return s
		}
		var want []string
		for _, p := range wantSet {
			want = append(want, fmt.Sprint(p.Peer, "/", p.PathID))
		}
		if d := gocmp.Diff(want, ids(got)); d != "" {
			t.Fatalf("ECMP set (-reference +rib):\n%s", d)
		}
		if _, by, _ := r.Best(prefix); by != wantBy {
			t.Fatalf("decided by %v, reference %v", by, wantBy)
		}
	})
}

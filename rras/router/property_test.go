package router

import (
	"cmp"
	"net/netip"
	"slices"
	"testing"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"pgregory.net/rapid"
)

// model is the naive reference for route selection: every source's routes,
// their distances, and a linear scan.
type model struct {
	routes   map[netip.Prefix]map[string][]NextHop
	distance map[string]uint8
}

func (m *model) dist(src string) uint8 {
	if d, ok := m.distance[src]; ok {
		return d
	}
	return wellKnownDistance(src)
}

// lookup returns the next-hop set the router should use for a: among the
// prefixes containing a, the longest; for it, the source with the lowest
// distance (then name); its hops sorted and deduplicated.
func (m *model) lookup(a netip.Addr) []NextHop {
	best := -1
	var hops []NextHop
	for p, offers := range m.routes {
		if !p.Contains(a) || p.Bits() <= best || len(offers) == 0 {
			continue
		}
		var src string
		for s := range offers {
			if src == "" || m.dist(s) < m.dist(src) || m.dist(s) == m.dist(src) && s < src {
				src = s
			}
		}
		best = p.Bits()
		hops = slices.Clone(offers[src])
		slices.SortFunc(hops, func(x, y NextHop) int {
			return cmp.Or(cmp.Compare(x.IfIndex, y.IfIndex), x.Addr.Compare(y.Addr))
		})
		hops = slices.Compact(hops)
	}
	return hops
}

var (
	propSources = []string{SourceStatic, SourceEBGP, SourceIBGP, "ospf", "bgp-mux"}
	propSpace   = netip.MustParsePrefix("198.18.0.0/15")
)

func gatewayMAC(ifIndex int, g int) header.MAC { return header.MAC{2, 0, 0, 0, byte(ifIndex), byte(g)} }

func gatewayAddr(ifIndex, g int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, 99, byte(ifIndex), byte(g)})
}

// TestPropertyForwardingMatchesModel drives random route changes from
// several sources and checks that every forwarded packet leaves on the
// interface and to the gateway the naive model chooses: longest prefix,
// best distance, ECMP member FlowHash mod n over the sorted set.
func TestPropertyForwardingMatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		out := &capture{}
		r := New(Config{Output: out, ICMPRate: -1, HashSeed: rapid.Uint64().Draw(t, "seed")})
		for i := 1; i <= 3; i++ {
			r.SetInterface(Interface{Index: i, MAC: header.MAC{2, 0, 0, 0, 0, byte(i)},
				Addrs: []netip.Prefix{netip.PrefixFrom(gatewayAddr(i, 1), 24)}})
			for g := 2; g <= 5; g++ {
				r.Input(i, arpFrame(header.ARPReply, gatewayMAC(i, g), gatewayAddr(i, g), header.MAC{2, 0, 0, 0, 0, byte(i)}, gatewayAddr(i, 1)))
			}
		}
		m := &model{routes: map[netip.Prefix]map[string][]NextHop{}, distance: map[string]uint8{}}
		genHop := rapid.Custom(func(t *rapid.T) NextHop {
			i := rapid.IntRange(1, 3).Draw(t, "if")
			return NextHop{Addr: gatewayAddr(i, rapid.IntRange(2, 5).Draw(t, "gw")), IfIndex: i}
		})
		genPrefix := rapid.Custom(func(t *rapid.T) netip.Prefix {
			a := propSpace.Addr().As4()
			a[1] |= byte(rapid.IntRange(0, 1).Draw(t, "b1"))
			a[2] = byte(rapid.IntRange(0, 3).Draw(t, "b2"))
			a[3] = byte(rapid.IntRange(0, 255).Draw(t, "b3"))
			bits := rapid.SampledFrom([]int{0, 8, 15, 16, 22, 24, 30, 32}).Draw(t, "bits")
			return netip.PrefixFrom(netip.AddrFrom4(a), bits).Masked()
		})
		steps := rapid.IntRange(1, 40).Draw(t, "steps")
		for range steps {
			src := rapid.SampledFrom(propSources).Draw(t, "source")
			switch rapid.IntRange(0, 9).Draw(t, "op") {
			case 0:
				n := r.Routes().WithdrawSource(src)
				cnt := 0
				for _, offers := range m.routes {
					if _, ok := offers[src]; ok {
						cnt++
						delete(offers, src)
					}
				}
				if n != cnt {
					t.Fatalf("WithdrawSource(%s) = %d, model had %d", src, n, cnt)
				}
			case 1:
				d := uint8(rapid.IntRange(0, 255).Draw(t, "distance"))
				r.Routes().SetDistance(src, d)
				m.distance[src] = d
			default:
				p := genPrefix.Draw(t, "prefix")
				hops := rapid.SliceOfN(genHop, 0, 5).Draw(t, "hops")
				if err := r.Routes().Replace(src, p, hops); err != nil {
					t.Fatal(err)
				}
				if m.routes[p] == nil {
					m.routes[p] = map[string][]NextHop{}
				}
				if len(hops) == 0 {
					delete(m.routes[p], src)
				} else {
					m.routes[p][src] = hops
				}
			}
		}
		for range 20 {
			a := propSpace.Addr().As4()
			a[1] |= byte(rapid.IntRange(0, 1).Draw(t, "a1"))
			a[2] = byte(rapid.IntRange(0, 3).Draw(t, "a2"))
			a[3] = byte(rapid.IntRange(0, 255).Draw(t, "a3"))
			dst := netip.AddrFrom4(a)
			if rapid.Bool().Draw(t, "outside") {
				dst = netip.AddrFrom4([4]byte{byte(rapid.IntRange(1, 9).Draw(t, "o0")), 1, 2, 3})
			}
			f := udp4(header.MAC{2, 0, 0, 0, 0, 1}, macA, hAv4, dst, 64,
				rapid.Uint16().Draw(t, "sport"), rapid.Uint16().Draw(t, "dport"), 0)
			hash := FlowHash4(header.IPv4(f[14:]), r.cfg.HashSeed)
			out.take()
			r.Input(1, f)
			got := out.take()
			hops := m.lookup(dst)
			if len(hops) == 0 {
				if len(got) != 0 {
					t.Fatalf("%s: model has no route, router sent %d frames", dst, len(got))
				}
				continue
			}
			want := hops[hash%uint64(len(hops))]
			if len(got) != 1 {
				t.Fatalf("%s: sent %d frames, want 1 via %v", dst, len(got), want)
			}
			g := got[0]
			if g.ifIndex != want.IfIndex || header.Ethernet(g.frame).Destination() != gatewayMAC(want.IfIndex, int(want.Addr.As4()[3])) {
				t.Fatalf("%s: sent on if%d to %s, want %v (set %v)", dst, g.ifIndex, header.Ethernet(g.frame).Destination(), want, hops)
			}
			ip := parse4(t, g.frame) // checks the header checksum
			if ip.TTL() != 63 {
				t.Fatalf("TTL %d", ip.TTL())
			}
		}
	})
}

// TestPropertyChecksumAfterDecrement forwards IPv4 packets with random
// header fields and options and checks that each forwarded header's checksum
// verifies and its TTL dropped by exactly one.
func TestPropertyChecksumAfterDecrement(t *testing.T) {
	r, out, _ := testRouter(t)
	resolve(t, r, 2, hBv4, macB)
	rapid.Check(t, func(t *rapid.T) {
		opts := 4 * rapid.IntRange(0, 10).Draw(t, "optwords")
		b := make([]byte, 14+20+opts+8)
		header.InitEthernet(b, macR1, macA, header.EtherTypeIPv4)
		ip, _ := header.InitIPv4(b[14:], 20+opts)
		for i := 20; i < 20+opts; i++ {
			ip[i] = header.IPv4OptionNOP
		}
		ttl := rapid.Uint8Range(2, 255).Draw(t, "ttl")
		ip.SetTTL(ttl)
		ip.SetTOS(rapid.Uint8().Draw(t, "tos"))
		ip.SetID(rapid.Uint16().Draw(t, "id"))
		ip.SetDontFragment(rapid.Bool().Draw(t, "df"))
		ip.SetProtocol(rapid.SampledFrom([]uint8{header.ProtocolUDP, header.ProtocolTCP, 47, 50}).Draw(t, "proto"))
		ip.SetSource(netip.AddrFrom4([4]byte{10, 99, 1, rapid.Uint8Range(2, 254).Draw(t, "src")}))
		ip.SetDestination(hBv4)
		ip.SetChecksum(ip.ComputeChecksum())
		out.take()
		r.Input(1, b)
		got := out.take()
		if len(got) != 1 {
			t.Fatalf("sent %d frames", len(got))
		}
		fwd := parse4(t, got[0].frame)
		if fwd.TTL() != ttl-1 {
			t.Fatalf("TTL %d, want %d", fwd.TTL(), ttl-1)
		}
	})
}

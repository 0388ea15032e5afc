// Package ribtest generates synthetic BGP tables for tests and benchmarks
// of package rib: deterministic from a seed, with a spread of AS paths,
// communities and prefix lengths like a full Internet table's.
package ribtest

import (
	"math/rand/v2"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// Route is one generated prefix with its attributes. Routes next to each
// other often share one *wire.Attributes, as in a table dump.
type Route struct {
	Prefix netip.Prefix
	Attrs  *wire.Attributes
}

// Table returns n routes: every sixth one IPv6, the rest IPv4, all
// distinct, with next hop nh4 (IPv4) or nh6 (IPv6). About one distinct
// attribute set per eight prefixes, as full tables have.
func Table(n int, seed uint64, nh4, nh6 netip.Addr) []Route {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	zipf := rand.NewZipf(rng, 1.2, 8, 70000)
	out := make([]Route, 0, n)
	var a4, a6 *wire.Attributes
	n4, n6 := 0, 0
	for len(out) < n {
		run := 1 + rng.IntN(15) // prefixes sharing one attribute set
		a4, a6 = attrs(rng, zipf, nh4), attrs(rng, zipf, nh6)
		for i := 0; i < run && len(out) < n; i++ {
			if len(out)%6 == 5 {
				out = append(out, Route{prefix6(n6), a6})
				n6++
			} else {
				out = append(out, Route{prefix4(n4), a4})
				n4++
			}
		}
	}
	return out
}

// prefix4 is the i-th IPv4 /24: i times an odd constant modulo 2^24 is a
// permutation, so the prefixes are distinct and spread over the space.
func prefix4(i int) netip.Prefix {
	x := uint32(i) * 2654435761 & 0xffffff
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(x >> 16), byte(x >> 8), byte(x), 0}), 24)
}

// prefix6 is the i-th IPv6 prefix, a /48 (or /32 every eighth) under 2000::/3.
func prefix6(i int) netip.Prefix {
	var a [16]byte
	a[0] = 0x20
	a[1] = byte(i >> 24)
	a[2] = byte(i >> 16)
	a[3] = byte(i >> 8)
	a[4] = byte(i)
	bits := 48
	if i%8 == 7 {
		bits = 40
	}
	return netip.PrefixFrom(netip.AddrFrom16(a), bits)
}

func attrs(rng *rand.Rand, zipf *rand.Zipf, nh netip.Addr) *wire.Attributes {
	a := &wire.Attributes{Origin: wire.OriginIGP, NextHop: nh}
	if rng.IntN(20) == 0 {
		a.Origin = wire.OriginIncomplete
	}
	n := 2 + rng.IntN(3) + rng.IntN(3) // 2..6, mostly 3-4
	asns := make([]uint32, n)
	for i := range asns {
		asns[i] = uint32(zipf.Uint64()) + 1
	}
	if rng.IntN(10) == 0 { // some prepending
		asns = append(asns, asns[len(asns)-1], asns[len(asns)-1])
	}
	a.ASPath = []wire.Segment{{Type: wire.ASSequence, ASNs: asns}}
	if rng.IntN(3) == 0 {
		a.MED, a.HasMED = uint32(rng.IntN(200)), true
	}
	for range rng.IntN(7) {
		a.Communities = append(a.Communities, wire.Community(asns[0]<<16|uint32(rng.IntN(500))))
	}
	if rng.IntN(10) == 0 {
		a.LargeCommunities = append(a.LargeCommunities, wire.LargeCommunity{GlobalAdmin: asns[0], LocalData1: 1, LocalData2: uint32(rng.IntN(100))})
	}
	return a
}

// Updates encodes routes as UPDATE messages (4-octet AS, extended
// messages), one run of routes sharing attributes and family per
// UpdateBuilder.
func Updates(routes []Route) ([][]byte, error) {
	var out [][]byte
	o := &wire.EncodeOptions{AS4: true, ExtendedMessage: true}
	for i := 0; i < len(routes); {
		j := i
		fam := family(routes[i].Prefix)
		var nlri []wire.NLRI
		for ; j < len(routes) && routes[j].Attrs == routes[i].Attrs && family(routes[j].Prefix) == fam; j++ {
			nlri = append(nlri, wire.NLRI{Prefix: routes[j].Prefix})
		}
		b := wire.UpdateBuilder{Family: fam, Attrs: routes[i].Attrs, NLRI: nlri}
		msgs, _, err := b.Append(nil, o)
		if err != nil {
			return nil, err
		}
		for len(msgs) > 0 {
			h, err := wire.ParseHeader(msgs, wire.MaxExtendedMessageLen)
			if err != nil {
				return nil, err
			}
			out = append(out, msgs[:h.Length:h.Length])
			msgs = msgs[h.Length:]
		}
		i = j
	}
	return out, nil
}

func family(p netip.Prefix) wire.Family {
	if p.Addr().Is4() {
		return wire.IPv4Unicast
	}
	return wire.IPv6Unicast
}

// DecodeOptions are the options Updates' messages decode with.
var DecodeOptions = wire.DecodeOptions{AS4: true, ExtendedMessage: true}

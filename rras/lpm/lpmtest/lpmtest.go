// Package lpmtest generates deterministic synthetic routing tables and
// lookup addresses for testing and benchmarking longest-prefix-match
// tables. There is no real BGP feed in the test environment, so the
// tables imitate one: the share of each prefix length follows the
// published breakdown of the global table, and prefixes cluster inside a
// limited set of allocations rather than spreading uniformly.
//
// Prefix-length shares (rounded, per million IPv4 / per 200k IPv6 routes)
// approximate the prefix-length reports of the APNIC / potaroo BGP table
// statistics (bgp.potaroo.net, 2024-2025: about 1.0M IPv4 FIB entries with
// /24 close to 60%, then /22, /23, /21, /20, /19, /16; about 220k IPv6
// entries with an average length near 43 bits, /48 about half, then /32,
// /44, /40, /36, /29). The exact figures are in lengths4 and lengths6.
//
// Clustering: IPv4 prefixes of /16 and longer fall inside /16s of the
// unicast space chosen with log-normal weights, so some /16s are dense and
// most are sparse; IPv6 prefixes of /32 and longer fall inside /32
// allocations drawn from 2001::/16 and the RIR blocks 2400::/12,
// 2600::/12, 2800::/12, 2a00::/12 and 2c00::/12, again with log-normal
// weights.
package lpmtest

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
)

// Full-table sizes, as in the global BGP table.
const (
	Full4 = 1_000_000
	Full6 = 200_000
)

// lengths4 is the IPv4 prefix count per length in a table of a million.
var lengths4 = map[int]int{
	8: 16, 9: 13, 10: 38, 11: 100, 12: 300, 13: 600, 14: 1100, 15: 1900,
	16: 13500, 17: 8000, 18: 14000, 19: 27000, 20: 45000, 21: 55000,
	22: 130000, 23: 110000, 24: 604533,
}

// lengths6 is the IPv6 prefix count per length in a table of 200k.
var lengths6 = map[int]int{
	16: 10, 19: 10, 20: 40, 24: 100, 28: 500, 29: 6500, 30: 800, 31: 600,
	32: 30000, 33: 1500, 34: 1500, 35: 1000, 36: 6000, 37: 400, 38: 1500,
	39: 400, 40: 15000, 41: 600, 42: 2500, 43: 800, 44: 16000, 45: 2500,
	46: 4500, 47: 4000, 48: 103240,
}

// Table4 returns n distinct masked IPv4 prefixes in random (insertion)
// order. The same n and seed always give the same table.
func Table4(n int, seed uint64) []netip.Prefix {
	r := rand.New(rand.NewPCG(seed, 4))
	var slash16 []uint32 // allocated unicast /16s, as the top 16 bits
	for a := uint32(1); a < 224; a++ {
		if a == 10 || a == 127 {
			continue
		}
		for b := range uint32(256) {
			slash16 = append(slash16, a<<8|b)
		}
	}
	pick := weighted(r, len(slash16))
	return generate(r, n, lengths4, func(bits int) netip.Prefix {
		var x uint32
		if bits >= 16 {
			x = slash16[pick()]<<16 | r.Uint32()&0xffff
		} else {
			x = slash16[r.IntN(len(slash16))]<<16 | r.Uint32()&0xffff
		}
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], x)
		return netip.PrefixFrom(netip.AddrFrom4(b), bits).Masked()
	})
}

// Table6 returns n distinct masked IPv6 prefixes in random order.
func Table6(n int, seed uint64) []netip.Prefix {
	r := rand.New(rand.NewPCG(seed, 6))
	blocks := []uint64{0x2001, 0x2400, 0x2600, 0x2800, 0x2a00, 0x2c00} // top 16 bits
	random32 := func() uint64 {                                        // a /32 inside one of the blocks, as the top 32 bits
		b := blocks[r.IntN(len(blocks))]
		if b == 0x2001 {
			return b<<16 | r.Uint64N(1<<16)
		}
		return b<<16 | r.Uint64N(1<<20)
	}
	allocs := make([]uint64, 40_000)
	for i := range allocs {
		allocs[i] = random32()
	}
	pick := weighted(r, len(allocs))
	return generate(r, n, lengths6, func(bits int) netip.Prefix {
		var top uint64
		if bits >= 32 {
			top = allocs[pick()]
		} else {
			top = random32()
		}
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], top<<32|r.Uint64()&0xffffffff)
		binary.BigEndian.PutUint64(b[8:], r.Uint64())
		return netip.PrefixFrom(netip.AddrFrom16(b), bits).Masked()
	})
}

// generate draws prefixes until each length has its scaled share of n.
func generate(r *rand.Rand, n int, lengths map[int]int, draw func(bits int) netip.Prefix) []netip.Prefix {
	total := 0
	for _, c := range lengths {
		total += c
	}
	var order []int
	for l := range lengths {
		order = append(order, l)
	}
	slices.Sort(order)
	seen := make(map[netip.Prefix]struct{}, n)
	out := make([]netip.Prefix, 0, n)
	for i, l := range order {
		want := int(math.Round(float64(lengths[l]) * float64(n) / float64(total)))
		if i == len(order)-1 {
			want = n - len(out) // the most common length absorbs rounding
		}
		limit := 100*want + 1000 // a length whose space is full gives up
		for tries := 0; want > 0 && tries < limit; tries++ {
			p := draw(l)
			if _, dup := seen[p]; dup {
				continue
			}
			seen[p] = struct{}{}
			out = append(out, p)
			want--
		}
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// weighted returns a sampler of indexes 0..n-1 with log-normal weights.
func weighted(r *rand.Rand, n int) func() int {
	cum := make([]float64, n)
	sum := 0.0
	for i := range cum {
		sum += math.Exp(r.NormFloat64())
		cum[i] = sum
	}
	return func() int {
		i, _ := slices.BinarySearch(cum, r.Float64()*sum)
		return min(i, n-1)
	}
}

// Addrs returns n lookup addresses of the family of table: half fall
// inside a random prefix of table (a route exists), half are uniformly
// random (many miss, or hit only short prefixes). table must not be
// empty.
func Addrs(table []netip.Prefix, n int, seed uint64) []netip.Addr {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]netip.Addr, n)
	for i := range out {
		p := table[r.IntN(len(table))]
		keep := p.Bits()
		if i%2 == 1 {
			keep = 0
		}
		b := p.Addr().AsSlice()
		for j := range b {
			switch {
			case keep >= 8*(j+1):
			case keep <= 8*j:
				b[j] = byte(r.Uint32())
			default:
				m := byte(0xff << (8 - (keep - 8*j)))
				b[j] = b[j]&m | byte(r.Uint32())&^m
			}
		}
		out[i], _ = netip.AddrFromSlice(b)
	}
	return out
}

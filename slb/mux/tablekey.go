package mux

import (
	"math/bits"
	"math/rand/v2"
)

// A tableKey keys the flow table's hash. The flow table is local to a
// Mux, so its hash needs no agreement between Muxes (Maglev's picks use
// flowhash with Config.HashKey for that) and is keyed at random per Mux.
// It is a multiply-and-fold mix of the addresses' words and the ports,
// about ten times cheaper than SipHash; a keyed, non-cryptographic hash
// suffices because an attacker who could aim flows at one bucket would
// only fill it, and full buckets send new flows by Maglev hashing without
// evicting anything.
type tableKey struct{ k [6]uint64 }

func newTableKey() tableKey {
	var k tableKey
	for i := range k.k {
		k.k[i] = rand.Uint64()
	}
	return k
}

// mum folds the 128-bit product of a and b.
func mum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// sum hashes two addresses and a word of ports and protocol.
func (k *tableKey) sum(src, dst words, rest uint64) uint64 {
	h := mum(src.hi^k.k[0], src.lo^k.k[1]) ^ mum(dst.hi^k.k[2], dst.lo^k.k[3])
	return mum(h^k.k[4], rest^k.k[5])
}

// tableHash is the flow-table hash of p: its flow's 5-tuple, or for a
// non-first fragment its datagram's (fragTag).
func (m *Mux) tableHash(p *packet) uint64 {
	if p.frag == laterFragment {
		return m.fragTag(p)
	}
	return m.tableKey.sum(p.src, p.dst, uint64(p.tuple.SrcPort)<<24|uint64(p.tuple.DstPort)<<8|uint64(p.tuple.Proto))
}

package maglev

import (
	"cmp"
	"slices"
)

// Rebuild returns a table for backends, of prev's size (DefaultSize if
// prev is nil), that moves as few slots as balance allows: every slot of
// prev whose owner is still in backends and does not own more than its
// new share keeps its owner. The slots of the backends that left, and
// the surplus of those whose share shrank, go to the backends whose share
// grew (those that joined, or the rest when one leaves), each taking its
// most preferred such slot in turn, in the order of a round of New's
// turns. A backend's share is what New would give it: with equal weights
// floor(M/N) or ceil(M/N) slots, the extra slots going to the backends
// that own the most already. So with equal weights, removing a backend
// moves exactly its own slots and adding one moves exactly the slots it
// gets, the ideal M/N, where New moves up to several times that when N
// is large (see the package documentation).
//
// The result depends on prev, not only on backends: Muxes that must pick
// the same backend for a flow must have rebuilt from the same table
// through the same sequence of backend sets. A table built by New for
// the same set generally differs from it. If prev is empty or nil, or
// backends is, Rebuild is New.
func Rebuild(prev *Table, backends []Backend) (*Table, error) {
	t, g, total, err := newTable(prev.Size(), backends)
	if err != nil {
		return nil, err
	}
	if len(t.backends) == 0 {
		return t, nil
	}
	t.entries = make([]uint32, t.size)
	if prev.Len() == 0 {
		fill(t.entries, t.backends, g, total)
		return t, nil
	}
	refill(t.entries, prev, t.backends, g, total)
	return t, nil
}

// refill fills entries, the slots of a table of prev's size for the
// name-sorted backends whose weights have greatest common divisor g and
// reduced sum total, from prev (see Rebuild).
func refill(entries []uint32, prev *Table, backends []Backend, g uint32, total int) {
	m := uint32(len(entries))
	same := indexMap(prev.backends, backends)
	count := make([]int, len(backends))
	for s, e := range prev.entries {
		o := same[e]
		entries[s] = o
		if o != noOwner {
			count[o]++
		}
	}
	share := shares(backends, g, total, int(m), count)
	short := 0 // slots still to claim: the sum of the backends' deficits
	for i, c := range count {
		short += max(share[i]-c, 0)
	}
	if short == 0 {
		return
	}
	// Each backend walks its preference list once: a slot it passes is
	// its own, or its owner's count is at most its share, and neither
	// changes, since counts grow only to the share and shrink only
	// above it.
	next := make([]uint32, len(backends))
	skip := make([]uint32, len(backends))
	hm := newHashModuli(m)
	for i, b := range backends {
		next[i], skip[i] = hm.offsetSkip(b.Name)
	}
	// open marks the slots that may be claimed: free, or owned by a
	// backend above its share. Most slots are not, and the bitmap (8 KiB
	// for M = 65537) answers for them without a look at entries; a
	// marked slot is checked, since its owner may have reached its share
	// since.
	open := make([]uint64, (m+63)/64)
	for c, o := range entries {
		if o == noOwner || count[o] > share[o] {
			open[c/64] |= 1 << (c % 64)
		}
	}
	round := schedule(backends, g, total)
	for {
		for _, i := range round {
			if count[i] >= share[i] {
				continue
			}
			for {
				c := next[i]
				// Not addMod: this form compiles to a conditional
				// move, which is the shorter chain from one probe
				// to the next (Rebuild about 12% faster); in fill's
				// probes, where the compiler keeps it a branch, it
				// is much slower.
				n := c + skip[i]
				if n >= m {
					n -= m
				}
				next[i] = n
				if open[c/64]&(1<<(c%64)) == 0 {
					continue
				}
				if o := entries[c]; o == noOwner || (o != i && count[o] > share[o]) {
					open[c/64] &^= 1 << (c % 64)
					if o != noOwner {
						count[o]--
					}
					entries[c] = i
					count[i]++
					break
				}
			}
			if short--; short == 0 {
				return
			}
		}
	}
}

// shares returns the number of slots that each of the name-sorted
// backends (weights with greatest common divisor g and reduced sum total)
// owns in a rebuilt table of m slots: R*w or up to w more for a backend of
// reduced weight w, R = floor(m/total), as in New. The m - R*total extra
// slots go first to the backends that own more than R*w slots now
// (count), most first, so that few slots move; the rest in name order.
func shares(backends []Backend, g uint32, total, m int, count []int) []int {
	r := m / total
	extra := m - r*total
	share := make([]int, len(backends))
	for i, b := range backends {
		share[i] = r * int(b.Weight/g)
	}
	order := make([]int, len(backends))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(count[b]-share[b], count[a]-share[a])
	})
	for _, i := range order {
		e := min(int(backends[i].Weight/g), max(count[i]-share[i], 0), extra)
		share[i] += e
		extra -= e
	}
	for i, b := range backends {
		e := min(r*int(b.Weight/g)+int(b.Weight/g)-share[i], extra)
		share[i] += e
		extra -= e
	}
	return share
}

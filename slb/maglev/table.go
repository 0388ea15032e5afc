package maglev

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"github.com/sdnfabric/sdnfabric/slb/flowhash"
)

const (
	// DefaultSize is the table size used when New is given size 0; the
	// paper uses 65537 for its smaller tables.
	DefaultSize = 65537
	// MaxSize bounds the table size (a table holds 4 bytes per slot).
	MaxSize = 1 << 24
)

// The fixed keys of the two name hashes (see the package documentation).
var (
	offsetKey = flowhash.Key{K0: 0x6f2f76656c67616d, K1: 0x31762f7465736666} // "maglev/offset/v1"
	skipKey   = flowhash.Key{K0: 0x732f76656c67616d, K1: 0x2e2e31762f70696b} // "maglev/skip/v1.."
)

// Errors returned by New, wrapped with the offending size or backend.
var (
	ErrSize          = errors.New("table size must be a prime between 2 and MaxSize")
	ErrName          = errors.New("backend name is empty")
	ErrDuplicateName = errors.New("duplicate backend name")
	ErrWeight        = errors.New("backend weight must be at least 1")
	ErrTotalWeight   = errors.New("total weight exceeds the table size")
)

// A Backend is one member of a table's backend set.
type Backend struct {
	// Name identifies the backend stably across Muxes and restarts (for
	// example "pool/10.1.2.3"). The permutation is derived from it.
	Name string
	// Weight is the backend's relative share of the slots, at least 1.
	Weight uint32
}

// A Table is an immutable Maglev lookup table. It is safe for concurrent
// use; a nil *Table behaves as a table with no backends.
type Table struct {
	entries  []uint32  // slot -> index into backends; nil when there are none
	backends []Backend // sorted by name
	size     int
}

// New builds a table of size slots (0 means DefaultSize) for backends,
// which it does not retain or modify. size must be prime. A table with no
// backends is valid: its Lookup returns -1.
func New(size int, backends []Backend) (*Table, error) {
	t, g, total, err := newTable(size, backends)
	if err != nil {
		return nil, err
	}
	if len(t.backends) > 0 {
		t.entries = make([]uint32, t.size)
		fill(t.entries, t.backends, g, total)
	}
	return t, nil
}

// newTable validates size and backends and returns a table without
// entries for them, the greatest common divisor g of the weights and the
// sum of the weights divided by g.
func newTable(size int, backends []Backend) (t *Table, g uint32, total int, err error) {
	if size == 0 {
		size = DefaultSize
	}
	if size < 2 || size > MaxSize || !isPrime(uint32(size)) {
		return nil, 0, 0, fmt.Errorf("maglev: size %d: %w", size, ErrSize)
	}
	sorted := sortByName(backends)
	for i, b := range sorted {
		switch {
		case b.Name == "":
			return nil, 0, 0, fmt.Errorf("maglev: backend %d: %w", i, ErrName)
		case i > 0 && sorted[i-1].Name == b.Name:
			return nil, 0, 0, fmt.Errorf("maglev: backend %q: %w", b.Name, ErrDuplicateName)
		case b.Weight == 0:
			return nil, 0, 0, fmt.Errorf("maglev: backend %q: %w", b.Name, ErrWeight)
		}
		g = gcd(g, b.Weight)
	}
	var sum uint64
	for _, b := range sorted {
		sum += uint64(b.Weight / g)
	}
	if sum > uint64(size) {
		return nil, 0, 0, fmt.Errorf("maglev: total reduced weight %d, size %d: %w", sum, size, ErrTotalWeight)
	}
	return &Table{backends: sorted, size: size}, g, int(sum), nil
}

// sortByName returns a copy of backends sorted by name. Comparing the
// names as strings costs most of a build's setup for a thousand names
// that share a prefix, as addresses in a subnet do, so it sorts integers
// instead: the five bytes of each name that follow the prefix that all
// share (zero-padded, big-endian) above the name's index. Two names whose
// five bytes differ compare as those bytes do; runs of names with the
// same five bytes are then sorted by their full names.
func sortByName(backends []Backend) []Backend {
	sorted := make([]Backend, len(backends))
	if len(backends) >= 1<<indexBits {
		copy(sorted, backends)
		slices.SortFunc(sorted, func(a, b Backend) int { return strings.Compare(a.Name, b.Name) })
		return sorted
	}
	shared := 0
	if len(backends) > 0 {
		first := backends[0].Name
		shared = len(first)
		for _, b := range backends[1:] {
			n := min(shared, len(b.Name))
			shared = 0
			for shared < n && b.Name[shared] == first[shared] {
				shared++
			}
		}
	}
	keys := make([]uint64, len(backends))
	for i, b := range backends {
		var k [8]byte
		copy(k[:8-indexBits/8], b.Name[shared:])
		keys[i] = binary.BigEndian.Uint64(k[:]) | uint64(i)
	}
	slices.Sort(keys)
	for j, k := range keys {
		sorted[j] = backends[k&(1<<indexBits-1)]
	}
	for j := 0; j < len(keys); {
		end := j + 1
		for end < len(keys) && keys[end]>>indexBits == keys[j]>>indexBits {
			end++
		}
		if end-j > 1 {
			slices.SortFunc(sorted[j:end], func(a, b Backend) int { return strings.Compare(a.Name, b.Name) })
		}
		j = end
	}
	return sorted
}

// indexBits is the width of the index in sortByName's keys.
const indexBits = 24

// permutation is a backend's preference list, kept as the next slot to
// try rather than as an index, and the distances from a slot to the
// ones after it.
type permutation struct {
	next uint32
	// step[j] is j skips modulo M: the candidates of a turn are next +
	// step[j], j < 4.
	step [4]uint32
	// skip4 is 4 skips modulo M, from one group of four candidates to
	// the next.
	skip4 uint32
}

// endgame is the number of free slots below which fill stops probing.
// With F slots free a turn probes about M/F slots, but it can instead
// compute its preference rank of each free slot and take the best, at a
// cost of F ranks; the two cost the same near F = sqrt(M), 256 for M =
// 65537.
const endgame = 256

// fill runs the turns of section 3.4 over the name-sorted backends whose
// weights have greatest common divisor g and reduced sum total. Which
// slots are taken is tracked in a bitmap because most of the work is
// probing taken slots. It holds every slot's bit twice, slot c at bits c
// and c+M (16 KiB for M = 65537, so it stays in the L1 cache), so that a
// candidate next + step[j], less than 2M, is tested without reducing it
// modulo M.
//
// The turns go in three phases, each the cheapest way to find a turn's
// slot at its density: while less than a quarter of the table is taken,
// a turn's first choice is mostly free and a branch on it is mostly
// predicted (whole rounds at a time); then a turn tests four candidates
// without a branch (middle); the last endgame slots go by rank (finish).
func fill(entries []uint32, backends []Backend, g uint32, total int) {
	m := uint32(len(entries))
	taken := make([]uint64, (2*m+63)/64)
	perms := make([]permutation, len(backends))
	hm := newHashModuli(m)
	for i, b := range backends {
		offset, skip := hm.offsetSkip(b.Name)
		skip2 := addMod(skip, skip, m)
		skip3 := addMod(skip2, skip, m)
		perms[i] = permutation{next: offset, step: [4]uint32{0, skip, skip2, skip3}, skip4: addMod(skip3, skip, m)}
	}
	round := schedule(backends, g, total)
	left := m // free slots
	for n := uint32(len(round)); left >= n && left-n >= max(m-m/4, endgame); left -= n {
		for _, i := range round {
			p := &perms[i]
			c := p.next
			if taken[c/64]&(1<<(c%64)) != 0 {
				c = p.probe(taken, addMod(c, p.step[1], m), m)
			}
			setTaken(taken, c, m)
			entries[c] = i
			p.next = addMod(c, p.step[1], m)
		}
	}
	k := middle(entries, taken, perms, round, left)
	finish(entries, taken, perms, round, k)
}

// hashModuli reduce the name hashes to a permutation of m slots.
type hashModuli struct{ m, m1 modulus }

func newHashModuli(m uint32) hashModuli {
	return hashModuli{newModulus(m), newModulus(m - 1)}
}

// offsetSkip returns the first slot and the skip of the permutation of
// the backend called name: h1(name) mod M and h2(name) mod (M-1) + 1.
func (hm hashModuli) offsetSkip(name string) (offset, skip uint32) {
	return hm.m.reduce(flowhash.SipHash24(offsetKey, name)), hm.m1.reduce(flowhash.SipHash24(skipKey, name)) + 1
}

// middle runs the turns of round from its first on while more than
// endgame of the table's slots are free, left of them at the start, and
// returns the turn that follows them. A turn takes the first free slot of its backend's
// permutation from p.next on. It tests the next four candidates without
// a branch, so that a turn whose first choice is taken costs no
// mispredicted branch while the table is not full; only when all four
// are taken does it probe on. (All in one loop: a function call per turn
// was about 18 of its 130 instructions.)
func middle(entries []uint32, taken []uint64, perms []permutation, round []uint32, left uint32) (k int) {
	m := uint32(len(entries))
	for ; left > endgame; left-- {
		i := round[k]
		if k++; k == len(round) {
			k = 0
		}
		p := &perms[i]
		c0 := p.next
		c1, c2, c3 := c0+p.step[1], c0+p.step[2], c0+p.step[3]
		t := taken[c0/64]>>(c0%64)&1 | taken[c1/64]>>(c1%64)&1<<1 |
			taken[c2/64]>>(c2%64)&1<<2 | taken[c3/64]>>(c3%64)&1<<3
		var c uint32
		if t == 15 {
			c = p.probe(taken, addMod(c0, p.skip4, m), m)
		} else {
			c = addMod(c0, p.step[bits.TrailingZeros64(^t)&3], m)
		}
		setTaken(taken, c, m)
		entries[c] = i
		p.next = addMod(c, p.step[1], m)
	}
	return k
}

// setTaken marks slot c taken, at both of its bits.
func setTaken(taken []uint64, c, m uint32) {
	taken[c/64] |= 1 << (c % 64)
	d := c + m
	taken[d/64] |= 1 << (d % 64)
}

// probe returns the first free slot of p's permutation from c on. It
// tests four slots per step: their positions are computed from the step's
// first slot independently, so the only chain from one step to the next
// is a single modular addition, and there is one branch per step.
func (p *permutation) probe(taken []uint64, c, m uint32) uint32 {
	for {
		c1, c2, c3 := c+p.step[1], c+p.step[2], c+p.step[3]
		t := taken[c/64]>>(c%64)&1 | taken[c1/64]>>(c1%64)&1<<1 |
			taken[c2/64]>>(c2%64)&1<<2 | taken[c3/64]>>(c3%64)&1<<3
		if t != 15 {
			return addMod(c, p.step[bits.TrailingZeros64(^t)&3], m)
		}
		c = addMod(c, p.skip4, m)
	}
}

// addMod returns (a + b) mod m for a, b < m < 2^31, without a branch.
func addMod(a, b, m uint32) uint32 {
	c := a + b
	return c - m&uint32(int32(m-1-c)>>31)
}

// finish gives the slots that taken does not mark, the last ones, to the
// turns of round from turn k on. A turn takes the free slot of the
// smallest rank in its backend's permutation: every slot before p.next is
// taken, so that is exactly the slot that probing would find, and the
// rank of slot s is (s - p.next) / skip modulo M, the division being a
// multiplication by the inverse of skip. With F slots free that costs F
// ranks instead of about M/F probes.
func finish(entries []uint32, taken []uint64, perms []permutation, round []uint32, k int) {
	m := uint32(len(entries))
	free := make([]uint32, 0, min(m, endgame))
	for w, x := range taken[:(m+63)/64] { // the first copy; c < m below
		for x = ^x; x != 0; x &= x - 1 {
			if c := uint32(w*64 + bits.TrailingZeros64(x)); c < m {
				free = append(free, c)
			}
		}
	}
	mod := newModulus(m)
	inverse := inverses(perms, round, k, len(free), mod)
	for len(free) > 0 {
		i := round[k]
		if k++; k == len(round) {
			k = 0
		}
		p := &perms[i]
		inv := uint64(inverse[i])
		best, bestRank := 0, m
		for j, s := range free {
			if r := mod.reduce(uint64(s+m-p.next) * inv); r < bestRank {
				best, bestRank = j, r
			}
		}
		entries[free[best]] = i
		p.next = addMod(free[best], p.step[1], m)
		free[best] = free[len(free)-1]
		free = free[:len(free)-1]
	}
}

// inverses returns, indexed by backend, the inverses modulo M of the skips
// of the backends that take the turns of round from turn k on, for n
// turns (0 for the others). It inverts them all with one extended
// Euclid, the slow part, and three multiplications each (Montgomery's
// trick): with the product of all the skips inverted, each inverse is
// that times the product of the others.
func inverses(perms []permutation, round []uint32, k, n int, mod modulus) []uint32 {
	inverse := make([]uint32, len(perms))
	most := min(n, len(perms))
	turns := make([]uint32, 0, most) // the backends, once each
	prefix := make([]uint32, 1, most+1)
	prefix[0] = 1
	for ; n > 0 && len(turns) < len(perms); n-- {
		i := round[k]
		if k++; k == len(round) {
			k = 0
		}
		if inverse[i] == 0 {
			inverse[i] = 1 // seen
			turns = append(turns, i)
			prefix = append(prefix, mod.reduce(uint64(prefix[len(prefix)-1])*uint64(perms[i].step[1])))
		}
	}
	// x is the inverse of the product of the skips of turns[:j+1].
	x := uint32(modInverse(uint64(prefix[len(turns)]), mod.m))
	for j := len(turns) - 1; j >= 0; j-- {
		i := turns[j]
		inverse[i] = mod.reduce(uint64(x) * uint64(prefix[j]))
		x = mod.reduce(uint64(x) * uint64(perms[i].step[1]))
	}
	return inverse
}

// A modulus reduces by a fixed m without a division (Barrett reduction).
type modulus struct {
	m  uint64
	mu uint64 // floor(2^64 / m)
}

func newModulus(m uint32) modulus {
	return modulus{m: uint64(m), mu: ^uint64(0) / uint64(m)}
}

// reduce returns x mod m. The quotient estimate floor(x*mu / 2^64) is the
// true quotient or one less (mu is at most 2^64/m and more than
// 2^64/m - 1, and x < 2^64), so one subtraction corrects it.
func (d modulus) reduce(x uint64) uint32 {
	q, _ := bits.Mul64(x, d.mu)
	r := x - q*d.m
	if r >= d.m {
		r -= d.m
	}
	return uint32(r)
}

// modInverse returns the inverse of a modulo the prime m (0 < a < m), by
// the extended Euclidean algorithm.
func modInverse(a, m uint64) uint64 {
	r0, r1 := int64(m), int64(a)
	t0, t1 := int64(0), int64(1)
	for r1 != 0 {
		q := r0 / r1
		r0, r1 = r1, r0-q*r1
		t0, t1 = t1, t0-q*t1
	}
	if t0 < 0 {
		t0 += int64(m)
	}
	return uint64(t0)
}

// schedule returns the order of the turns in one round: backend i appears
// Weight/g times, interleaved heaviest first (see the package
// documentation).
func schedule(backends []Backend, g uint32, total int) []uint32 {
	order := make([]uint32, len(backends))
	for i := range order {
		order[i] = uint32(i)
	}
	if total == len(backends) { // equal weights: name order
		return order
	}
	// Stable, so that equal weights keep name order.
	slices.SortStableFunc(order, func(a, b uint32) int {
		return cmp.Compare(backends[b].Weight, backends[a].Weight)
	})
	round := make([]uint32, 0, total)
	k := len(order) // backends with reduced weight > turn
	for turn := uint32(0); k > 0; turn++ {
		for k > 0 && backends[order[k-1]].Weight/g <= turn {
			k--
		}
		round = append(round, order[:k]...)
	}
	return round
}

// Lookup returns the index, in name order, of the backend that owns the
// slot of hash, or -1 if the table has no backends. It is O(1) and does
// not allocate.
func (t *Table) Lookup(hash uint64) int {
	if t == nil {
		return -1
	}
	slot, _ := bits.Mul64(hash, uint64(len(t.entries)))
	if slot >= uint64(len(t.entries)) {
		return -1
	}
	return int(t.entries[slot])
}

// Size returns the number of slots, M.
func (t *Table) Size() int {
	if t == nil {
		return 0
	}
	return t.size
}

// Len returns the number of backends.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return len(t.backends)
}

// Backend returns the backend at index i in name order, the index that
// Lookup returns.
func (t *Table) Backend(i int) Backend {
	return t.backends[i]
}

// Index returns the name-order index of the backend called name.
func (t *Table) Index(name string) (int, bool) {
	if t == nil {
		return -1, false
	}
	return slices.BinarySearchFunc(t.backends, name, func(b Backend, name string) int {
		return cmp.Compare(b.Name, name)
	})
}

// Owner returns the index of the backend that owns slot, or -1 if the
// table has no backends.
func (t *Table) Owner(slot int) int {
	if t.Len() == 0 {
		return -1
	}
	return int(t.entries[slot])
}

// Shares returns how many slots each backend owns, by name-order index.
func (t *Table) Shares() []int {
	shares := make([]int, t.Len())
	if t.Len() > 0 {
		for _, e := range t.entries {
			shares[e]++
		}
	}
	return shares
}

// Moved returns how many slots have a different owner, compared by name,
// in next than in prev: the number of hash values that a rebuild from
// prev to next sends to another backend. Slots without an owner in either
// table count as moved; tables of different sizes share no slots, so
// every slot of next moves.
func Moved(prev, next *Table) int {
	if prev.Size() != next.Size() || next.Len() == 0 || prev.Len() == 0 {
		return next.Size()
	}
	same := indexMap(prev.backends, next.backends)
	n := 0
	for s, e := range prev.entries {
		if same[e] != next.entries[s] {
			n++
		}
	}
	return n
}

// noOwner marks a slot without an owner, and a backend of prev that
// indexMap does not find in next.
const noOwner = ^uint32(0)

// indexMap maps the name-order indexes of prev to those of next, or to
// noOwner for names that next does not have, by merging the two sorted
// lists.
func indexMap(prev, next []Backend) []uint32 {
	same := make([]uint32, len(prev))
	for i, j := 0, 0; i < len(prev); i++ {
		same[i] = noOwner
		for j < len(next) && next[j].Name < prev[i].Name {
			j++
		}
		if j < len(next) && next[j].Name == prev[i].Name {
			same[i] = uint32(j)
		}
	}
	return same
}

func gcd(a, b uint32) uint32 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// isPrime reports whether n is prime, by trial division (n <= MaxSize, so
// at most sqrt(MaxSize)/2 divisions).
func isPrime(n uint32) bool {
	if n < 2 {
		return false
	}
	if n%2 == 0 {
		return n == 2
	}
	for d := uint32(3); d*d <= n; d += 2 {
		if n%d == 0 {
			return false
		}
	}
	return true
}

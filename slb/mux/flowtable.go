package mux

import (
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
)

// The flow table remembers which backend each flow went to, so that a
// flow keeps its DIP when the Maglev tables change. It is a fixed array
// of buckets split into shards by the flow hash's low bits; each shard
// has its own lock, held by writers. A bucket is bucketSize entries of
// 16 bytes, one 64-byte cache line. A flow may live in either of two
// buckets of its shard chosen by independent bits of its hash, and is
// inserted into the emptier one (two-choice hashing): lookups read both
// lines at once (see pair.lookup), and buckets overflow far more rarely
// than with one choice (with one, about
// 4% of flows found their bucket full at half load; with two, 9 of the
// benchmark's 2^20 flows in 2^21 entries).
//
// An entry holds the flow's 64-bit tag (its tableHash, never 0), the
// backend's slot in the registry with the trusted bit, and its deadline
// in ticks. Following Ananta (SIGCOMM 2013, section 3.3.2), a flow is
// inserted untrusted, with the short Config.UntrustedTimeout, and becomes
// trusted, with its rule's idle timeout, on its second packet. Entries are
// never evicted while they live: when a new flow finds its bucket full it
// is sent by pure Maglev hashing instead (Stats.TableFull), which picks
// the same DIP as long as the pool does not change, so a SYN flood fills
// free space with short-lived untrusted entries but cannot push an
// established flow out.
//
// The lookup of a live flow takes no lock (see lookup): an entry's two
// words are atomic, a reader takes the meta word between two reads of the
// tag, and a writer, who holds the shard lock, clears the tag before it
// gives an entry to another flow. A hit changes the meta word (the
// deadline, the trusted bit) with a compare-and-swap, and is counted in
// one atomic add (shard.addHits), or in ProcessBatch in one add per group
// of packets. Inserting flows and fragments, and repicking, lock the
// shard; so does a hit when its compare-and-swap loses a race. ICMP
// errors and later fragments only look up.
const bucketSize = 4

const (
	refTrusted = 1 << 31
	refSlot    = refTrusted - 1
)

type entry struct {
	tag  atomic.Uint64 // 0: empty
	meta atomic.Uint64 // the deadline in ticks << 32 | the backend slot | refTrusted
}

func packMeta(ref, deadline uint32) uint64 { return uint64(deadline)<<32 | uint64(ref) }

func metaRef(v uint64) uint32 { return uint32(v) }

func metaDeadline(v uint64) uint32 { return uint32(v >> 32) }

// put makes e the entry of tag, for a writer holding the shard lock. A
// lookup that read e's old tag before this meta word finds the tag
// changed when it reads it again, because the tag is cleared first.
func (e *entry) put(tag uint64, ref, deadline uint32) {
	old := e.tag.Load()
	if old != 0 && old != tag {
		e.tag.Store(0)
	}
	e.meta.Store(packMeta(ref, deadline))
	if old != tag {
		e.tag.Store(tag)
	}
}

type bucket [bucketSize]entry

type shard struct {
	mu      sync.Mutex
	buckets []bucket
	mask    uint64
	n       [numCounters]uint64 // counters of the flow path, guarded by mu
	c       [numCounters]atomic.Uint64
	hits    atomic.Uint64 // flow hits of the lock-free path: packets<<hitShift | bytes
	_       [64]byte      // keep neighbouring shards' locks off this cache line
}

type flowTable struct {
	shards    []shard
	shardMask uint64
	shardBits uint
}

func newFlowTable(entries, shards int) *flowTable {
	buckets := ceilPow2(max(entries/bucketSize, shards))
	t := &flowTable{shards: make([]shard, shards), shardMask: uint64(shards - 1)}
	for 1<<t.shardBits < shards {
		t.shardBits++
	}
	per := buckets / shards
	all := newBuckets(buckets, t)
	for i := range t.shards {
		t.shards[i].buckets = all[i*per : (i+1)*per : (i+1)*per]
		t.shards[i].mask = uint64(per - 1)
	}
	return t
}

// capacity returns the number of entries.
func (t *flowTable) capacity() int {
	return len(t.shards) * len(t.shards[0].buckets) * bucketSize
}

// locate returns the shard and the two buckets of hash; the caller locks
// the shard.
func (t *flowTable) locate(hash uint64) (*shard, pair) {
	s := &t.shards[hash&t.shardMask]
	return s, pair{&s.buckets[(hash>>t.shardBits)&s.mask], &s.buckets[(hash>>40)&s.mask]}
}

// pair is a flow's two buckets.
type pair struct{ a, b *bucket }

// find returns the live entry tagged tag, or nil and a reusable entry of
// the bucket with more reusable entries, or nil and nil when both
// buckets are full.
func (p pair) find(tag uint64, now uint32) (hit, free *entry) {
	hit, fa, na := p.a.find(tag, now)
	if hit != nil {
		return hit, nil
	}
	if p.a == p.b {
		return nil, fa
	}
	hit, fb, nb := p.b.find(tag, now)
	if hit != nil {
		return hit, nil
	}
	if nb > na {
		return nil, fb
	}
	return nil, fa
}

func alive(e *entry, now uint32) bool {
	return e.tag.Load() != 0 && int32(metaDeadline(e.meta.Load())-now) > 0
}

// find returns the live entry tagged tag, or nil, a reusable (empty or
// expired) entry of the bucket or nil when it is full, and the number of
// reusable entries. The caller holds the shard lock.
func (b *bucket) find(tag uint64, now uint32) (hit, free *entry, n int) {
	for i := range b {
		e := &b[i]
		if !alive(e, now) {
			if free == nil {
				free = e
			}
			n++
			continue
		}
		if e.tag.Load() == tag {
			return e, nil, 0
		}
	}
	return nil, free, n
}

// lookup returns the live entry tagged tag and its meta word, or nil,
// without the shard lock: the meta word is read between two reads of the
// tag, so it is the tag's (see entry.put). nil means a miss or a writer
// at work; the caller then locks the shard and finds again.
//
// It compares the eight tags of both buckets before it branches, and
// picks the first entry that holds tag from the bit mask of matches,
// rather than with a branch per entry: which entry of which bucket holds
// a flow is random, so those branches were mispredicted, and the two
// buckets' cache misses overlap instead of coming one after the other.
// Should that entry not be live (the tag is also on an expired entry, or
// a writer is at work), it looks again entry by entry.
func (p pair) lookup(tag uint64, now uint32) (*entry, uint64) {
	a, b := p.a, p.b
	hits := eq(a[0].tag.Load(), tag) | eq(a[1].tag.Load(), tag)<<1 | eq(a[2].tag.Load(), tag)<<2 | eq(a[3].tag.Load(), tag)<<3 |
		eq(b[0].tag.Load(), tag)<<4 | eq(b[1].tag.Load(), tag)<<5 | eq(b[2].tag.Load(), tag)<<6 | eq(b[3].tag.Load(), tag)<<7
	if hits == 0 {
		return nil, 0
	}
	i := bits.TrailingZeros8(hits)
	e := &[2]*bucket{a, b}[i>>2&1][i&3]
	if v := e.meta.Load(); e.tag.Load() == tag && int32(metaDeadline(v)-now) > 0 {
		return e, v
	}
	if e, v := a.lookup(tag, now); e != nil {
		return e, v
	}
	return b.lookup(tag, now)
}

// eq is 1 if x == y, else 0, without a branch.
func eq(x, y uint64) uint8 {
	if x == y {
		return 1
	}
	return 0
}

func (b *bucket) lookup(tag uint64, now uint32) (*entry, uint64) {
	for i := range b {
		e := &b[i]
		if e.tag.Load() != tag {
			continue
		}
		v := e.meta.Load()
		if e.tag.Load() == tag && int32(metaDeadline(v)-now) > 0 {
			return e, v
		}
	}
	return nil, 0
}

// hitShift splits shard.hits: packets above it, bytes below. Both halves
// are moved into the shard's locked counters before they reach half
// their range, which leaves room for millions of concurrent adds.
const hitShift = 40

// addHits counts flow hits of the lock-free path: hits is their number
// << hitShift | their encapsulated bytes, for at most a few thousand
// packets.
func (s *shard) addHits(hits uint64) {
	if v := s.hits.Add(hits); v >= 1<<63 || v&(1<<(hitShift-1)) != 0 {
		s.mu.Lock()
		s.drainHits()
		s.mu.Unlock()
	}
}

// drainHits moves the hits into the locked counters; the caller holds
// the lock.
func (s *shard) drainHits() {
	v := s.hits.Swap(0)
	s.n[cFlowHit] += v >> hitShift
	s.n[VerdictForward] += v >> hitShift
	s.n[cBytesOut] += v & (1<<hitShift - 1)
}

// flowCount counts the live entries, for tests and Stats.
func (t *flowTable) flowCount(now uint32) (untrusted, trusted int) {
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		for j := range s.buckets {
			for k := range s.buckets[j] {
				e := &s.buckets[j][k]
				if alive(e, now) {
					if metaRef(e.meta.Load())&refTrusted != 0 {
						trusted++
					} else {
						untrusted++
					}
				}
			}
		}
		s.mu.Unlock()
	}
	runtime.KeepAlive(t) // its buckets may be mapped outside the heap (newBuckets)
	return untrusted, trusted
}

func ceilPow2(n int) int {
	p := 1
	for p < n {
		p <<= 1
	}
	return p
}

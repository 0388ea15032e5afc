package hostagent

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"sync"
)

// A flowKey is a flow as it appears on the wire in one direction: source,
// destination, ports, IP protocol, and the DIP's virtual network.
// Addresses are 16 bytes, IPv4 ones IPv4-mapped with v4 set.
type flowKey struct {
	src, dst     [16]byte
	sport, dport uint16
	vni          uint32
	proto        uint8
	v4           bool
	frag         bool // a fragment key: the ports hold the fragment identification
}

// eq is k == *o, compared field by field (faster than the generic
// comparison of the whole struct).
func (k *flowKey) eq(o *flowKey) bool {
	return k.src == o.src && k.dst == o.dst && k.sport == o.sport && k.dport == o.dport &&
		k.vni == o.vni && k.proto == o.proto && k.v4 == o.v4 && k.frag == o.frag
}

func (k *flowKey) swap() flowKey {
	return flowKey{src: k.dst, dst: k.src, sport: k.dport, dport: k.sport, vni: k.vni, proto: k.proto, v4: k.v4, frag: k.frag}
}

// An action is what a flow entry does to the packets that match its key.
type action struct {
	addr    [16]byte // the new source (setSrc) or destination address
	port    uint16   // the new port; 0 keeps it
	setSrc  bool     // rewrite the source: outbound entries
	apply   bool     // rewrite at all (false: floating IP, the VIP stays)
	snat    bool     // an SNAT flow (its reverse holds a leased port)
	reset   bool     // TCP reset on idle: track sequence numbers (see track)
	verdict Verdict
	rule    uint16   // interned rule name
	dip     [16]byte // the local DIP of the flow
	vip     [16]byte // the VIP of the flow
}

// An entry is one direction of a connection: its key, its action, and
// the index of the other direction's entry in the same shard.
type entry struct {
	key     flowKey
	act     action
	peer    uint32
	last    int64 // clock reading (ns) of the last packet this way
	timeout int64 // idle timeout (ns), the same in both entries
	// nxt is the sequence number that follows the last TCP segment sent
	// this way, once seen is set; kept only when act.reset is.
	nxt  uint32
	seen bool
	// closing is set in both entries once either way saw a TCP FIN or
	// RST: a SYN on the 5-tuple then opens a new connection (see
	// reopen.go).
	closing bool
}

// TCP flows that saw a RST, or a FIN, live this much longer when idle
// (the idle timeout of the rule applies otherwise).
const (
	resetTimeout = 10e9
	finTimeout   = 120e9
)

const (
	ways    = 8  // entries per bucket
	nShards = 64 // lock stripes
)

// A flowTable is a fixed-size connection table of two entries per
// connection (one per direction). The two entries of a connection share
// the remote endpoint (the client of an inbound flow, the destination of
// an SNAT flow), so the table is sharded by a hash of that endpoint: both
// live in one shard under one lock, and removing or evicting a connection
// never takes two locks. Within a shard, entries sit in 8-way buckets and
// never move; each key has two candidate buckets (two-choice hashing, so
// the table fills evenly), and a connection is refused, not forced in,
// when both are full of live entries: a flood of new flows cannot evict
// established ones.
type flowTable struct {
	seed   [6]uint64
	shards [nShards]shard
}

type shard struct {
	mu      sync.Mutex
	tags    []uint32 // per entry: a non-zero hash tag when used
	entries []entry
	mask    uint32 // buckets in the shard, minus one
	n       int    // connections
	// reopened counts the SYNs that started a new connection state on
	// a tracked 5-tuple (see reopen.go), under mu.
	reopened uint64
	// snatGone is told of every SNAT connection removed (expired,
	// evicted or swept), with the entry of its outbound direction.
	snatGone func(*entry)
	// Per-packet counters of the packets decided under this shard's
	// lock, which saves the per-packet atomic operations.
	in, out [numVerdicts]uint64
	reasons [numReasons]uint64
	_       [64]byte
}

// count records r in the locked shard's counters and returns it.
func (s *shard) count(out bool, r Result) Result {
	if out {
		s.out[r.Verdict]++
	} else {
		s.in[r.Verdict]++
	}
	s.reasons[r.Reason]++
	return r
}

// newFlowTable makes a table of at least size entries (size/2 connections)
// in total. snatGone, when not nil, is told of every SNAT connection
// removed, under the shard's lock.
func newFlowTable(size int, snatGone func(*entry)) *flowTable {
	t := new(flowTable)
	for i := range t.seed {
		t.seed[i] = rand.Uint64()
	}
	buckets := 1
	for buckets*ways*nShards < size {
		buckets *= 2
	}
	for i := range t.shards {
		s := &t.shards[i]
		s.tags = make([]uint32, buckets*ways)
		s.entries = make([]entry, buckets*ways)
		s.mask = uint32(buckets - 1)
		s.snatGone = snatGone
	}
	return t
}

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// remoteHash hashes the remote endpoint of a key: the source of an
// inbound key (remoteIsSrc) or the destination of an outbound one.
func (t *flowTable) remoteHash(k *flowKey, remoteIsSrc bool) uint64 {
	a, port := &k.dst, k.dport
	if remoteIsSrc {
		a, port = &k.src, k.sport
	}
	w0 := binary.LittleEndian.Uint64(a[0:8])
	w1 := binary.LittleEndian.Uint64(a[8:16])
	w2 := uint64(port) | uint64(k.proto)<<16 | uint64(k.vni)<<24
	return mix(w0^t.seed[0], w1^t.seed[1]) ^ mix(w2^t.seed[2], t.seed[3])
}

// keyHash hashes the whole key given its remote hash.
func (t *flowTable) keyHash(k *flowKey, rh uint64, remoteIsSrc bool) uint64 {
	a, port := &k.src, k.sport
	if remoteIsSrc {
		a, port = &k.dst, k.dport
	}
	w0 := binary.LittleEndian.Uint64(a[0:8])
	w1 := binary.LittleEndian.Uint64(a[8:16]) ^ uint64(port)<<48
	return mix(w0^t.seed[4]^rh, w1^t.seed[5])
}

// A slot locates a key: its shard, candidate buckets and tag.
type slot struct {
	s      *shard
	b1, b2 uint32
	tag    uint32
}

func (t *flowTable) locate(k *flowKey, remoteIsSrc bool) slot {
	rh := t.remoteHash(k, remoteIsSrc)
	h := t.keyHash(k, rh, remoteIsSrc)
	s := &t.shards[rh>>58]
	tag := uint32(h) | 1
	b1 := uint32(h>>32) & s.mask
	return slot{s, b1, (b1 ^ (tag>>8 | 1)) & s.mask, tag} // b2 != b1 unless one bucket
}

// find returns the index of k's entry in the locked shard, or -1.
func (sl slot) find(k *flowKey) int {
	if i := sl.findIn(sl.b1, k); i >= 0 || sl.b2 == sl.b1 {
		return i
	}
	return sl.findIn(sl.b2, k)
}

func (sl slot) findIn(bucket uint32, k *flowKey) int {
	s := sl.s
	base := int(bucket) * ways
	tags := s.tags[base : base+ways]
	for i, tg := range tags {
		if tg == sl.tag && s.entries[base+i].key.eq(k) {
			return base + i
		}
	}
	return -1
}

// expired reports whether the connection has been idle both ways for
// longer than its timeout. The common case, a packet this way within the
// timeout, does not touch the other entry.
func (e *entry) expired(s *shard, now int64) bool {
	return now-e.last > e.timeout && now-s.entries[e.peer].last > e.timeout
}

// remove frees the connection that entry i belongs to.
func (s *shard) remove(i int) {
	p := s.entries[i].peer
	if e := &s.entries[i]; e.act.snat && s.snatGone != nil {
		if !e.act.setSrc {
			e = &s.entries[p]
		}
		s.snatGone(e)
	}
	s.tags[i], s.tags[p] = 0, 0
	s.entries[i], s.entries[p] = entry{}, entry{}
	s.n--
}

// free returns a free entry in the emptier of the slot's two buckets
// (the power of two choices keeps the buckets evenly filled), evicting an
// expired connection if both are full, or -1. It never returns avoid.
func (sl slot) free(now int64, avoid int) int {
	s := sl.s
	best, bestFree := -1, 0
	for _, b := range [2]uint32{sl.b1, sl.b2} {
		base := int(b) * ways
		first, n := -1, 0
		for i := base; i < base+ways; i++ {
			if s.tags[i] == 0 && i != avoid {
				if first < 0 {
					first = i
				}
				n++
			}
		}
		if n > bestFree {
			best, bestFree = first, n
		}
	}
	if best >= 0 {
		return best
	}
	for _, b := range [2]uint32{sl.b1, sl.b2} {
		base := int(b) * ways
		for i := base; i < base+ways; i++ {
			if i != avoid && s.entries[i].expired(s, now) {
				s.remove(i)
				return i
			}
		}
	}
	return -1
}

// Outcomes of insert.
type insertion uint8

const (
	inserted insertion = iota
	taken              // a live connection holds one of the keys
	full               // a bucket has no room
)

// insert adds a connection: entry fwd under key f (at slot fs) and entry
// rev under key r (at rs, in the same shard). The shard is locked. p,
// if not nil, is the packet that made the connection, whose key is f or r:
// its sequence number is tracked (see track).
func (t *flowTable) insert(fs, rs slot, f, r *flowKey, fa, ra *action, timeout, now int64, p *packet) insertion {
	s := fs.s
	for _, x := range [2]struct {
		sl slot
		k  *flowKey
	}{{fs, f}, {rs, r}} {
		if i := x.sl.find(x.k); i >= 0 {
			if !s.entries[i].expired(s, now) {
				return taken
			}
			s.remove(i)
		}
	}
	i := fs.free(now, -1)
	if i < 0 {
		return full
	}
	s.tags[i] = fs.tag // reserve i while looking for the second entry
	j := rs.free(now, i)
	if j < 0 {
		s.tags[i] = 0
		return full
	}
	s.tags[j] = rs.tag
	closing := p != nil && p.closes()
	s.entries[i] = entry{key: *f, act: *fa, peer: uint32(j), last: now, timeout: timeout, closing: closing}
	s.entries[j] = entry{key: *r, act: *ra, peer: uint32(i), last: now, timeout: timeout, closing: closing}
	s.n++
	if p != nil && fa.reset {
		switch &p.key {
		case f:
			p.track(s, &s.entries[i])
		case r:
			p.track(s, &s.entries[j])
		}
	}
	return inserted
}

// sweep removes expired connections, and those for which drop reports
// true, calling idle, if not nil, with the two entries of each connection
// that expired (under the shard's lock). It returns the connections left.
func (t *flowTable) sweep(now int64, drop func(*entry) bool, idle func(e, peer *entry)) int {
	n := 0
	for si := range t.shards {
		s := &t.shards[si]
		s.mu.Lock()
		for i := range s.entries {
			if s.tags[i] == 0 {
				continue
			}
			e := &s.entries[i]
			if expired := e.expired(s, now); expired || (drop != nil && drop(e)) {
				if expired && idle != nil {
					idle(e, &s.entries[e.peer])
				}
				s.remove(i)
			}
		}
		n += s.n
		s.mu.Unlock()
	}
	return n
}

// addStats adds the shards' connections and counters to st.
func (t *flowTable) addStats(st *Stats) {
	for si := range t.shards {
		s := &t.shards[si]
		s.mu.Lock()
		st.Flows += s.n
		st.Reopened += s.reopened
		for i := range s.in {
			st.Inbound[i] += s.in[i]
			st.Outbound[i] += s.out[i]
		}
		for i := range s.reasons {
			st.Reasons[i] += s.reasons[i]
		}
		s.mu.Unlock()
	}
}

package nat

// The session table is two slabs of fixed-size records without pointers
// (mappings and sessions, linked by index) and open-addressing hash indexes
// of uint64 slots, all allocated by New: the garbage collector has nothing
// to scan and a packet allocates nothing.
//
// An index slot holds the record number plus one in its high 32 bits (0 is
// an empty slot) and the key's 32-bit hash in its low bits; the home
// position is the hash masked by the table size, so deletion can shift
// entries back (no tombstones) without reading records. Tables have at
// least twice as many slots as records (load at most one half), so probe
// runs stay short. Hashes are keyed by a secret from Config.Rand, so a host
// cannot aim keys at one run.

// index is an open-addressing table with linear probing.
type index struct {
	slots []uint64
	mask  uint32
}

func newIndex(records int) index {
	n := 16
	for n < 2*records {
		n <<= 1
	}
	return index{slots: make([]uint64, n), mask: uint32(n - 1)}
}

func (x *index) insert(h, rec uint32) {
	i := h & x.mask
	for x.slots[i] != 0 {
		i = (i + 1) & x.mask
	}
	x.slots[i] = uint64(rec+1)<<32 | uint64(h)
}

// remove deletes the slot of record rec, whose key hashes to h.
func (x *index) remove(h, rec uint32) {
	want := uint64(rec+1)<<32 | uint64(h)
	i := h & x.mask
	for x.slots[i] != want {
		i = (i + 1) & x.mask
	}
	// Backward-shift deletion: move later members of the run into the hole
	// when the hole lies between their home and where they are.
	j := i
	for {
		j = (j + 1) & x.mask
		s := x.slots[j]
		if s == 0 {
			break
		}
		home := uint32(s) & x.mask
		if (j-home)&x.mask >= (j-i)&x.mask {
			x.slots[i] = s
			i = j
		}
	}
	x.slots[i] = 0
}

// mix is a 64-bit finalizer (the avalanche step of MurmurHash3).
func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// hashEndpoint hashes a (protocol, address, port) key.
func (n *NAT) hashEndpoint(proto uint8, addr uint32, port uint16) uint32 {
	return uint32(mix((uint64(addr)<<32|uint64(port)<<8|uint64(proto))^n.seed) >> 32)
}

// hashSession hashes a session's (mapping, remote address): sessions of one
// mapping with one remote address share a probe run, which is what
// address-dependent filtering looks for.
func (n *NAT) hashSession(m, remAddr uint32) uint32 {
	return uint32(mix((uint64(m)<<32|uint64(remAddr))^n.seed2) >> 32)
}

// hosts counts sessions per internal address: open addressing over
// uint64 slots holding address<<32 | count, empty when count is 0.
type hosts struct {
	slots []uint64
	mask  uint32
	seed  uint64
}

func newHosts(records int, seed uint64) hosts {
	x := newIndex(records)
	return hosts{slots: x.slots, mask: x.mask, seed: seed}
}

func (t *hosts) home(addr uint32) uint32 {
	return uint32(mix(uint64(addr)^t.seed)>>32) & t.mask
}

func (t *hosts) find(addr uint32) uint32 {
	i := t.home(addr)
	for {
		s := t.slots[i]
		if s == 0 || uint32(s>>32) == addr {
			return i
		}
		i = (i + 1) & t.mask
	}
}

func (t *hosts) count(addr uint32) uint32 { return uint32(t.slots[t.find(addr)]) }

func (t *hosts) inc(addr uint32) {
	i := t.find(addr)
	t.slots[i] = uint64(addr)<<32 | uint64(uint32(t.slots[i])+1)
}

func (t *hosts) dec(addr uint32) {
	i := t.find(addr)
	c := uint32(t.slots[i]) - 1
	if c > 0 {
		t.slots[i] = uint64(addr)<<32 | uint64(c)
		return
	}
	j := i
	for {
		j = (j + 1) & t.mask
		s := t.slots[j]
		if s == 0 {
			break
		}
		home := t.home(uint32(s >> 32))
		if (j-home)&t.mask >= (j-i)&t.mask {
			t.slots[i] = s
			i = j
		}
	}
	t.slots[i] = 0
}

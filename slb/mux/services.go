package mux

// svcTable is a read-only open-addressing hash table from (VIP, port,
// protocol) to service, built by Configure and probed by every packet. It
// replaces a Go map, whose hashing of a key holding a netip.Addr cost
// about a fifth of the per-packet path.
type svcTable struct {
	slots []svcSlot
	mask  uint64
}

type svcSlot struct {
	hi, lo uint64 // the VIP's 16-byte form
	pp     uint32 // 1<<31 | port<<8 | proto; 0 marks an empty slot
	svc    *service
}

func svcHash(hi, lo uint64, pp uint32) uint64 {
	x := lo ^ hi*0x9e3779b97f4a7c15 ^ uint64(pp)*0xc2b2ae3d27d4eb4f
	x ^= x >> 29
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 32
	return x
}

// newSvcTable builds the table of services at load factor at most 1/2.
func newSvcTable(services map[svcKey]*service) svcTable {
	n := ceilPow2(max(2*len(services), 8))
	t := svcTable{slots: make([]svcSlot, n), mask: uint64(n - 1)}
	for k, s := range services {
		w := addrWords(k.vip)
		hi, lo := w.hi, w.lo
		pp := 1<<31 | uint32(k.port)<<8 | uint32(k.proto)
		for i := svcHash(hi, lo, pp) & t.mask; ; i = (i + 1) & t.mask {
			if t.slots[i].pp == 0 {
				t.slots[i] = svcSlot{hi: hi, lo: lo, pp: pp, svc: s}
				break
			}
		}
	}
	return t
}

// get returns the service of (vip, port, proto), or nil.
func (t *svcTable) get(vip words, port uint16, proto uint8) *service {
	hi, lo := vip.hi, vip.lo
	pp := 1<<31 | uint32(port)<<8 | uint32(proto)
	for i := svcHash(hi, lo, pp) & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if s.pp == pp && s.lo == lo && s.hi == hi {
			return s.svc
		}
		if s.pp == 0 {
			return nil
		}
	}
}

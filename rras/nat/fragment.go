package nat

import (
	"github.com/sdnfabric/sdnfabric/offload/header"
)

// Fragments (RFC 4787 REQ-14): the NAT translates fragments without
// reassembling them. Only the first fragment (offset 0) carries the ports,
// so it is translated like a whole packet (its transport checksum, which
// covers the whole datagram, is updated incrementally: the rest of the
// datagram does not change), and the translation is remembered under the
// datagram's key as it arrived: (source, destination, protocol, IP
// identification, direction). Later fragments of that datagram only get
// their addresses rewritten from that record.
//
// A non-first fragment that arrives before its first fragment is held: a
// copy goes into a bounded queue of fixed slots. When the first fragment
// is translated, its held fragments are released ([NAT.Released]) for the
// caller to pass through Outbound or Inbound again, which now finds the
// record. Fragments are thus received in any order (REQ-14) with bounded
// memory, and without reassembly the NAT never changes a datagram's
// fragmentation nor waits for a whole datagram.
//
// Denial of service (REQ-14a): both tables are allocated by New and
// replace their oldest entry when full, so a flood of fragments cannot
// grow memory; records are created only by first fragments that the NAT
// translated (a packet that matches no mapping or is filtered creates
// none), so traffic from outside without a mapping cannot push out the
// records in-order fragments need; out-of-order fragments of a flood only
// compete with other held fragments, and the newest ones are kept.

// HeldFragmentSize is the largest out-of-order fragment the NAT holds
// (larger ones are dropped with ErrFragment).
const HeldFragmentSize = 2048

// fragKey identifies a datagram as it arrived.
type fragKey struct {
	src, dst uint32
	id       uint16
	proto    uint8
	out      bool
}

// fragRecord is the translation of one fragmented datagram.
type fragRecord struct {
	key            fragKey
	newSrc, newDst uint32
	expiry         uint32 // tick; 0 when the slot is free
	hash           uint32
	verdict        Verdict
}

// heldFrag is one held out-of-order fragment; its bytes are in
// NAT.heldBuf at slot*HeldFragmentSize.
type heldFrag struct {
	key      fragKey
	expiry   uint32 // 0 when the slot is free
	n        uint16
	released bool
}

type fragments struct {
	recs    []fragRecord
	index   index
	next    uint32 // the slot the next record takes (oldest first)
	held    []heldFrag
	heldBuf []byte
	nextH   uint32
	nrel    int // held fragments released and not yet taken
}

func newFragments(records, held int) fragments {
	return fragments{
		recs:    make([]fragRecord, records),
		index:   newIndex(records),
		held:    make([]heldFrag, held),
		heldBuf: make([]byte, held*HeldFragmentSize),
	}
}

func (n *NAT) hashFrag(k fragKey) uint32 {
	b := uint64(k.id)<<16 | uint64(k.proto)<<8
	if k.out {
		b |= 1
	}
	return uint32(mix(mix(uint64(k.src)<<32|uint64(k.dst)^n.seed)^b) >> 32)
}

func fragKeyOf(ip header.IPv4, out bool) fragKey {
	return fragKey{src: u32(ip.Source()), dst: u32(ip.Destination()), id: ip.ID(), proto: ip.Protocol(), out: out}
}

// lookupFrag returns the live record of datagram k.
func (n *NAT) lookupFrag(k fragKey, h uint32) (*fragRecord, bool) {
	f := &n.frags
	x := &f.index
	for i := h & x.mask; ; i = (i + 1) & x.mask {
		s := x.slots[i]
		if s == 0 {
			return nil, false
		}
		if uint32(s) == h {
			r := &f.recs[uint32(s>>32)-1]
			if r.key == k && r.expiry > n.wheel.tick {
				return r, true
			}
		}
	}
}

// trackFragments remembers how the first fragment of a datagram, whose
// key on arrival was k, was translated (ip is the translated packet), and
// releases its held fragments.
func (n *NAT) trackFragments(k fragKey, ip header.IPv4, v Verdict) {
	f := &n.frags
	h := n.hashFrag(k)
	r, ok := n.lookupFrag(k, h)
	if !ok {
		slot := f.next
		f.next = (f.next + 1) % uint32(len(f.recs))
		r = &f.recs[slot]
		if r.expiry != 0 {
			f.index.remove(r.hash, slot)
		}
		r.key, r.hash = k, h
		f.index.insert(h, slot)
	}
	r.newSrc, r.newDst = u32(ip.Source()), u32(ip.Destination())
	r.verdict = v
	r.expiry = n.wheel.tick + n.toFrag
	for i := range f.held {
		hf := &f.held[i]
		if hf.expiry > n.wheel.tick && !hf.released && hf.key == k {
			hf.released = true
			f.nrel++
		}
	}
}

// fragment translates a non-first fragment from its datagram's record, or
// holds it until the first fragment comes.
func (n *NAT) fragment(ip header.IPv4, out bool) (Verdict, error) {
	k := fragKeyOf(ip, out)
	if r, ok := n.lookupFrag(k, n.hashFrag(k)); ok {
		if r.newSrc != k.src {
			ip.SetSourceUpdatingChecksum(addr4(r.newSrc))
		}
		if r.newDst != k.dst {
			ip.SetDestinationUpdatingChecksum(addr4(r.newDst))
		}
		n.counters.Fragments++
		return r.verdict, nil
	}
	if len(ip) > HeldFragmentSize {
		n.counters.FragmentsDropped++
		return Drop, ErrFragment
	}
	f := &n.frags
	slot := f.nextH
	f.nextH = (f.nextH + 1) % uint32(len(f.held))
	hf := &f.held[slot]
	if hf.expiry > n.wheel.tick {
		n.counters.FragmentsDropped++ // the oldest held fragment is pushed out
	}
	if hf.released {
		f.nrel-- // live or expired, it is no longer there to take
	}
	*hf = heldFrag{key: k, expiry: n.wheel.tick + n.toFrag, n: uint16(len(ip))}
	copy(f.heldBuf[int(slot)*HeldFragmentSize:], ip)
	n.counters.FragmentsHeld++
	return Drop, ErrFragmentHeld
}

// Released appends to dst the next held fragment that the translation of
// its datagram's first fragment has released, and reports whether there
// was one and the direction it arrived in. Pass it to Outbound (outbound
// true) or Inbound again, after the first fragment: it is then translated.
// Call Released until it reports none after each Outbound or Inbound that
// forwarded a first fragment (a caller that does not may see released
// fragments pushed out by newer ones).
func (n *NAT) Released(dst []byte) (pkt []byte, outbound, ok bool) {
	f := &n.frags
	if f.nrel == 0 {
		return dst, false, false
	}
	for i := range f.held {
		hf := &f.held[i]
		if !hf.released {
			continue
		}
		f.nrel--
		live := hf.expiry > n.wheel.tick
		out := hf.key.out
		b := f.heldBuf[i*HeldFragmentSize : i*HeldFragmentSize+int(hf.n)]
		*hf = heldFrag{}
		if live {
			return append(dst, b...), out, true
		}
		n.counters.FragmentsDropped++
		if f.nrel == 0 {
			break
		}
	}
	return dst, false, false
}

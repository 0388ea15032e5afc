package nat

import (
	"math/bits"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

// Port assignment (RFC 4787 section 4.2, RFC 5382 REQ-7, RFC 7857
// sections 9 and 10):
//
//   - an external port is never shared by two mappings of one protocol on
//     one address (no port overloading): each pool address has a bitmap of
//     the ports in use per protocol;
//   - the internal port is kept when it lies in the configured range and is
//     free (port preservation);
//   - otherwise the port is drawn at random from the range with the parity
//     of the internal port (port parity), up to randomTries times, then the
//     bitmap is scanned from a random word, same parity first, then any;
//   - ICMP identifiers are drawn from the whole 16-bit space, with no parity.
//
// The bitmap makes the worst case (an almost full range) a scan of 1024
// words, and a full range is refused at once by its count.
const randomTries = 32

// portSet is a bitmap of the 65536 ports of one address and protocol.
type portSet struct {
	bits  []uint64 // 1024 words, allocated by New
	count uint32   // ports in use
	fixed uint32   // of which static forwards outside the dynamic range
}

func (s *portSet) has(p uint16) bool { return s.bits[p>>6]&(1<<(p&63)) != 0 }

func (s *portSet) set(p uint16) {
	s.bits[p>>6] |= 1 << (p & 63)
	s.count++
}

func (s *portSet) clear(p uint16) {
	s.bits[p>>6] &^= 1 << (p & 63)
	s.count--
}

func protoIndex(proto uint8) uint32 {
	switch proto {
	case header.ProtocolTCP:
		return 0
	case header.ProtocolUDP:
		return 1
	}
	return 2
}

func (n *NAT) ports(proto uint8, pool uint32) *portSet { return &n.used[pool*3+protoIndex(proto)] }

func (n *NAT) allocPort(proto uint8, pool uint32, inPort uint16) (uint16, bool) {
	lo, hi := uint32(n.cfg.Ports.Lo), uint32(n.cfg.Ports.Hi)
	parity := true
	if proto == header.ProtocolICMPv4 {
		lo, hi, parity = 0, 0xffff, false
	}
	used := n.ports(proto, pool)
	size := hi - lo + 1
	if used.count-used.fixed >= size {
		return 0, false
	}
	p := uint32(inPort)
	if p >= lo && p <= hi && !used.has(inPort) {
		return inPort, true
	}
	if parity && size < 2 {
		parity = false
	}
	for range randomTries {
		c := lo + n.rand.Uint32N(size)
		if parity {
			c = c&^1 | p&1
			if c < lo || c > hi { // an odd Lo or an even Hi
				continue
			}
		}
		if !used.has(uint16(c)) {
			return uint16(c), true
		}
	}
	start := n.rand.Uint32N(1024)
	for pass := range 2 {
		var want uint64 = ^uint64(0)
		if pass == 0 && parity {
			want = 0x5555555555555555 // even ports
			if p&1 == 1 {
				want <<= 1
			}
		}
		for i := range uint32(1024) {
			w := (start + i) & 1023
			base := w << 6
			if base+63 < lo || base > hi {
				continue
			}
			free := want &^ used.bits[w]
			if base < lo {
				free &= ^uint64(0) << (lo - base)
			}
			if base+63 > hi {
				free &= ^uint64(0) >> (base + 63 - hi)
			}
			if free != 0 {
				return uint16(base + uint32(bits.TrailingZeros64(free))), true
			}
		}
		if !parity {
			break
		}
	}
	return 0, false
}

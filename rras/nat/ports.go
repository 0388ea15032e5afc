package nat

import "github.com/sdnfabric/sdnfabric/offload/header"

// Port assignment (RFC 4787 section 4.2, RFC 5382 REQ-7, RFC 7857
// sections 9 and 10):
//
//   - an external port is never shared by two mappings of one protocol on
//     one address (no port overloading): a port is free when no mapping owns
//     it in the external index;
//   - the internal port is kept when it lies in the configured range and is
//     free (port preservation);
//   - otherwise the port is drawn at random from the range with the parity
//     of the internal port (port parity), up to randomTries times, then the
//     range is scanned from a random point, same parity first, then any;
//   - ICMP identifiers are drawn from the whole 16-bit space, with no parity.
const randomTries = 32

func (n *NAT) portFree(proto uint8, ext uint32, port uint16) bool {
	_, used := n.lookupExt(proto, ext, port)
	return !used
}

func (n *NAT) allocPort(proto uint8, ext uint32, inPort uint16) (uint16, bool) {
	lo, hi := uint32(n.cfg.Ports.Lo), uint32(n.cfg.Ports.Hi)
	parity := true
	if proto == header.ProtocolICMPv4 {
		lo, hi, parity = 0, 0xffff, false
	}
	p := uint32(inPort)
	if p >= lo && p <= hi && n.portFree(proto, ext, inPort) {
		return inPort, true
	}
	size := hi - lo + 1
	if parity && size < 2 {
		parity = false
	}
	for range randomTries {
		c := lo + n.rand.Uint32N(size)
		if parity {
			c = c&^1 | p&1
			if c < lo || c > hi {
				continue
			}
		}
		if n.portFree(proto, ext, uint16(c)) {
			return uint16(c), true
		}
	}
	start := n.rand.Uint32N(size)
	for pass := range 2 {
		for i := range size {
			c := lo + (start+i)%size
			if pass == 0 && parity && c&1 != p&1 {
				continue
			}
			if n.portFree(proto, ext, uint16(c)) {
				return uint16(c), true
			}
		}
		if !parity {
			break
		}
	}
	return 0, false
}

package wire

import (
	"fmt"
	"iter"
)

// AFI is an Address Family Identifier (RFC 4760, IANA registry).
type AFI uint16

// SAFI is a Subsequent Address Family Identifier (RFC 4760).
type SAFI uint8

// Address families this package decodes NLRI for.
const (
	AFIIPv4 AFI = 1
	AFIIPv6 AFI = 2

	SAFIUnicast   SAFI = 1
	SAFIMulticast SAFI = 2
)

// Family is an AFI/SAFI pair.
type Family struct {
	AFI  AFI
	SAFI SAFI
}

// Families whose NLRI are plain prefixes (RFC 4760 section 5).
var (
	IPv4Unicast   = Family{AFIIPv4, SAFIUnicast}
	IPv6Unicast   = Family{AFIIPv6, SAFIUnicast}
	IPv4Multicast = Family{AFIIPv4, SAFIMulticast}
	IPv6Multicast = Family{AFIIPv6, SAFIMulticast}
)

func (f Family) String() string {
	switch f {
	case IPv4Unicast:
		return "ipv4-unicast"
	case IPv6Unicast:
		return "ipv6-unicast"
	case IPv4Multicast:
		return "ipv4-multicast"
	case IPv6Multicast:
		return "ipv6-multicast"
	}
	return fmt.Sprintf("afi%d-safi%d", f.AFI, f.SAFI)
}

// bit is the Families bit of f, or 0 for a family whose NLRI this package
// does not decode.
func (f Family) bit() FamilySet {
	switch f {
	case IPv4Unicast:
		return 1
	case IPv6Unicast:
		return 2
	case IPv4Multicast:
		return 4
	case IPv6Multicast:
		return 8
	}
	return 0
}

// Known reports whether this package decodes the NLRI of f.
func (f Family) Known() bool { return f.bit() != 0 }

// addrLen is the address length in bytes of the family's prefixes.
func (f Family) addrLen() int {
	if f.AFI == AFIIPv6 {
		return 16
	}
	return 4
}

// FamilySet is a set of the families this package decodes, as a bit mask. It
// holds negotiated per-family session state (ADD-PATH, extended next hop)
// without allocating.
type FamilySet uint8

// With returns s plus f (unchanged if f is not Known).
func (s FamilySet) With(f Family) FamilySet { return s | f.bit() }

// All yields the families of s.
func (s FamilySet) All() iter.Seq[Family] {
	return func(yield func(Family) bool) {
		for _, f := range [...]Family{IPv4Unicast, IPv6Unicast, IPv4Multicast, IPv6Multicast} {
			if s.Has(f) && !yield(f) {
				return
			}
		}
	}
}

// Has reports whether f is in s.
func (s FamilySet) Has(f Family) bool { return f.bit() != 0 && s&f.bit() != 0 }

package hostagent

import (
	"net/netip"
	"slices"
)

// The internal prefixes: destinations a DIP under an outbound rule
// reaches without SNAT (the virtual networks' own prefixes, east-west).
// They start as Config.Internal and follow SetInternal; the packet path
// reads an immutable set that each SetInternal publishes whole, so a
// packet sees either the old set or the new one and never waits.

// SetInternal replaces the internal prefixes with prefixes (masked;
// duplicates and prefixes within another are dropped). It may be called
// concurrently with Outbound: connections already SNATed keep their
// translation, and the next new connection is decided by the new set.
func (a *Agent) SetInternal(prefixes []netip.Prefix) {
	set := internalSet(prefixes)
	a.internals.Store(&set)
}

// Internal returns the internal prefixes, sorted.
func (a *Agent) Internal() []netip.Prefix {
	return slices.Clone(*a.internals.Load())
}

// internalSet returns prefixes masked, sorted, without duplicates or
// prefixes within another.
func internalSet(prefixes []netip.Prefix) []netip.Prefix {
	var all []netip.Prefix
	for _, p := range prefixes {
		if p.IsValid() {
			all = append(all, p.Masked())
		}
	}
	// By address, wider first among prefixes of one address: a prefix
	// within another follows it, and any prefix between them is within
	// it too.
	slices.SortFunc(all, func(x, y netip.Prefix) int {
		if c := x.Addr().Compare(y.Addr()); c != 0 {
			return c
		}
		return x.Bits() - y.Bits()
	})
	out := []netip.Prefix{}
	for _, p := range all {
		if n := len(out); n > 0 && out[n-1].Bits() <= p.Bits() && out[n-1].Contains(p.Addr()) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// internal reports whether dst is in one of the internal prefixes.
func (a *Agent) internal(dst netip.Addr) bool {
	for _, p := range *a.internals.Load() {
		if p.Contains(dst) {
			return true
		}
	}
	return false
}

package model

import "net/netip"

// PublicIPPoolSpec is a range of public addresses that LoadBalancer
// frontends take their VIPs from. The Muxes announce each VIP in use as a
// host route; the pool's prefix is what the routers outside expect behind
// the Muxes.
type PublicIPPoolSpec struct {
	Prefix netip.Prefix `json:"prefix"`
	// Start and End bound the addresses handed out, inclusive, inside
	// Prefix; zero means the prefix's first and last usable addresses
	// (for IPv4, not the network and broadcast addresses).
	Start netip.Addr `json:"start,omitzero"`
	End   netip.Addr `json:"end,omitzero"`
}

// Kind returns KindPublicIPPool.
func (PublicIPPoolSpec) Kind() Kind { return KindPublicIPPool }

// Range returns the first and last address the pool hands out.
func (p PublicIPPoolSpec) Range() (first, last netip.Addr) {
	pfx := p.Prefix.Masked()
	first, last = pfx.Addr(), lastAddr(pfx)
	if first.Is4() && pfx.Bits() < 31 {
		first, last = first.Next(), last.Prev()
	}
	if p.Start.IsValid() {
		first = p.Start
	}
	if p.End.IsValid() {
		last = p.End
	}
	return first, last
}

// Contains reports whether a is an address the pool hands out.
func (p PublicIPPoolSpec) Contains(a netip.Addr) bool {
	first, last := p.Range()
	return p.Prefix.Contains(a) && first.Compare(a) <= 0 && a.Compare(last) <= 0
}

// PublicIPPoolStatus reports the pool's use.
type PublicIPPoolStatus struct {
	Allocated int `json:"allocated"`
	Available int `json:"available"`
}

func (s *PublicIPPoolSpec) validate(c checker, _ string) {
	if !checkPrefix(c, "spec.prefix", s.Prefix) {
		return
	}
	if s.Start.IsValid() && !s.Prefix.Contains(s.Start) {
		c.fail(ErrOutside, "spec.start", "%s is outside %s", s.Start, s.Prefix)
		return
	}
	if s.End.IsValid() && !s.Prefix.Contains(s.End) {
		c.fail(ErrOutside, "spec.end", "%s is outside %s", s.End, s.Prefix)
		return
	}
	if first, last := s.Range(); last.Less(first) {
		c.fail(ErrRange, "spec.end", "the pool's range %s-%s is empty", first, last)
	}
}

package model

import "net/netip"

// lastAddr returns the last address of the masked prefix p.
func lastAddr(p netip.Prefix) netip.Addr {
	if !p.IsValid() {
		return netip.Addr{}
	}
	a := p.Addr()
	if a.Is4() {
		b := a.As4()
		for i := p.Bits(); i < 32; i++ {
			b[i/8] |= 0x80 >> (i % 8)
		}
		return netip.AddrFrom4(b)
	}
	b := a.As16()
	for i := p.Bits(); i < 128; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	return netip.AddrFrom16(b)
}

// usable reports whether a is a host address of the IPv4 subnet p (not
// its network or broadcast address); every address of an IPv6 subnet,
// and of an IPv4 /31 or /32, is usable.
func usable(p netip.Prefix, a netip.Addr) bool {
	if !p.Contains(a) {
		return false
	}
	if !a.Is4() || p.Bits() >= 31 {
		return true
	}
	m := p.Masked()
	return a != m.Addr() && a != lastAddr(m)
}

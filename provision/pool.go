package provision

import (
	"fmt"
	"net/netip"
)

// MACPool hands out MAC addresses: a static address where one was
// configured for a hostname, otherwise a generated locally administered
// address 02:pp:pp:ss:ss:ss under the pool's 16-bit prefix. No address is
// handed out twice while in use.
type MACPool struct {
	prefix    uint16
	static    map[string]MAC
	staticSet map[MAC]bool
	inUse     map[MAC]bool
	next      uint32
}

const macSeqLimit = 1 << 24

// NewMACPool returns a pool generating under prefix, with static addresses
// by hostname. Static addresses must be unicast, non-zero and distinct.
func NewMACPool(prefix uint16, static map[string]MAC) (*MACPool, error) {
	p := &MACPool{prefix: prefix, static: make(map[string]MAC, len(static)), staticSet: make(map[MAC]bool, len(static)), inUse: make(map[MAC]bool)}
	seen := make(map[MAC]string, len(static))
	for host, m := range static {
		if m.IsZero() || m.IsMulticast() {
			return nil, &PoolError{Pool: "mac", Value: host + "=" + m.String(), Err: ErrBadMAC}
		}
		if other, dup := seen[m]; dup {
			return nil, &PoolError{Pool: "mac", Value: fmt.Sprintf("%s for %s and %s", m, other, host), Err: ErrDuplicate}
		}
		seen[m] = host
		p.static[host] = m
		p.staticSet[m] = true
	}
	return p, nil
}

// Allocate returns the address for host.
func (p *MACPool) Allocate(host string) (MAC, error) {
	if m, ok := p.static[host]; ok {
		if p.inUse[m] {
			return MAC{}, &PoolError{Pool: "mac", Value: m.String(), Err: ErrDuplicate}
		}
		p.inUse[m] = true
		return m, nil
	}
	for range macSeqLimit {
		m := localMAC(p.prefix, p.next)
		p.next = (p.next + 1) % macSeqLimit
		if !p.inUse[m] && !p.staticSet[m] {
			p.inUse[m] = true
			return m, nil
		}
	}
	return MAC{}, &PoolError{Pool: "mac", Err: ErrPoolExhausted}
}

// Release returns m to the pool.
func (p *MACPool) Release(m MAC) { delete(p.inUse, m) }

// IPPool hands out addresses from a subnet, skipping the network and
// broadcast addresses (IPv4 prefixes shorter than /31), the IPv6
// subnet-router anycast address, and any reserved addresses (gateways,
// DNS, the load balancer's VIPs).
type IPPool struct {
	subnet   netip.Prefix
	reserved map[netip.Addr]bool
	inUse    map[netip.Addr]bool
	low      netip.Addr // every address below low is unavailable
}

// NewIPPool returns a pool over subnet. Reserved addresses outside the
// subnet are an error.
func NewIPPool(subnet netip.Prefix, reserved ...netip.Addr) (*IPPool, error) {
	if !subnet.IsValid() {
		return nil, &PoolError{Pool: "ip", Value: subnet.String(), Err: ErrBadSubnet}
	}
	p := &IPPool{subnet: subnet.Masked(), reserved: make(map[netip.Addr]bool), inUse: make(map[netip.Addr]bool)}
	p.low = p.subnet.Addr()
	for _, a := range reserved {
		if !p.subnet.Contains(a) {
			return nil, &PoolError{Pool: "ip", Value: fmt.Sprintf("reserved %s outside %s", a, p.subnet), Err: ErrBadSubnet}
		}
		p.reserved[a] = true
	}
	return p, nil
}

// usable reports whether a may be handed out at all.
func (p *IPPool) usable(a netip.Addr) bool {
	if p.reserved[a] {
		return false
	}
	first := p.subnet.Addr()
	if a == first && (a.Is6() || p.subnet.Bits() < 31) {
		return false // network address / subnet-router anycast
	}
	if a.Is4() && p.subnet.Bits() < 31 && !p.subnet.Contains(a.Next()) {
		return false // broadcast
	}
	return true
}

// Allocate returns the lowest free usable address. It scans from a
// low-water mark, so filling a pool is linear, not quadratic.
func (p *IPPool) Allocate() (netip.Addr, error) {
	// At most len(inUse)+len(reserved)+2 addresses are unavailable, so the
	// lowest free one is within that many steps: the scan is bounded even
	// for a /64.
	limit := len(p.inUse) + len(p.reserved) + 3
	a := p.low
	for range limit {
		if !a.IsValid() || !p.subnet.Contains(a) {
			break
		}
		if p.usable(a) && !p.inUse[a] {
			p.inUse[a] = true
			p.low = a.Next()
			return a, nil
		}
		a = a.Next()
	}
	return netip.Addr{}, &PoolError{Pool: "ip", Value: p.subnet.String(), Err: ErrPoolExhausted}
}

// Release returns a to the pool.
func (p *IPPool) Release(a netip.Addr) {
	if p.inUse[a] {
		delete(p.inUse, a)
		if a.Less(p.low) {
			p.low = a
		}
	}
}

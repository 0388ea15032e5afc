package router

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

// DefaultMTU is the IP MTU of an interface configured without one.
const DefaultMTU = 1500

// Interface is the configuration of one router port.
type Interface struct {
	Index int // positive, unique
	Name  string
	MAC   header.MAC // unicast
	MTU   int        // IP MTU; 0 means DefaultMTU
	// Addrs are the router's addresses on the link with their subnet
	// (10.99.1.1/24, 2001:db8:1::1/64). Each subnet becomes a connected
	// route. An IPv6 link-local address (fe80::/64 from the MAC, modified
	// EUI-64) is added when none is given.
	Addrs []netip.Prefix
	// NAT is the interface's side of the NAT44 of Config.NAT (NATNone
	// when the router has no NAT or the interface is not translated).
	NAT NATSide
}

// ErrInvalidInterface is wrapped by errors of SetInterface.
var ErrInvalidInterface = errors.New("invalid interface")

// ErrUnknownInterface is returned by Input for a frame from an interface the
// router does not have.
var ErrUnknownInterface = errors.New("router: unknown interface")

// iface is the data-path view of an interface: immutable except counters,
// which survive reconfiguration.
type iface struct {
	Interface
	addr4, addr6, linkLocal netip.Addr // preferred source addresses
	counters                *counters
}

// ifaceSet is an immutable snapshot of all interfaces.
type ifaceSet struct {
	byIndex map[int]*iface
	dense   []*iface           // byIndex for small indexes, for the data path
	local   map[netip.Addr]int // router address -> interface index
	addrs   []localAddr        // local as a slice, scanned when short
}

type localAddr struct {
	addr  netip.Addr
	index int
}

// maxDense is the largest interface index looked up in a slice rather than
// a map.
const maxDense = 1024

// maxScan is the most router addresses found by a linear scan (faster than
// hashing an address) rather than a map lookup.
const maxScan = 16

func (s *ifaceSet) get(i int) *iface {
	if s == nil {
		return nil
	}
	if uint(i) < uint(len(s.dense)) {
		return s.dense[i]
	}
	return s.byIndex[i]
}

// localIndex returns the interface holding router address a.
func (s *ifaceSet) localIndex(a netip.Addr) (int, bool) {
	if len(s.addrs) <= maxScan {
		for _, l := range s.addrs {
			if l.addr == a {
				return l.index, true
			}
		}
		return 0, false
	}
	i, ok := s.local[a]
	return i, ok
}

// linkLocalFromMAC returns fe80::/64 with the modified EUI-64 identifier of
// mac (RFC 4291 appendix A).
func linkLocalFromMAC(mac header.MAC) netip.Addr {
	var a [16]byte
	a[0], a[1] = 0xfe, 0x80
	a[8] = mac[0] ^ 0x02
	a[9], a[10] = mac[1], mac[2]
	a[11], a[12] = 0xff, 0xfe
	a[13], a[14], a[15] = mac[3], mac[4], mac[5]
	return netip.AddrFrom16(a)
}

func checkInterface(ifc Interface) (Interface, error) {
	fail := func(f string, a ...any) error {
		return fmt.Errorf("router: interface %d (%s): %s: %w", ifc.Index, ifc.Name, fmt.Sprintf(f, a...), ErrInvalidInterface)
	}
	if ifc.Index <= 0 {
		return ifc, fail("index must be positive")
	}
	if ifc.MAC.IsMulticast() || ifc.MAC.IsZero() {
		return ifc, fail("MAC %s is not unicast", ifc.MAC)
	}
	if ifc.MTU == 0 {
		ifc.MTU = DefaultMTU
	}
	if ifc.MTU < 68 || ifc.MTU > 65535 {
		return ifc, fail("MTU %d out of range", ifc.MTU)
	}
	if ifc.NAT > NATOutside {
		return ifc, fail("unknown NAT side %d", ifc.NAT)
	}
	addrs := make([]netip.Prefix, 0, len(ifc.Addrs)+1)
	hasLL := false
	for _, p := range ifc.Addrs {
		a := p.Addr()
		if !p.IsValid() || a.Zone() != "" || a.Is4In6() || a.IsMulticast() || a.IsUnspecified() || a.IsLoopback() {
			return ifc, fail("address %s not usable", p)
		}
		hasLL = hasLL || a.Is6() && a.IsLinkLocalUnicast()
		addrs = append(addrs, p)
	}
	if ifc.MTU >= 1280 && !hasLL && slices.ContainsFunc(addrs, func(p netip.Prefix) bool { return p.Addr().Is6() }) {
		addrs = append(addrs, netip.PrefixFrom(linkLocalFromMAC(ifc.MAC), 64))
	}
	ifc.Addrs = addrs
	return ifc, nil
}

// SetInterface adds or reconfigures an interface: it replaces the
// interface's connected routes and announces each address that is new
// (a gratuitous ARP for IPv4, an unsolicited Neighbor Advertisement for
// IPv6, both also when the MAC changed).
func (r *Router) SetInterface(ifc Interface) error {
	ifc, err := checkInterface(ifc)
	if err != nil {
		return err
	}
	r.cfgMu.Lock()
	old := r.ifs.Load()
	prev := old.get(ifc.Index)
	for _, p := range ifc.Addrs {
		if j, ok := old.localIndex(p.Addr()); ok && j != ifc.Index {
			r.cfgMu.Unlock()
			return fmt.Errorf("router: interface %d: address %s already on interface %d: %w", ifc.Index, p.Addr(), j, ErrInvalidInterface)
		}
	}
	n := &iface{Interface: ifc, counters: new(counters)}
	if prev != nil {
		n.counters = prev.counters
	}
	for _, p := range ifc.Addrs {
		a := p.Addr()
		switch {
		case a.Is4() && !n.addr4.IsValid():
			n.addr4 = a
		case a.Is6() && a.IsLinkLocalUnicast() && !n.linkLocal.IsValid():
			n.linkLocal = a
		case a.Is6() && !a.IsLinkLocalUnicast() && !n.addr6.IsValid():
			n.addr6 = a
		}
	}
	if !n.addr6.IsValid() {
		n.addr6 = n.linkLocal
	}
	r.ifs.Store(old.with(n, ifc.Index))
	r.setConnected(prev, n)
	r.cfgMu.Unlock()

	for _, p := range ifc.Addrs {
		if prev == nil || prev.MAC != ifc.MAC || !slices.Contains(prev.Addrs, p) {
			r.announce(n, p.Addr())
		}
	}
	return nil
}

// RemoveInterface removes an interface, its connected routes and its
// neighbors. Its counters are folded into the global ones (an event counted
// by an Input call still running at that moment may be lost).
func (r *Router) RemoveInterface(index int) {
	r.cfgMu.Lock()
	defer r.cfgMu.Unlock()
	old := r.ifs.Load()
	prev := old.get(index)
	if prev == nil {
		return
	}
	r.ifs.Store(old.with(nil, index))
	for c := range prev.counters {
		r.global[c].Add(prev.counters[c].Load())
	}
	r.setConnected(prev, nil)
	r.neigh.removeInterface(index)
}

// Interfaces returns the configured interfaces (with the added link-local
// addresses), in index order.
func (r *Router) Interfaces() []Interface {
	s := r.ifs.Load()
	out := make([]Interface, 0, len(s.byIndex))
	for _, f := range s.byIndex {
		out = append(out, f.Interface)
	}
	slices.SortFunc(out, func(a, b Interface) int { return a.Index - b.Index })
	return out
}

func (s *ifaceSet) with(n *iface, index int) *ifaceSet {
	c := &ifaceSet{byIndex: make(map[int]*iface), local: make(map[netip.Addr]int)}
	for i, f := range s.byIndex {
		if i != index {
			c.byIndex[i] = f
		}
	}
	if n != nil {
		c.byIndex[index] = n
	}
	for i, f := range c.byIndex {
		for _, p := range f.Addrs {
			c.local[p.Addr()] = i
			c.addrs = append(c.addrs, localAddr{p.Addr(), i})
		}
		if i < maxDense {
			if i >= len(c.dense) {
				c.dense = append(c.dense, make([]*iface, i+1-len(c.dense))...)
			}
			c.dense[i] = f
		}
	}
	return c
}

func (r *Router) setConnected(prev, n *iface) {
	want := map[netip.Prefix]bool{}
	if n != nil {
		for _, p := range n.Addrs {
			want[p.Masked()] = true
		}
	}
	idx := 0
	if prev != nil {
		idx = prev.Index
		for _, p := range prev.Addrs {
			if !want[p.Masked()] {
				r.rib.Withdraw(connectedSource(idx), p.Masked())
			}
		}
	}
	if n != nil {
		for p := range want {
			_ = r.rib.Replace(connectedSource(n.Index), p, []NextHop{{IfIndex: n.Index}})
		}
	}
}

// connectedSource is the RIB source of an interface's connected routes; two
// interfaces on the same subnet then form an ECMP-free tie broken by name.
func connectedSource(index int) string {
	return fmt.Sprintf("%s:%d", SourceConnected, index)
}

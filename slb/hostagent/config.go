package hostagent

import (
	"fmt"
	"net/netip"
	"sync/atomic"

	"github.com/sdnfabric/sdnfabric/slb"
)

// A compiled configuration is what the per-packet path reads: the rules
// that concern this host's DIPs, indexed for lookup. It is immutable once
// published; Configure swaps in a new one.
type compiled struct {
	vips      map[netip.Addr]bool      // every frontend VIP of a rule with a local DIP
	vipVNI    map[netip.Addr]uint32    // the VNI of a VIP's local DIPs, 0 when several
	listeners map[listenKey]*listener  // (VIP, protocol, frontend port); port 0 for HA ports
	replies   map[replyKey]replyTarget // (VNI, DIP, protocol, backend port): stateless reversal
	dips      map[dipKey]*localDIP     // the local DIPs with any rule
	outbound  map[outboundKey]*outRule // (VNI, DIP, protocol): SNAT
	snatVIPs  map[netip.Addr]bool      // VIPs that local DIPs SNAT to
	probes    map[probeKey]*probeState // the health checks of the local DIPs
}

type listenKey struct {
	vip   netip.Addr
	proto uint8
	port  uint16
}

type dipKey struct {
	vni  uint32
	addr netip.Addr
}

type replyKey struct {
	vni   uint32
	addr  netip.Addr // the DIP, or the VIP for floating IP
	proto uint8
	port  uint16
}

// A listener is one rule's frontend (VIP, protocol, port) with the
// local DIPs it may deliver to.
type listener struct {
	rule        uint16 // interned name
	nat         bool   // an inbound NAT rule: exactly one DIP
	floating    bool
	vni         uint32
	backendPort uint16 // 0 keeps the port (HA ports, or the same port)
	timeout     int64
	reset       bool // EnableTCPReset
	dips        []*localDIP
}

// A replyTarget reverses a DIP's reply without flow state: source
// (DIP, backend port) to (VIP, frontend port). ambiguous marks a backend
// port that several rules deliver to, which only flow state can reverse.
type replyTarget struct {
	vip       netip.Addr
	port      uint16
	rule      uint16
	floating  bool
	ambiguous bool
	timeout   int64
	reset     bool // EnableTCPReset
}

// A localDIP is a DIP of this host. It outlives configurations, so that
// health and SNAT state survive a Configure that keeps the DIP.
type localDIP struct {
	key     dipKey
	addr    [16]byte
	up      atomic.Bool // last probe verdict (true until probed down)
	busy    atomic.Bool // SetBusy
	removed int64       // clock reading when a Configure dropped it; 0 while configured
}

// usable reports whether new flows may go to d.
func (d *localDIP) usable() bool { return d.up.Load() && !d.busy.Load() }

func addr16(a netip.Addr) [16]byte { return a.As16() }

// fromKey turns a flow key address back into a netip.Addr.
func fromKey(a *[16]byte, v4 bool) netip.Addr {
	if v4 {
		return netip.AddrFrom4([4]byte(a[12:]))
	}
	return netip.AddrFrom16(*a)
}

func protocols(p slb.Protocol) []uint8 {
	switch p {
	case slb.ProtocolTCP:
		return []uint8{protoTCP}
	case slb.ProtocolUDP:
		return []uint8{protoUDP}
	case slb.ProtocolAll:
		return []uint8{protoTCP, protoUDP}
	}
	return nil
}

// compile builds the tables for the DIPs of lbs whose HostPA is host,
// reusing the localDIP records of dips (and adding new ones to it).
func (a *Agent) compile(lbs []slb.LoadBalancer) (*compiled, error) {
	c := &compiled{
		vips:      map[netip.Addr]bool{},
		vipVNI:    map[netip.Addr]uint32{},
		listeners: map[listenKey]*listener{},
		replies:   map[replyKey]replyTarget{},
		dips:      map[dipKey]*localDIP{},
		outbound:  map[outboundKey]*outRule{},
		snatVIPs:  map[netip.Addr]bool{},
		probes:    map[probeKey]*probeState{},
	}
	// Validate everything first: a refused configuration changes no state.
	for li := range lbs {
		if err := lbs[li].Validate(); err != nil {
			return nil, fmt.Errorf("hostagent: load balancer %q: %w", lbs[li].Name, err)
		}
	}
	for li := range lbs {
		lb := &lbs[li]
		fes := map[string]netip.Addr{}
		for _, fe := range lb.FrontendIPConfigurations {
			fes[fe.Name] = fe.VIP
		}
		pools := map[string]*slb.BackendPool{}
		for i := range lb.BackendAddressPools {
			pools[lb.BackendAddressPools[i].Name] = &lb.BackendAddressPools[i]
		}
		probes := map[string]slb.Probe{}
		for _, p := range lb.Probes {
			probes[p.Name] = p
		}
		local := func(pool *slb.BackendPool, b slb.Backend) *localDIP {
			if b.HostPA != a.cfg.HostPA {
				return nil
			}
			k := dipKey{pool.VNI, b.DIP}
			if d := c.dips[k]; d != nil {
				return d
			}
			d := a.dips[k]
			if d == nil {
				d = &localDIP{key: k, addr: addr16(b.DIP)}
				d.up.Store(true)
				d.busy.Store(a.busy[k])
				a.dips[k] = d
			}
			if d.removed != 0 {
				// Back while draining: report its state afresh, for
				// the Muxes that forgot it when it left.
				delete(a.reported, k)
			}
			d.removed = 0
			c.dips[k] = d
			return d
		}
		for _, r := range lb.LoadBalancingRules {
			pool := pools[r.BackendPool]
			var dips []*localDIP
			for _, b := range pool.Backends {
				if d := local(pool, b); d != nil {
					dips = append(dips, d)
				}
			}
			if len(dips) == 0 {
				continue
			}
			vip := fes[r.Frontend]
			id := a.intern(lb.Name + "/" + r.Name)
			l := &listener{rule: id, floating: r.EnableFloatingIP, vni: pool.VNI,
				timeout: int64(r.IdleTimeout()), reset: r.EnableTCPReset, dips: dips}
			if r.BackendPort != r.FrontendPort {
				l.backendPort = uint16(r.BackendPort)
			}
			c.addVIP(vip, pool.VNI)
			for _, proto := range protocols(r.Protocol) {
				c.listeners[listenKey{vip, proto, uint16(r.FrontendPort)}] = l
				for _, d := range dips {
					rk := replyKey{pool.VNI, d.key.addr, proto, uint16(r.BackendPort)}
					if r.EnableFloatingIP {
						rk = replyKey{pool.VNI, vip, proto, uint16(r.BackendPort)}
					}
					c.addReply(rk, replyTarget{vip: vip, port: uint16(r.FrontendPort), rule: id,
						floating: r.EnableFloatingIP, timeout: l.timeout, reset: l.reset})
				}
			}
			if p, ok := probes[r.Probe]; ok {
				for _, d := range dips {
					c.addProbe(a, d, p)
				}
			}
		}
		for _, r := range lb.InboundNatRules {
			pool := pools[r.BackendPool]
			vip := fes[r.Frontend]
			id := a.intern(lb.Name + "/" + r.Name)
			for port, b := range r.Mappings(*pool) {
				d := local(pool, b)
				if d == nil {
					continue
				}
				l := &listener{rule: id, nat: true, floating: r.EnableFloatingIP, vni: pool.VNI,
					timeout: int64(r.IdleTimeout()), reset: r.EnableTCPReset, dips: []*localDIP{d}}
				if r.BackendPort != port {
					l.backendPort = uint16(r.BackendPort)
				}
				c.addVIP(vip, pool.VNI)
				for _, proto := range protocols(r.Protocol) {
					c.listeners[listenKey{vip, proto, uint16(port)}] = l
					rk := replyKey{pool.VNI, d.key.addr, proto, uint16(r.BackendPort)}
					if r.EnableFloatingIP {
						rk = replyKey{pool.VNI, vip, proto, uint16(r.BackendPort)}
					}
					c.addReply(rk, replyTarget{vip: vip, port: uint16(port), rule: id,
						floating: r.EnableFloatingIP, timeout: l.timeout, reset: l.reset})
				}
			}
		}
		for _, r := range lb.OutboundRules {
			pool := pools[r.BackendPool]
			id := a.intern(lb.Name + "/" + r.Name)
			for _, b := range pool.Backends {
				if local(pool, b) == nil {
					continue
				}
				for _, name := range r.Frontends {
					c.snatVIPs[fes[name]] = true
					c.addVIP(fes[name], pool.VNI)
				}
				for _, proto := range protocols(r.Protocol) {
					k := outboundKey{pool.VNI, b.DIP, proto}
					if _, dup := c.outbound[k]; dup {
						continue // the first rule that names the DIP wins
					}
					c.outbound[k] = &outRule{lb: lb.Name, name: r.Name, rule: id,
						timeout: int64(r.IdleTimeout()), reset: r.EnableTCPReset, pool: a.snatPool(k)}
				}
			}
		}
	}
	return c, nil
}

func (c *compiled) addVIP(vip netip.Addr, vni uint32) {
	if old, ok := c.vipVNI[vip]; ok && old != vni {
		vni = 0
	}
	c.vips[vip] = true
	c.vipVNI[vip] = vni
}

func (c *compiled) addReply(k replyKey, t replyTarget) {
	if old, ok := c.replies[k]; ok && (old.vip != t.vip || old.port != t.port) {
		old.ambiguous = true
		c.replies[k] = old
		return
	}
	c.replies[k] = t
}

// intern returns the index of a rule name in the agent's append-only name
// table, which flows refer to.
func (a *Agent) intern(name string) uint16 {
	if i, ok := a.nameIdx[name]; ok {
		return i
	}
	old := *a.names.Load()
	if len(old) >= 1<<16-1 {
		return 0 // table full: such flows report Rule ""
	}
	names := append(old[:len(old):len(old)], name)
	a.names.Store(&names)
	a.nameIdx[name] = uint16(len(names) - 1)
	return uint16(len(names) - 1)
}

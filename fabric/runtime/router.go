package runtime

import (
	"context"
	"fmt"
	"net/netip"
	"sync"

	"github.com/sdnfabric/sdnfabric/bgp"
	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/fabric/trace"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/rras/router"
)

// routerNode is an RRAS machine: an rras router with one netsim port per
// interface, optionally a NAT on one interface (the NATVM) and a local
// TCP/IP stack on one of its addresses for its own sessions (the BGPVM's
// BGP speaker). Frames for the local stack are split off before the router
// sees them; the stack's frames leave by the interface it sits on.
type routerNode struct {
	name  string
	r     *router.Router
	ports []*netsim.Port // by ifIndex-1
	ifcs  []Interface
	rec   *trace.Recorder

	// local is the interface (ifIndex) and address of the local stack,
	// and the port that reaches it.
	localIf   int
	localAddr netip.Addr
	local     *netsim.Port

	speaker *bgp.Speaker // nil unless the gateway speaks BGP
	feed    *ribFeed

	cancel context.CancelFunc
	done   sync.WaitGroup
}

func newRouterNode(g Gateway, ports []*netsim.Port, rec *trace.Recorder) (*routerNode, error) {
	n := &routerNode{name: g.Name, ports: ports, ifcs: g.Interfaces, rec: rec}
	cfg := router.Config{Output: n}
	if g.NAT != nil {
		ext := n.ifIndex(g.NAT.External)
		if ext == 0 {
			return nil, fmt.Errorf("%s: NAT external interface %q does not exist", g.Name, g.NAT.External)
		}
		nat, err := newNATGateway(g.Name, g.Interfaces[ext-1].Addr.Addr(), g.NAT.Forwards, rec)
		if err != nil {
			return nil, err
		}
		cfg.NAT = nat
	}
	n.r = router.New(cfg)
	for i, ifc := range g.Interfaces {
		side := router.NATNone
		if g.NAT != nil {
			side = router.NATInside
			if ifc.Name == g.NAT.External {
				side = router.NATOutside
			}
		}
		if err := n.r.SetInterface(router.Interface{Index: i + 1, Name: ifc.Name, MAC: ifc.MAC, Addrs: []netip.Prefix{ifc.Addr}, NAT: side}); err != nil {
			return nil, fmt.Errorf("%s: interface %s: %w", g.Name, ifc.Name, err)
		}
	}
	for _, rt := range g.Routes {
		if err := n.r.Routes().Replace(router.SourceStatic, rt.Prefix, []router.NextHop{{Addr: rt.NextHop}}); err != nil {
			return nil, fmt.Errorf("%s: route %s: %w", g.Name, rt.Prefix, err)
		}
	}
	return n, nil
}

func (n *routerNode) ifIndex(name string) int {
	for i, ifc := range n.ifcs {
		if ifc.Name == name {
			return i + 1
		}
	}
	return 0
}

// attachLocal puts a local stack behind the interface holding addr and
// returns the port the stack plugs into (its MAC must be the interface's).
func (n *routerNode) attachLocal(addr netip.Addr) (*netsim.Port, header.MAC, error) {
	for i, ifc := range n.ifcs {
		if ifc.Addr.Addr() == addr {
			inner, stackPort := netsim.NewWire(n.name+".local", netsim.WireConfig{})
			n.localIf, n.localAddr, n.local = i+1, addr, inner
			port := n.ports[i]
			inner.SetReceiver(func(f []byte) { port.Send(f) })
			return stackPort, ifc.MAC, nil
		}
	}
	return nil, header.MAC{}, fmt.Errorf("%s: no interface has address %s", n.name, addr)
}

// start begins forwarding: each port's frames go to the router (or the
// local stack), and the router's neighbour timers run until Close.
func (n *routerNode) start() {
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	for i, p := range n.ports {
		ifIndex := i + 1
		p.SetSuperReceiver(func(f []byte, mss int) { n.input(ifIndex, f, mss) })
	}
	n.done.Go(func() { _ = n.r.Run(ctx) })
}

// input takes a frame from interface ifIndex, or a super-frame with its
// mss, which the router forwards whole.
func (n *routerNode) input(ifIndex int, f []byte, mss int) {
	if n.local != nil && ifIndex == n.localIf && n.forLocal(f) {
		n.local.SendSuper(f, mss)
		if !isARP(f) {
			return
		}
	}
	// Drops are counted by the router.
	if mss > 0 {
		_ = n.r.InputSuper(ifIndex, f, mss)
		return
	}
	_ = n.r.Input(ifIndex, f)
}

// forLocal reports whether a frame goes to the local stack: TCP or UDP to
// its address, and ARP replies (the router sees those too).
func (n *routerNode) forLocal(f []byte) bool {
	eth, err := header.ParseEthernet(f)
	if err != nil {
		return false
	}
	switch eth.EtherType() {
	case header.EtherTypeARP:
		a, err := header.ParseARP(eth.Payload())
		return err == nil && a.Op() == header.ARPReply && a.TargetIP() == n.localAddr
	case header.EtherTypeIPv4:
		ip, err := header.ParseIPv4(eth.Payload())
		if err != nil || ip.Destination() != n.localAddr {
			return false
		}
		return ip.Protocol() == header.ProtocolTCP || ip.Protocol() == header.ProtocolUDP
	}
	return false
}

func isARP(f []byte) bool {
	return len(f) >= 14 && f[12] == 0x08 && f[13] == 0x06
}

// Send is the router's Output (the NAT translated what leaves by its
// external interface): the frame goes out of the port.
func (n *routerNode) Send(ifIndex int, f []byte) error { return n.SendSuper(ifIndex, f, 0) }

// SendSuper makes the router's Output a router.SuperOutput: a super-frame
// leaves whole with its mss (netsim segments it for a node that takes
// none).
func (n *routerNode) SendSuper(ifIndex int, f []byte, mss int) error {
	if ifIndex < 1 || ifIndex > len(n.ports) {
		return fmt.Errorf("%s: no interface %d", n.name, ifIndex)
	}
	if n.rec.WantsFrame(f) {
		ev := trace.Event{Node: n.name, Layer: "router", Action: "forward", Packet: trace.Describe(f), Rule: n.routeFor(f) + " out " + n.ifcs[ifIndex-1].Name}
		n.rec.Record(ev)
	}
	n.ports[ifIndex-1].SendSuper(f, mss)
	return nil
}

// routeFor names the route a frame's destination took.
func (n *routerNode) routeFor(f []byte) string {
	eth, err := header.ParseEthernet(f)
	if err != nil || eth.EtherType() != header.EtherTypeIPv4 {
		return "arp"
	}
	ip, err := header.ParseIPv4(eth.Payload())
	if err != nil {
		return "?"
	}
	set, ok := n.r.Routes().Lookup(ip.Destination())
	if !ok {
		return "no route"
	}
	return fmt.Sprintf("%s route, %d next hop(s)", set.Source, len(set.Hops))
}

func (n *routerNode) close() {
	if n.cancel != nil {
		n.cancel()
	}
	n.done.Wait()
	for _, p := range n.ports {
		p.Close()
	}
	if n.local != nil {
		n.local.Close()
	}
}

package runtime

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp"
	"github.com/sdnfabric/sdnfabric/bgp/bfd"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
	"github.com/sdnfabric/sdnfabric/fabric/guest"
	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/fabric/trace"
	"github.com/sdnfabric/sdnfabric/offload/gso"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
	"github.com/sdnfabric/sdnfabric/slb/mux"
)

// muxNode is the MuxVM: slb/mux on a provider network port, and a guest
// stack on the same address and MAC for its BGP session (and ARP, ICMP).
// IPv4 packets to any other address (the VIPs) go to the Mux, which sends
// them in VXLAN to the DIP's host; everything else goes to the stack.
type muxNode struct {
	spec      Mux
	port      *netsim.Port
	local     *netsim.Port // to the stack
	stk       *guest.Guest
	m         *mux.Mux
	sp        *bgp.Speaker
	neighbors map[netip.Addr]header.MAC // provider addresses to MACs, as the controller programs them
	rec       *trace.Recorder

	// buf is the scratch of the port's receiver (input), which netsim
	// runs one frame at a time, so it needs no lock.
	buf []byte

	// A super-frame too long to encapsulate whole is cut into pieces
	// here (split); grown on first use and reused.
	pieces [][]byte
	sizes  []int

	stops   []func() // run in reverse order by stop
	stopped sync.Once
}

// stop withdraws the Mux's VIPs, ends its BGP session and detaches it.
func (n *muxNode) stop() {
	n.stopped.Do(func() {
		for i := len(n.stops) - 1; i >= 0; i-- {
			n.stops[i]()
		}
	})
}

// speakerAnnouncer lets the Mux announce and withdraw its VIPs through a
// BGP speaker, with the Mux's own address as next hop.
type speakerAnnouncer struct {
	sp      *bgp.Speaker
	nextHop netip.Addr
}

func (a speakerAnnouncer) Announce(_ context.Context, p netip.Prefix) error {
	return a.sp.Announce(p, wire.Attributes{Origin: wire.OriginIGP, NextHop: a.nextHop})
}

func (a speakerAnnouncer) Withdraw(_ context.Context, p netip.Prefix) error {
	return a.sp.Withdraw(p)
}

func (rt *Runtime) startMuxes(ctx context.Context) error {
	for _, spec := range rt.topo.Muxes {
		if !rt.local(spec.Name) {
			continue
		}
		n, err := rt.startMux(ctx, spec)
		if err != nil {
			return err
		}
		rt.muxes = append(rt.muxes, n)
	}
	return nil
}

func (rt *Runtime) startMux(ctx context.Context, spec Mux) (*muxNode, error) {
	sw, err := rt.network(spec.Network, spec.Name)
	if err != nil {
		return nil, err
	}
	n := &muxNode{spec: spec, port: sw.Port(spec.Name), neighbors: rt.providerNeighbors(spec.Network), rec: rt.opts.Trace,
		buf: make([]byte, 0, netsim.MaxFrame)}
	rt.closers = append(rt.closers, n.stop)
	inner, stackPort := netsim.NewWire(spec.Name+".local", netsim.WireConfig{Queue: rt.opts.queue()})
	n.local = inner
	inner.SetReceiver(func(f []byte) { n.port.Send(f) })
	stk, err := guest.New(spec.Name+"/bgp", stackPort, guest.Config{MAC: net.HardwareAddr(spec.MAC[:]), Addr: spec.Addr, Gateway: spec.Gateway})
	if err != nil {
		inner.Close()
		n.port.Close()
		return nil, err
	}
	n.stk = stk
	n.stops = append(n.stops, func() {
		n.port.Close()
		stk.Close()
		inner.Close()
	})
	n.sp, err = bgp.New(bgp.Config{ASN: spec.ASN, RouterID: spec.Addr.Addr(), Logger: rt.log.With("node", spec.Name),
		Dialer: stk.Dialer(netip.AddrPortFrom(spec.Addr.Addr(), 0)), BFDNetwork: stk.BFDNetwork()})
	if err != nil {
		return nil, fmt.Errorf("%s: bgp: %w", spec.Name, err)
	}
	events := n.sp.Subscribe(256)
	evCtx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { rt.reportBGP(evCtx, spec.Name, events) })
	n.m, err = mux.New(mux.Config{
		LocalPA: spec.Addr.Addr(),
		// A clock of our own: without one the Mux starts a ticker
		// goroutine that only ends when the Mux is garbage collected.
		Clock:     wallClock{},
		Announcer: speakerAnnouncer{sp: n.sp, nextHop: spec.Addr.Addr()},
		// No healthy DIP: let the routers send the VIP elsewhere.
		WithdrawUnhealthyVIPs: true,
		// A DIP added later takes new flows once its host agent's
		// probe passed (see muxHealth): its host reports it, at once
		// if it runs here, else through the controller.
		HoldNewDIPs: true,
		Logger:      rt.log.With("node", spec.Name),
	})
	if err != nil {
		cancel()
		wg.Wait()
		n.sp.Close()
		return nil, fmt.Errorf("%s: %w", spec.Name, err)
	}
	n.stops = append(n.stops, func() {
		cctx, done := context.WithTimeout(context.Background(), time.Second)
		_ = n.m.Close(cctx) // withdraws every VIP
		_ = n.sp.Shutdown(cctx, "runtime stopping")
		done()
		cancel()
		events.Close()
		wg.Wait()
	})
	for _, p := range spec.Peers {
		if err := n.sp.AddPeer(bgp.PeerConfig{Address: p.Addr, PeerASN: p.ASN, HoldTime: rt.opts.HoldTime, ConnectTime: time.Second, BFD: rt.bfd()}); err != nil {
			return nil, fmt.Errorf("%s: bgp peer %s: %w", spec.Name, p.Name, err)
		}
	}
	if err := n.m.Configure(ctx, rt.topo.LoadBalancers...); err != nil {
		return nil, fmt.Errorf("%s: configure: %w", spec.Name, err)
	}
	n.port.SetSuperReceiver(n.input)
	rt.progress(spec.Name, "started", "Mux at %s (AS%d), %d VIP(s)", spec.Addr.Addr(), spec.ASN, len(rt.VIPs()))
	return n, nil
}

// providerNeighbors maps the addresses of every node on a provider network
// to its MAC: the PA-to-MAC table the controller programs into Muxes and
// hosts (a real fabric learns it by ARP; here the controller knows it).
func (rt *Runtime) providerNeighbors(network string) map[netip.Addr]header.MAC {
	m := map[netip.Addr]header.MAC{}
	for _, g := range rt.topo.Gateways {
		for _, ifc := range g.Interfaces {
			if ifc.Network == network {
				m[ifc.Addr.Addr()] = ifc.MAC
			}
		}
	}
	for _, x := range rt.topo.Muxes {
		if x.Network == network {
			m[x.Addr.Addr()] = x.MAC
		}
	}
	for _, h := range rt.topo.Hosts {
		if h.Network == network {
			m[h.PA.Addr()] = h.MAC
		}
	}
	return m
}

// input takes a frame, or a super-frame with its mss (from a gateway that
// forwards TSO super-frames whole). The Mux encapsulates a super-frame as
// one packet and sends the VXLAN frame on as a super-frame with the same
// mss: the host's port cuts it into one VXLAN packet per inner segment
// (netsim), so the Mux's per-packet work (VIP match, flow table, Maglev,
// encapsulation) is done once per super-frame instead of once per segment.
func (n *muxNode) input(f []byte, mss int) {
	if !isIPv4(f) || netip.AddrFrom4([4]byte(f[30:34])) == n.spec.Addr.Addr() {
		n.local.SendSuper(f, mss)
		return
	}
	if n.forward(f, mss) && mss > 0 {
		// Its encapsulation would pass the 64 KiB an IPv4 packet
		// holds: cut it into smaller super-frames that fit.
		n.split(f, mss)
	}
}

// superPiece is the most TCP payload a piece of a super-frame carries when
// its encapsulation would not fit in one IPv4 packet: room for the VXLAN
// headers (50 bytes) and the inner IPv4 and TCP headers at their longest.
const superPiece = 0xffff - 50 - 2*header.IPv4MaxSize

// split forwards super-frame f as pieces of whole segments of mss payload
// bytes, each small enough to encapsulate.
func (n *muxNode) split(f []byte, mss int) {
	if mss > superPiece {
		return
	}
	h := virtio.NetHdr{GSOType: virtio.GSOTCPv4, GSOSize: uint16(superPiece / mss * mss)}
	// The pieces' TCP checksums are left partial: in transit a
	// super-frame's checksum is not meaningful (netsim).
	opts := gso.Options{NetworkOffset: header.EthernetMinSize, PartialChecksum: true}
	cnt, err := gso.Count(f, h, opts)
	if err != nil {
		return
	}
	for len(n.pieces) < cnt {
		n.pieces = append(n.pieces, make([]byte, netsim.MaxFrame))
	}
	if len(n.sizes) < cnt {
		n.sizes = make([]int, cnt)
	}
	if _, err := gso.Segment(n.pieces[:cnt], n.sizes[:cnt], f, h, opts); err != nil {
		return
	}
	for i := range cnt {
		n.forward(n.pieces[i][:n.sizes[i]], mss)
	}
}

// forward hands frame f (a super-frame if mss > 0) to the Mux and sends
// what it encapsulates to the DIP's host. It reports whether the Mux
// refused f as too big to encapsulate.
func (n *muxNode) forward(f []byte, mss int) (tooBig bool) {
	out, res, err := n.m.Process(n.buf[:header.EthernetMinSize], f[header.EthernetMinSize:])
	if mss > 0 && errors.Is(err, mux.ErrTooBig) {
		return true
	}
	watched := n.rec.WantsFrame(f)
	if err != nil || res.Verdict != mux.VerdictForward {
		if watched {
			e := trace.Event{Node: n.spec.Name, Layer: "mux", Action: "drop", Packet: trace.Describe(f), Note: res.Verdict.String()}
			if err != nil {
				e.Note = err.Error()
			}
			n.rec.Record(e)
		}
		return false
	}
	dst, ok := n.neighbors[res.NextHop]
	if !ok {
		return false
	}
	// The whole header, whatever buf held before (SetEtherType would read
	// its bytes 12-13 as a possible VLAN TPID).
	header.InitEthernet(out, dst, n.spec.MAC, header.EtherTypeIPv4)
	if watched {
		pkt := out[header.EthernetMinSize:]
		n.rec.Record(trace.Event{Node: n.spec.Name, Layer: "mux", Action: "encap", Rule: res.Rule,
			Packet: trace.DescribeIP(pkt), Added: trace.VXLANHeaders(pkt),
			Note: fmt.Sprintf("%s flow %s to DIP %s on host %s", res.Match, flowState(res.Flow), res.DIP, res.NextHop)})
	}
	n.port.SendSuper(out, mss)
	n.buf = out[:0]
	return false
}

// isIPv4 reports whether f is an untagged IPv4 frame long enough for the
// IPv4 destination address that input reads.
func isIPv4(f []byte) bool {
	return len(f) >= 34 && f[12] == 0x08 && f[13] == 0x00
}

func flowState(s mux.FlowState) string {
	switch s {
	case mux.FlowNew:
		return "new"
	case mux.FlowEstablished:
		return "established"
	case mux.FlowFallback:
		return "hashed (flow table full)"
	}
	return "stateless"
}

// bfd is the BFD configuration of the BGP sessions of Muxes and routers
// (Options.BFD), nil without BFD.
func (rt *Runtime) bfd() *bfd.Config {
	if rt.opts.BFD <= 0 {
		return nil
	}
	return &bfd.Config{DesiredMinTx: rt.opts.BFD, RequiredMinRx: rt.opts.BFD, DetectMult: 3}
}

// wallClock is the system clock.
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// StopMux stops the Mux named name as an operator taking it out of service
// would: it withdraws its VIPs, closes its BGP session and leaves the
// network. The routers' ECMP sets shrink to the other Muxes, which pick the
// same DIP for each flow (they share the flow hash key), so connections
// carry on.
func (rt *Runtime) StopMux(name string) error {
	for _, m := range rt.muxes {
		if m.spec.Name == name {
			m.stop()
			rt.progress(name, "stopped", "VIPs withdrawn, BGP session closed")
			return nil
		}
	}
	return fmt.Errorf("runtime: no Mux %q", name)
}

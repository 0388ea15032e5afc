package runtime

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
	"github.com/sdnfabric/sdnfabric/fabric/guest"
	"github.com/sdnfabric/sdnfabric/rras/router"
)

// bgpSource is the route source name BGP routes carry in a router's RIB.
const bgpSource = router.SourceEBGP

// ribFeed installs the routes a BGP speaker receives into a router's RIB:
// per prefix, the paths with the shortest AS path, ECMP across the peers
// that announce them (the Muxes of a VIP), and tells onChange when a
// prefix's next hops change.
type ribFeed struct {
	sink router.RouteSink
	// onChange, if set, is told each prefix whose next hops changed.
	onChange func(p netip.Prefix, hops []netip.Addr)

	mu    sync.Mutex
	paths map[netip.Prefix]map[netip.Addr]path // prefix -> peer -> path
}

type path struct {
	nextHop netip.Addr
	asLen   int
}

func newRIBFeed(sink router.RouteSink) *ribFeed {
	return &ribFeed{sink: sink, paths: make(map[netip.Prefix]map[netip.Addr]path)}
}

// run applies the subscription's events until it ends.
func (f *ribFeed) run(ctx context.Context, sub *bgp.Subscription) {
	for ev := range sub.All(ctx) {
		f.apply(ev)
	}
}

func (f *ribFeed) apply(ev bgp.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	touched := map[netip.Prefix]bool{}
	switch ev.Type {
	case bgp.SessionDown:
		for p, byPeer := range f.paths {
			if _, ok := byPeer[ev.Peer]; ok {
				delete(byPeer, ev.Peer)
				touched[p] = true
			}
		}
	case bgp.RoutesReceived:
		for _, r := range ev.Withdrawn {
			if byPeer := f.paths[r.Prefix]; byPeer != nil {
				delete(byPeer, ev.Peer)
				touched[r.Prefix] = true
			}
		}
		for _, r := range ev.Announced {
			if r.Attrs == nil || !r.Attrs.NextHop.IsValid() {
				continue
			}
			byPeer := f.paths[r.Prefix]
			if byPeer == nil {
				byPeer = make(map[netip.Addr]path)
				f.paths[r.Prefix] = byPeer
			}
			byPeer[ev.Peer] = path{nextHop: r.Attrs.NextHop, asLen: asPathLen(r.Attrs)}
			touched[r.Prefix] = true
		}
	}
	for p := range touched {
		best := f.best(p)
		_ = f.sink.Replace(bgpSource, p, best) // a refused route is left out
		if len(f.paths[p]) == 0 {
			delete(f.paths, p)
		}
		if f.onChange != nil {
			hops := make([]netip.Addr, 0, len(best))
			for _, h := range best {
				hops = append(hops, h.Addr)
			}
			slices.SortFunc(hops, netip.Addr.Compare)
			f.onChange(p, hops)
		}
	}
}

// best returns the ECMP next hops of prefix: every peer's path with the
// shortest AS path.
func (f *ribFeed) best(p netip.Prefix) []router.NextHop {
	shortest := -1
	for _, pa := range f.paths[p] {
		if shortest < 0 || pa.asLen < shortest {
			shortest = pa.asLen
		}
	}
	var hops []router.NextHop
	for _, pa := range f.paths[p] {
		if pa.asLen == shortest {
			hops = append(hops, router.NextHop{Addr: pa.nextHop})
		}
	}
	return hops
}

// nextHops returns the next hops installed for prefix, sorted.
func (f *ribFeed) nextHops(p netip.Prefix) []netip.Addr {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []netip.Addr
	for _, h := range f.best(p) {
		out = append(out, h.Addr)
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

func asPathLen(a *wire.Attributes) int {
	n := 0
	for _, s := range a.ASPath {
		n += len(s.ASNs)
	}
	return n
}

// serveBGP hands each connection accepted on ln to the speaker until ln is
// closed.
func serveBGP(ln net.Listener, sp *bgp.Speaker) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return // closed
		}
		sp.HandleConn(c)
	}
}

// startRouterBGP gives a gateway its BGP speaker: a guest stack on the
// interface holding g.BGP.Source (sharing its MAC and address) listens on
// port 179, and the speaker's received routes feed the router's RIB.
func (rt *Runtime) startRouterBGP(ctx context.Context, n *routerNode, g Gateway) error {
	port, mac, err := n.attachLocal(g.BGP.Source)
	if err != nil {
		return err
	}
	var prefix netip.Prefix
	for _, ifc := range g.Interfaces {
		if ifc.Addr.Addr() == g.BGP.Source {
			prefix = ifc.Addr
		}
	}
	stk, err := guest.New(g.Name+"/bgp", port, guest.Config{MAC: net.HardwareAddr(mac[:]), Addr: prefix})
	if err != nil {
		return err
	}
	rt.closers = append(rt.closers, stk.Close)
	sp, err := bgp.New(bgp.Config{ASN: g.BGP.ASN, RouterID: g.BGP.Source, Logger: rt.log.With("node", g.Name), BFDNetwork: stk.BFDNetwork()})
	if err != nil {
		return fmt.Errorf("%s: bgp: %w", g.Name, err)
	}
	n.speaker = sp
	n.feed = newRIBFeed(n.r.Routes())
	n.feed.onChange = func(p netip.Prefix, hops []netip.Addr) {
		if len(hops) == 0 {
			rt.progress(g.Name, "route", "%s withdrawn: no route", p)
			return
		}
		rt.progress(g.Name, "route", "%s installed: ECMP over %v", p, hops)
	}
	feedSub, eventSub := sp.Subscribe(1024), sp.Subscribe(256)
	ln, err := stk.Listen("tcp", netip.AddrPortFrom(g.BGP.Source, 179).String())
	if err != nil {
		sp.Close()
		return fmt.Errorf("%s: bgp listen: %w", g.Name, err)
	}
	var wg sync.WaitGroup
	runCtx, cancel := context.WithCancel(context.Background())
	wg.Go(func() { n.feed.run(runCtx, feedSub) })
	wg.Go(func() { rt.reportBGP(runCtx, g.Name, eventSub) })
	wg.Go(func() { serveBGP(ln, sp) })
	rt.closers = append(rt.closers, func() {
		sctx, done := context.WithTimeout(context.Background(), time.Second)
		_ = sp.Shutdown(sctx, "runtime stopping")
		done()
		ln.Close()
		cancel()
		feedSub.Close()
		eventSub.Close()
		wg.Wait()
	})
	for _, p := range g.BGP.Peers {
		if err := sp.AddPeer(bgp.PeerConfig{Address: p.Addr, PeerASN: p.ASN, Passive: true, HoldTime: rt.opts.HoldTime, BFD: rt.bfd()}); err != nil {
			return fmt.Errorf("%s: bgp peer %s: %w", g.Name, p.Name, err)
		}
	}
	rt.progress(g.Name, "bgp", "speaker AS%d listening on %s:179 for %d peer(s)", g.BGP.ASN, g.BGP.Source, len(g.BGP.Peers))
	return nil
}

// reportBGP turns a speaker's session events into progress.
func (rt *Runtime) reportBGP(ctx context.Context, node string, sub *bgp.Subscription) {
	for ev := range sub.All(ctx) {
		switch ev.Type {
		case bgp.SessionUp:
			rt.progress(node, "bgp", "session with %s Established", ev.Peer)
		case bgp.SessionDown:
			rt.progress(node, "bgp", "session with %s down: %v", ev.Peer, ev.Err)
		}
	}
}

package runtime

import (
	"maps"
	"net/netip"
	"slices"

	"github.com/sdnfabric/sdnfabric/rras/router"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
	"github.com/sdnfabric/sdnfabric/slb/mux"
)

// Status is a snapshot of the control plane and the counters of a Runtime.
type Status struct {
	Sessions []Session
	Routes   []Route
	Health   []Health
	Routers  []RouterCounters
	Muxes    []MuxCounters
	Hosts    []HostCounters
}

// Session is one BGP session as one end sees it.
type Session struct {
	Node  string
	Peer  netip.Addr
	State string
	Up    bool
}

// Route is a VIP route on a BGP router.
type Route struct {
	Node     string
	Prefix   netip.Prefix
	NextHops []netip.Addr // ECMP set; empty when withdrawn
}

// Health is a DIP as its host's probes see it.
type Health struct {
	Host    string
	Machine string
	VNI     uint32 // the DIP's virtual network
	DIP     netip.Addr
	Healthy bool
	Busy    bool
}

// RouterCounters are a gateway's forwarding counters.
type RouterCounters struct {
	Node                string
	Rx, Tx, Forwarded   uint64
	NoRoute, Unresolved uint64
}

// MuxCounters are a Mux's data-path counters.
type MuxCounters struct {
	Node  string
	Stats mux.Stats
}

// HostCounters are a host agent's counters.
type HostCounters struct {
	Node  string
	Stats hostagent.Stats
}

// Status returns the runtime's current state.
func (rt *Runtime) Status() Status {
	var st Status
	for _, name := range slices.Sorted(maps.Keys(rt.gateways)) {
		g := rt.gateways[name]
		st.Routers = append(st.Routers, RouterCounters{Node: name,
			Rx: g.r.Counter(router.RxFrames), Tx: g.r.Counter(router.TxFrames), Forwarded: g.r.Counter(router.Forwarded),
			NoRoute: g.r.Counter(router.DropNoRoute), Unresolved: g.r.Counter(router.DropUnresolved)})
		if g.speaker == nil {
			continue
		}
		for _, p := range g.speaker.Peers() {
			st.Sessions = append(st.Sessions, Session{Node: name, Peer: p.Address, State: p.State.String(), Up: p.Up})
		}
		for _, vip := range rt.VIPs() {
			p := netip.PrefixFrom(vip, vip.BitLen())
			st.Routes = append(st.Routes, Route{Node: name, Prefix: p, NextHops: g.feed.nextHops(p)})
		}
	}
	for _, m := range rt.muxes {
		for _, p := range m.sp.Peers() {
			st.Sessions = append(st.Sessions, Session{Node: m.spec.Name, Peer: p.Address, State: p.State.String(), Up: p.Up})
		}
		st.Muxes = append(st.Muxes, MuxCounters{Node: m.spec.Name, Stats: m.m.Stats()})
	}
	for _, h := range rt.sortedHosts() {
		st.Hosts = append(st.Hosts, HostCounters{Node: h.spec.Name, Stats: h.agent.Stats()})
		h.health.mu.Lock()
		for _, d := range h.health.dips {
			st.Health = append(st.Health, Health{Host: h.spec.Name, Machine: rt.machineAt(d), VNI: d.vni, DIP: d.dip,
				Healthy: h.health.up[d], Busy: h.health.busy[d]})
		}
		h.health.mu.Unlock()
	}
	return st
}

package model

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/sdnfabric/sdnfabric/slb"
)

// LoadBalancerSpec is a software load balancer: the slb module's
// LoadBalancer (frontend VIPs, backend pools, load-balancing rules,
// inbound NAT rules, outbound rules and probes, in its JSON form) plus
// what the controller adds around it.
//
// A backend pool may list its backends explicitly, or get them from the
// NetworkInterfaces that name it in loadBalancerBackendPools: State
// resolves those into DIPs, host PAs and the pool's VNI. A frontend with
// no VIP gets one from PublicIPPool (see Allocate).
type LoadBalancerSpec struct {
	slb.LoadBalancer
	// PublicIPPool names the pool the frontends' VIPs come from; every
	// VIP must lie in it. Empty means any pool.
	PublicIPPool string `json:"publicIPPool,omitempty"`
	// SNATAllocations are the SNAT port blocks of the outbound rules, by
	// DIP. Allocate fills them; they are kept across updates so that a
	// DIP keeps its ports.
	SNATAllocations []SNATAllocation `json:"snatAllocations,omitempty"`
}

// Kind returns KindLoadBalancer.
func (LoadBalancerSpec) Kind() Kind { return KindLoadBalancer }

// A SNATAllocation gives the DIP of a backend of an outbound rule a range
// of SNAT ports on one VIP: Blocks blocks of slb.SNATPortBlock ports from
// FirstPort. The Mux maps return traffic to these ports back to the DIP's
// host; the host agent SNATs the DIP's new outbound flows into them.
type SNATAllocation struct {
	Rule      string     `json:"rule"`
	DIP       netip.Addr `json:"dip"`
	VIP       netip.Addr `json:"vip"`
	FirstPort int        `json:"firstPort"`
	Blocks    int        `json:"blocks"`
}

// LastPort returns the last port of the allocation.
func (a SNATAllocation) LastPort() int { return a.FirstPort + a.Blocks*slb.SNATPortBlock - 1 }

// LoadBalancerStatus is what the Muxes and host agents report for a load
// balancer.
type LoadBalancerStatus struct {
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Announced says, per VIP, which Muxes announce it now.
	Announced map[string][]string `json:"announced,omitempty"`
	// Backends is the probe health of each DIP.
	Backends []ProbeStatus `json:"backends,omitempty"`
}

func (s *LoadBalancerSpec) validate(c checker, name string) {
	if s.Name != "" && s.Name != name {
		c.fail(ErrConflict, "spec.name", "%q is not the resource's name %q (leave it empty)", s.Name, name)
	}
	lb := s.LoadBalancer
	lb.Name = name
	// A NAT rule's DIP may belong to a NIC that joins the pool from its
	// side: ValidateState checks it on the resolved pools.
	slbErrors(c, lb.Validate(), func(fe *slb.FieldError) bool {
		return errors.Is(fe, slb.ErrNotFound) && strings.HasSuffix(fe.Path, ".dip")
	})
	s.validateSNAT(c)
}

// validateSNAT checks the SNAT allocations: each names an outbound rule
// and one of its VIPs, lies in the SNAT port range on block boundaries,
// overlaps no other allocation of the VIP and no port that an inbound
// rule receives on. It takes O(n log n) for n allocations.
func (s *LoadBalancerSpec) validateSNAT(c checker) {
	type span struct {
		i         int // index in SNATAllocations
		vip       netip.Addr
		ipProto   uint8
		first, lt int
	}
	var spans []span
	for i, a := range s.SNATAllocations {
		f := fmt.Sprintf("spec.snatAllocations[%d]", i)
		k := slices.IndexFunc(s.OutboundRules, func(r slb.OutboundRule) bool { return r.Name == a.Rule })
		if k < 0 {
			c.fail(ErrNotFound, f+".rule", "%q is not an outbound rule", a.Rule)
			continue
		}
		rule := s.OutboundRules[k]
		if !slices.ContainsFunc(rule.Frontends, func(fe string) bool { return s.vip(fe) == a.VIP && a.VIP.IsValid() }) {
			c.fail(ErrNotFound, f+".vip", "%s is not the VIP of a frontend of outbound rule %q", a.VIP, a.Rule)
			continue
		}
		checkUnicast(c, f+".dip", a.DIP)
		if a.FirstPort < slb.SNATFirstPort || (a.FirstPort-slb.SNATFirstPort)%slb.SNATPortBlock != 0 {
			c.fail(ErrRange, f+".firstPort", "%d is not %d plus a multiple of %d", a.FirstPort, slb.SNATFirstPort, slb.SNATPortBlock)
			continue
		}
		if a.Blocks < 1 || a.Blocks > slb.SNATPortsPerVIP/slb.SNATPortBlock || a.LastPort() > 65535 {
			c.fail(ErrRange, f+".blocks", "%d blocks from port %d do not fit below 65536", a.Blocks, a.FirstPort)
			continue
		}
		for _, ipProto := range []uint8{6, 17} {
			if rule.Protocol.Matches(ipProto) {
				spans = append(spans, span{i, a.VIP, ipProto, a.FirstPort, a.LastPort()})
			}
		}
	}
	slices.SortStableFunc(spans, func(a, b span) int {
		if c := a.vip.Compare(b.vip); c != 0 {
			return c
		}
		if a.ipProto != b.ipProto {
			return int(a.ipProto) - int(b.ipProto)
		}
		return a.first - b.first
	})
	reported := map[int]bool{}
	// inbound holds the ports inbound rules receive on, for the (VIP,
	// protocol) being scanned.
	var inbound [][2]int
	listeners := s.listeners()
	for i, sp := range spans {
		if i > 0 && spans[i-1].vip == sp.vip && spans[i-1].ipProto == sp.ipProto {
			if prev := spans[i-1]; prev.lt >= sp.first && !reported[sp.i] {
				a, b := s.SNATAllocations[sp.i], s.SNATAllocations[prev.i]
				c.fail(ErrOverlap, fmt.Sprintf("spec.snatAllocations[%d]", sp.i), "ports %d-%d of %s overlap spec.snatAllocations[%d] (%d-%d)",
					a.FirstPort, a.LastPort(), a.VIP, prev.i, b.FirstPort, b.LastPort())
				reported[sp.i] = true
			}
		} else {
			inbound = inboundSpans(listeners, s, sp.vip, sp.ipProto)
		}
		k, _ := slices.BinarySearchFunc(inbound, sp.first, func(in [2]int, port int) int { return in[1] - port })
		if k < len(inbound) && inbound[k][0] <= sp.lt && !reported[sp.i] {
			a := s.SNATAllocations[sp.i]
			c.fail(ErrConflict, fmt.Sprintf("spec.snatAllocations[%d]", sp.i), "ports %d-%d of %s include %d-%d, which an inbound rule receives on",
				a.FirstPort, a.LastPort(), a.VIP, max(inbound[k][0], sp.first), min(inbound[k][1], sp.lt))
			reported[sp.i] = true
		}
	}
}

// inboundSpans returns the port ranges that the listeners receive on
// at vip for IP protocol ipProto, sorted and merged.
func inboundSpans(ls []listener, s *LoadBalancerSpec, vip netip.Addr, ipProto uint8) [][2]int {
	var spans [][2]int
	for _, l := range ls {
		if s.vip(l.frontend) == vip && l.protocol.Matches(ipProto) && l.lo <= l.hi {
			spans = append(spans, [2]int{l.lo, l.hi})
		}
	}
	slices.SortFunc(spans, func(a, b [2]int) int { return a[0] - b[0] })
	merged := spans[:0]
	for _, sp := range spans {
		if n := len(merged); n > 0 && sp[0] <= merged[n-1][1]+1 {
			merged[n-1][1] = max(merged[n-1][1], sp[1])
			continue
		}
		merged = append(merged, sp)
	}
	return merged
}

// vip returns the VIP of the frontend named fe.
func (s *LoadBalancerSpec) vip(fe string) netip.Addr {
	for _, f := range s.FrontendIPConfigurations {
		if f.Name == fe {
			return f.VIP
		}
	}
	return netip.Addr{}
}

// protocolsOverlap reports whether rules on protocols a and b can match
// the same packet.
func protocolsOverlap(a, b slb.Protocol) bool {
	return a == b || a == slb.ProtocolAll || b == slb.ProtocolAll
}

// A listener is the (frontend, protocol, port range) an inbound rule
// receives on.
type listener struct {
	frontend string
	protocol slb.Protocol
	lo, hi   int
}

// listeners returns what every load-balancing and inbound NAT rule
// receives on.
func (s *LoadBalancerSpec) listeners() []listener {
	var ls []listener
	for _, r := range s.LoadBalancingRules {
		lo, hi := r.FrontendPort, r.FrontendPort
		if r.Protocol == slb.ProtocolAll && r.FrontendPort == 0 {
			lo, hi = 0, 65535
		}
		ls = append(ls, listener{r.Frontend, r.Protocol, lo, hi})
	}
	for _, r := range s.InboundNatRules {
		lo, hi := r.FrontendPort, r.FrontendPort
		if lo == 0 {
			lo, hi = r.FrontendPortRangeStart, r.FrontendPortRangeEnd
		}
		ls = append(ls, listener{r.Frontend, r.Protocol, lo, hi})
	}
	return ls
}

package model

import (
	"net/netip"

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

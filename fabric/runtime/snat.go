package runtime

import (
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
	"github.com/sdnfabric/sdnfabric/slb/mux"
	"github.com/sdnfabric/sdnfabric/slb/snat"
)

// startSNAT starts the load balancers' SNAT port-block manager (Ananta's):
// host agents lease blocks of (VIP, port) for their DIPs' outbound flows,
// and every Mux learns each lease, to send the return traffic of those
// ports to the DIP's host.
func (rt *Runtime) startSNAT() {
	if len(rt.opts.Nodes) > 0 {
		rt.allocated = newAllocatedSNAT()
	}
	rt.snat = snat.New(snat.Config{
		Logger: rt.log.With("node", "snat"),
		OnChange: func(l snat.Lease, granted bool) {
			ml := mux.SNATLease{VIP: l.VIP, Protocol: l.Protocol, Port: l.First, HostPA: l.Host, VNI: l.VNI, DIP: l.DIP}
			for _, m := range rt.muxes {
				if granted {
					_ = m.m.LeaseSNAT(ml) // refused only for a lease that does not fit the Mux's configuration
				} else {
					m.m.ReleaseSNAT(ml)
				}
			}
			if granted {
				proto := "TCP"
				if l.Protocol == header.ProtocolUDP {
					proto = "UDP"
				}
				rt.progress("snat", "lease", "%s %s ports %d-%d to %s on host %s", l.VIP, proto, l.First, l.Last(), l.DIP, l.Host)
			}
		},
	})
	_ = rt.snat.Configure(rt.topo.LoadBalancers...)
}

// leaser is what the host agents lease SNAT blocks from: the manager, or
// the controller's allocations in a runtime of a part of the topology.
func (rt *Runtime) leaser() hostagent.Leaser {
	if rt.allocated != nil {
		return rt.allocated
	}
	return rt.snat
}

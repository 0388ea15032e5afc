package agent

import (
	"context"
	"net/netip"
	"slices"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/slb"
)

// HostSlice is what a host's virtual switch and host agent need.
type HostSlice struct {
	Name string
	// Generation is the Host resource's metadata.generation.
	Generation int64
	Host       model.HostSpec
	// Interfaces are the NICs plugged into the host, by name.
	Interfaces []HostInterface
	// Mappings are, for each VirtualNetwork of a local NIC, the
	// customer-to-provider mappings of all its NICs: where the VNet
	// layer encapsulates to.
	Mappings map[string][]model.Mapping
	// AddressSpaces are, for each VirtualNetwork of a local NIC, its
	// address space: the destinations its NICs reach east-west, which
	// the host agent never SNATs.
	AddressSpaces map[string][]netip.Prefix
	// LoadBalancers are the resolved configurations of the load
	// balancers with a backend on this host (its NAT and DSR).
	LoadBalancers []slb.LoadBalancer
	// SNAT are the SNAT port blocks of this host's DIPs.
	SNAT []model.SNATAllocation
}

// HostInterface is one local NIC.
type HostInterface struct {
	Name       string
	Spec       model.NetworkInterfaceSpec
	Attachment model.Attachment
	// ServicePeers are the addresses its Internal endpoints accept.
	ServicePeers []netip.Addr
}

// HostNode is the host the runtime runs: its virtual switch and host
// agent.
type HostNode interface {
	// ProgramHost makes the host match slice. It is idempotent: it is
	// called again with the same slice after an error.
	ProgramHost(ctx context.Context, slice *HostSlice) error
	// HostStatus is what the host observes now (probes, counters,
	// readiness); the agent fills ObservedGeneration and LastHeartbeat.
	HostStatus(ctx context.Context) (model.HostStatus, error)
}

// Host is the agent of one Host.
type Host struct {
	e *engine[*HostSlice, model.HostStatus]
}

// NewHost returns the agent of Host cfg.Name programming node.
func NewHost(cfg Config, node HostNode) (*Host, error) {
	e, err := newEngine(cfg, role[*HostSlice, model.HostStatus]{
		kind:    model.KindHost,
		project: HostSliceOf,
		program: node.ProgramHost,
		status:  node.HostStatus,
		stamp: func(s *model.HostStatus, gen int64, now time.Time, msg string) {
			s.ObservedGeneration, s.LastHeartbeat = gen, now
			if msg != "" {
				s.Message = msg
			}
		},
	})
	if err != nil {
		return nil, err
	}
	return &Host{e}, nil
}

// Run keeps the host programmed until ctx ends.
func (h *Host) Run(ctx context.Context) error { return h.e.run(ctx) }

// ReportStatus asks for the host's status to be reported soon: the node
// calls it when its DIPs' health changed (model.HostStatus.Health), so
// that the Muxes of other processes learn it before the next heartbeat.
// The reports it asks for are at least Config.StatusMinInterval apart,
// whatever the rate of calls; each carries the status of its time. It
// never blocks.
func (h *Host) ReportStatus() { h.e.statusChanged() }

// HostSliceOf projects host name's slice of st; false when st has no
// such Host.
func HostSliceOf(st *model.State, name string) (*HostSlice, int64, bool) {
	spec, ok := st.Host(name)
	if !ok {
		return nil, 0, false
	}
	o, _ := st.Object(model.KindHost, name)
	s := &HostSlice{Name: name, Generation: o.Metadata.Generation, Host: *spec, Mappings: map[string][]model.Mapping{},
		AddressSpaces: map[string][]netip.Prefix{}}
	for _, n := range st.InterfacesOn(name) {
		nic, _ := st.NetworkInterface(n)
		at, _ := st.Attachment(n)
		s.Interfaces = append(s.Interfaces, HostInterface{Name: n, Spec: *nic, Attachment: at, ServicePeers: st.ServicePeers(n)})
		if v := nic.VirtualNetwork; v != "" {
			if _, done := s.Mappings[v]; !done {
				s.Mappings[v] = st.Mappings(v)
				if vn, ok := st.VirtualNetwork(v); ok {
					s.AddressSpaces[v] = slices.Clone(vn.AddressSpace)
				}
			}
		}
	}
	for _, lb := range st.LoadBalancerConfigs() {
		if !hasBackendOn(lb, spec.ProviderAddress) {
			continue
		}
		s.LoadBalancers = append(s.LoadBalancers, lb)
		for _, a := range st.SNATAllocations(lb.Name) {
			if slices.ContainsFunc(s.Interfaces, func(i HostInterface) bool { return slices.Contains(i.Spec.Addresses, a.DIP) }) {
				s.SNAT = append(s.SNAT, a)
			}
		}
	}
	return s, s.Generation, true
}

func hasBackendOn(lb slb.LoadBalancer, pa netip.Addr) bool {
	for _, p := range lb.BackendAddressPools {
		for _, b := range p.Backends {
			if b.HostPA == pa {
				return true
			}
		}
	}
	return false
}

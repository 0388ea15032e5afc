package model

import (
	"fmt"
	"net/netip"
	"time"
)

// HostSpec is a hypervisor host: its virtual switch terminates VXLAN at
// ProviderAddress on a provider LogicalNetwork subnet, and its host agent
// programs the switch from the controller's state.
type HostSpec struct {
	// SubnetRef names the provider subnet the host's PA is on.
	SubnetRef
	// ProviderAddress (PA) is the host's VXLAN tunnel endpoint.
	ProviderAddress netip.Addr `json:"providerAddress"`
	// MAC is the provider NIC's address; zero means "allocate one".
	MAC MAC `json:"mac,omitzero"`
	// AgentEndpoint is where the host agent listens for the controller
	// (status and diagnostics); zero means the agent only dials out.
	AgentEndpoint netip.AddrPort `json:"agentEndpoint,omitzero"`
}

// Kind returns KindHost.
func (HostSpec) Kind() Kind { return KindHost }

// HostStatus is what a host agent reports back.
type HostStatus struct {
	// ObservedGeneration is the metadata.generation the agent last
	// programmed.
	ObservedGeneration int64     `json:"observedGeneration,omitempty"`
	Ready              bool      `json:"ready"`
	LastHeartbeat      time.Time `json:"lastHeartbeat,omitzero"`
	// Probes is the health of each local DIP as the host agent's probes
	// see it.
	Probes []ProbeStatus `json:"probes,omitempty"`
	// Health says, for each local DIP that a rule probes, whether the host
	// agent puts it in rotation now, one entry per DIP in its virtual
	// network (tenants' networks may reuse addresses), sorted by VNI and
	// DIP: the Muxes apply it (see DIPHealth). It changes with the
	// probes' verdicts, so the agent reports it soon after a change, not
	// only at heartbeats.
	Health []DIPHealth `json:"health,omitempty"`
	// Counters are the virtual switch's counters by name
	// ("acl.denied", "vxlan.encap", ...).
	Counters map[string]uint64 `json:"counters,omitempty"`
	Message  string            `json:"message,omitempty"`
}

// ProbeStatus is the health of one DIP under one probe.
type ProbeStatus struct {
	LoadBalancer string `json:"loadBalancer"`
	Probe        string `json:"probe"`
	// VNI is the DIP's virtual network (a backend pool's VNI).
	VNI     uint32     `json:"vni,omitempty"`
	DIP     netip.Addr `json:"dip"`
	Healthy bool       `json:"healthy"`
	// Busy is set while the instance asked to leave rotation
	// (Set-RoleInstanceStatus -Busy).
	Busy       bool      `json:"busy,omitempty"`
	LastChange time.Time `json:"lastChange,omitzero"`
}

// DIPHealth is a local DIP's place in the load balancers' rotation as its
// host agent decides it: what a Mux in another process than the host's
// needs to send the DIP new flows or not (Ananta's host agents report
// health, the manager carries it, every Mux applies it).
type DIPHealth struct {
	// VNI is the DIP's virtual network, the VNI of its backend pools:
	// two tenants' VMs of one address are two DIPs, each with its own
	// health.
	VNI uint32     `json:"vni"`
	DIP netip.Addr `json:"dip"`
	// Up says the DIP takes new flows: its probes pass, after their
	// thresholds (a VM attached after start is down until its first
	// probe passed), and it is not busy.
	Up bool `json:"up"`
	// Busy says it left rotation on request (Set-RoleInstanceStatus
	// -Busy), whatever its probes say.
	Busy bool `json:"busy,omitempty"`
	// Since is when Up or Busy last changed, by the host's clock; zero
	// when they have not since the agent started.
	Since time.Time `json:"since,omitzero"`
}

// validate checks what decoding does not: each health entry names its
// DIP and its virtual network (a VNI of 24 bits, not 0: a pool's DIPs are
// on a VirtualNetwork), and no (VNI, DIP) has two entries.
func (s *HostStatus) validate(c checker) {
	seen := map[DIPHealth]int{}
	for i, h := range s.Health {
		f := fmt.Sprintf("status.health[%d]", i)
		if h.VNI == 0 {
			c.fail(ErrRequired, f+".vni", "is 0: name the DIP's virtual network")
		} else if h.VNI > MaxVNI {
			c.fail(ErrRange, f+".vni", "%d does not fit in 24 bits", h.VNI)
		}
		if !h.DIP.IsValid() {
			c.fail(ErrRequired, f+".dip", "is empty")
		}
		k := DIPHealth{VNI: h.VNI, DIP: h.DIP}
		if j, dup := seen[k]; dup {
			c.fail(ErrDuplicate, f, "%s in VNI %d is also status.health[%d]", h.DIP, h.VNI, j)
		}
		seen[k] = i
	}
	for i, p := range s.Probes {
		if p.VNI > MaxVNI {
			c.fail(ErrRange, fmt.Sprintf("status.probes[%d].vni", i), "%d does not fit in 24 bits", p.VNI)
		}
	}
}

func (s *HostSpec) validate(c checker, _ string) {
	checkSubnetRef(c, s.SubnetRef)
	checkUnicast(c, "spec.providerAddress", s.ProviderAddress)
	checkMAC(c, "spec.mac", s.MAC)
	if ep := s.AgentEndpoint; ep.IsValid() {
		checkUnicast(c, "spec.agentEndpoint", ep.Addr())
		checkPort(c, "spec.agentEndpoint", int(ep.Port()))
	}
}

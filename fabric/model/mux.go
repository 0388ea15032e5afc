package model

import (
	"fmt"
	"net/netip"
	"time"
)

// MuxSpec is a software load balancer multiplexer (SLB MUX): it owns the
// VIPs of the LoadBalancers, announces each as a /32 (or /128) to its BGP
// router peers, and sends each flow in VXLAN to a DIP's host.
type MuxSpec struct {
	// SubnetRef names the provider subnet the Mux is on.
	SubnetRef
	// Address is the Mux's address on that subnet: its BGP source and
	// its VXLAN source PA.
	Address netip.Addr `json:"address"`
	// MAC is the Mux NIC's address; zero means "allocate one".
	MAC MAC `json:"mac,omitzero"`
	// Host names the Host the Mux runs on; empty means a machine of its
	// own.
	Host string `json:"host,omitempty"`
	// ASN is the Mux's autonomous system number.
	ASN uint32 `json:"asn"`
	// RouterID is the BGP identifier; zero means Address.
	RouterID netip.Addr `json:"routerID,omitzero"`
	Peers    []BGPPeer  `json:"peers"`
	// LoadBalancers names the LoadBalancers whose VIPs the Mux serves;
	// empty means all of them.
	LoadBalancers []string `json:"loadBalancers,omitempty"`
}

// Kind returns KindMux.
func (MuxSpec) Kind() Kind { return KindMux }

// MuxStatus is what a Mux agent reports back.
type MuxStatus struct {
	ObservedGeneration int64           `json:"observedGeneration,omitempty"`
	Peers              []BGPPeerStatus `json:"peers,omitempty"`
	// Announced lists the VIP prefixes the Mux announces now.
	Announced     []netip.Prefix    `json:"announced,omitempty"`
	LastHeartbeat time.Time         `json:"lastHeartbeat,omitzero"`
	Counters      map[string]uint64 `json:"counters,omitempty"`
	Message       string            `json:"message,omitempty"`
}

func (s *MuxSpec) validate(c checker, _ string) {
	checkSubnetRef(c, s.SubnetRef)
	checkUnicast(c, "spec.address", s.Address)
	checkMAC(c, "spec.mac", s.MAC)
	checkASN(c, "spec.asn", s.ASN)
	checkRouterID(c, "spec.routerID", s.RouterID, s.Address)
	if len(s.Peers) == 0 {
		c.fail(ErrRequired, "spec.peers", "is empty: the Mux would announce its VIPs to no router")
	}
	checkPeers(c, "spec.peers", s.Peers)
	for i, lb := range s.LoadBalancers {
		checkRef(c, fmt.Sprintf("spec.loadBalancers[%d]", i), lb)
	}
}

package vswitch

import "net/netip"

// SLBVerdict is what the SLB layer decided.
type SLBVerdict uint8

// The verdicts, as slb/hostagent returns them.
const (
	SLBPass     SLBVerdict = iota // not the load balancer's: on to the next layer
	SLBDeliver                    // rewritten; to the local DIP's vNIC
	SLBToRouter                   // rewritten; straight to the provider router (DSR, SNAT)
	SLBDrop                       // dropped
)

// SLBResult is the outcome of the SLB layer for one packet.
type SLBResult struct {
	Verdict SLBVerdict
	// DIP is the local DIP a delivered packet is for (with floating IP the
	// packet still carries the VIP); VNI its virtual network, 0 if the
	// packet's own.
	DIP netip.Addr
	VNI uint32
	// Rule names the rule ("loadbalancer/rule") or the reason.
	Rule string
}

// SLB is the load balancer's layer: the host agent's in-place rewrites of
// IP packets (from the IP header on). Inbound sees packets decapsulated on
// this host, with their VNI (and the DIP a Mux chose, when known);
// Outbound sees the packets of local guests. Neither may keep pkt.
type SLB interface {
	Inbound(pkt []byte, vni uint32, dip netip.Addr) (SLBResult, error)
	Outbound(pkt []byte, vni uint32) (SLBResult, error)
}

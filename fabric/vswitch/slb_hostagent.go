package vswitch

import (
	"net/netip"

	"github.com/sdnfabric/sdnfabric/slb/hostagent"
)

// HostAgent returns the SLB layer of an slb/hostagent Agent.
func HostAgent(a *hostagent.Agent) SLB { return agentLayer{a} }

type agentLayer struct{ a *hostagent.Agent }

func (l agentLayer) Inbound(pkt []byte, vni uint32, dip netip.Addr) (SLBResult, error) {
	r, err := l.a.Inbound(pkt, vni, dip)
	return agentResult(r), err
}

func (l agentLayer) Outbound(pkt []byte, vni uint32) (SLBResult, error) {
	r, err := l.a.Outbound(pkt, vni)
	return agentResult(r), err
}

func agentResult(r hostagent.Result) SLBResult {
	out := SLBResult{DIP: r.DIP, VNI: r.VNI, Rule: r.Rule}
	switch r.Verdict {
	case hostagent.Pass:
		out.Verdict = SLBPass
	case hostagent.Deliver:
		out.Verdict = SLBDeliver
	case hostagent.ToRouter:
		out.Verdict = SLBToRouter
	default:
		out.Verdict = SLBDrop
	}
	if out.Rule == "" {
		out.Rule = r.Reason.String()
	}
	return out
}

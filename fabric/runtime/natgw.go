package runtime

import (
	"fmt"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/fabric/trace"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/rras/nat"
)

// natGateway is the NATVM's NAT: rras NAT44 attached to the router (which
// calls it under its own mutex, before routing for packets from outside
// and after routing for packets leaving by the external interface), seen
// through a tracing wrapper.
type natGateway struct {
	*nat.NAT // the other methods of router.Translator
	node     string
	rec      *trace.Recorder
}

func newNATGateway(node string, external netip.Addr, fwds []PortForward, rec *trace.Recorder) (*natGateway, error) {
	cfg := nat.Config{External: []netip.Addr{external}}
	for _, f := range fwds {
		cfg.Forwards = append(cfg.Forwards, nat.PortForward{Proto: header.ProtocolTCP, External: f.External, Internal: f.Internal})
	}
	n, err := nat.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: NAT: %w", node, err)
	}
	return &natGateway{NAT: n, node: node, rec: rec}, nil
}

// Outbound implements router.Translator.
func (g *natGateway) Outbound(pkt []byte) (nat.Verdict, error) {
	before := g.before(pkt)
	v, err := g.NAT.Outbound(pkt)
	g.after(pkt, "snat", before, v, err)
	return v, err
}

// Inbound implements router.Translator.
func (g *natGateway) Inbound(pkt []byte) (nat.Verdict, error) {
	before := g.before(pkt)
	v, err := g.NAT.Inbound(pkt)
	if v != nat.Pass {
		g.after(pkt, "dnat", before, v, err)
	}
	return v, err
}

func (g *natGateway) before(pkt []byte) string {
	if !g.rec.WantsIP(pkt) {
		return ""
	}
	return trace.DescribeIP(pkt)
}

func (g *natGateway) after(pkt []byte, action, before string, v nat.Verdict, err error) {
	if before == "" && !g.rec.WantsIP(pkt) {
		return
	}
	e := trace.Event{Node: g.node, Layer: "nat", Action: action, Packet: trace.DescribeIP(pkt), Note: "was " + before}
	switch {
	case v == nat.Hairpin:
		e.Action = "hairpin"
	case v != nat.Forward:
		e.Action, e.Note = "drop", v.String()
		if err != nil {
			e.Note = err.Error()
		}
	}
	g.rec.Record(e)
}

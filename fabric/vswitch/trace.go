package vswitch

import (
	"fmt"
	"net/netip"
	"strings"
	"sync/atomic"

	"github.com/sdnfabric/sdnfabric/fabric/trace"
)

// Layer is where a decision was taken.
type Layer uint8

// The layers, in the order a packet from a vNIC crosses them (a packet to a
// vNIC crosses them in the reverse order). LayerPort is the switch's own
// handling of a port: ARP, parsing, delivery.
const (
	LayerPort Layer = iota
	LayerOffload
	LayerACL
	LayerSLB
	LayerVNet
	numLayers
)

var layerNames = [numLayers]string{"port", "offload", "acl", "slb", "vnet"}

func (l Layer) String() string {
	if l < numLayers {
		return layerNames[l]
	}
	return fmt.Sprintf("layer(%d)", uint8(l))
}

// Action is what a layer did with a packet.
type Action uint8

// The actions.
const (
	ActionAllow      Action = iota // ACL: the packet may pass
	ActionDeny                     // ACL: the packet is dropped
	ActionPass                     // SLB: not the load balancer's business
	ActionNAT                      // SLB: rewritten in place (DNAT, un-DNAT, SNAT)
	ActionDSR                      // SLB: rewritten, and sent straight to the router
	ActionEncap                    // VNet: VXLAN headers added
	ActionDecap                    // VNet: VXLAN headers removed
	ActionLocal                    // VNet: to another vNIC on this switch
	ActionSegment                  // offload: a super-packet segmented
	ActionChecksum                 // offload: checksums filled in
	ActionARPReply                 // port: ARP answered
	ActionARPRequest               // port: ARP request sent for a next hop
	ActionDeliver                  // port: sent to a vNIC or the uplink
	ActionDrop                     // any layer: dropped; Rule says why
	numActions
)

var actionNames = [numActions]string{"allow", "deny", "pass", "nat", "dsr", "encap", "decap", "local",
	"segment", "checksum", "arp-reply", "arp-request", "deliver", "drop"}

func (a Action) String() string {
	if a < numActions {
		return actionNames[a]
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// Direction says whether a packet travels from a vNIC (Out) or towards one
// (In).
type Direction uint8

// The directions.
const (
	Out Direction = iota // from a vNIC: towards the uplink or another vNIC
	In                   // from the uplink (or another vNIC) towards a vNIC
)

func (d Direction) String() string {
	if d == In {
		return "in"
	}
	return "out"
}

// Event is one decision of one layer about one packet.
type Event struct {
	Switch string    // the switch's name
	Port   string    // the vNIC the packet is from or for, or "uplink"
	Dir    Direction // Out: from a vNIC; In: towards one
	Layer  Layer
	Action Action
	// Rule names the rule or reason: an endpoint of the ACL, a load
	// balancer rule "lb/rule", a drop reason.
	Rule string
	// Proto, Src and Dst are the (inner) IP packet's protocol and
	// addresses as the layer left them.
	Proto    uint8
	Src, Dst netip.AddrPort
	// VNI, OuterSrc, OuterDst and OuterPort (the UDP destination port)
	// describe the VXLAN encapsulation an Encap added or a Decap removed.
	VNI                uint32
	OuterSrc, OuterDst netip.Addr
	OuterPort          uint16
	// Segments is the number of packets an offload Segment made.
	Segments int
	// Frame is the packet as the layer left it, an Ethernet frame (the
	// whole VXLAN packet after an Encap), when the event is about one. It
	// is valid only during the Trace call: copy what you keep.
	Frame []byte
}

// TraceEvent converts e into the fabric's hop-by-hop trace form, with the
// packet described by trace.Describe (so call it during the Trace call,
// while e.Frame is valid).
func (e Event) TraceEvent() trace.Event {
	t := trace.Event{Node: e.Switch, Layer: e.Layer.String(), Rule: e.Rule, Action: e.Action.String()}
	if e.Frame != nil {
		t.Packet = trace.Describe(e.Frame)
	}
	switch e.Action {
	case ActionEncap, ActionDecap:
		h := []string{
			fmt.Sprintf("IPv4 %s > %s", e.OuterSrc, e.OuterDst),
			fmt.Sprintf("UDP %d", e.OuterPort),
			fmt.Sprintf("VXLAN vni %d", e.VNI),
		}
		if e.Action == ActionEncap {
			t.Added = h
		} else {
			t.Removed = h
		}
	case ActionDSR:
		t.Note = "DSR: the reply leaves for the router, bypassing the Mux"
	case ActionSegment:
		t.Note = fmt.Sprintf("TSO: %d segments", e.Segments)
	}
	if e.Port != "" {
		t.Note = strings.TrimSpace(e.Port + " " + e.Dir.String() + "; " + t.Note)
		t.Note = strings.TrimSuffix(t.Note, ";")
	}
	return t
}

// String formats the event for a trace line.
func (e Event) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %-3s %-7s %-9s", e.Switch, e.Port, e.Dir, e.Layer, e.Action)
	if e.Rule != "" {
		fmt.Fprintf(&b, " [%s]", e.Rule)
	}
	if e.Src.IsValid() || e.Dst.IsValid() {
		fmt.Fprintf(&b, " %s %s -> %s", protoName(e.Proto), e.Src, e.Dst)
	}
	switch e.Action {
	case ActionEncap:
		fmt.Fprintf(&b, " +eth/ipv4 %s->%s/udp/vxlan vni %d", e.OuterSrc, e.OuterDst, e.VNI)
	case ActionDecap:
		fmt.Fprintf(&b, " -eth/ipv4 %s->%s/udp/vxlan vni %d", e.OuterSrc, e.OuterDst, e.VNI)
	case ActionSegment:
		fmt.Fprintf(&b, " into %d segments", e.Segments)
	}
	return strings.TrimRight(b.String(), " ")
}

func protoName(p uint8) string {
	switch p {
	case protoTCP:
		return "tcp"
	case protoUDP:
		return "udp"
	case protoICMP:
		return "icmp"
	}
	return fmt.Sprintf("proto %d", p)
}

// counters counts events per layer and action.
type counters [numLayers][numActions]atomic.Uint64

// Stats are the switch's counters per layer and action: Count[LayerACL]
// [ActionDeny] is the number of packets the ACL layer denied.
type Stats struct {
	Count [numLayers][numActions]uint64
}

// Get returns the count of action in layer.
func (s Stats) Get(l Layer, a Action) uint64 {
	if l >= numLayers || a >= numActions {
		return 0
	}
	return s.Count[l][a]
}

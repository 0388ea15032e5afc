package trace

import (
	"fmt"
	"strings"
	"time"
)

// Event is one step of a packet through one layer of one node.
type Event struct {
	Seq     int       // order of recording, from 1
	Time    time.Time // when it was recorded
	Node    string    // "BGPVM", "Host1", ...
	Layer   string    // "nat", "router", "mux", "acl", "slb", "vnet", "port", "bgp"...
	Rule    string    // the rule, route or table entry that decided, if any
	Action  string    // "forward", "encap", "decap", "dnat", "snat", "deliver", "drop"...
	Packet  string    // the packet as it leaves the step (see Describe)
	Added   []string  // headers pushed, outermost first ("IPv4 192.168.100.20 > 192.168.100.31", "UDP 4789", "VXLAN vni 5001")
	Removed []string  // headers popped, outermost first
	Note    string    // anything else worth saying ("DSR: reply bypasses the Mux")
}

// String formats the event on one line.
func (e Event) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-9s %-7s %-8s", e.Node, e.Layer, e.Action)
	if e.Packet != "" {
		fmt.Fprintf(&b, " %s", e.Packet)
	}
	if e.Rule != "" {
		fmt.Fprintf(&b, " [%s]", e.Rule)
	}
	for _, h := range e.Added {
		fmt.Fprintf(&b, " +(%s)", h)
	}
	for _, h := range e.Removed {
		fmt.Fprintf(&b, " -(%s)", h)
	}
	if e.Note != "" {
		fmt.Fprintf(&b, " (%s)", e.Note)
	}
	return b.String()
}

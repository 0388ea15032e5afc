// Package agent is the node side of the fabric controller: Host, Mux and
// Gateway agents that keep one data-plane node programmed from the
// desired state and report what the node observes back into the status
// of the node's resource.
//
// An agent lists the whole desired state from one snapshot and watches it
// as one stream (/v1/state) through an api.Backend (an api.Client over
// the network, or the controller in process), builds the validated
// model.State from it, and projects its own slice: for a
// host, its NICs with their attachments, the customer-to-provider
// mappings of their virtual networks and the load balancers with a
// backend on it; for a Mux, the load balancers it serves and their SNAT
// allocations; for a Gateway, its spec. The node is programmed only when
// its slice changes, so changes elsewhere in the fabric never touch it.
// Programming is idempotent and retried with jittered exponential backoff
// (provision/jitter's FullJitter); a watch that breaks (the controller
// restarting, the network failing) is re-listed and resumed with the same
// backoff, and while it is broken the node keeps its last programmed
// state.
//
// Statuses are written after each programming and at every heartbeat
// (Config.StatusInterval), and a host's also soon after its node says its
// DIPs' health changed (Host.ReportStatus), at most once per
// Config.StatusMinInterval. A Mux's slice carries the health its DIPs'
// hosts report (MuxSlice.Health, by DIP in its virtual network: tenants
// may reuse addresses): the Muxes of every process learn a
// probe's verdict through the controller, as Ananta's host agents report
// health to its manager, and a change of health alone is given to the
// node through MuxNode.SetMuxHealth, with no status write of its own.
//
// The runtime implements the node interfaces (HostNode, MuxNode,
// GatewayNode); this package never touches a data plane itself.
package agent

// Package runtime runs a fabric topology in process: every link is a
// netsim switch carrying Ethernet frames, every machine a gVisor TCP/IP
// stack (package guest), and every network node is built from the
// sdnfabric libraries:
//
//   - a gateway is an rras router (RFC 1812 forwarding, ARP) with, for the
//     seed's NATVM, rras NAT44 (RFC 3022, RFC 4787, RFC 5382) attached
//     between its inside and outside interfaces, port forwards included,
//     and for the BGPVM a BGP-4 speaker (RFC 4271) whose best paths feed
//     the router's RIB, ECMP across the Muxes announcing a VIP;
//   - a Mux is slb/mux with a BGP speaker announcing each VIP as a /32 with
//     the Mux as next hop (withdrawn when no DIP is healthy or the Mux
//     stops), sending flows to hosts in VXLAN (RFC 7348);
//   - a host is a vswitch with ordered layers (offload, ACL of its VMs'
//     endpoints, the slb host agent for NAT, Direct Server Return, SNAT
//     and TCP reset on idle, VNet) programmed with the fabric's CA-to-PA mappings, and the host's
//     own stack on the switch's host port, where the host agent's health
//     probes come from;
//   - one slb/snat manager leases SNAT port blocks to the host agents and
//     tells every Mux, which sends the return traffic to the right host.
//
// The BGP sessions ride TCP between the nodes' own addresses through the
// virtual wires; with Options.BFD each has a BFD session (RFC 5880, single
// hop RFC 5881) over the same guest stacks, so a Mux that dies loses its
// routes within 3 BFD intervals rather than the hold time. Start builds a Topology (Seed, or FromModel from the
// fabric model's resources such as examples/seed.yaml) and reports
// progress; Ready waits until BGP is Established, every VIP is routed and
// every DIP has passed its probes. SetBusy and SetReady implement
// provision.Rotation (the seed's Set-RoleInstanceStatus -Busy); InVNI
// names the virtual network when tenants reuse an address. A
// trace.Recorder given in Options records the hop-by-hop path of the flows
// it watches, through every router, NAT, Mux and vswitch layer.
//
// Start programs every node from the Topology. StartAgents then hands the
// nodes to the fabric controller: a Host, Mux or Gateway agent (package
// agent) per node watches the desired state through an api.Backend and
// programs its node when its slice changes (a host's load balancers and
// CA-to-PA mappings, a Mux's load balancers, the SNAT manager and its
// leases, a gateway's static routes, every speaker's BGP peers), and reports the node's BGP sessions,
// announced VIPs, probe verdicts and counters into its resource's status.
// What a running node cannot change (interfaces, a speaker's ASN, NAT port
// forwards, a NIC's endpoints) is named in the status message. Without the
// controller the nodes keep their last state.
//
// A host's VMs follow the controller too: a NIC added for a host is
// attached by its agent (the VM made through Options.Guests or as a gVisor
// guest, on a new vNIC), and a VM whose NIC left its host is detached one
// second later (detachGrace) unless another host of the runtime has the
// NIC by then: that host's agent migrates it. The controller's state does
// not tell a deleted NIC from a moved one; a NIC moved to a host of
// another process (or whose agent is later than the grace) is detached
// here and attached anew there. A VM attached so whose DIP a rule probes
// takes new flows once its probe passed, as Azure adds a backend to
// rotation: its host agent holds it down until then (AwaitProbe), and the
// Muxes hold a DIP new to them until told its health (muxHealth). A host
// agent's internal prefixes, the destinations it never SNATs, follow too:
// the address spaces of its NICs' virtual networks and the NICs' subnets,
// so that a NIC in a subnet added later talks east-west with its own
// address.
//
// A NIC the controller moves to another host of the runtime is live
// migrated there by the new host's agent: the VM's end of its wire is
// replugged into the new host's virtual switch (the guest keeps its stack
// and its connections), the old host's slb host agent hands the DIP's
// inbound flows to the new one, and the host agents and Muxes are
// programmed with the VM where it now is; the Muxes' established flows of
// the DIP follow it at once. Until a VM has moved, the runtime programs
// the load balancers with the VM where it is. Connections the VM opened
// (SNAT) are not carried over.
//
// A runtime may run a part of the topology: Options.Nodes names the
// gateways, Muxes and hosts it runs (a host with its VMs), and
// Options.Uplinks attaches each network those nodes are on to a real link
// through one more port on the network's switch, over which the nodes of
// other processes are reached (`fabric agent`, the distributed lab). Such
// a runtime runs no machine plugged into a network directly, and Ready
// waits for its own nodes only. One SNAT manager per process could not
// tell the Muxes of other processes of its leases, so such a runtime
// serves the controller's SNAT allocations instead (allocatedSNAT): a
// host agent leases its DIPs' allocated blocks, and every Mux agent
// programs every block allocated to the DIPs of its load balancers.
//
// DIP health crosses processes through the controller, as in Ananta
// (host agents report it, the manager carries it, every Mux applies it):
// a host's agent reports its probed DIPs' health in the host's status
// (model.HostStatus.Health: up, busy, since when, per DIP in its virtual
// network: tenants may reuse addresses, and each keeps its own health
// here, at the host agents and at the Muxes; but two of one address on
// one host are both probed through the first one's vNIC, as the host
// port reaches a CA in any VNI) soon after a probe
// verdict or busy mark changes, at most one status write per
// agent.Config.StatusMinInterval however fast a probe flaps; a Mux agent's
// slice carries the health its DIPs' hosts report (agent.MuxSlice.Health,
// a report counting only from the host the controller has the DIP on),
// and the Mux applies what it hears of the hosts of other processes (of
// its own runtime's hosts it hears at once). A DIP whose host has not
// reported is as the Mux has it: healthy if it was in its first
// configuration, held if a later one added it, until the report. A Mux
// cut off from the controller keeps the health it last heard, and
// forwards on.
//
// An instance marks itself busy or ready from inside its VM, as the seed's
// Set-RoleInstanceStatus -Busy does through Azure's guest agent and
// WireServer: each host's own stack serves its VMs the instance status
// endpoint at 168.63.129.16, port 80 (WireServerURL): GET
// /v1/instance/status returns the caller's status (InstanceStatus: machine,
// address, VNI, "busy" or "ready", in rotation or not), PUT with
// {"status":"busy"} or {"status":"ready"} (InstanceStatusRequest; an
// "address", if given, must be the caller's) marks it, as Runtime.SetBusy
// does, on the host, whose agent carries the mark to every Mux, also those
// of other processes. The caller is the VM its source address names: the
// vswitch delivers to the host port only what a local vNIC sent, past its
// anti-spoofing check, so no VM of another host, no VXLAN and no provider
// traffic reaches it; a request from an address no VM of the host has is
// refused (403), as is one naming another address, and one from an address
// that VMs of several virtual networks have on the host (the host port does
// not tell which vNIC a packet came through, 409). Errors are RFC 9457
// problem documents; bodies are limited to 256 bytes, connections to 32 at
// a time per host, and reads and writes to 5 s. WireServerRotation is the
// client, a provision.Rotation for provision.BringUp run inside the
// instance over the instance's own stack.
package runtime

// Package slb is a software load balancer in the style of Ananta
// (SIGCOMM 2013) and Maglev (NSDI 2016): a Mux that owns tenant VIPs and
// hashes flows to backend DIPs with consistent hashing, encapsulating them
// in VXLAN (RFC 7348) to the DIP's host, and a host agent that performs NAT,
// Direct Server Return and SNAT (RFC 3022 terminology).
//
// This package holds the configuration model, after the Azure Load
// Balancer's resources: a [LoadBalancer] has frontend VIPs (IPv4 and
// IPv6), backend pools of DIPs with their hosts' provider addresses and
// weights, load-balancing rules, inbound NAT rules (a frontend port or
// port range to one DIP's private port, the "input endpoint" of a role
// instance), outbound SNAT rules and health probes.
// [LoadBalancer.Validate] reports every problem as a [FieldError] whose
// Path names the field in the JSON form, and [ParseLoadBalancer] decodes
// and validates JSON strictly.
//
// Subpackages: maglev builds the Maglev lookup tables, and flowhash
// computes the fixed-key flow hashes (Azure's 5-tuple, 3-tuple and
// 2-tuple distribution modes) that every Mux must agree on; mux is the
// Mux's data path (rule match, flow table, Maglev pick, encapsulation).
// hostagent is the host side: destination NAT of the Muxes' packets to the
// local DIPs, Direct Server Return of the replies straight to the router,
// outbound SNAT, and the health probes of the local DIPs; snat is the
// manager that leases SNAT ports to hosts in blocks of eight.
package slb

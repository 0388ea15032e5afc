// Package model is the fabric controller's declarative model of the whole
// network: versioned resources in the kind/metadata/spec/status shape of
// Kubernetes and of the Network Controller's REST resources, their JSON
// and YAML forms, their validation, what the controller allocates, and a
// typed view of a whole desired state for the runtime and the agents.
//
// # Resources
//
// An Object is one resource as stored and sent: apiVersion
// "sdnfabric.io/v1", a Kind, Metadata (name, resourceVersion, labels) and
// the Spec and Status as raw JSON. Each kind's typed spec and status are
// in the file named after the kind:
//
//   - LogicalNetwork: a physical network of the datacenter (subnets with
//     prefix, gateway, VLAN); the provider one carries VXLAN (PA network).
//   - PublicIPPool: the addresses VIPs come from.
//   - Host: a hypervisor with its provider address (VTEP), MAC and agent.
//   - VirtualNetwork: a tenant network: VNI (RFC 7348), address space,
//     subnets.
//   - NetworkInterface: a machine's NIC on a VirtualNetwork subnet (on a
//     Host) or a LogicalNetwork subnet, with its MAC, addresses and
//     endpoints: Input endpoints reach it from the load balancer, Internal
//     ones from the other instances of its service, nothing else inbound.
//   - LoadBalancer: the slb module's LoadBalancer (frontends, pools,
//     rules, inbound NAT, outbound SNAT, probes), with pools filled from
//     the NICs that join them and the SNAT port blocks of each DIP.
//   - Mux: an SLB MUX with its address, ASN and BGP router peers (RFC 4271).
//   - Gateway: an RRAS-like router (connected and static routes, BGP) and
//     NAPT (RFC 3022) with port forwards.
//   - Catalog: the provision module's machine catalog.
//   - Event: an event log entry.
//
// The status types are what the agents report: BGP session state, probe
// health, counters.
//
// # Files
//
// Decode reads JSON (an object, an array, or a stream) or multi-document
// YAML. YAML is converted to JSON through go.yaml.in/yaml/v3's node tree
// and then decoded like JSON, so the encoding/json tags are the only
// schema. Decoding is strict: unknown fields, values of the wrong type,
// unknown kinds are a *DecodeError with the field path and, for YAML, the
// line; duplicate and merge keys are refused; input size, nesting depth,
// alias expansion and list lengths are bounded. EncodeYAML and EncodeJSON
// write what Decode reads.
//
// # Validation, allocation, state
//
// ValidateObject checks one resource, ValidateState a whole desired state
// (overlapping prefixes, duplicate VNIs, MACs, VIPs and addresses,
// missing references, addresses outside their subnet, NAT port forwards
// outside their pool, BGP peers that disagree with the resource they
// name, Input endpoints no load-balancer rule serves and rules to ports
// no Input endpoint opens, each resolved load
// balancer through slb's validation). Every problem is a *ValidationError
// naming the resource (Kind, Name) and the Field path, wrapping a
// sentinel such as ErrOverlap; they are joined with errors.Join.
//
// Allocate fills what a spec leaves empty before the controller stores
// it: VNIs, MACs (locally administered), VIPs from PublicIPPools, SNAT
// port blocks (slb.SNATPortBlock ports, Ananta's scheme) for each DIP of
// an outbound rule. The controller's write path is: decode, Allocate
// against the current state, ValidateState of the state with the change,
// then store. AllocateAll completes a whole file such as
// ../examples/seed.yaml, the seed topology.
//
// NewState allocates, validates and indexes a whole state: typed lookups
// by kind and name, the NICs on a host, a NIC's attachment (prefix,
// gateway, VNI, host PA), customer-to-provider address mappings of a
// virtual network, the peers of a service's Internal endpoints, and each
// load balancer's slb configuration with its pools resolved, ready for
// slb/mux and the host agents.
package model

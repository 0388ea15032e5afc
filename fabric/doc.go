// Package fabric composes the sdnfabric libraries into a network that runs:
// a network controller holding the desired state, agents that program hosts,
// Muxes and gateways, and runtimes that carry real traffic through the
// topology, in process or on Linux network namespaces.
package fabric

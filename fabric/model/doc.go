// Package model is the fabric controller's declarative model of the whole
// network: versioned resources (Hosts, LogicalNetworks, VirtualNetworks,
// NetworkInterfaces, LoadBalancers, Muxes, Gateways, PublicIPPools,
// Catalogs, Events) in the kind/metadata/spec/status shape, with JSON and
// YAML forms.
package model

package model

import (
	"encoding/json"
	"fmt"
)

// A Spec is the typed spec of one kind: *HostSpec, *LogicalNetworkSpec,
// ... Each kind's spec type is in the file named after the kind.
type Spec interface {
	Kind() Kind
}

// NewSpec returns a pointer to a new zero spec of kind k, or nil for an
// unknown kind.
func NewSpec(k Kind) Spec {
	switch k {
	case KindHost:
		return new(HostSpec)
	case KindLogicalNetwork:
		return new(LogicalNetworkSpec)
	case KindVirtualNetwork:
		return new(VirtualNetworkSpec)
	case KindNetworkInterface:
		return new(NetworkInterfaceSpec)
	case KindLoadBalancer:
		return new(LoadBalancerSpec)
	case KindMux:
		return new(MuxSpec)
	case KindGateway:
		return new(GatewaySpec)
	case KindPublicIPPool:
		return new(PublicIPPoolSpec)
	case KindCatalog:
		return new(CatalogSpec)
	case KindEvent:
		return new(EventSpec)
	}
	return nil
}

// NewStatus returns a pointer to a new zero status of kind k, or nil for
// a kind without status (an Event, or an unknown kind).
func NewStatus(k Kind) any {
	switch k {
	case KindHost:
		return new(HostStatus)
	case KindLogicalNetwork, KindVirtualNetwork:
		return new(NetworkStatus)
	case KindNetworkInterface:
		return new(NetworkInterfaceStatus)
	case KindLoadBalancer:
		return new(LoadBalancerStatus)
	case KindMux:
		return new(MuxStatus)
	case KindGateway:
		return new(GatewayStatus)
	case KindPublicIPPool:
		return new(PublicIPPoolStatus)
	case KindCatalog:
		return new(CatalogStatus)
	}
	return nil
}

// NetworkStatus reports a LogicalNetwork's or VirtualNetwork's use.
type NetworkStatus struct {
	// Interfaces counts the NICs on the network.
	Interfaces int `json:"interfaces"`
}

// NewObject returns the resource kind/name with spec (a value or pointer
// of a spec type).
func NewObject(name string, spec Spec) (Object, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return Object{}, fmt.Errorf("model: encoding %s spec: %w", spec.Kind(), err)
	}
	return Object{APIVersion: APIVersion, Kind: spec.Kind(), Metadata: Metadata{Name: name}, Spec: b}, nil
}

// SetSpec replaces o's spec with spec, which must be of o's kind.
func (o *Object) SetSpec(spec Spec) error {
	if spec.Kind() != o.Kind {
		return fmt.Errorf("model: %s spec for a %s", spec.Kind(), o.Kind)
	}
	b, err := json.Marshal(spec)
	if err != nil {
		return fmt.Errorf("model: encoding %s spec: %w", spec.Kind(), err)
	}
	o.Spec = b
	return nil
}

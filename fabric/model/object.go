package model

import (
	"encoding/json"
	"strings"
	"time"
)

// APIVersion is the apiVersion of every resource of this model.
const APIVersion = "sdnfabric.io/v1"

// Kind names a resource type, as in the "kind" field.
type Kind string

// The resource kinds. Each kind's spec type lives in the file named after
// it (host.go, virtualnetwork.go, ...).
const (
	KindHost             Kind = "Host"
	KindLogicalNetwork   Kind = "LogicalNetwork"
	KindVirtualNetwork   Kind = "VirtualNetwork"
	KindNetworkInterface Kind = "NetworkInterface"
	KindLoadBalancer     Kind = "LoadBalancer"
	KindMux              Kind = "Mux"
	KindGateway          Kind = "Gateway"
	KindPublicIPPool     Kind = "PublicIPPool"
	KindCatalog          Kind = "Catalog"
	KindEvent            Kind = "Event"
)

// Kinds lists every kind in the order a whole state is applied and
// allocated (AllocateAll): networks and pools first, then hosts, tenant
// networks and catalogs, then NICs, which the load balancers' pools and
// SNAT blocks are resolved from, then Muxes and Gateways (which name each
// other as BGP peers), then events. A batch is validated as a whole, so
// references may also point forward (a NIC names its load balancer).
func Kinds() []Kind {
	return []Kind{KindLogicalNetwork, KindPublicIPPool, KindHost, KindVirtualNetwork,
		KindCatalog, KindNetworkInterface, KindLoadBalancer, KindMux, KindGateway, KindEvent}
}

// Plural returns the kind's collection name, as used in REST paths
// (/v1/<plural>/<name>) and store keys: "Host" -> "hosts", "Mux" ->
// "muxes".
func (k Kind) Plural() string {
	l := strings.ToLower(string(k))
	if strings.HasSuffix(l, "x") {
		return l + "es"
	}
	return l + "s"
}

// Metadata identifies a resource. ResourceVersion is the store's
// ModRevision of the resource in decimal; a client sends it back to
// update only the version it read (optimistic concurrency).
type Metadata struct {
	Name              string            `json:"name"`
	ResourceVersion   string            `json:"resourceVersion,omitempty"`
	Generation        int64             `json:"generation,omitempty"`
	CreationTimestamp time.Time         `json:"creationTimestamp,omitzero"`
	Labels            map[string]string `json:"labels,omitempty"`
	Annotations       map[string]string `json:"annotations,omitempty"`
}

// An Object is one resource in its wire and stored form: the
// kind/metadata/spec/status shape of Kubernetes and of the Network
// Controller's REST resources. Spec and Status are kept as raw JSON here;
// each kind's typed spec decodes from Spec.
type Object struct {
	APIVersion string          `json:"apiVersion"`
	Kind       Kind            `json:"kind"`
	Metadata   Metadata        `json:"metadata"`
	Spec       json.RawMessage `json:"spec,omitempty"`
	Status     json.RawMessage `json:"status,omitempty"`
}

// KeyPrefix is the store key prefix of every resource.
const KeyPrefix = "/sdnfabric/v1/"

// Key returns the store key of the resource kind/name:
// "/sdnfabric/v1/<plural>/<name>".
func Key(kind Kind, name string) string { return KeyPrefix + kind.Plural() + "/" + name }

// KindPrefix returns the store key prefix of every resource of a kind.
func KindPrefix(kind Kind) string { return KeyPrefix + kind.Plural() + "/" }

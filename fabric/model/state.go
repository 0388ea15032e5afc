package model

import (
	"cmp"
	"errors"
	"fmt"
	"iter"
	"net/netip"
	"slices"

	"github.com/sdnfabric/sdnfabric/slb"
)

// A State is a typed, validated view of a whole desired state: every
// resource decoded into its spec type, with the lookups that the runtime
// and the agents use to build their nodes. A State is read-only and safe
// for concurrent use.
type State struct {
	objects map[Kind]map[string]*Object
	specs   map[Kind]map[string]Spec
	names   map[Kind][]string // sorted
	// members lists the NICs that name each backend pool, by name;
	// lbs holds each load balancer's resolved configuration.
	members map[BackendPoolRef][]string
	lbs     map[string]slb.LoadBalancer
}

// NewState allocates what the resources leave empty (see Allocate; the
// input is not modified), validates the whole state (see ValidateState)
// and returns its view. The error joins every *ValidationError found.
func NewState(objs []Object) (*State, error) {
	objs = slices.Clone(objs)
	if err := AllocateAll(objs); err != nil {
		return nil, err
	}
	var errs []error
	s := index(objs, &errs)
	s.check(&errs)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// ValidateState checks a whole desired state: each resource as
// ValidateObject does, then what needs several: duplicate resources,
// overlapping prefixes (logical subnets and public IP pools share one
// address space), duplicate VNIs, MACs, VIPs and addresses on a network,
// references to missing resources, addresses outside their subnet or
// pool, BGP peers that disagree with the resource they name (its ASN or
// address, or it does not peer back), Input endpoints that no load
// balancer rule serves and rules to ports that no Input endpoint opens,
// and each load balancer with its backend pools resolved, as the slb
// module validates it.
func ValidateState(objs []Object) error {
	var errs []error
	s := index(objs, &errs)
	s.check(&errs)
	return errors.Join(errs...)
}

// index decodes and checks each resource and indexes the decodable ones.
func index(objs []Object, errs *[]error) *State {
	s := &State{
		objects: make(map[Kind]map[string]*Object),
		specs:   make(map[Kind]map[string]Spec),
		names:   make(map[Kind][]string),
	}
	for i := range objs {
		o := &objs[i]
		c := checker{kind: o.Kind, name: o.Metadata.Name, errs: errs}
		if _, dup := s.objects[o.Kind][o.Metadata.Name]; dup {
			c.fail(ErrDuplicate, "metadata.name", "%s %q is defined twice", o.Kind, o.Metadata.Name)
			continue
		}
		spec := validateObject(c, o)
		if spec == nil {
			continue
		}
		if s.objects[o.Kind] == nil {
			s.objects[o.Kind] = make(map[string]*Object)
			s.specs[o.Kind] = make(map[string]Spec)
		}
		cp := *o
		s.objects[o.Kind][o.Metadata.Name] = &cp
		s.specs[o.Kind][o.Metadata.Name] = spec
		s.names[o.Kind] = append(s.names[o.Kind], o.Metadata.Name)
	}
	for _, n := range s.names {
		slices.Sort(n)
	}
	s.members = make(map[BackendPoolRef][]string)
	for n, nic := range s.NetworkInterfaces() {
		for _, r := range nic.LoadBalancerBackendPools {
			s.members[r] = append(s.members[r], n)
		}
	}
	s.lbs = make(map[string]slb.LoadBalancer)
	for n := range s.LoadBalancers() {
		s.resolve(n)
	}
	return s
}

// put replaces the indexed version of o with spec, as Allocate does
// when it has filled o.
func (s *State) put(o *Object, spec Spec) {
	if s.objects[o.Kind] == nil {
		s.objects[o.Kind] = make(map[string]*Object)
		s.specs[o.Kind] = make(map[string]Spec)
	}
	if _, ok := s.objects[o.Kind][o.Metadata.Name]; !ok {
		s.names[o.Kind] = append(s.names[o.Kind], o.Metadata.Name)
		slices.Sort(s.names[o.Kind])
	}
	cp := *o
	s.objects[o.Kind][o.Metadata.Name] = &cp
	s.specs[o.Kind][o.Metadata.Name] = spec
	if o.Kind == KindLoadBalancer {
		s.resolve(o.Metadata.Name)
	}
}

// Objects returns the state's resources in the order of Kinds, then by
// name.
func (s *State) Objects() []Object {
	var out []Object
	for _, k := range Kinds() {
		for _, n := range s.names[k] {
			out = append(out, *s.objects[k][n])
		}
	}
	return out
}

// Object returns the resource kind/name.
func (s *State) Object(kind Kind, name string) (Object, bool) {
	o, ok := s.objects[kind][name]
	if !ok {
		return Object{}, false
	}
	return *o, true
}

// Names returns the names of the resources of a kind, sorted.
func (s *State) Names(kind Kind) []string { return slices.Clone(s.names[kind]) }

func lookup[S any](s *State, kind Kind, name string) (*S, bool) {
	sp, ok := s.specs[kind][name]
	if !ok {
		return nil, false
	}
	v, ok := any(sp).(*S)
	return v, ok
}

func all[S any](s *State, kind Kind) iter.Seq2[string, *S] {
	return func(yield func(string, *S) bool) {
		for _, n := range s.names[kind] {
			if v, ok := any(s.specs[kind][n]).(*S); ok && !yield(n, v) {
				return
			}
		}
	}
}

// The typed lookups return the spec of the named resource; the iterators
// yield every resource of a kind in name order. Specs are shared: do not
// modify them.

// Host returns the spec of the Host name.
func (s *State) Host(name string) (*HostSpec, bool) { return lookup[HostSpec](s, KindHost, name) }

// Hosts yields every Host by name.
func (s *State) Hosts() iter.Seq2[string, *HostSpec] { return all[HostSpec](s, KindHost) }

// LogicalNetwork returns the spec of the LogicalNetwork name.
func (s *State) LogicalNetwork(name string) (*LogicalNetworkSpec, bool) {
	return lookup[LogicalNetworkSpec](s, KindLogicalNetwork, name)
}

// LogicalNetworks yields every LogicalNetwork by name.
func (s *State) LogicalNetworks() iter.Seq2[string, *LogicalNetworkSpec] {
	return all[LogicalNetworkSpec](s, KindLogicalNetwork)
}

// VirtualNetwork returns the spec of the VirtualNetwork name.
func (s *State) VirtualNetwork(name string) (*VirtualNetworkSpec, bool) {
	return lookup[VirtualNetworkSpec](s, KindVirtualNetwork, name)
}

// VirtualNetworks yields every VirtualNetwork by name.
func (s *State) VirtualNetworks() iter.Seq2[string, *VirtualNetworkSpec] {
	return all[VirtualNetworkSpec](s, KindVirtualNetwork)
}

// NetworkInterface returns the spec of the NetworkInterface name.
func (s *State) NetworkInterface(name string) (*NetworkInterfaceSpec, bool) {
	return lookup[NetworkInterfaceSpec](s, KindNetworkInterface, name)
}

// NetworkInterfaces yields every NetworkInterface by name.
func (s *State) NetworkInterfaces() iter.Seq2[string, *NetworkInterfaceSpec] {
	return all[NetworkInterfaceSpec](s, KindNetworkInterface)
}

// LoadBalancer returns the spec of the LoadBalancer name.
func (s *State) LoadBalancer(name string) (*LoadBalancerSpec, bool) {
	return lookup[LoadBalancerSpec](s, KindLoadBalancer, name)
}

// LoadBalancers yields every LoadBalancer by name.
func (s *State) LoadBalancers() iter.Seq2[string, *LoadBalancerSpec] {
	return all[LoadBalancerSpec](s, KindLoadBalancer)
}

// Mux returns the spec of the Mux name.
func (s *State) Mux(name string) (*MuxSpec, bool) { return lookup[MuxSpec](s, KindMux, name) }

// Muxes yields every Mux by name.
func (s *State) Muxes() iter.Seq2[string, *MuxSpec] { return all[MuxSpec](s, KindMux) }

// Gateway returns the spec of the Gateway name.
func (s *State) Gateway(name string) (*GatewaySpec, bool) {
	return lookup[GatewaySpec](s, KindGateway, name)
}

// Gateways yields every Gateway by name.
func (s *State) Gateways() iter.Seq2[string, *GatewaySpec] { return all[GatewaySpec](s, KindGateway) }

// PublicIPPool returns the spec of the PublicIPPool name.
func (s *State) PublicIPPool(name string) (*PublicIPPoolSpec, bool) {
	return lookup[PublicIPPoolSpec](s, KindPublicIPPool, name)
}

// PublicIPPools yields every PublicIPPool by name.
func (s *State) PublicIPPools() iter.Seq2[string, *PublicIPPoolSpec] {
	return all[PublicIPPoolSpec](s, KindPublicIPPool)
}

// Catalog returns the spec of the Catalog name.
func (s *State) Catalog(name string) (*CatalogSpec, bool) {
	return lookup[CatalogSpec](s, KindCatalog, name)
}

// Catalogs yields every Catalog by name.
func (s *State) Catalogs() iter.Seq2[string, *CatalogSpec] { return all[CatalogSpec](s, KindCatalog) }

// Events yields every Event by name.
func (s *State) Events() iter.Seq2[string, *EventSpec] { return all[EventSpec](s, KindEvent) }

// LogicalSubnet returns the subnet a SubnetRef names, with its network.
func (s *State) LogicalSubnet(r SubnetRef) (LogicalSubnet, *LogicalNetworkSpec, bool) {
	ln, ok := s.LogicalNetwork(r.LogicalNetwork)
	if !ok {
		return LogicalSubnet{}, nil, false
	}
	for _, sn := range ln.Subnets {
		if sn.Name == r.Subnet {
			return sn, ln, true
		}
	}
	return LogicalSubnet{}, ln, false
}

// An Attachment is where a NIC is: its subnet's prefix and gateway, its
// VNI on a VirtualNetwork (0 on a LogicalNetwork), and its host's PA.
type Attachment struct {
	Prefix  netip.Prefix
	Gateway netip.Addr // the NIC's default gateway: its own, or the subnet's
	VNI     uint32
	HostPA  netip.Addr
	MTU     int
}

// Attachment resolves where NIC name is.
func (s *State) Attachment(name string) (Attachment, bool) {
	nic, ok := s.NetworkInterface(name)
	if !ok {
		return Attachment{}, false
	}
	var at Attachment
	if nic.VirtualNetwork != "" {
		vn, ok := s.VirtualNetwork(nic.VirtualNetwork)
		if !ok {
			return Attachment{}, false
		}
		sn, ok := vn.subnet(nic.Subnet)
		if !ok {
			return Attachment{}, false
		}
		at.Prefix, at.Gateway, at.VNI = sn.Prefix, sn.GatewayAddr(), vn.VNI
		at.MTU = DefaultMTU
		if h, ok := s.Host(nic.Host); ok {
			at.HostPA = h.ProviderAddress
			if _, ln, ok := s.LogicalSubnet(h.SubnetRef); ok && ln.MTU != 0 {
				at.MTU = ln.MTU
			}
		}
	} else {
		sn, ln, ok := s.LogicalSubnet(SubnetRef{nic.LogicalNetwork, nic.Subnet})
		if !ok {
			return Attachment{}, false
		}
		at.Prefix, at.Gateway, at.MTU = sn.Prefix, sn.Gateway, cmp.Or(ln.MTU, DefaultMTU)
		if h, ok := s.Host(nic.Host); ok {
			at.HostPA = h.ProviderAddress
		}
	}
	if nic.Gateway.IsValid() {
		at.Gateway = nic.Gateway
	}
	return at, true
}

// InterfacesOn returns the names of the NICs plugged into host, sorted.
func (s *State) InterfacesOn(host string) []string {
	var out []string
	for n, nic := range s.NetworkInterfaces() {
		if nic.Host == host {
			out = append(out, n)
		}
	}
	return out
}

// A Mapping ties a customer address of a VirtualNetwork to the NIC that
// has it and the PA of the NIC's host: what a host's VNet layer needs to
// encapsulate towards it.
type Mapping struct {
	CA      netip.Addr
	MAC     MAC
	HostPA  netip.Addr
	Host    string
	NIC     string
	Service string
}

// Mappings returns the customer-to-provider mappings of a
// VirtualNetwork, ordered by CA.
func (s *State) Mappings(vnet string) []Mapping {
	var out []Mapping
	for n, nic := range s.NetworkInterfaces() {
		if nic.VirtualNetwork != vnet {
			continue
		}
		h, _ := s.Host(nic.Host)
		for _, a := range nic.Addresses {
			m := Mapping{CA: a, MAC: nic.MAC, Host: nic.Host, NIC: n, Service: nic.Service}
			if h != nil {
				m.HostPA = h.ProviderAddress
			}
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b Mapping) int { return a.CA.Compare(b.CA) })
	return out
}

// ServicePeers returns the addresses of the other NICs of NIC name's
// Service on its network: the sources its Internal endpoints accept.
func (s *State) ServicePeers(name string) []netip.Addr {
	nic, ok := s.NetworkInterface(name)
	if !ok || nic.Service == "" {
		return nil
	}
	var out []netip.Addr
	for n, o := range s.NetworkInterfaces() {
		if n != name && o.Service == nic.Service && o.VirtualNetwork == nic.VirtualNetwork && o.LogicalNetwork == nic.LogicalNetwork {
			out = append(out, o.Addresses...)
		}
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

// poolMembers returns the NICs that name lb's pool, by name order.
func (s *State) poolMembers(lb, pool string) []string {
	return s.members[BackendPoolRef{LoadBalancer: lb, Pool: pool}]
}

// LoadBalancerConfig returns the slb configuration of load balancer
// name: its spec with Name set and each backend pool resolved, the
// backends of the NICs that name the pool appended after the explicit
// ones in NIC name order (DIP: the NIC's primary address, HostPA: its
// host's PA, Name: the NIC's name), and the pool's VNI taken from their
// VirtualNetwork when the spec leaves it 0.
func (s *State) LoadBalancerConfig(name string) (slb.LoadBalancer, bool) {
	lb, ok := s.lbs[name]
	if !ok {
		return slb.LoadBalancer{}, false
	}
	lb.BackendAddressPools = slices.Clone(lb.BackendAddressPools)
	for i := range lb.BackendAddressPools {
		lb.BackendAddressPools[i].Backends = slices.Clone(lb.BackendAddressPools[i].Backends)
	}
	return lb, true
}

// resolve computes the configuration LoadBalancerConfig returns.
func (s *State) resolve(name string) {
	spec, ok := s.LoadBalancer(name)
	if !ok {
		return
	}
	lb := spec.LoadBalancer
	lb.Name = name
	lb.BackendAddressPools = slices.Clone(lb.BackendAddressPools)
	for i := range lb.BackendAddressPools {
		p := &lb.BackendAddressPools[i]
		p.Backends = slices.Clone(p.Backends)
		for _, n := range s.poolMembers(name, p.Name) {
			nic, _ := s.NetworkInterface(n)
			at, ok := s.Attachment(n)
			if !ok || len(nic.Addresses) == 0 || !at.HostPA.IsValid() {
				continue // not reachable: validation reports the NIC
			}
			if p.VNI == 0 {
				p.VNI = at.VNI
			}
			p.Backends = append(p.Backends, slb.Backend{Name: n, DIP: nic.Addresses[0], HostPA: at.HostPA})
		}
	}
	s.lbs[name] = lb
}

// LoadBalancerConfigs returns every load balancer's resolved
// configuration, by name order: what a Mux is configured with.
func (s *State) LoadBalancerConfigs() []slb.LoadBalancer {
	var out []slb.LoadBalancer
	for _, n := range s.names[KindLoadBalancer] {
		if lb, ok := s.LoadBalancerConfig(n); ok {
			out = append(out, lb)
		}
	}
	return out
}

// MuxLoadBalancers returns the resolved configurations of the load
// balancers Mux name serves.
func (s *State) MuxLoadBalancers(name string) []slb.LoadBalancer {
	m, ok := s.Mux(name)
	if !ok {
		return nil
	}
	all := s.LoadBalancerConfigs()
	if len(m.LoadBalancers) == 0 {
		return all
	}
	return slices.DeleteFunc(all, func(lb slb.LoadBalancer) bool { return !slices.Contains(m.LoadBalancers, lb.Name) })
}

// SNATAllocations returns the SNAT allocations of load balancer name
// whose DIP is still a backend of the rule's pool.
func (s *State) SNATAllocations(name string) []SNATAllocation {
	spec, ok := s.LoadBalancer(name)
	if !ok {
		return nil
	}
	lb, _ := s.LoadBalancerConfig(name)
	var out []SNATAllocation
	for _, a := range spec.SNATAllocations {
		if dipOfRule(&lb, a.Rule, a.DIP) {
			out = append(out, a)
		}
	}
	return out
}

// dipOfRule reports whether dip is a backend of outbound rule's pool.
func dipOfRule(lb *slb.LoadBalancer, rule string, dip netip.Addr) bool {
	for _, r := range lb.OutboundRules {
		if r.Name != rule {
			continue
		}
		for _, p := range lb.BackendAddressPools {
			if p.Name == r.BackendPool {
				return slices.ContainsFunc(p.Backends, func(b slb.Backend) bool { return b.DIP == dip })
			}
		}
	}
	return false
}

func ref(kind Kind, name string) string { return fmt.Sprintf("%s/%s", kind, name) }

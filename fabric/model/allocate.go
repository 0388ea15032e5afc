package model

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/sdnfabric/sdnfabric/slb"
)

// ErrExhausted is wrapped by the *ValidationError of an allocation that
// found nothing free.
var ErrExhausted = errors.New("nothing left to allocate")

// Allocation ranges (ours).
const (
	// FirstAllocatedVNI is the lowest VNI Allocate hands out; lower ones
	// are left to specs that choose their own.
	FirstAllocatedVNI = 4096
	// MACPrefix is octets 0-2 of the MACs Allocate hands out: locally
	// administered (U/L bit set), unicast.
	MACPrefix = 0x025dfa
)

// Allocate fills what the spec of o leaves empty, as the controller does
// before it stores a resource, given the other resources of the state (a
// resource of state with o's kind and name is o's previous version and is
// ignored):
//
//   - a VirtualNetwork's VNI: the lowest free one from FirstAllocatedVNI;
//   - the MAC of a NetworkInterface, Host, Mux or Gateway interface: the
//     lowest free one of MACPrefix:xx:xx:xx;
//   - a LoadBalancer frontend's VIP: the lowest free address of the load
//     balancer's PublicIPPool (or of the first pool by name when it names
//     none);
//   - a LoadBalancer's SNAT port blocks: each DIP of each outbound rule's
//     pool (members from state's NetworkInterfaces included) gets the
//     ports slb.LoadBalancer.OutboundPortsPerBackend gives it, in blocks
//     of slb.SNATPortBlock from the rule's frontends' free SNAT ports;
//     allocations of DIPs that left the pool are released, and existing
//     ones are kept so that a DIP keeps its ports.
//
// Allocate is deterministic: the same state and resource give the same
// result. It changes nothing that is already set, and leaves to
// validation what it cannot make sense of; an exhausted range is a
// *ValidationError wrapping ErrExhausted.
func Allocate(state []Object, o *Object) error {
	var others []Object
	var prev *Object
	for i, x := range state {
		if x.Kind != o.Kind || x.Metadata.Name != o.Metadata.Name {
			others = append(others, x)
		} else {
			prev = &state[i]
		}
	}
	if prev != nil {
		if err := inherit(o, prev); err != nil {
			return err
		}
	}
	var discard []error
	a := &allocator{s: index(others, &discard)}
	return a.allocate(o)
}

// inherit fills what o's spec leaves for allocation with what prev, the
// stored version of the same resource, was given: an update that omits an
// allocated VNI, MAC or VIP keeps it instead of getting the lowest free
// one.
func inherit(o, prev *Object) error {
	spec, err := o.DecodeSpec()
	if err != nil {
		return err
	}
	old, err := prev.DecodeSpec()
	if err != nil {
		return nil // the stored version does not decode: nothing to keep
	}
	switch sp := spec.(type) {
	case *VirtualNetworkSpec:
		if p, ok := old.(*VirtualNetworkSpec); ok && sp.VNI == 0 {
			sp.VNI = p.VNI
		}
	case *NetworkInterfaceSpec:
		if p, ok := old.(*NetworkInterfaceSpec); ok && sp.MAC.IsZero() {
			sp.MAC = p.MAC
		}
	case *HostSpec:
		if p, ok := old.(*HostSpec); ok && sp.MAC.IsZero() {
			sp.MAC = p.MAC
		}
	case *MuxSpec:
		if p, ok := old.(*MuxSpec); ok && sp.MAC.IsZero() {
			sp.MAC = p.MAC
		}
	case *GatewaySpec:
		if p, ok := old.(*GatewaySpec); ok {
			for i := range sp.Interfaces {
				for _, pi := range p.Interfaces {
					if sp.Interfaces[i].MAC.IsZero() && pi.Name == sp.Interfaces[i].Name {
						sp.Interfaces[i].MAC = pi.MAC
					}
				}
			}
		}
	case *LoadBalancerSpec:
		if p, ok := old.(*LoadBalancerSpec); ok {
			for i := range sp.FrontendIPConfigurations {
				fe := &sp.FrontendIPConfigurations[i]
				for _, pf := range p.FrontendIPConfigurations {
					if !fe.VIP.IsValid() && pf.Name == fe.Name {
						fe.VIP = pf.VIP
					}
				}
			}
		}
	default:
		return nil
	}
	return o.SetSpec(spec)
}

// AllocateAll runs Allocate on every resource of objs in the order of
// Kinds, each against all the others as they are by then, so that a
// whole file (the seed) becomes complete. It indexes objs once.
func AllocateAll(objs []Object) error {
	var discard, errs []error
	a := &allocator{s: index(objs, &discard)}
	for _, k := range Kinds() {
		for i := range objs {
			if objs[i].Kind != k {
				continue
			}
			if err := a.allocate(&objs[i]); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// An allocator fills resources against an index of the state, which it
// keeps up to date with what it fills.
type allocator struct {
	s    *State
	c    checker
	macs map[MAC]bool        // nil until the first MAC
	vnis map[uint32]bool     // nil until the first VNI
	vips map[netip.Addr]bool // nil until the first VIP
}

func (a *allocator) allocate(o *Object) error {
	spec, err := o.DecodeSpec()
	if err != nil {
		return err
	}
	var errs []error
	a.c = checker{kind: o.Kind, name: o.Metadata.Name, errs: &errs}
	switch sp := spec.(type) {
	case *VirtualNetworkSpec:
		if sp.VNI == 0 {
			sp.VNI = a.vni()
		}
	case *NetworkInterfaceSpec:
		a.mac(&sp.MAC, "spec.mac")
	case *HostSpec:
		a.mac(&sp.MAC, "spec.mac")
	case *MuxSpec:
		a.mac(&sp.MAC, "spec.mac")
	case *GatewaySpec:
		for i := range sp.Interfaces {
			a.mac(&sp.Interfaces[i].MAC, fmt.Sprintf("spec.interfaces[%d].mac", i))
		}
	case *LoadBalancerSpec:
		a.fillVIPs(sp)
		if len(errs) == 0 {
			a.snat(o, sp)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if err := o.SetSpec(spec); err != nil {
		return err
	}
	a.s.put(o, spec)
	return nil
}

func (a *allocator) vni() uint32 {
	if a.vnis == nil {
		a.vnis = map[uint32]bool{}
		for _, vn := range a.s.VirtualNetworks() {
			a.vnis[vn.VNI] = true
		}
	}
	for v := uint32(FirstAllocatedVNI); v <= MaxVNI; v++ {
		if !a.vnis[v] {
			a.vnis[v] = true
			return v
		}
	}
	a.c.fail(ErrExhausted, "spec.vni", "every VNI from %d is taken", FirstAllocatedVNI)
	return 0
}

func (a *allocator) mac(m *MAC, field string) {
	if a.macs == nil {
		a.macs = map[MAC]bool{}
		for _, h := range a.s.Hosts() {
			a.macs[h.MAC] = true
		}
		for _, x := range a.s.Muxes() {
			a.macs[x.MAC] = true
		}
		for _, g := range a.s.Gateways() {
			for _, i := range g.Interfaces {
				a.macs[i.MAC] = true
			}
		}
		for _, n := range a.s.NetworkInterfaces() {
			a.macs[n.MAC] = true
		}
	}
	if !m.IsZero() {
		a.macs[*m] = true
		return
	}
	// The lowest free sequence number is at most len(macs) steps away.
	for seq := uint32(1); seq < 1<<24 && seq <= uint32(len(a.macs))+1; seq++ {
		c := MAC{MACPrefix >> 16, MACPrefix >> 8 & 0xff, MACPrefix & 0xff, byte(seq >> 16), byte(seq >> 8), byte(seq)}
		if !a.macs[c] {
			a.macs[c] = true
			*m = c
			return
		}
	}
	a.c.fail(ErrExhausted, field, "every MAC of %02x:%02x:%02x is taken", MACPrefix>>16, MACPrefix>>8&0xff, MACPrefix&0xff)
}

// fillVIPs fills the frontends that have no VIP.
func (a *allocator) fillVIPs(sp *LoadBalancerSpec) {
	var pool *PublicIPPoolSpec
	poolName := sp.PublicIPPool
	if poolName == "" {
		if names := a.s.names[KindPublicIPPool]; len(names) > 0 {
			poolName = names[0]
		}
	}
	if a.vips == nil {
		a.vips = map[netip.Addr]bool{}
		for _, lb := range a.s.LoadBalancers() {
			for _, fe := range lb.FrontendIPConfigurations {
				a.vips[fe.VIP] = true
			}
		}
	}
	used := a.vips
	for _, fe := range sp.FrontendIPConfigurations {
		used[fe.VIP] = true
	}
	for i := range sp.FrontendIPConfigurations {
		fe := &sp.FrontendIPConfigurations[i]
		if fe.VIP.IsValid() {
			continue
		}
		field := fmt.Sprintf("spec.frontendIPConfigurations[%d].vip", i)
		if pool == nil {
			p, ok := a.s.PublicIPPool(poolName)
			if !ok {
				a.c.fail(ErrNotFound, field, "is empty and PublicIPPool %q, to allocate it from, does not exist", poolName)
				return
			}
			pool = p
		}
		first, last := pool.Range()
		// The lowest free address is at most len(used) steps away.
		addr, n := first, 0
		for ; addr.IsValid() && !last.Less(addr) && n <= len(used); addr, n = addr.Next(), n+1 {
			if !used[addr] {
				break
			}
		}
		if !addr.IsValid() || last.Less(addr) || used[addr] {
			a.c.fail(ErrExhausted, field, "PublicIPPool %q has no free address", poolName)
			return
		}
		fe.VIP = addr
		used[addr] = true
	}
}

// snatBlocks is the number of SNAT port blocks of a VIP.
const snatBlocks = slb.SNATPortsPerVIP / slb.SNATPortBlock

// snat fills the SNAT allocations of the outbound rules.
func (a *allocator) snat(o *Object, sp *LoadBalancerSpec) {
	if len(sp.OutboundRules) == 0 {
		sp.SNATAllocations = nil
		return
	}
	// Resolve the pools with sp as it is now.
	a.s.put(o, sp)
	lb, ok := a.s.LoadBalancerConfig(o.Metadata.Name)
	if !ok || lb.Validate() != nil {
		return // validation reports it
	}
	// Release what no longer applies.
	sp.SNATAllocations = slices.DeleteFunc(sp.SNATAllocations, func(x SNATAllocation) bool {
		k := slices.IndexFunc(lb.OutboundRules, func(r slb.OutboundRule) bool { return r.Name == x.Rule })
		return k < 0 || !dipOfRule(&lb, x.Rule, x.DIP) ||
			!slices.ContainsFunc(lb.OutboundRules[k].Frontends, func(fe string) bool { return sp.vip(fe) == x.VIP })
	})
	// taken[vip] marks the blocks in use on a VIP: by allocations and by
	// the ports inbound rules receive on.
	taken := map[netip.Addr]*[snatBlocks]bool{}
	blocks := func(vip netip.Addr) *[snatBlocks]bool {
		if t, ok := taken[vip]; ok {
			return t
		}
		t := new([snatBlocks]bool)
		for _, l := range sp.listeners() {
			if sp.vip(l.frontend) != vip {
				continue
			}
			for p := max(l.lo, slb.SNATFirstPort); p <= min(l.hi, 65535); p++ {
				t[(p-slb.SNATFirstPort)/slb.SNATPortBlock] = true
			}
		}
		for _, x := range sp.SNATAllocations {
			if x.VIP == vip {
				for b := range x.Blocks {
					if k := (x.FirstPort-slb.SNATFirstPort)/slb.SNATPortBlock + b; k >= 0 && k < snatBlocks {
						t[k] = true
					}
				}
			}
		}
		taken[vip] = t
		return t
	}
	for i, r := range lb.OutboundRules {
		want := lb.OutboundPortsPerBackend(i) / slb.SNATPortBlock
		pool := slices.IndexFunc(lb.BackendAddressPools, func(p slb.BackendPool) bool { return p.Name == r.BackendPool })
		if pool < 0 {
			continue
		}
		for _, b := range lb.BackendAddressPools[pool].Backends {
			have := 0
			for _, x := range sp.SNATAllocations {
				if x.Rule == r.Name && x.DIP == b.DIP {
					have += x.Blocks
				}
			}
			for _, fe := range r.Frontends {
				if have >= want {
					break
				}
				vip := sp.vip(fe)
				t := blocks(vip)
				for k := 0; k < snatBlocks && have < want; k++ {
					if t[k] {
						continue
					}
					run := 0
					for k+run < snatBlocks && !t[k+run] && have+run < want {
						t[k+run] = true
						run++
					}
					sp.SNATAllocations = append(sp.SNATAllocations, SNATAllocation{
						Rule: r.Name, DIP: b.DIP, VIP: vip,
						FirstPort: slb.SNATFirstPort + k*slb.SNATPortBlock, Blocks: run,
					})
					have += run
					k += run
				}
			}
			if have < want {
				a.c.fail(ErrExhausted, "spec.snatAllocations", "outbound rule %q: DIP %s gets %d of its %d SNAT ports", r.Name, b.DIP, have*slb.SNATPortBlock, want*slb.SNATPortBlock)
			}
		}
	}
}

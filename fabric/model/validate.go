package model

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"

	"github.com/sdnfabric/sdnfabric/provision"
	"github.com/sdnfabric/sdnfabric/slb"
)

// Sentinel errors wrapped by every *ValidationError, so that errors.Is
// tells the kind of problem.
var (
	ErrRequired  = errors.New("required field is missing")
	ErrInvalid   = errors.New("invalid value")
	ErrRange     = errors.New("value out of range")
	ErrDuplicate = errors.New("duplicate name or address")
	ErrOverlap   = errors.New("overlapping prefixes")
	ErrNotFound  = errors.New("reference to a missing resource")
	ErrOutside   = errors.New("address outside its subnet or pool")
	ErrConflict  = errors.New("conflicting settings")
)

// A ValidationError is one problem in one resource: Kind and Name name
// the resource, Field the path of the field in its JSON form
// ("spec.subnets[1].prefix"). Err is one of the sentinel errors; Cause,
// when set, is the error of the library that found the problem (an
// *slb.FieldError, a provision error). ValidateObject and ValidateState
// return every problem they find, joined with errors.Join.
type ValidationError struct {
	Kind  Kind
	Name  string
	Field string
	Msg   string
	Err   error
	Cause error
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Kind))
	b.WriteByte('/')
	b.WriteString(e.Name)
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the sentinel error and the cause.
func (e *ValidationError) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Err, e.Cause}
	}
	return []error{e.Err}
}

// MaxNameLength bounds a resource name.
const MaxNameLength = 63

// checker collects the problems of one resource.
type checker struct {
	kind Kind
	name string
	errs *[]error
}

func (c checker) fail(sentinel error, field, format string, args ...any) {
	*c.errs = append(*c.errs, &ValidationError{Kind: c.kind, Name: c.name, Field: field, Msg: fmt.Sprintf(format, args...), Err: sentinel})
}

func (c checker) failCause(sentinel, cause error, field, format string, args ...any) {
	*c.errs = append(*c.errs, &ValidationError{Kind: c.kind, Name: c.name, Field: field, Msg: fmt.Sprintf(format, args...), Err: sentinel, Cause: cause})
}

// ValidateObject checks one resource on its own: its envelope, name and
// spec (decoded strictly), and every rule that needs no other resource.
// Run Allocate first: fields that Allocate fills are required here.
func ValidateObject(o *Object) error {
	var errs []error
	c := checker{kind: o.Kind, name: o.Metadata.Name, errs: &errs}
	validateObject(c, o)
	return errors.Join(errs...)
}

func validateObject(c checker, o *Object) Spec {
	if o.APIVersion != APIVersion {
		c.fail(ErrInvalid, "apiVersion", "%q is not %q", o.APIVersion, APIVersion)
	}
	checkName(c, "metadata.name", o.Metadata.Name)
	for k, v := range o.Metadata.Labels {
		if k == "" || len(k) > 253 || len(v) > 253 {
			c.fail(ErrInvalid, "metadata.labels", "label %q=%q: keys are 1-253 bytes, values at most 253", k, v)
		}
	}
	spec, err := o.DecodeSpec()
	if err != nil {
		var de *DecodeError
		field := "spec"
		if errors.As(err, &de) {
			field = de.Path
		}
		c.failCause(ErrInvalid, err, field, "%v", err)
		return nil
	}
	if len(o.Status) > 0 {
		if st := NewStatus(o.Kind); st == nil {
			c.fail(ErrInvalid, "status", "kind %s has no status", o.Kind)
		} else if p := decodeStrict(o.Status, st, "status"); p != nil {
			c.fail(ErrInvalid, p.path, "%s", p.msg)
		} else if v, ok := st.(interface{ validate(checker) }); ok && checkLists(c, reflect.ValueOf(st).Elem(), "status") {
			v.validate(c) // its lists bounded, as a spec's are
		}
	}
	if !checkLists(c, reflect.ValueOf(spec).Elem(), "spec") {
		return spec // too big to check further
	}
	spec.(interface{ validate(checker, string) }).validate(c, o.Metadata.Name)
	return spec
}

// Limits of a spec's or status' lists (ours): they keep validation,
// which compares the items of a list with each other, quick on hostile
// input.
const (
	MaxItems           = 4096
	MaxSNATAllocations = 1 << 16
)

// checkLists reports the lists and maps of v longer than MaxItems
// (MaxSNATAllocations for snatAllocations), and whether there were none.
func checkLists(c checker, v reflect.Value, path string) bool {
	ok := true
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			ok = checkLists(c, v.Elem(), path)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			p := path
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); !f.Anonymous {
				p = joinPath(path, name)
			}
			ok = checkLists(c, v.Field(i), p) && ok
		}
	case reflect.Slice, reflect.Map:
		limit := MaxItems
		if strings.HasSuffix(path, "snatAllocations") {
			limit = MaxSNATAllocations
		}
		if v.Len() > limit {
			c.fail(ErrRange, path, "%d items, more than %d", v.Len(), limit)
			return false
		}
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct {
			for i := range v.Len() {
				ok = checkLists(c, v.Index(i), fmt.Sprintf("%s[%d]", path, i)) && ok
			}
		}
	}
	return ok
}

// checkName checks a resource or item name: 1-63 characters of letters,
// digits, '-', '_' and '.', starting and ending with a letter or digit
// (names go in store keys and URL paths).
func checkName(c checker, field, name string) bool {
	if name == "" {
		c.fail(ErrRequired, field, "is empty")
		return false
	}
	if len(name) > MaxNameLength {
		c.fail(ErrInvalid, field, "%q is longer than %d characters", name, MaxNameLength)
		return false
	}
	for i := 0; i < len(name); i++ {
		ch := name[i]
		alnum := 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9'
		if !alnum && (i == 0 || i == len(name)-1 || ch != '-' && ch != '_' && ch != '.') {
			c.fail(ErrInvalid, field, "%q: character %q at offset %d (letters, digits, '-', '_', '.'; a letter or digit first and last)", name, ch, i)
			return false
		}
	}
	return true
}

// checkNames checks that the names of a list are valid and unique.
func checkNames[T any](c checker, field string, items []T, name func(T) string) {
	seen := make(map[string]int, len(items))
	for i, it := range items {
		n := name(it)
		f := fmt.Sprintf("%s[%d].name", field, i)
		if !checkName(c, f, n) {
			continue
		}
		if j, dup := seen[n]; dup {
			c.fail(ErrDuplicate, f, "%q is also the name of %s[%d]", n, field, j)
			continue
		}
		seen[n] = i
	}
}

// checkUnicast checks a required unicast address without zone.
func checkUnicast(c checker, field string, a netip.Addr) bool {
	switch {
	case !a.IsValid():
		c.fail(ErrRequired, field, "is empty")
	case a.Zone() != "":
		c.fail(ErrInvalid, field, "%s has a zone", a)
	case a.IsUnspecified() || a.IsMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		c.fail(ErrInvalid, field, "%s is not a unicast address", a)
	default:
		return true
	}
	return false
}

// checkPrefix checks a required prefix in canonical (masked) form.
func checkPrefix(c checker, field string, p netip.Prefix) bool {
	switch {
	case !p.IsValid():
		c.fail(ErrRequired, field, "is empty")
	case p.Addr().Zone() != "":
		c.fail(ErrInvalid, field, "%s has a zone", p)
	case p != p.Masked():
		c.fail(ErrInvalid, field, "%s has host bits set (%s)", p, p.Masked())
	default:
		return true
	}
	return false
}

// checkMAC checks a required unicast MAC.
func checkMAC(c checker, field string, m MAC) {
	switch {
	case m.IsZero():
		c.fail(ErrRequired, field, "is empty (Allocate fills it)")
	case m.IsMulticast():
		c.fail(ErrInvalid, field, "%s is a multicast address", m)
	}
}

func checkPort(c checker, field string, p int) bool {
	if p < 1 || p > 65535 {
		c.fail(ErrRange, field, "%d is outside 1-65535", p)
		return false
	}
	return true
}

func checkRef(c checker, field, name string) bool {
	if name == "" {
		c.fail(ErrRequired, field, "is empty")
		return false
	}
	return true
}

// checkInSubnet checks that a is a usable address of p.
func checkInSubnet(c checker, field string, a netip.Addr, p netip.Prefix, what string) bool {
	if !usable(p, a) {
		c.fail(ErrOutside, field, "%s is not a host address of %s %s", a, what, p)
		return false
	}
	return true
}

// checkASN checks a BGP AS number (RFC 6793: four octets; 0 and AS_TRANS
// are reserved).
func checkASN(c checker, field string, asn uint32) {
	switch asn {
	case 0:
		c.fail(ErrRequired, field, "is 0")
	case 23456:
		c.fail(ErrInvalid, field, "23456 is AS_TRANS (RFC 6793), not an AS")
	}
}

// checkPeers checks BGP peers on their own.
func checkPeers(c checker, field string, peers []BGPPeer) {
	checkNames(c, field, peers, func(p BGPPeer) string { return p.Name })
	seen := map[netip.Addr]int{}
	for i, p := range peers {
		f := fmt.Sprintf("%s[%d]", field, i)
		if checkUnicast(c, f+".address", p.Address) {
			if j, dup := seen[p.Address]; dup {
				c.fail(ErrDuplicate, f+".address", "%s is also the address of %s[%d]", p.Address, field, j)
			}
			seen[p.Address] = i
		}
		checkASN(c, f+".asn", p.ASN)
		if p.Gateway != "" && p.Mux != "" {
			c.fail(ErrConflict, f, "names both gateway %q and mux %q", p.Gateway, p.Mux)
		}
		if h := p.HoldTimeSeconds; h != nil && (*h < 0 || *h > MaxHoldTime || *h > 0 && *h < 3) {
			c.fail(ErrRange, f+".holdTimeSeconds", "%d is not 0 or 3-%d (RFC 4271 4.2)", *h, MaxHoldTime)
		}
	}
}

// checkRouterID checks that a BGP speaker has a 32-bit identifier: its
// router ID, or its address when that is IPv4.
func checkRouterID(c checker, field string, id, fallback netip.Addr) {
	if id.IsValid() {
		if !id.Is4() || id.IsUnspecified() {
			c.fail(ErrInvalid, field, "%s is not a non-zero IPv4 address (RFC 6286)", id)
		}
		return
	}
	if fallback.IsValid() && !fallback.Is4() {
		c.fail(ErrRequired, field, "is needed: the address %s is not IPv4", fallback)
	}
}

// slbSentinel maps the slb module's sentinel errors to ours.
func slbSentinel(err error) error {
	switch {
	case errors.Is(err, slb.ErrRequired):
		return ErrRequired
	case errors.Is(err, slb.ErrNotFound):
		return ErrNotFound
	case errors.Is(err, slb.ErrDuplicate):
		return ErrDuplicate
	case errors.Is(err, slb.ErrConflict):
		return ErrConflict
	case errors.Is(err, slb.ErrRange), errors.Is(err, slb.ErrSNATPorts):
		return ErrRange
	}
	return ErrInvalid
}

// slbErrors reports the *slb.FieldError values of err under spec, less
// those skip drops.
func slbErrors(c checker, err error, skip func(*slb.FieldError) bool) {
	if err == nil {
		return
	}
	var fes []*slb.FieldError
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			var fe *slb.FieldError
			if errors.As(e, &fe) {
				fes = append(fes, fe)
			}
		}
	} else {
		var fe *slb.FieldError
		if errors.As(err, &fe) {
			fes = append(fes, fe)
		}
	}
	for _, fe := range fes {
		if skip != nil && skip(fe) {
			continue
		}
		c.failCause(slbSentinel(fe), fe, "spec."+fe.Path, "%s", fe.Msg)
	}
}

// check runs the checks that need several resources.
func (s *State) check(errs *[]error) {
	at := func(kind Kind, name string) checker { return checker{kind: kind, name: name, errs: errs} }

	// One address space: logical subnets and public IP pools.
	type owned struct {
		prefix netip.Prefix
		owner  string
		c      checker
		field  string
	}
	var space []owned
	for n, ln := range s.LogicalNetworks() {
		for i, sn := range ln.Subnets {
			space = append(space, owned{sn.Prefix, ref(KindLogicalNetwork, n), at(KindLogicalNetwork, n), fmt.Sprintf("spec.subnets[%d].prefix", i)})
		}
	}
	for n, p := range s.PublicIPPools() {
		space = append(space, owned{p.Prefix, ref(KindPublicIPPool, n), at(KindPublicIPPool, n), "spec.prefix"})
	}
	// Two prefixes overlap when one contains the other. In address
	// order, shorter first, a prefix that overlaps an earlier one is
	// inside the last prefix not itself inside another.
	space = slices.DeleteFunc(space, func(o owned) bool { return !o.prefix.IsValid() })
	slices.SortStableFunc(space, func(a, b owned) int {
		if c := a.prefix.Addr().Compare(b.prefix.Addr()); c != 0 {
			return c
		}
		return a.prefix.Bits() - b.prefix.Bits()
	})
	var cover *owned
	for i := range space {
		a := &space[i]
		if cover != nil && cover.prefix.Contains(a.prefix.Addr()) && cover.prefix.Bits() <= a.prefix.Bits() {
			// Subnets of one network are checked by ValidateObject.
			if a.owner != cover.owner {
				a.c.fail(ErrOverlap, a.field, "%s overlaps %s of %s", a.prefix, cover.prefix, cover.owner)
			}
			continue
		}
		cover = a
	}

	// VNIs.
	vnis := map[uint32]string{}
	for n, vn := range s.VirtualNetworks() {
		if other, dup := vnis[vn.VNI]; dup && vn.VNI != 0 {
			at(KindVirtualNetwork, n).fail(ErrDuplicate, "spec.vni", "VNI %d is also the VNI of %s", vn.VNI, other)
		}
		vnis[vn.VNI] = ref(KindVirtualNetwork, n)
	}

	// MACs are unique across every NIC of the fabric.
	macs := map[MAC]string{}
	claimMAC := func(c checker, field string, m MAC) {
		if m.IsZero() {
			return
		}
		if other, dup := macs[m]; dup {
			c.fail(ErrDuplicate, field, "MAC %s is also the MAC of %s", m, other)
			return
		}
		macs[m] = ref(c.kind, c.name) + " " + field
	}
	// Addresses are unique on the logical networks (one address space)
	// and within each virtual network.
	type addrKey struct {
		vnet string
		addr netip.Addr
	}
	addrs := map[addrKey]string{}
	claimAddr := func(c checker, field, vnet string, a netip.Addr) {
		if !a.IsValid() {
			return
		}
		k := addrKey{vnet, a}
		if other, dup := addrs[k]; dup {
			c.fail(ErrDuplicate, field, "%s is also the address of %s", a, other)
			return
		}
		addrs[k] = ref(c.kind, c.name) + " " + field
	}
	// onSubnet checks a SubnetRef and that a is a host address of the
	// subnet other than its gateway (unless gatewayOK).
	onSubnet := func(c checker, field string, r SubnetRef, a netip.Addr, provider, gatewayOK bool) {
		sn, ln, ok := s.LogicalSubnet(r)
		switch {
		case ln == nil:
			c.fail(ErrNotFound, lnField(field), "LogicalNetwork %q does not exist", r.LogicalNetwork)
			return
		case !ok:
			c.fail(ErrNotFound, subnetField(field), "LogicalNetwork %q has no subnet %q", r.LogicalNetwork, r.Subnet)
			return
		case provider && !ln.Provider:
			c.fail(ErrInvalid, lnField(field), "LogicalNetwork %q is not a provider network", r.LogicalNetwork)
		}
		if a.IsValid() && checkInSubnet(c, field, a, sn.Prefix, "subnet "+r.LogicalNetwork+"/"+r.Subnet) && !gatewayOK && a == sn.Gateway {
			c.fail(ErrConflict, field, "%s is the gateway of subnet %s/%s", a, r.LogicalNetwork, r.Subnet)
		}
	}

	for n, h := range s.Hosts() {
		c := at(KindHost, n)
		onSubnet(c, "spec.providerAddress", h.SubnetRef, h.ProviderAddress, true, false)
		claimAddr(c, "spec.providerAddress", "", h.ProviderAddress)
		claimMAC(c, "spec.mac", h.MAC)
	}
	for n, m := range s.Muxes() {
		c := at(KindMux, n)
		onSubnet(c, "spec.address", m.SubnetRef, m.Address, true, false)
		claimAddr(c, "spec.address", "", m.Address)
		claimMAC(c, "spec.mac", m.MAC)
		if _, ok := s.Host(m.Host); m.Host != "" && !ok {
			c.fail(ErrNotFound, "spec.host", "Host %q does not exist", m.Host)
		}
		for i, lb := range m.LoadBalancers {
			if _, ok := s.LoadBalancer(lb); !ok {
				c.fail(ErrNotFound, fmt.Sprintf("spec.loadBalancers[%d]", i), "LoadBalancer %q does not exist", lb)
			}
		}
		s.checkPeers(c, "spec.peers", m.Peers, []netip.Addr{m.Address})
	}
	for n, g := range s.Gateways() {
		c := at(KindGateway, n)
		var connected []netip.Prefix
		for i, ifc := range g.Interfaces {
			f := fmt.Sprintf("spec.interfaces[%d]", i)
			onSubnet(c, f+".address", ifc.SubnetRef, ifc.Address, false, true)
			claimAddr(c, f+".address", "", ifc.Address)
			claimMAC(c, f+".mac", ifc.MAC)
			if sn, _, ok := s.LogicalSubnet(ifc.SubnetRef); ok {
				connected = append(connected, sn.Prefix)
			}
		}
		for i, r := range g.Routes {
			if r.NextHop.IsValid() && !slices.ContainsFunc(connected, func(p netip.Prefix) bool { return p.Contains(r.NextHop) }) {
				c.fail(ErrOutside, fmt.Sprintf("spec.routes[%d].nextHop", i), "%s is on none of the gateway's connected subnets %v", r.NextHop, connected)
			}
		}
		if g.BGP != nil {
			var own []netip.Addr
			for _, ifc := range g.Interfaces {
				own = append(own, ifc.Address)
			}
			s.checkPeers(c, "spec.bgp.peers", g.BGP.Peers, own)
		}
	}
	for n, nic := range s.NetworkInterfaces() {
		c := at(KindNetworkInterface, n)
		claimMAC(c, "spec.mac", nic.MAC)
		s.checkNIC(c, n, nic, claimAddr)
	}
	s.checkLoadBalancers(at)
	for n, cat := range s.Catalogs() {
		c := at(KindCatalog, n)
		vn, ok := s.VirtualNetwork(cat.VirtualNetwork)
		if !ok {
			c.fail(ErrNotFound, "spec.virtualNetwork", "VirtualNetwork %q does not exist", cat.VirtualNetwork)
			continue
		}
		sn, ok := vn.subnet(cat.Subnet)
		if !ok {
			c.fail(ErrNotFound, "spec.subnet", "VirtualNetwork %q has no subnet %q", cat.VirtualNetwork, cat.Subnet)
			continue
		}
		if _, err := provision.NewCatalog(cat.Config(n, sn.Prefix)); err != nil {
			c.failCause(ErrInvalid, err, "spec", "%v", err)
		}
	}
}

func lnField(field string) string {
	return field[:strings.LastIndexByte(field, '.')+1] + "logicalNetwork"
}
func subnetField(field string) string { return field[:strings.LastIndexByte(field, '.')+1] + "subnet" }

// checkPeers checks that BGP peers naming a Gateway or Mux agree with it:
// its ASN and address, and that it peers back with one of own, the
// addresses of the speaker being checked (a session configured on one
// side only never comes up).
func (s *State) checkPeers(c checker, field string, peers []BGPPeer, own []netip.Addr) {
	peersBack := func(peers []BGPPeer) bool {
		return slices.ContainsFunc(peers, func(p BGPPeer) bool { return slices.Contains(own, p.Address) })
	}
	for i, p := range peers {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case p.Gateway != "":
			g, ok := s.Gateway(p.Gateway)
			if !ok {
				c.fail(ErrNotFound, f+".gateway", "Gateway %q does not exist", p.Gateway)
				continue
			}
			if g.BGP == nil {
				c.fail(ErrInvalid, f+".gateway", "Gateway %q has no BGP speaker", p.Gateway)
				continue
			}
			if p.ASN != g.BGP.ASN {
				c.fail(ErrConflict, f+".asn", "%d is not the ASN of Gateway %q (%d)", p.ASN, p.Gateway, g.BGP.ASN)
			}
			if !slices.ContainsFunc(g.Interfaces, func(i GatewayInterface) bool { return i.Address == p.Address }) {
				c.fail(ErrConflict, f+".address", "%s is not an address of Gateway %q", p.Address, p.Gateway)
			}
			if !peersBack(g.BGP.Peers) {
				c.fail(ErrConflict, f+".gateway", "Gateway %q has no BGP peer at %v", p.Gateway, own)
			}
		case p.Mux != "":
			m, ok := s.Mux(p.Mux)
			if !ok {
				c.fail(ErrNotFound, f+".mux", "Mux %q does not exist", p.Mux)
				continue
			}
			if p.ASN != m.ASN {
				c.fail(ErrConflict, f+".asn", "%d is not the ASN of Mux %q (%d)", p.ASN, p.Mux, m.ASN)
			}
			if p.Address != m.Address {
				c.fail(ErrConflict, f+".address", "%s is not the address of Mux %q (%s)", p.Address, p.Mux, m.Address)
			}
			if !peersBack(m.Peers) {
				c.fail(ErrConflict, f+".mux", "Mux %q has no BGP peer at %v", p.Mux, own)
			}
		}
	}
}

func (s *State) checkNIC(c checker, name string, nic *NetworkInterfaceSpec, claimAddr func(checker, string, string, netip.Addr)) {
	if nic.Host != "" {
		if _, ok := s.Host(nic.Host); !ok {
			c.fail(ErrNotFound, "spec.host", "Host %q does not exist", nic.Host)
		}
	}
	var prefix netip.Prefix
	var gateway netip.Addr
	what := ""
	switch {
	case nic.VirtualNetwork != "":
		vn, ok := s.VirtualNetwork(nic.VirtualNetwork)
		if !ok {
			c.fail(ErrNotFound, "spec.virtualNetwork", "VirtualNetwork %q does not exist", nic.VirtualNetwork)
			return
		}
		sn, ok := vn.subnet(nic.Subnet)
		if !ok {
			c.fail(ErrNotFound, "spec.subnet", "VirtualNetwork %q has no subnet %q", nic.VirtualNetwork, nic.Subnet)
			return
		}
		prefix, gateway, what = sn.Prefix, sn.GatewayAddr(), "subnet "+nic.VirtualNetwork+"/"+nic.Subnet
	case nic.LogicalNetwork != "":
		sn, ln, ok := s.LogicalSubnet(SubnetRef{nic.LogicalNetwork, nic.Subnet})
		if ln == nil {
			c.fail(ErrNotFound, "spec.logicalNetwork", "LogicalNetwork %q does not exist", nic.LogicalNetwork)
			return
		}
		if !ok {
			c.fail(ErrNotFound, "spec.subnet", "LogicalNetwork %q has no subnet %q", nic.LogicalNetwork, nic.Subnet)
			return
		}
		prefix, gateway, what = sn.Prefix, sn.Gateway, "subnet "+nic.LogicalNetwork+"/"+nic.Subnet
	default:
		return
	}
	for i, a := range nic.Addresses {
		f := fmt.Sprintf("spec.addresses[%d]", i)
		if !checkInSubnet(c, f, a, prefix, what) {
			continue
		}
		if a == gateway {
			c.fail(ErrConflict, f, "%s is the gateway of %s", a, what)
			continue
		}
		claimAddr(c, f, nic.VirtualNetwork, a)
	}
	if nic.Gateway.IsValid() {
		checkInSubnet(c, "spec.gateway", nic.Gateway, prefix, what)
	}
	for i, r := range nic.LoadBalancerBackendPools {
		f := fmt.Sprintf("spec.loadBalancerBackendPools[%d]", i)
		lb, ok := s.LoadBalancer(r.LoadBalancer)
		if !ok {
			c.fail(ErrNotFound, f+".loadBalancer", "LoadBalancer %q does not exist", r.LoadBalancer)
			continue
		}
		if !slices.ContainsFunc(lb.BackendAddressPools, func(p slb.BackendPool) bool { return p.Name == r.Pool }) {
			c.fail(ErrNotFound, f+".pool", "LoadBalancer %q has no backend pool %q", r.LoadBalancer, r.Pool)
		}
	}
	if len(nic.Addresses) == 0 {
		return
	}
	for i, e := range nic.Endpoints {
		if e.Type != EndpointInput {
			continue
		}
		f := fmt.Sprintf("spec.endpoints[%d]", i)
		if _, ok := s.LoadBalancer(e.LoadBalancer); !ok {
			c.fail(ErrNotFound, f+".loadBalancer", "LoadBalancer %q does not exist", e.LoadBalancer)
			continue
		}
		lb := s.lbs[e.LoadBalancer]
		if !servesEndpoint(&lb, name, nic.Addresses[0], e) {
			c.fail(ErrNotFound, f, "no load-balancing or inbound NAT rule of LoadBalancer %q carries %s port %d to port %d of this NIC", e.LoadBalancer, e.Protocol, e.PublicPort, e.Port)
		}
	}
}

// servesEndpoint reports whether a rule of lb carries Input endpoint e's
// public port to its port on the NIC with primary address dip.
func servesEndpoint(lb *slb.LoadBalancer, nic string, dip netip.Addr, e Endpoint) bool {
	inPool := func(pool string) (slb.BackendPool, bool) {
		for _, p := range lb.BackendAddressPools {
			if p.Name == pool && slices.ContainsFunc(p.Backends, func(b slb.Backend) bool { return b.DIP == dip }) {
				return p, true
			}
		}
		return slb.BackendPool{}, false
	}
	for _, r := range lb.LoadBalancingRules {
		if _, ok := inPool(r.BackendPool); ok && r.FrontendPort == e.PublicPort && r.BackendPort == e.Port && protocolsOverlap(r.Protocol, e.Protocol) {
			return true
		}
	}
	for _, r := range lb.InboundNatRules {
		pool, ok := inPool(r.BackendPool)
		if !ok || r.BackendPort != e.Port || !protocolsOverlap(r.Protocol, e.Protocol) {
			continue
		}
		for port, b := range r.Mappings(pool) {
			if port == e.PublicPort && b.DIP == dip {
				return true
			}
		}
	}
	return false
}

// checkLoadBalancers checks VIPs against the pools and each other, pool
// members, and each resolved configuration as slb validates it.
func (s *State) checkLoadBalancers(at func(Kind, string) checker) {
	vips := map[netip.Addr]string{}
	for n, spec := range s.LoadBalancers() {
		c := at(KindLoadBalancer, n)
		var pool *PublicIPPoolSpec
		if spec.PublicIPPool != "" {
			p, ok := s.PublicIPPool(spec.PublicIPPool)
			if !ok {
				c.fail(ErrNotFound, "spec.publicIPPool", "PublicIPPool %q does not exist", spec.PublicIPPool)
			}
			pool = p
		}
		for i, fe := range spec.FrontendIPConfigurations {
			f := fmt.Sprintf("spec.frontendIPConfigurations[%d].vip", i)
			if !fe.VIP.IsValid() {
				continue
			}
			if other, dup := vips[fe.VIP]; dup {
				c.fail(ErrDuplicate, f, "VIP %s is also a VIP of %s", fe.VIP, other)
			}
			vips[fe.VIP] = ref(KindLoadBalancer, n)
			switch {
			case pool != nil && !pool.Contains(fe.VIP):
				c.fail(ErrOutside, f, "%s is not in PublicIPPool %q (%s)", fe.VIP, spec.PublicIPPool, pool.Prefix)
			case spec.PublicIPPool == "" && !s.inSomePool(fe.VIP):
				c.fail(ErrOutside, f, "%s is in no PublicIPPool", fe.VIP)
			}
		}
		lb := s.lbs[n]
		for i, p := range spec.BackendAddressPools {
			f := fmt.Sprintf("spec.backendAddressPools[%d]", i)
			var vnet string
			for _, m := range s.poolMembers(n, p.Name) {
				nic, _ := s.NetworkInterface(m)
				switch {
				case vnet == "":
					vnet = nic.VirtualNetwork
				case nic.VirtualNetwork != vnet:
					c.fail(ErrConflict, f, "members %s are on VirtualNetworks %q and %q; a pool is in one", ref(KindNetworkInterface, m), vnet, nic.VirtualNetwork)
				}
				if vn, ok := s.VirtualNetwork(nic.VirtualNetwork); ok && p.VNI != 0 && vn.VNI != p.VNI {
					c.fail(ErrConflict, f+".vni", "%d is not the VNI %d of member %s", p.VNI, vn.VNI, ref(KindNetworkInterface, m))
				}
			}
		}
		s.checkEndpointsOpen(c, n, spec)
		// The full slb validation of the resolved configuration: NAT
		// rules' DIPs, SNAT port budgets and backend port claims with
		// every member in place. Problems ValidateObject already
		// reported on the spec alone are not repeated.
		var own []error
		spec.validate(checker{kind: KindLoadBalancer, name: n, errs: &own}, n)
		seen := map[string]bool{}
		for _, e := range own {
			seen[e.Error()] = true
		}
		var full []error
		slbErrors(checker{kind: KindLoadBalancer, name: n, errs: &full}, lb.Validate(), nil)
		for _, e := range full {
			if !seen[e.Error()] {
				memberField(e.(*ValidationError), spec, &lb)
				*c.errs = append(*c.errs, e)
			}
		}
	}
}

// checkEndpointsOpen checks that each NIC a load-balancing or inbound
// NAT rule of lb sends to has an Input endpoint for it: its virtual
// switch denies every other inbound port. HA-ports rules (every port) are
// left to the NICs.
func (s *State) checkEndpointsOpen(c checker, lb string, spec *LoadBalancerSpec) {
	open := func(nic string, proto slb.Protocol, public, port int) bool {
		n, ok := s.NetworkInterface(nic)
		return ok && slices.ContainsFunc(n.Endpoints, func(e Endpoint) bool {
			return e.Type == EndpointInput && e.LoadBalancer == lb && e.PublicPort == public && e.Port == port && protocolsOverlap(e.Protocol, proto)
		})
	}
	members := func(pool string) []string { return s.poolMembers(lb, pool) }
	for i, r := range spec.LoadBalancingRules {
		if r.FrontendPort == 0 {
			continue
		}
		for _, m := range members(r.BackendPool) {
			if !open(m, r.Protocol, r.FrontendPort, r.BackendPort) {
				c.fail(ErrConflict, fmt.Sprintf("spec.loadBalancingRules[%d]", i), "sends %s port %d to port %d of %s, which has no Input endpoint for it",
					r.Protocol, r.FrontendPort, r.BackendPort, ref(KindNetworkInterface, m))
			}
		}
	}
	resolved := s.lbs[lb]
	for i, r := range spec.InboundNatRules {
		k := slices.IndexFunc(resolved.BackendAddressPools, func(p slb.BackendPool) bool { return p.Name == r.BackendPool })
		if k < 0 {
			continue
		}
		mine := members(r.BackendPool)
		for port, b := range r.Mappings(resolved.BackendAddressPools[k]) {
			if slices.Contains(mine, b.Name) && !open(b.Name, r.Protocol, port, r.BackendPort) {
				c.fail(ErrConflict, fmt.Sprintf("spec.inboundNatRules[%d]", i), "sends %s port %d to port %d of %s, which has no Input endpoint for it",
					r.Protocol, port, r.BackendPort, ref(KindNetworkInterface, b.Name))
			}
		}
	}
}

// memberField rewrites the field of a problem in a backend that a NIC's
// membership added to a pool, which the spec does not have, to the pool,
// naming the NIC.
func memberField(ve *ValidationError, spec *LoadBalancerSpec, lb *slb.LoadBalancer) {
	var i, j int
	var rest string
	if n, _ := fmt.Sscanf(ve.Field, "spec.backendAddressPools[%d].backends[%d]%s", &i, &j, &rest); n < 2 {
		return
	}
	if i >= len(spec.BackendAddressPools) || j < len(spec.BackendAddressPools[i].Backends) || i >= len(lb.BackendAddressPools) || j >= len(lb.BackendAddressPools[i].Backends) {
		return
	}
	ve.Msg = fmt.Sprintf("member %s (DIP %s): %s%s", ref(KindNetworkInterface, lb.BackendAddressPools[i].Backends[j].Name),
		lb.BackendAddressPools[i].Backends[j].DIP, strings.TrimPrefix(rest, "."), ": "+ve.Msg)
	ve.Field = fmt.Sprintf("spec.backendAddressPools[%d]", i)
}

func (s *State) inSomePool(a netip.Addr) bool {
	for _, p := range s.PublicIPPools() {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

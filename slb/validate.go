package slb

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/sdnfabric/sdnfabric/slb/maglev"
)

// Sentinel errors, wrapped by every *FieldError so that errors.Is tells
// the kind of problem.
var (
	ErrRequired  = errors.New("required field is missing")
	ErrInvalid   = errors.New("invalid value")
	ErrRange     = errors.New("value out of range")
	ErrNotFound  = errors.New("reference to an unknown name or address")
	ErrDuplicate = errors.New("duplicate name or address")
	ErrConflict  = errors.New("conflicting rules")
	ErrSNATPorts = errors.New("SNAT ports do not fit")
)

// A FieldError is one problem found by Validate. Path names the field in
// the JSON form, for example "loadBalancingRules[2].frontendPort".
type FieldError struct {
	Path string
	Msg  string
	Err  error // one of the sentinel errors
}

func (e *FieldError) Error() string { return "slb: " + e.Path + ": " + e.Msg }

// Unwrap returns the sentinel error.
func (e *FieldError) Unwrap() error { return e.Err }

// Validate checks lb and returns every problem it finds, joined with
// errors.Join; each is a *FieldError. It checks names and references,
// addresses and their families, ports, timeouts, probe settings, weights,
// frontend (VIP, protocol, port) conflicts between all inbound rules,
// backend ports shared by load-balancing rules without floating IP, NAT rules that name a
// DIP outside their pool or have too few ports for it, and whether each
// outbound rule's SNAT ports fit in its frontends' free ports.
func (lb *LoadBalancer) Validate() error {
	v := &validator{lb: lb, claims: map[backendKey]string{}}
	v.frontends = indexNames(v, "frontendIPConfigurations", lb.FrontendIPConfigurations, func(f Frontend) string { return f.Name })
	v.pools = indexNames(v, "backendAddressPools", lb.BackendAddressPools, func(p BackendPool) string { return p.Name })
	v.probes = indexNames(v, "probes", lb.Probes, func(p Probe) string { return p.Name })
	indexNames(v, "loadBalancingRules", lb.LoadBalancingRules, func(r LoadBalancingRule) string { return r.Name })
	indexNames(v, "inboundNatRules", lb.InboundNatRules, func(r InboundNatRule) string { return r.Name })
	indexNames(v, "outboundRules", lb.OutboundRules, func(r OutboundRule) string { return r.Name })

	for i := range lb.FrontendIPConfigurations {
		v.frontend(i)
	}
	for i := range lb.BackendAddressPools {
		v.pool(i)
	}
	for i := range lb.Probes {
		v.probe(i)
	}
	// NAT rules first, so that a load-balancing rule that collides with a
	// NAT rule's port is the one reported.
	for i := range lb.InboundNatRules {
		v.natRule(i)
	}
	for i := range lb.LoadBalancingRules {
		v.lbRule(i)
	}
	snat := map[snatKey]string{}
	for i := range lb.OutboundRules {
		v.outboundRule(i, snat)
	}
	return errors.Join(v.errs...)
}

type validator struct {
	lb                       *LoadBalancer
	errs                     []error
	frontends, pools, probes map[string]int
	listeners                []listener
	claims                   map[backendKey]string // backend (DIP, protocol, port) -> first rule using it
}

func (v *validator) fail(sentinel error, path, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{Path: path, Msg: fmt.Sprintf(format, args...), Err: sentinel})
}

// indexNames checks that every item has a unique, non-empty name and
// returns the index of each name.
func indexNames[T any](v *validator, coll string, items []T, name func(T) string) map[string]int {
	idx := make(map[string]int, len(items))
	for i, it := range items {
		n := name(it)
		path := fmt.Sprintf("%s[%d].name", coll, i)
		if n == "" {
			v.fail(ErrRequired, path, "is empty")
			continue
		}
		if j, dup := idx[n]; dup {
			v.fail(ErrDuplicate, path, "%q is also the name of %s[%d]", n, coll, j)
			continue
		}
		idx[n] = i
	}
	return idx
}

// ref resolves a reference by name, reporting a missing or unknown one.
func (v *validator) ref(idx map[string]int, coll, name, path string) (int, bool) {
	if name == "" {
		v.fail(ErrRequired, path, "is empty")
		return 0, false
	}
	i, ok := idx[name]
	if !ok {
		v.fail(ErrNotFound, path, "no %s entry is named %q", coll, name)
	}
	return i, ok
}

// unicast reports whether a is a usable interface address.
func unicast(a netip.Addr) bool {
	return a.IsValid() && a.Zone() == "" && !a.IsUnspecified() && !a.IsMulticast()
}

func (v *validator) address(a netip.Addr, path string) {
	switch {
	case !a.IsValid():
		v.fail(ErrRequired, path, "is empty")
	case !unicast(a):
		v.fail(ErrInvalid, path, "%s is not a unicast address without zone", a)
	}
}

func (v *validator) port(p int, path string) bool {
	if p < 1 || p > 65535 {
		v.fail(ErrRange, path, "%d is not a port from 1 to 65535", p)
		return false
	}
	return true
}

func (v *validator) idleTimeout(minutes, maxMinutes int, path string) {
	if minutes != 0 && (minutes < MinIdleTimeoutInMinutes || minutes > maxMinutes) {
		v.fail(ErrRange, path, "%d minutes is outside %d-%d", minutes, MinIdleTimeoutInMinutes, maxMinutes)
	}
}

func (v *validator) protocol(p Protocol, path string) bool {
	switch p {
	case ProtocolTCP, ProtocolUDP, ProtocolAll:
		return true
	case "":
		v.fail(ErrRequired, path, "is empty")
	default:
		v.fail(ErrInvalid, path, "%q is not Tcp, Udp or All", p)
	}
	return false
}

func (v *validator) frontend(i int) {
	f := v.lb.FrontendIPConfigurations[i]
	path := fmt.Sprintf("frontendIPConfigurations[%d].vip", i)
	v.address(f.VIP, path)
	for j := range i {
		if f.VIP.IsValid() && v.lb.FrontendIPConfigurations[j].VIP == f.VIP {
			v.fail(ErrDuplicate, path, "%s is also the VIP of frontendIPConfigurations[%d]", f.VIP, j)
			return
		}
	}
}

func (v *validator) pool(i int) {
	p := v.lb.BackendAddressPools[i]
	prefix := fmt.Sprintf("backendAddressPools[%d]", i)
	if p.VNI > MaxVNI {
		v.fail(ErrRange, prefix+".vni", "%d does not fit in 24 bits", p.VNI)
	}
	dips := make(map[netip.Addr]int, len(p.Backends))
	keys := make(map[string]int, len(p.Backends))
	total := 0
	for j, b := range p.Backends {
		bp := fmt.Sprintf("%s.backends[%d]", prefix, j)
		v.address(b.DIP, bp+".dip")
		v.address(b.HostPA, bp+".hostPA")
		if k, dup := dips[b.DIP]; dup && b.DIP.IsValid() {
			v.fail(ErrDuplicate, bp+".dip", "%s is also %s.backends[%d]", b.DIP, prefix, k)
		} else if k, dup := keys[b.Key()]; dup {
			v.fail(ErrDuplicate, bp+".name", "%q is also the name of %s.backends[%d]", b.Key(), prefix, k)
		}
		dips[b.DIP] = j
		keys[b.Key()] = j
		if b.Weight > MaxWeight {
			v.fail(ErrRange, bp+".weight", "%d is more than %d", b.Weight, MaxWeight)
		}
		total += int(max(b.Weight, 1))
	}
	if total > maglev.DefaultSize {
		v.fail(ErrRange, prefix+".backends", "total weight %d exceeds the Maglev table size %d", total, maglev.DefaultSize)
	}
}

func (v *validator) probe(i int) {
	p := v.lb.Probes[i]
	prefix := fmt.Sprintf("probes[%d]", i)
	switch p.Protocol {
	case ProbeTCP:
		if p.RequestPath != "" {
			v.fail(ErrInvalid, prefix+".requestPath", "is only used by Http probes")
		}
	case ProbeHTTP:
		if !strings.HasPrefix(p.RequestPath, "/") {
			v.fail(ErrInvalid, prefix+".requestPath", "%q does not start with /", p.RequestPath)
		}
	case "":
		v.fail(ErrRequired, prefix+".protocol", "is empty")
	default:
		v.fail(ErrInvalid, prefix+".protocol", "%q is not Tcp or Http", p.Protocol)
	}
	v.port(p.Port, prefix+".port")
	if s := p.IntervalInSeconds; s != 0 && (s < MinProbeIntervalInSeconds || s > MaxProbeIntervalInSeconds) {
		v.fail(ErrRange, prefix+".intervalInSeconds", "%d seconds is outside %d-%d", s, MinProbeIntervalInSeconds, MaxProbeIntervalInSeconds)
	}
	if t := p.ProbeThreshold; t < 0 || t > MaxProbeThreshold {
		v.fail(ErrRange, prefix+".probeThreshold", "%d is outside 1-%d", t, MaxProbeThreshold)
	}
}

// families checks that the DIPs behind a frontend have its address
// family: the host agent translates addresses but not between families.
func (v *validator) families(fe, pool int, only netip.Addr, path string) {
	vip := v.lb.FrontendIPConfigurations[fe]
	if !vip.VIP.IsValid() {
		return
	}
	p := v.lb.BackendAddressPools[pool]
	for _, b := range p.Backends {
		if only.IsValid() && b.DIP != only {
			continue
		}
		if b.DIP.IsValid() && b.DIP.Is4() != vip.VIP.Is4() {
			v.fail(ErrInvalid, path, "pool %q has DIP %s, of another address family than frontend %q (%s)",
				p.Name, b.DIP, vip.Name, vip.VIP)
			return
		}
	}
}

func (v *validator) natRule(i int) {
	r := v.lb.InboundNatRules[i]
	prefix := fmt.Sprintf("inboundNatRules[%d]", i)
	fe, feOK := v.ref(v.frontends, "frontendIPConfigurations", r.Frontend, prefix+".frontend")
	pool, poolOK := v.ref(v.pools, "backendAddressPools", r.BackendPool, prefix+".backendPool")
	protoOK := v.protocol(r.Protocol, prefix+".protocol")
	v.port(r.BackendPort, prefix+".backendPort")
	v.idleTimeout(r.IdleTimeoutInMinutes, MaxIdleTimeoutInMinutes, prefix+".idleTimeoutInMinutes")

	single := r.FrontendPort != 0 || r.DIP.IsValid()
	ranged := r.FrontendPortRangeStart != 0 || r.FrontendPortRangeEnd != 0
	var lo, hi int
	portsOK := false
	field := prefix + ".frontendPort"
	switch {
	case single && ranged:
		v.fail(ErrInvalid, field, "set either frontendPort and dip, or frontendPortRangeStart and frontendPortRangeEnd")
		return
	case !single && !ranged:
		v.fail(ErrRequired, field, "is 0 and no frontendPortRangeStart is set")
		return
	case single:
		lo, hi = r.FrontendPort, r.FrontendPort
		portsOK = v.port(r.FrontendPort, field)
		if !r.DIP.IsValid() {
			v.fail(ErrRequired, prefix+".dip", "is empty")
		} else if poolOK && !slices.ContainsFunc(v.lb.BackendAddressPools[pool].Backends, func(b Backend) bool { return b.DIP == r.DIP }) {
			v.fail(ErrNotFound, prefix+".dip", "%s is not a DIP of backendAddressPools[%d] (%q)", r.DIP, pool, r.BackendPool)
			poolOK = false
		}
	default:
		field = prefix + ".frontendPortRangeStart"
		lo, hi = r.FrontendPortRangeStart, r.FrontendPortRangeEnd
		portsOK = v.port(lo, field) && v.port(hi, prefix+".frontendPortRangeEnd")
		if portsOK && lo > hi {
			v.fail(ErrRange, prefix+".frontendPortRangeEnd", "%d is below frontendPortRangeStart %d", hi, lo)
			portsOK = false
		}
		if portsOK && poolOK && hi-lo+1 < len(v.lb.BackendAddressPools[pool].Backends) {
			v.fail(ErrRange, prefix+".frontendPortRangeEnd", "range %d-%d has %d ports for the %d DIPs of pool %q",
				lo, hi, hi-lo+1, len(v.lb.BackendAddressPools[pool].Backends), r.BackendPool)
		}
	}
	if feOK && poolOK {
		v.families(fe, pool, r.DIP, prefix+".backendPool")
	}
	if feOK && protoOK && portsOK {
		v.listen(listener{fe: fe, proto: r.Protocol, lo: lo, hi: hi, path: prefix}, field)
	}
}

func (v *validator) lbRule(i int) {
	r := v.lb.LoadBalancingRules[i]
	prefix := fmt.Sprintf("loadBalancingRules[%d]", i)
	fe, feOK := v.ref(v.frontends, "frontendIPConfigurations", r.Frontend, prefix+".frontend")
	pool, poolOK := v.ref(v.pools, "backendAddressPools", r.BackendPool, prefix+".backendPool")
	v.ref(v.probes, "probes", r.Probe, prefix+".probe")
	protoOK := v.protocol(r.Protocol, prefix+".protocol")
	v.idleTimeout(r.IdleTimeoutInMinutes, MaxIdleTimeoutInMinutes, prefix+".idleTimeoutInMinutes")
	switch r.LoadDistribution {
	case "", DistributionDefault, DistributionSourceIPProtocol, DistributionSourceIP:
	default:
		v.fail(ErrInvalid, prefix+".loadDistribution", "%q is not Default, SourceIPProtocol or SourceIP", r.LoadDistribution)
	}
	lo, hi := r.FrontendPort, r.FrontendPort
	var portsOK bool
	if r.Protocol == ProtocolAll && r.FrontendPort == 0 && r.BackendPort == 0 {
		lo, hi, portsOK = 0, 65535, true // HA ports
	} else {
		portsOK = v.port(r.FrontendPort, prefix+".frontendPort")
		portsOK = v.port(r.BackendPort, prefix+".backendPort") && portsOK
	}
	if feOK && poolOK {
		v.families(fe, pool, netip.Addr{}, prefix+".backendPool")
	}
	if feOK && protoOK && portsOK {
		v.listen(listener{fe: fe, proto: r.Protocol, lo: lo, hi: hi, path: prefix}, prefix+".frontendPort")
	}
	if poolOK && protoOK && portsOK && !r.EnableFloatingIP {
		p := v.lb.BackendAddressPools[pool]
		for _, b := range p.Backends {
			if !v.claim(p.VNI, b.DIP, r.Protocol, r.BackendPort, prefix) {
				break
			}
		}
	}
}

// A listener is the (VIP, protocol, port range) that an inbound rule
// accepts on a frontend.
type listener struct {
	fe     int
	proto  Protocol
	lo, hi int
	path   string
}

func (l listener) overlaps(o listener) bool {
	return l.fe == o.fe && l.lo <= o.hi && o.lo <= l.hi &&
		(l.proto == o.proto || l.proto == ProtocolAll || o.proto == ProtocolAll)
}

func (v *validator) describe(l listener) string {
	proto := map[Protocol]string{ProtocolTCP: "TCP", ProtocolUDP: "UDP", ProtocolAll: "TCP/UDP"}[l.proto]
	vip := v.lb.FrontendIPConfigurations[l.fe].VIP
	switch {
	case l.lo == 0:
		return fmt.Sprintf("%s all ports on %s", proto, vip)
	case l.lo == l.hi:
		return fmt.Sprintf("%s %d on %s", proto, l.lo, vip)
	}
	return fmt.Sprintf("%s %d-%d on %s", proto, l.lo, l.hi, vip)
}

// listen records l, reporting the first earlier listener it overlaps.
func (v *validator) listen(l listener, field string) {
	for _, o := range v.listeners {
		if l.overlaps(o) {
			v.fail(ErrConflict, field, "conflicts with %s (%s)", o.path, v.describe(o))
			return
		}
	}
	v.listeners = append(v.listeners, l)
}

// A backendKey is one transport port of one DIP; port 0 stands for all
// ports (an HA-ports rule).
type backendKey struct {
	vni   uint32
	dip   netip.Addr
	proto uint8
	port  int
}

// claim records that load-balancing rule path receives on port of dip
// without floating IP, and reports whether no earlier rule does: Azure
// lets rules share a backend port only with floating IP, where the
// destination (the VIP) tells them apart. Inbound NAT rules may target a
// load-balanced port (public 8080 to private 80 beside a rule for port
// 80): the host agent's per-flow state reverses each flow's translation.
func (v *validator) claim(vni uint32, dip netip.Addr, proto Protocol, port int, path string) bool {
	for _, ipProto := range []uint8{6, 17} {
		if !proto.Matches(ipProto) {
			continue
		}
		k := backendKey{vni, dip, ipProto, port}
		anyPort := backendKey{vni, dip, ipProto, -1}
		other, taken := v.claims[k]
		if !taken {
			other, taken = v.claims[backendKey{vni, dip, ipProto, 0}]
		}
		if !taken && port == 0 {
			other, taken = v.claims[anyPort]
		}
		if taken {
			v.fail(ErrConflict, path+".backendPort", "port %d of DIP %s is also used by %s; rules may share a backend port only with floating IP",
				port, dip, other)
			return false
		}
		v.claims[k] = path
		if _, ok := v.claims[anyPort]; !ok {
			v.claims[anyPort] = path
		}
	}
	return true
}

// A snatKey is a frontend's SNAT port space for one IP protocol.
type snatKey struct {
	fe    int
	proto uint8
}

func (v *validator) outboundRule(i int, snat map[snatKey]string) {
	r := v.lb.OutboundRules[i]
	prefix := fmt.Sprintf("outboundRules[%d]", i)
	pool, poolOK := v.ref(v.pools, "backendAddressPools", r.BackendPool, prefix+".backendPool")
	protoOK := v.protocol(r.Protocol, prefix+".protocol")
	v.idleTimeout(r.IdleTimeoutInMinutes, MaxOutboundIdleTimeoutInMinutes, prefix+".idleTimeoutInMinutes")
	if len(r.Frontends) == 0 {
		v.fail(ErrRequired, prefix+".frontends", "is empty")
	}
	fesOK := len(r.Frontends) > 0
	for j, name := range r.Frontends {
		path := fmt.Sprintf("%s.frontends[%d]", prefix, j)
		fe, ok := v.ref(v.frontends, "frontendIPConfigurations", name, path)
		if !ok {
			fesOK = false
			continue
		}
		if slices.Index(r.Frontends, name) < j {
			v.fail(ErrDuplicate, path, "%q is listed twice", name)
			fesOK = false
			continue
		}
		if poolOK {
			v.families(fe, pool, netip.Addr{}, prefix+".backendPool")
		}
		if !protoOK {
			continue
		}
		for _, ipProto := range []uint8{6, 17} {
			if !r.Protocol.Matches(ipProto) {
				continue
			}
			k := snatKey{fe, ipProto}
			if other, taken := snat[k]; taken {
				v.fail(ErrConflict, path, "frontend %q already provides SNAT for %s", name, other)
				fesOK = false
				break
			}
			snat[k] = prefix
		}
	}
	if a := r.AllocatedOutboundPorts; a != 0 && (a < 0 || a%SNATPortBlock != 0 || a > SNATPortsPerVIP*len(r.Frontends)) {
		v.fail(ErrRange, prefix+".allocatedOutboundPorts", "%d is not a positive multiple of %d up to %d per frontend",
			a, SNATPortBlock, SNATPortsPerVIP)
		return
	}
	if !poolOK || !protoOK || !fesOK {
		return
	}
	n := len(v.lb.BackendAddressPools[pool].Backends)
	free := v.lb.snatFree(r)
	switch a := r.AllocatedOutboundPorts; {
	case n == 0:
	case a == 0 && free/n < SNATPortBlock:
		v.fail(ErrSNATPorts, prefix+".allocatedOutboundPorts", "the %d free SNAT ports of the frontends leave fewer than %d for each of the %d DIPs",
			free, SNATPortBlock, n)
	case a != 0 && a*n > free:
		v.fail(ErrSNATPorts, prefix+".allocatedOutboundPorts", "%d ports for each of the %d DIPs need %d, but the frontends have %d free SNAT ports",
			a, n, a*n, free)
	}
}

// snatFree returns how many SNAT ports the frontends of r offer: the ports
// from SNATFirstPort up of each frontend's VIP, less those that inbound
// rules receive on, for the protocol of r (the smaller count, for All).
func (lb *LoadBalancer) snatFree(r OutboundRule) int {
	total := 0
	for _, name := range r.Frontends {
		free := -1
		for _, ipProto := range []uint8{6, 17} {
			if r.Protocol.Matches(ipProto) {
				n := SNATPortsPerVIP - lb.inboundPorts(name, ipProto)
				if free < 0 || n < free {
					free = n
				}
			}
		}
		total += max(free, 0)
	}
	return total
}

// inboundPorts counts the distinct ports at or above SNATFirstPort that
// inbound rules receive on frontend fe for IP protocol ipProto.
func (lb *LoadBalancer) inboundPorts(fe string, ipProto uint8) int {
	type span struct{ lo, hi int }
	var spans []span
	add := func(frontend string, proto Protocol, lo, hi int) {
		if frontend == fe && proto.Matches(ipProto) {
			spans = append(spans, span{max(lo, SNATFirstPort), min(hi, 65535)})
		}
	}
	for _, r := range lb.LoadBalancingRules {
		if r.Protocol == ProtocolAll && r.FrontendPort == 0 {
			add(r.Frontend, r.Protocol, 0, 65535)
		} else {
			add(r.Frontend, r.Protocol, r.FrontendPort, r.FrontendPort)
		}
	}
	for _, r := range lb.InboundNatRules {
		if r.FrontendPort != 0 {
			add(r.Frontend, r.Protocol, r.FrontendPort, r.FrontendPort)
		} else {
			add(r.Frontend, r.Protocol, r.FrontendPortRangeStart, r.FrontendPortRangeEnd)
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
	n, next := 0, 0 // next: the first port not yet counted
	for _, s := range spans {
		lo := max(s.lo, next)
		if s.hi >= lo {
			n += s.hi - lo + 1
			next = s.hi + 1
		}
	}
	return n
}

// OutboundPortsPerBackend returns the number of SNAT ports each DIP of
// outbound rule i gets: AllocatedOutboundPorts, or when that is 0 the
// frontends' free SNAT ports divided evenly among the pool's DIPs and
// rounded down to a multiple of SNATPortBlock. It assumes lb is valid.
func (lb *LoadBalancer) OutboundPortsPerBackend(i int) int {
	r := lb.OutboundRules[i]
	if r.AllocatedOutboundPorts != 0 {
		return r.AllocatedOutboundPorts
	}
	n := 0
	for _, p := range lb.BackendAddressPools {
		if p.Name == r.BackendPool {
			n = len(p.Backends)
		}
	}
	if n == 0 {
		return 0
	}
	return lb.snatFree(r) / n / SNATPortBlock * SNATPortBlock
}

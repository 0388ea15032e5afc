package vswitch

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/vxlan"
)

// DefaultGatewayMAC is the MAC address with which a switch answers its
// guests' ARP requests when Config.GatewayMAC is not set.
var DefaultGatewayMAC = net.HardwareAddr{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc}

// ErrConfig is wrapped by the errors of New, AddVNIC and SetMapping for bad
// arguments.
var ErrConfig = errors.New("vswitch: invalid config")

const (
	protoICMP = 1
	protoTCP  = 6
	protoUDP  = 17
)

// Config configures a Switch.
type Config struct {
	// Name names the switch (the host) in events.
	Name string
	// Uplink is the switch's port on the provider network.
	Uplink *netsim.Port
	// HostPA is the host's provider address, the outer source of the
	// VXLAN packets it sends and the address other hosts and Muxes send
	// VXLAN to. HostMAC is the uplink's MAC address.
	HostPA  netip.Addr
	HostMAC net.HardwareAddr
	// ProviderPrefix is the on-link prefix of the provider network:
	// provider addresses in it are resolved with ARP, others are sent to
	// the router.
	ProviderPrefix netip.Prefix
	// RouterPA is the provider router: the next hop of Direct Server
	// Return and SNAT traffic and of provider addresses off the prefix.
	// RouterMAC, when set, saves resolving it with ARP.
	RouterPA  netip.Addr
	RouterMAC net.HardwareAddr
	// VXLANPort is the UDP port of VXLAN; 0 means 4789.
	VXLANPort uint16
	// GatewayMAC is the MAC of the virtual gateway guests see; nil means
	// DefaultGatewayMAC.
	GatewayMAC net.HardwareAddr
	// SLB is the load balancer's host agent; nil means no SLB layer.
	SLB SLB
	// Trace, when set, is called for every decision of every layer by
	// the receiver of the port the packet arrived at: on that port's
	// delivery goroutine or in the goroutine of the node that sent the
	// frame (netsim's run to completion), so it must be safe for
	// concurrent use, return quickly and take no lock a sender may hold.
	Trace func(Event)
	// FlowTimeout is how long the ACL remembers an idle flow a guest
	// opened; 0 means 4 minutes.
	FlowTimeout time.Duration
	// MaxFlows bounds the flows the ACL remembers per vNIC; 0 means 65536.
	MaxFlows int
}

// Switch is a host's virtual switch. Its methods are safe for concurrent
// use.
type Switch struct {
	cfg     Config
	hostMAC header.MAC
	gwMAC   header.MAC
	uplink  *netsim.Port
	decap   vxlan.Decap
	count   counters

	mu       sync.Mutex // serialises changes of the tables below
	vnics    atomic.Pointer[vnicTable]
	byName   map[string]*VNIC
	host     atomic.Pointer[HostPort]
	mappings atomic.Pointer[map[caKey]Mapping]
	closed   bool

	neighbors neighbors

	upBuf []byte // scratch of the uplink's receiver (one frame at a time)
}

// caKey is a customer address in a virtual network.
type caKey struct {
	vni uint32
	ca  netip.Addr
}

// Mapping is where a customer address lives: the provider address of its
// host and the MAC address of its vNIC.
type Mapping struct {
	PA  netip.Addr
	MAC net.HardwareAddr
	mac header.MAC
}

// New starts a switch on cfg.Uplink, which it owns from now on: it sets the
// port's receiver and closes it in Close.
func New(cfg Config) (*Switch, error) {
	if cfg.Uplink == nil {
		return nil, fmt.Errorf("%w: no uplink port", ErrConfig)
	}
	if !cfg.HostPA.Is4() {
		return nil, fmt.Errorf("%w: host PA %s is not an IPv4 address", ErrConfig, cfg.HostPA)
	}
	if len(cfg.HostMAC) != 6 {
		return nil, fmt.Errorf("%w: host MAC %q", ErrConfig, cfg.HostMAC)
	}
	if !cfg.ProviderPrefix.Contains(cfg.HostPA) {
		return nil, fmt.Errorf("%w: provider prefix %s does not hold the host PA %s", ErrConfig, cfg.ProviderPrefix, cfg.HostPA)
	}
	if cfg.RouterPA.IsValid() && !cfg.ProviderPrefix.Contains(cfg.RouterPA) {
		return nil, fmt.Errorf("%w: router %s is not on the provider prefix %s", ErrConfig, cfg.RouterPA, cfg.ProviderPrefix)
	}
	if cfg.RouterMAC != nil && len(cfg.RouterMAC) != 6 {
		return nil, fmt.Errorf("%w: router MAC %q", ErrConfig, cfg.RouterMAC)
	}
	if cfg.GatewayMAC == nil {
		cfg.GatewayMAC = DefaultGatewayMAC
	}
	if len(cfg.GatewayMAC) != 6 {
		return nil, fmt.Errorf("%w: gateway MAC %q", ErrConfig, cfg.GatewayMAC)
	}
	if cfg.VXLANPort == 0 {
		cfg.VXLANPort = vxlan.Port
	}
	if cfg.FlowTimeout == 0 {
		cfg.FlowTimeout = 4 * time.Minute
	}
	if cfg.MaxFlows == 0 {
		cfg.MaxFlows = 1 << 16
	}
	s := &Switch{
		cfg:     cfg,
		hostMAC: header.MAC(cfg.HostMAC),
		gwMAC:   header.MAC(cfg.GatewayMAC),
		uplink:  cfg.Uplink,
		decap:   vxlan.Decap{Ethernet: true, Port: cfg.VXLANPort},
		byName:  make(map[string]*VNIC),
		upBuf:   make([]byte, 0, netsim.MaxFrame+128),
	}
	s.neighbors.init()
	if cfg.RouterMAC != nil {
		s.neighbors.set(cfg.RouterPA, header.MAC(cfg.RouterMAC), true)
	}
	s.vnics.Store(newVNICTable(nil))
	mappings := make(map[caKey]Mapping)
	s.mappings.Store(&mappings)
	s.uplink.SetSuperReceiver(s.fromUplinkSuper)
	return s, nil
}

// SetMapping records that customer address ca of virtual network vni lives
// on the host with provider address pa, in the vNIC with MAC address mac.
// The controller sets one for every vNIC of the VNet, local ones included.
func (s *Switch) SetMapping(vni uint32, ca, pa netip.Addr, mac net.HardwareAddr) error {
	if !vxlan.VNI(vni).Valid() {
		return fmt.Errorf("%w: VNI %d", ErrConfig, vni)
	}
	if !ca.Is4() || !pa.Is4() {
		return fmt.Errorf("%w: mapping %s -> %s is not IPv4", ErrConfig, ca, pa)
	}
	if len(mac) != 6 {
		return fmt.Errorf("%w: mapping %s: MAC %q", ErrConfig, ca, mac)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next := make(map[caKey]Mapping, len(*s.mappings.Load())+1)
	for k, v := range *s.mappings.Load() {
		next[k] = v
	}
	next[caKey{vni, ca}] = Mapping{PA: pa, MAC: append(net.HardwareAddr(nil), mac...), mac: header.MAC(mac)}
	s.mappings.Store(&next)
	return nil
}

// DeleteMapping forgets the mapping of ca in vni and reports whether there
// was one.
func (s *Switch) DeleteMapping(vni uint32, ca netip.Addr) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := caKey{vni, ca}
	if _, ok := (*s.mappings.Load())[k]; !ok {
		return false
	}
	next := make(map[caKey]Mapping, len(*s.mappings.Load()))
	for kk, v := range *s.mappings.Load() {
		if kk != k {
			next[kk] = v
		}
	}
	s.mappings.Store(&next)
	return true
}

// LookupMapping returns the mapping of ca in vni.
func (s *Switch) LookupMapping(vni uint32, ca netip.Addr) (Mapping, bool) {
	m, ok := (*s.mappings.Load())[caKey{vni, ca}]
	return m, ok
}

// SetNeighbor tells the switch the MAC address of a provider address, as
// a static ARP entry.
func (s *Switch) SetNeighbor(pa netip.Addr, mac net.HardwareAddr) error {
	if !pa.Is4() || len(mac) != 6 {
		return fmt.Errorf("%w: neighbor %s at %q", ErrConfig, pa, mac)
	}
	s.neighbors.set(pa, header.MAC(mac), true)
	return nil
}

// Stats returns the counters.
func (s *Switch) Stats() Stats {
	var st Stats
	for l := range numLayers {
		for a := range numActions {
			st.Count[l][a] = s.count[l][a].Load()
		}
	}
	return st
}

// Close detaches every vNIC and the uplink and closes their ports; their
// receivers have returned, on their delivery goroutines and in senders',
// when Close returns.
func (s *Switch) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	vnics := make([]*VNIC, 0, len(s.byName))
	for _, v := range s.byName {
		vnics = append(vnics, v)
	}
	s.mu.Unlock()
	for _, v := range vnics {
		v.port.Close()
	}
	if h := s.host.Load(); h != nil {
		h.port.Close()
	}
	s.uplink.Close()
}

// event counts a decision and reports it to the trace function.
func (s *Switch) event(port string, dir Direction, l Layer, a Action, rule string, p *packet) {
	s.count[l][a].Add(1)
	if s.cfg.Trace == nil {
		return
	}
	e := Event{Switch: s.cfg.Name, Port: port, Dir: dir, Layer: l, Action: a, Rule: rule}
	if p != nil && p.ok {
		e.Proto = p.proto
		e.Src = netip.AddrPortFrom(p.src(), p.sport())
		e.Dst = netip.AddrPortFrom(p.dst(), p.dport())
		e.Frame = p.frame
	}
	s.cfg.Trace(e)
}

// encapEvent reports a VXLAN encapsulation or decapsulation.
// frame is the packet as the layer left it: the whole VXLAN packet after
// an encapsulation, the inner frame after a decapsulation.
func (s *Switch) encapEvent(port string, dir Direction, a Action, p *packet, frame []byte, vni uint32, outerSrc, outerDst netip.Addr) {
	s.count[LayerVNet][a].Add(1)
	if s.cfg.Trace == nil {
		return
	}
	e := Event{Switch: s.cfg.Name, Port: port, Dir: dir, Layer: LayerVNet, Action: a,
		VNI: vni, OuterSrc: outerSrc, OuterDst: outerDst, OuterPort: s.cfg.VXLANPort, Frame: frame}
	if p != nil && p.ok {
		e.Proto = p.proto
		e.Src = netip.AddrPortFrom(p.src(), p.sport())
		e.Dst = netip.AddrPortFrom(p.dst(), p.dport())
	}
	s.cfg.Trace(e)
}

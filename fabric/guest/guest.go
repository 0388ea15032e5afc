package guest

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/ethernet"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
)

// DefaultMTU is the IP MTU of a vNIC when Config.MTU is zero.
const DefaultMTU = 1500

// TSOMaxSize is the largest TCP super-packet (IP header included) a guest
// with Config.TSO hands to its vNIC.
const TSOMaxSize = 65535 - header.EthernetMinimumSize

// ErrConfig is wrapped by the errors New returns for a bad Config.
var ErrConfig = errors.New("guest: invalid config")

// nicID is the only NIC of a guest: its vNIC.
const nicID tcpip.NICID = 1

// Config is what the fabric gives a guest's vNIC.
type Config struct {
	// MAC is the vNIC's Ethernet address (6 bytes).
	MAC net.HardwareAddr
	// Addr is the primary address with its on-link prefix, for example
	// 10.0.0.4/24.
	Addr netip.Prefix
	// OtherAddrs are further on-link addresses of the vNIC, for example
	// the IPv6 address of a dual-stack guest.
	OtherAddrs []netip.Prefix
	// Gateway is the default router of Addr's family; invalid means no
	// default route. Gateway6 is the IPv6 one of a dual-stack guest.
	Gateway, Gateway6 netip.Addr
	// MTU is the vNIC's IP MTU; zero means DefaultMTU.
	MTU int
	// ExtraAddrs are addresses held as a VIP is held on a loopback
	// adapter: packets to them are accepted, sockets may bind to them, and
	// the stack never picks them as a source address by itself. Floating
	// IP and Direct Server Return deliver the VIP unchanged to the guest.
	ExtraAddrs []netip.Addr
	// TSO makes the vNIC take TCP segments of up to TSOMaxSize bytes and
	// leave TCP and UDP checksums to the host, as a VM whose NIC offers
	// large send offload and checksum offload does: the host's vswitch
	// segments and fills in checksums (see package offload).
	TSO bool
	// DisableHTTPKeepAlives makes the clients of HTTPClient open a
	// connection per request.
	DisableHTTPKeepAlives bool
}

// Guest is a TCP/IP stack on a netsim port. Its methods are safe for
// concurrent use.
type Guest struct {
	name  string
	cfg   Config
	port  *netsim.Port
	stack *stack.Stack
	link  *link

	mu         sync.Mutex
	closed     bool
	servers    []*http.Server
	transports []*http.Transport
	serving    sync.WaitGroup
	closeOnce  sync.Once
}

// New starts a guest named name on port. The guest owns the port from now
// on: it sets the port's receiver and closes the port in Close.
func New(name string, port *netsim.Port, cfg Config) (*Guest, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("guest %s: %w", name, err)
	}
	if cfg.MTU == 0 {
		cfg.MTU = DefaultMTU
	}
	var gso uint32
	if cfg.TSO {
		gso = TSOMaxSize
	}
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, ipv6.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol, icmp.NewProtocol4, icmp.NewProtocol6},
		HandleLocal:        true,
	})
	g := &Guest{name: name, cfg: cfg, port: port, stack: s}
	g.link = newLink(port, cfg.MTU, tcpip.LinkAddress(cfg.MAC), gso)
	if err := g.setup(); err != nil {
		s.Destroy()
		return nil, fmt.Errorf("guest %s: %w", name, err)
	}
	// Queued: gVisor holds its own locks while it sends, and a frame
	// could come back to it in the same goroutine.
	port.SetQueuedReceiver(g.link.receive)
	return g, nil
}

func (g *Guest) setup() error {
	sack := tcpip.TCPSACKEnabled(true)
	if err := g.stack.SetTransportProtocolOption(tcp.ProtocolNumber, &sack); err != nil {
		return fmt.Errorf("enable SACK: %s", err)
	}
	if err := g.stack.CreateNICWithOptions(nicID, ethernet.New(g.link), stack.NICOptions{Name: g.name}); err != nil {
		return fmt.Errorf("create vNIC: %s", err)
	}
	var routes []tcpip.Route
	for _, p := range append([]netip.Prefix{g.cfg.Addr}, g.cfg.OtherAddrs...) {
		if err := g.stack.AddProtocolAddress(nicID, protocolAddress(p), stack.AddressProperties{}); err != nil {
			return fmt.Errorf("add address %s: %s", p, err)
		}
		routes = append(routes, tcpip.Route{Destination: subnet(p.Masked()), NIC: nicID})
	}
	for _, a := range g.cfg.ExtraAddrs {
		pa := protocolAddress(netip.PrefixFrom(a, a.BitLen()))
		if err := g.stack.AddProtocolAddress(nicID, pa, stack.AddressProperties{PEB: stack.NeverPrimaryEndpoint}); err != nil {
			return fmt.Errorf("add extra address %s: %s", a, err)
		}
	}
	for _, gw := range []netip.Addr{g.cfg.Gateway, g.cfg.Gateway6} {
		if gw.IsValid() {
			routes = append(routes, tcpip.Route{Destination: subnet(netip.PrefixFrom(gw, 0).Masked()), Gateway: address(gw), NIC: nicID})
		}
	}
	g.stack.SetRouteTable(routes)
	return nil
}

func (c *Config) validate() error {
	if len(c.MAC) != 6 {
		return fmt.Errorf("%w: MAC %q is not 6 bytes", ErrConfig, c.MAC)
	}
	if c.MAC[0]&1 != 0 {
		return fmt.Errorf("%w: MAC %s is a multicast address", ErrConfig, c.MAC)
	}
	if !c.Addr.IsValid() {
		return fmt.Errorf("%w: Addr is not set", ErrConfig)
	}
	for _, p := range append([]netip.Prefix{c.Addr}, c.OtherAddrs...) {
		if !p.IsValid() || p.Addr().Is4In6() || p.Addr().Zone() != "" {
			return fmt.Errorf("%w: address %s", ErrConfig, p)
		}
	}
	for _, a := range c.ExtraAddrs {
		if !a.IsValid() || a.Is4In6() || a.Zone() != "" {
			return fmt.Errorf("%w: extra address %s", ErrConfig, a)
		}
	}
	if c.Gateway.IsValid() && !c.onLink(c.Gateway) {
		return fmt.Errorf("%w: gateway %s is not on a prefix of the vNIC", ErrConfig, c.Gateway)
	}
	if c.Gateway6.IsValid() && (!c.Gateway6.Is6() || !c.onLink(c.Gateway6)) {
		return fmt.Errorf("%w: IPv6 gateway %s is not on an IPv6 prefix of the vNIC", ErrConfig, c.Gateway6)
	}
	if c.MTU != 0 && (c.MTU < 576 || c.MTU > 65535-header.EthernetMinimumSize) {
		return fmt.Errorf("%w: MTU %d is outside 576..%d", ErrConfig, c.MTU, 65535-header.EthernetMinimumSize)
	}
	return nil
}

func (c *Config) onLink(a netip.Addr) bool {
	if c.Addr.Contains(a) {
		return true
	}
	for _, p := range c.OtherAddrs {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Name returns the guest's name.
func (g *Guest) Name() string { return g.name }

// Addr returns the guest's primary address.
func (g *Guest) Addr() netip.Addr { return g.cfg.Addr.Addr() }

// MAC returns the vNIC's Ethernet address.
func (g *Guest) MAC() net.HardwareAddr { return g.cfg.MAC }

// Stats returns netstack's counters: IP, TCP, UDP, ICMP and ARP, sent,
// received and dropped.
func (g *Guest) Stats() tcpip.Stats { return g.stack.Stats() }

// Close stops the guest: its HTTP servers and idle HTTP client connections
// are closed, every socket is aborted, the stack's goroutines have ended and
// the port is closed when Close returns. Closing twice is harmless.
func (g *Guest) Close() {
	g.closeOnce.Do(func() {
		g.mu.Lock()
		g.closed = true
		servers, transports := g.servers, g.transports
		g.servers, g.transports = nil, nil
		g.mu.Unlock()
		for _, srv := range servers {
			srv.Close()
		}
		for _, t := range transports {
			t.CloseIdleConnections()
		}
		g.port.Close()
		g.stack.Destroy()
		g.serving.Wait()
	})
}

// protocolAddress converts an address with its prefix to netstack's form.
func protocolAddress(p netip.Prefix) tcpip.ProtocolAddress {
	proto := ipv4.ProtocolNumber
	if p.Addr().Is6() {
		proto = ipv6.ProtocolNumber
	}
	return tcpip.ProtocolAddress{
		Protocol:          proto,
		AddressWithPrefix: tcpip.AddressWithPrefix{Address: address(p.Addr()), PrefixLen: p.Bits()},
	}
}

func address(a netip.Addr) tcpip.Address {
	if a.Is4() {
		return tcpip.AddrFrom4(a.As4())
	}
	return tcpip.AddrFrom16(a.As16())
}

func subnet(p netip.Prefix) tcpip.Subnet {
	a := address(p.Addr())
	mask := tcpip.MaskFromBytes(net.CIDRMask(p.Bits(), p.Addr().BitLen()))
	s, err := tcpip.NewSubnet(a, mask)
	if err != nil {
		panic(fmt.Sprintf("guest: subnet of masked prefix %s: %v", p, err)) // p is masked, so this cannot happen
	}
	return s
}

// protocolOf returns the netstack protocol number of a's family.
func protocolOf(a netip.Addr) tcpip.NetworkProtocolNumber {
	if a.Is4() {
		return ipv4.ProtocolNumber
	}
	return ipv6.ProtocolNumber
}

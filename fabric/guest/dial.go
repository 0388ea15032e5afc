package guest

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
)

// Dialer opens connections from a guest, optionally from a given local
// address and port: a BGP speaker in a guest dials its peers from the
// address they expect. Its DialContext has the shape of net.Dialer's.
type Dialer struct {
	g     *Guest
	local netip.AddrPort
}

// Dialer returns a dialer whose connections start at local. An invalid
// local address lets the stack choose the source address; port 0 lets it
// choose the port.
func (g *Guest) Dialer(local netip.AddrPort) *Dialer {
	return &Dialer{g: g, local: local}
}

// DialContext connects to address ("ip:port", no names are resolved) over
// network "tcp", "tcp4", "tcp6", "udp", "udp4" or "udp6", from the stack's
// choice of source address. ctx bounds the TCP handshake.
func (g *Guest) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return g.Dialer(netip.AddrPort{}).DialContext(ctx, network, address)
}

// DialContext connects to address over network from the dialer's local
// address; see Guest.DialContext.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	opErr := func(err error) error {
		return &net.OpError{Op: "dial", Net: network, Source: addrOf(network, d.local), Err: err}
	}
	remote, err := parseAddrPort(network, address, false)
	if err != nil {
		return nil, opErr(err)
	}
	if d.local.Addr().IsValid() && d.local.Addr().Is4() != remote.Addr().Is4() {
		return nil, opErr(fmt.Errorf("local address %s and remote address %s are of different families", d.local.Addr(), remote.Addr()))
	}
	var local tcpip.FullAddress
	if d.local.Addr().IsValid() || d.local.Port() != 0 {
		local = fullAddress(d.local)
	}
	proto := protocolOf(remote.Addr())
	switch network {
	case "tcp", "tcp4", "tcp6":
		c, err := gonet.DialTCPWithBind(ctx, d.g.stack, local, fullAddress(remote), proto)
		if err != nil {
			return nil, err
		}
		return c, nil
	default: // udp, checked by parseAddrPort
		var lp *tcpip.FullAddress
		if local != (tcpip.FullAddress{}) {
			lp = &local
		}
		r := fullAddress(remote)
		c, err := gonet.DialUDP(d.g.stack, lp, &r, proto)
		if err != nil {
			return nil, opErr(err)
		}
		return c, nil
	}
}

// Listen accepts TCP connections on address ("ip:port", ":port" for any
// address of the primary address's family) over network "tcp", "tcp4" or
// "tcp6".
func (g *Guest) Listen(network, address string) (net.Listener, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, &net.OpError{Op: "listen", Net: network, Err: net.UnknownNetworkError(network)}
	}
	local, proto, err := g.localAddr(network, address)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	ln, err := gonet.ListenTCP(g.stack, local, proto)
	if err != nil {
		return nil, err
	}
	return ln, nil
}

// ListenPacket opens a UDP socket on address over network "udp", "udp4"
// or "udp6"; address as for Listen.
func (g *Guest) ListenPacket(network, address string) (net.PacketConn, error) {
	switch network {
	case "udp", "udp4", "udp6":
	default:
		return nil, &net.OpError{Op: "listen", Net: network, Err: net.UnknownNetworkError(network)}
	}
	local, proto, err := g.localAddr(network, address)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	c, err := gonet.DialUDP(g.stack, &local, nil, proto)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	return c, nil
}

// localAddr parses a listening address; an empty host means any address of
// the network's family, or of the primary address's family for "tcp" and
// "udp".
func (g *Guest) localAddr(network, address string) (tcpip.FullAddress, tcpip.NetworkProtocolNumber, error) {
	ap, err := parseAddrPort(network, address, true)
	if err != nil {
		return tcpip.FullAddress{}, 0, err
	}
	if ap.Addr().IsValid() {
		return fullAddress(ap), protocolOf(ap.Addr()), nil
	}
	family := g.cfg.Addr.Addr()
	switch network[len(network)-1] {
	case '4':
		family = netip.IPv4Unspecified()
	case '6':
		family = netip.IPv6Unspecified()
	}
	return tcpip.FullAddress{Port: ap.Port()}, protocolOf(family), nil
}

// parseAddrPort parses "ip:port" for network; with anyHost, the host may be
// empty (an invalid Addr in the result).
func parseAddrPort(network, address string, anyHost bool) (netip.AddrPort, error) {
	switch network {
	case "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6":
	default:
		return netip.AddrPort{}, net.UnknownNetworkError(network)
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return netip.AddrPort{}, err
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("port %q: %w", port, err)
	}
	if host == "" && anyHost {
		return netip.AddrPortFrom(netip.Addr{}, uint16(p)), nil
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("host %q is not an IP address (a guest resolves no names): %w", host, err)
	}
	a = a.Unmap()
	switch network[len(network)-1] {
	case '4':
		if !a.Is4() {
			return netip.AddrPort{}, fmt.Errorf("%s is not an IPv4 address", a)
		}
	case '6':
		if !a.Is6() {
			return netip.AddrPort{}, fmt.Errorf("%s is not an IPv6 address", a)
		}
	}
	return netip.AddrPortFrom(a, uint16(p)), nil
}

func fullAddress(ap netip.AddrPort) tcpip.FullAddress {
	f := tcpip.FullAddress{Port: ap.Port()}
	if ap.Addr().IsValid() {
		f.Addr = address(ap.Addr())
	}
	return f
}

func addrOf(network string, ap netip.AddrPort) net.Addr {
	if !ap.Addr().IsValid() {
		return nil
	}
	if network[0] == 'u' {
		return net.UDPAddrFromAddrPort(ap)
	}
	return net.TCPAddrFromAddrPort(ap)
}

// Package guest is a simulated virtual machine's network endpoint: a real
// TCP/IP stack (gVisor's netstack, gvisor.dev/gvisor/pkg/tcpip) attached to
// a netsim.Port, the guest's vNIC.
//
// A Guest speaks Ethernet II on its port: ARP (RFC 826) and IPv4 (RFC 791)
// with ICMP (RFC 792), IPv6 (RFC 8200) with NDP (RFC 4861) and ICMPv6
// (RFC 4443), TCP (RFC 9293, with SACK, RFC 2018) and UDP (RFC 768), all
// implemented by netstack; this package only wires the stack to the port
// and gives it the configuration a VM would get from its fabric: MAC,
// addresses with their prefixes, a default gateway, an MTU, and extra
// addresses held the way a VIP is held on a loopback adapter for floating IP
// and Direct Server Return (the weak host model: accepted on the vNIC, never
// chosen as a source address unless a socket binds to it).
//
// Frames leave through Port.Send and arrive through
// Port.SetQueuedReceiver, on the port's goroutine: the stack holds locks
// of its own while it sends, so it never runs in a sender's goroutine. The
// Guest hands out the standard library's interfaces over the stack:
// net.Conn and net.Listener (DialContext, Dialer, Listen), net.PacketConn
// (ListenPacket), an *http.Client whose transport dials through the stack
// (HTTPClient), an HTTP server on a port (Serve) and ICMP echo (Ping);
// BFDNetwork carries bgp/bfd sessions (RFC 5881: sent with TTL 255, the
// received TTL reported for the single-hop check).
// Close stops all of it and leaves no goroutine behind.
package guest

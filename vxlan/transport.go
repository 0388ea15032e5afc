package vxlan

import (
	"context"
	"net"
	"net/netip"
	"sync"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Datagram is one UDP datagram for Transport.ReadBatch and WriteBatch.
type Datagram struct {
	Buf  []byte         // read: the buffer to fill; write: the payload
	N    int            // read: the payload length
	Addr netip.AddrPort // read: the sender; write: the destination
}

// DefaultBatch is how many datagrams a Transport moves per system call.
const DefaultBatch = 64

// Transport carries VXLAN UDP payloads over a UDP socket. With batching,
// on Linux ReadBatch and WriteBatch move many datagrams per system call
// (recvmmsg and sendmmsg through golang.org/x/net/ipv4 and ipv6); on other
// systems, or without batching, they fall back to one datagram per call.
//
// The socket's own port is the UDP source port of everything sent, so the
// per-flow source port of RFC 7348 section 5 (FlowHash) applies only to
// packets built with Outer.Encapsulate for TAP or raw sockets.
//
// One goroutine may read while others write; writes are serialised.
// Reading without batching allocates nothing; a batched read allocates
// each sender's address (golang.org/x/net returns a *net.UDPAddr).
type Transport struct {
	conn  *net.UDPConn
	v6    bool
	batch interface {
		ReadBatch([]ipv4.Message, int) (int, error)
		WriteBatch([]ipv4.Message, int) (int, error)
	}
	rmsgs  []ipv4.Message
	rslots [][1][]byte

	wmu    sync.Mutex
	wmsgs  []ipv4.Message
	wslots [][1][]byte
	waddrs []net.UDPAddr
	wips   [][16]byte
}

// NewTransport wraps conn. batch is the most datagrams per system call;
// 0 means DefaultBatch and 1 turns batching off.
func NewTransport(conn *net.UDPConn, batch int) *Transport {
	if batch <= 0 {
		batch = DefaultBatch
	}
	t := &Transport{conn: conn}
	if la, ok := conn.LocalAddr().(*net.UDPAddr); ok && la.IP.To4() == nil {
		t.v6 = true
	}
	if batch > 1 {
		if t.v6 {
			t.batch = ipv6.NewPacketConn(conn)
		} else {
			t.batch = ipv4.NewPacketConn(conn)
		}
		t.rmsgs = make([]ipv4.Message, batch)
		t.rslots = make([][1][]byte, batch)
		t.wmsgs = make([]ipv4.Message, batch)
		t.wslots = make([][1][]byte, batch)
		t.waddrs = make([]net.UDPAddr, batch)
		t.wips = make([][16]byte, batch)
	}
	return t
}

// ListenTransport opens a UDP socket on laddr (for example 10.0.0.1:4789)
// and wraps it as NewTransport does.
func ListenTransport(ctx context.Context, laddr netip.AddrPort, batch int) (*Transport, error) {
	network := "udp4"
	if laddr.Addr().Is6() && !laddr.Addr().Is4In6() {
		network = "udp6"
	}
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, network, laddr.String())
	if err != nil {
		return nil, err
	}
	return NewTransport(pc.(*net.UDPConn), batch), nil
}

// Conn returns the underlying socket.
func (t *Transport) Conn() *net.UDPConn { return t.conn }

// LocalAddr returns the socket's address.
func (t *Transport) LocalAddr() netip.AddrPort {
	return t.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// Close closes the socket; a blocked ReadBatch returns.
func (t *Transport) Close() error { return t.conn.Close() }

// Batching reports whether the transport uses batch system calls.
func (t *Transport) Batching() bool { return t.batch != nil }

// ReadBatch reads at least one datagram, and up to len(msgs), into the
// Bufs of msgs, setting N and Addr of each one read. It returns how many
// were read. Only one goroutine may call ReadBatch at a time.
func (t *Transport) ReadBatch(msgs []Datagram) (int, error) {
	if len(msgs) == 0 {
		return 0, nil
	}
	if t.batch == nil {
		n, from, err := t.conn.ReadFromUDPAddrPort(msgs[0].Buf)
		if err != nil {
			return 0, err
		}
		msgs[0].N, msgs[0].Addr = n, unmapAddrPort(from)
		return 1, nil
	}
	k := min(len(msgs), len(t.rmsgs))
	for i := range k {
		t.rslots[i][0] = msgs[i].Buf
		t.rmsgs[i] = ipv4.Message{Buffers: t.rslots[i][:]}
	}
	n, err := t.batch.ReadBatch(t.rmsgs[:k], 0)
	n = max(n, 0) // x/net reports -1 with an error
	for i := range n {
		msgs[i].N = t.rmsgs[i].N
		if ua, ok := t.rmsgs[i].Addr.(*net.UDPAddr); ok {
			msgs[i].Addr = unmapAddrPort(ua.AddrPort())
		} else {
			msgs[i].Addr = netip.AddrPort{}
		}
		t.rslots[i][0] = nil
	}
	return n, err
}

func unmapAddrPort(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

// WriteBatch sends msgs (Buf to Addr each) and returns how many were
// sent. A single datagram, or any number without batching, is sent with
// sendto and does not allocate; a batch through golang.org/x/net costs two
// small allocations per system call.
func (t *Transport) WriteBatch(msgs []Datagram) (int, error) {
	if t.batch == nil || len(msgs) == 1 {
		for i, m := range msgs {
			if _, err := t.conn.WriteToUDPAddrPort(m.Buf, t.sockAddr(m.Addr)); err != nil {
				return i, err
			}
		}
		return len(msgs), nil
	}
	t.wmu.Lock()
	defer t.wmu.Unlock()
	sent := 0
	for sent < len(msgs) {
		k := min(len(msgs)-sent, len(t.wmsgs))
		for i := range k {
			m := msgs[sent+i]
			a := t.sockAddr(m.Addr)
			t.wips[i] = a.Addr().As16()
			ip := t.wips[i][:]
			if a.Addr().Is4() {
				ip = ip[12:]
			}
			t.waddrs[i] = net.UDPAddr{IP: ip, Port: int(a.Port())}
			t.wslots[i][0] = m.Buf
			t.wmsgs[i] = ipv4.Message{Buffers: t.wslots[i][:], Addr: &t.waddrs[i]}
		}
		n, err := t.batch.WriteBatch(t.wmsgs[:k], 0)
		n = max(n, 0)
		sent += n
		if err != nil {
			return sent, err
		}
		if n == 0 {
			break
		}
	}
	return sent, nil
}

// sockAddr maps an IPv4 destination to its IPv4-mapped form on an IPv6
// socket.
func (t *Transport) sockAddr(a netip.AddrPort) netip.AddrPort {
	if t.v6 && a.Addr().Is4() {
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr().As16()), a.Port())
	}
	return a
}

package guest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"

	"github.com/sdnfabric/sdnfabric/bgp/bfd"
)

// gtsmTTL is the TTL (hop limit) BFD sends with and requires (RFC 5881
// section 5).
const gtsmTTL = 255

// BFDNetwork returns the guest's UDP endpoints as a transport for BFD
// (bfd.EndpointConfig.Network, bgp.Config.BFDNetwork): a BGP speaker whose
// sessions ride the guest's stack runs its BFD sessions on the same stack.
// Control packets leave with TTL (hop limit) 255, and each received one
// reports the TTL it arrived with, so the endpoint keeps the single-hop
// check of RFC 5881 section 5.
func (g *Guest) BFDNetwork() bfd.Network { return bfdNetwork{g} }

type bfdNetwork struct{ g *Guest }

// open makes a UDP endpoint bound to local (and connected to remote, if
// valid) that sends with TTL 255 and reports received TTLs.
func (n bfdNetwork) open(local, remote netip.AddrPort) (tcpip.Endpoint, *waiter.Queue, error) {
	family := local.Addr()
	if !family.IsValid() {
		family = remote.Addr()
	}
	wq := new(waiter.Queue)
	ep, err := n.g.stack.NewEndpoint(udp.ProtocolNumber, protocolOf(family), wq)
	if err != nil {
		return nil, nil, errors.New(err.String())
	}
	opt := tcpip.IPv4TTLOption
	if family.Is4() {
		ep.SocketOptions().SetReceiveTTL(true)
	} else {
		opt = tcpip.IPv6HopLimitOption
		ep.SocketOptions().SetReceiveHopLimit(true)
	}
	if err := ep.SetSockOptInt(opt, gtsmTTL); err != nil {
		ep.Close()
		return nil, nil, fmt.Errorf("TTL 255: %s", err)
	}
	if err := ep.Bind(fullAddress(local)); err != nil {
		ep.Close()
		return nil, nil, fmt.Errorf("bind %v: %s", local, err)
	}
	if remote.IsValid() {
		if err := ep.Connect(fullAddress(remote)); err != nil {
			ep.Close()
			return nil, nil, fmt.Errorf("connect %v: %s", remote, err)
		}
	}
	return ep, wq, nil
}

// ListenPacket implements bfd.Network.
func (n bfdNetwork) ListenPacket(local netip.AddrPort) (bfd.PacketReader, error) {
	ep, wq, err := n.open(local, netip.AddrPort{})
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: "udp", Source: addrOf("udp", local), Err: err}
	}
	r := &bfdReader{ep: ep, wq: wq, closed: make(chan struct{})}
	r.we, r.ready = waiter.NewChannelEntry(waiter.ReadableEvents)
	wq.EventRegister(&r.we)
	return r, nil
}

// DialPacket implements bfd.Network.
func (n bfdNetwork) DialPacket(local, remote netip.AddrPort) (bfd.PacketWriter, error) {
	ep, _, err := n.open(local, remote)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: "udp", Source: addrOf("udp", local), Addr: addrOf("udp", remote), Err: err}
	}
	return &bfdWriter{ep: ep}, nil
}

// bfdReader reads datagrams with their TTL from a UDP endpoint, blocking
// until one arrives or the reader is closed.
type bfdReader struct {
	ep     tcpip.Endpoint
	wq     *waiter.Queue
	we     waiter.Entry
	ready  chan struct{}
	closed chan struct{}
	once   sync.Once
	w      tcpip.SliceWriter // here, not on the stack: Read takes an io.Writer
}

func (r *bfdReader) ReadPacket(b []byte) (int, netip.AddrPort, int, error) {
	for {
		r.w = b
		res, err := r.ep.Read(&r.w, tcpip.ReadOptions{NeedRemoteAddr: true})
		switch err.(type) {
		case nil:
		case *tcpip.ErrWouldBlock:
			select {
			case <-r.ready:
				continue
			case <-r.closed:
				return 0, netip.AddrPort{}, 0, net.ErrClosed
			}
		default:
			select {
			case <-r.closed:
				return 0, netip.AddrPort{}, 0, net.ErrClosed
			default:
				return 0, netip.AddrPort{}, 0, &net.OpError{Op: "read", Net: "udp", Err: errors.New(err.String())}
			}
		}
		cm := res.ControlMessages
		ttl := -1
		switch {
		case cm.HasTTL:
			ttl = int(cm.TTL)
		case cm.HasHopLimit:
			ttl = int(cm.HopLimit)
		}
		var from netip.Addr
		switch a := res.RemoteAddr.Addr; a.Len() {
		case 4:
			from = netip.AddrFrom4(a.As4())
		case 16:
			from = netip.AddrFrom16(a.As16())
		}
		return res.Count, netip.AddrPortFrom(from, res.RemoteAddr.Port), ttl, nil
	}
}

func (r *bfdReader) Close() error {
	r.once.Do(func() {
		close(r.closed)
		r.wq.EventUnregister(&r.we)
		r.ep.Close()
	})
	return nil
}

// bfdWriter sends a session's control packets on its connected endpoint.
type bfdWriter struct {
	ep tcpip.Endpoint
	mu sync.Mutex
	r  bytes.Reader // the payload of the write in progress
}

func (w *bfdWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.r.Reset(b)
	n, err := w.ep.Write(&w.r, tcpip.WriteOptions{})
	if err != nil {
		return int(n), &net.OpError{Op: "write", Net: "udp", Err: errors.New(err.String())}
	}
	return int(n), nil
}

func (w *bfdWriter) Close() error {
	w.ep.Close()
	return nil
}

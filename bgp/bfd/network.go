package bfd

import (
	"errors"
	"net"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/bgp/internal/sockopt"
)

// Network opens the datagram sockets of an Endpoint: one receiving on the
// control port, and one per session sending from the session's source
// port. The kernel's UDP sockets are the default (KernelNetwork); another
// implementation carries BFD over a user-space TCP/IP stack or a
// simulated link.
type Network interface {
	// ListenPacket opens the socket that receives control packets on
	// local.
	ListenPacket(local netip.AddrPort) (PacketReader, error)
	// DialPacket opens a session's socket from local to remote, sending
	// with TTL (hop limit) 255 (RFC 5881 section 5). It fails if local's
	// port is taken; the endpoint then tries another.
	DialPacket(local, remote netip.AddrPort) (PacketWriter, error)
}

// PacketReader receives the control packets of an Endpoint, from one
// goroutine.
type PacketReader interface {
	// ReadPacket reads one datagram into b (truncated to len(b)) and
	// returns its length, its source, and the TTL or hop limit it
	// arrived with; ttl < 0 means the
	// transport cannot tell, and the GTSM check of RFC 5881 section 5 is
	// skipped. Once the reader is closed it returns an error wrapping
	// net.ErrClosed. It should not allocate.
	ReadPacket(b []byte) (n int, from netip.AddrPort, ttl int, err error)
	Close() error
}

// PacketWriter sends one session's control packets to its peer.
type PacketWriter interface {
	Write(b []byte) (int, error)
	Close() error
}

// KernelNetwork is the kernel's UDP sockets, opened in the network
// namespace at path NetNS if set. Where the kernel reports the TTL of
// received datagrams (Linux, IP_RECVTTL and IPV6_RECVHOPLIMIT) the reader
// reports it; elsewhere ttl is -1.
type KernelNetwork struct {
	NetNS string
}

// ListenPacket implements Network.
func (k KernelNetwork) ListenPacket(local netip.AddrPort) (PacketReader, error) {
	var r *kernelReader
	err := sockopt.InNamespace(k.NetNS, func() error {
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(local))
		if err != nil {
			return err
		}
		raw, err := c.SyscallConn()
		if err == nil {
			if err = sockopt.SetRecvTTL(raw); errors.Is(err, sockopt.ErrUnsupported) {
				err = nil // no GTSM check here (RFC 5881 section 5 on Linux only)
			}
		}
		if err != nil {
			c.Close()
			return err
		}
		r = &kernelReader{c: c, oob: make([]byte, oobLen)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// DialPacket implements Network.
func (k KernelNetwork) DialPacket(local, remote netip.AddrPort) (PacketWriter, error) {
	var w *net.UDPConn
	err := sockopt.InNamespace(k.NetNS, func() error {
		c, err := net.DialUDP("udp", net.UDPAddrFromAddrPort(local), net.UDPAddrFromAddrPort(remote))
		if err != nil {
			return err
		}
		raw, err := c.SyscallConn()
		if err == nil {
			err = sockopt.SetTTL(raw, gtsmTTL, 0)
		}
		if err != nil {
			c.Close()
			return err
		}
		w = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// kernelReader reads a UDP socket with the TTL control message.
type kernelReader struct {
	c   *net.UDPConn
	oob []byte
}

func (r *kernelReader) ReadPacket(b []byte) (int, netip.AddrPort, int, error) {
	n, oobn, _, from, err := r.c.ReadMsgUDPAddrPort(b, r.oob)
	if err != nil {
		return 0, netip.AddrPort{}, 0, err
	}
	ttl, ok := ttlOf(r.oob[:oobn])
	if !ok {
		ttl = -1
	}
	return n, from, ttl, nil
}

func (r *kernelReader) Close() error { return r.c.Close() }

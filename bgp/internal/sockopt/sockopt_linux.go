//go:build linux

package sockopt

import (
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// SetMD5 sets (or with an empty key, removes) the TCP-MD5 key used with
// peer on the socket (RFC 2385). On a listening socket it applies to the
// connections it accepts from peer.
func SetMD5(c syscall.RawConn, peer netip.Addr, key string) error {
	if len(key) > unix.TCP_MD5SIG_MAXKEYLEN {
		return fmt.Errorf("tcp-md5 key longer than %d bytes", unix.TCP_MD5SIG_MAXKEYLEN)
	}
	var serr error
	err := c.Control(func(fd uintptr) {
		dom, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN)
		if err != nil {
			serr = err
			return
		}
		var sig unix.TCPMD5Sig
		peer = peer.Unmap()
		if dom == unix.AF_INET6 {
			sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(&sig.Addr))
			sa.Family = unix.AF_INET6
			sa.Addr = netip.AddrFrom16(peer.As16()).As16()
		} else {
			if !peer.Is4() {
				serr = fmt.Errorf("tcp-md5: IPv6 peer %v on an IPv4 socket", peer)
				return
			}
			sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&sig.Addr))
			sa.Family = unix.AF_INET
			sa.Addr = peer.As4()
		}
		sig.Keylen = uint16(len(key))
		copy(sig.Key[:], key)
		serr = unix.SetsockoptTCPMD5Sig(int(fd), unix.IPPROTO_TCP, unix.TCP_MD5SIG, &sig)
	})
	if err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("setsockopt TCP_MD5SIG for %v: %w", peer, serr)
	}
	return nil
}

// SetTTL sets the TTL (IPv4) or hop limit (IPv6) of outgoing packets (0
// leaves it alone, -1 restores the system default) and, when minTTL is not
// zero, drops incoming packets with a lower TTL (IP_MINTTL,
// IPV6_MINHOPCOUNT: GTSM, RFC 5082).
func SetTTL(c syscall.RawConn, ttl, minTTL int) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		dom, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN)
		if err != nil {
			serr = err
			return
		}
		if dom == unix.AF_INET6 {
			if ttl != 0 {
				serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS, ttl)
			}
			if serr == nil && minTTL > 0 {
				serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_MINHOPCOUNT, minTTL)
			}
			// An IPv6 socket may carry IPv4 (mapped) traffic too.
			if ttl != 0 {
				_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_TTL, ttl)
			}
			if minTTL > 0 {
				_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_MINTTL, minTTL)
			}
			return
		}
		if ttl != 0 {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_TTL, ttl)
		}
		if serr == nil && minTTL > 0 {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_MINTTL, minTTL)
		}
	})
	if err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("setsockopt TTL %d min %d: %w", ttl, minTTL, serr)
	}
	return nil
}

// SetMinTTL sets the minimum TTL (IPv4) or hop limit (IPv6) of incoming
// packets; 0 accepts any. On a listening socket it applies to SYNs, so a
// connection from too far away is never established (RFC 5082 section 3).
func SetMinTTL(c syscall.RawConn, minTTL int) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		dom, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN)
		if err != nil {
			serr = err
			return
		}
		if dom == unix.AF_INET6 {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_MINHOPCOUNT, minTTL)
			_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_MINTTL, minTTL) // IPv4-mapped traffic
			return
		}
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_MINTTL, minTTL)
	})
	if err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("setsockopt minimum TTL %d: %w", minTTL, serr)
	}
	return nil
}

// SetRecvTTL asks the kernel to report each received datagram's TTL
// (IPv4) or hop limit (IPv6) in a control message (IP_RECVTTL,
// IPV6_RECVHOPLIMIT), for a GTSM check in user space (BFD, RFC 5881).
func SetRecvTTL(c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		dom, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN)
		if err != nil {
			serr = err
			return
		}
		if dom == unix.AF_INET6 {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_RECVHOPLIMIT, 1)
			_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_RECVTTL, 1) // IPv4-mapped traffic
			return
		}
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_RECVTTL, 1)
	})
	if err != nil {
		return err
	}
	return serr
}

// SetReuseAddr sets SO_REUSEADDR, so a connection can be bound to a port
// a listener holds.
func SetReuseAddr(c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	}); err != nil {
		return err
	}
	return serr
}

// InNamespace runs f on an OS thread switched into the network namespace
// at path (for example /run/netns/NAME), so sockets f creates live there.
// The thread is switched back afterwards; if that fails it is left locked
// and discarded by the runtime when the goroutine ends.
func InNamespace(path string, f func() error) error {
	if path == "" {
		return f()
	}
	ns, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("network namespace: %w", err)
	}
	defer ns.Close()
	runtime.LockOSThread()
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("network namespace: %w", err)
	}
	defer self.Close()
	if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("setns %s: %w", path, err)
	}
	ferr := f()
	if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("setns back from %s: %w", path, err) // thread stays locked
	}
	runtime.UnlockOSThread()
	return ferr
}

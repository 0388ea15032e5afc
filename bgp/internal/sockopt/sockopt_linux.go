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
	peer = peer.Unmap()
	err := controlFamily(c, func(fd int, v6 bool) error {
		var sig unix.TCPMD5Sig
		if v6 {
			sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(&sig.Addr))
			sa.Family = unix.AF_INET6
			sa.Addr = peer.As16()
		} else {
			if !peer.Is4() {
				return fmt.Errorf("tcp-md5: IPv6 peer %v on an IPv4 socket", peer)
			}
			sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&sig.Addr))
			sa.Family = unix.AF_INET
			sa.Addr = peer.As4()
		}
		sig.Keylen = uint16(len(key))
		copy(sig.Key[:], key)
		return unix.SetsockoptTCPMD5Sig(fd, unix.IPPROTO_TCP, unix.TCP_MD5SIG, &sig)
	})
	if err != nil {
		return fmt.Errorf("setsockopt TCP_MD5SIG for %v: %w", peer, err)
	}
	return nil
}

// SetTTL sets the TTL (IPv4) or hop limit (IPv6) of outgoing packets (0
// leaves it alone, -1 restores the system default) and, when minTTL is not
// zero, drops incoming packets with a lower TTL (IP_MINTTL,
// IPV6_MINHOPCOUNT: GTSM, RFC 5082).
func SetTTL(c syscall.RawConn, ttl, minTTL int) error {
	err := controlFamily(c, func(fd int, v6 bool) error {
		var err error
		if v6 {
			if ttl != 0 {
				err = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS, ttl)
			}
			if err == nil && minTTL > 0 {
				err = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MINHOPCOUNT, minTTL)
			}
			// An IPv6 socket may carry IPv4 (mapped) traffic too.
			if ttl != 0 {
				_ = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_TTL, ttl)
			}
			if minTTL > 0 {
				_ = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MINTTL, minTTL)
			}
			return err
		}
		if ttl != 0 {
			err = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_TTL, ttl)
		}
		if err == nil && minTTL > 0 {
			err = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MINTTL, minTTL)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("setsockopt TTL %d min %d: %w", ttl, minTTL, err)
	}
	return nil
}

// SetMinTTL sets the minimum TTL (IPv4) or hop limit (IPv6) of incoming
// packets; 0 accepts any. On a listening socket it applies to SYNs, so a
// connection from too far away is never established (RFC 5082 section 3).
func SetMinTTL(c syscall.RawConn, minTTL int) error {
	err := setBoth(c, unix.IPV6_MINHOPCOUNT, unix.IP_MINTTL, minTTL)
	if err != nil {
		return fmt.Errorf("setsockopt minimum TTL %d: %w", minTTL, err)
	}
	return nil
}

// SetRecvTTL asks the kernel to report each received datagram's TTL
// (IPv4) or hop limit (IPv6) in a control message (IP_RECVTTL,
// IPV6_RECVHOPLIMIT), for a GTSM check in user space (BFD, RFC 5881).
func SetRecvTTL(c syscall.RawConn) error {
	return setBoth(c, unix.IPV6_RECVHOPLIMIT, unix.IP_RECVTTL, 1)
}

// setBoth sets the IPPROTO_IP option opt4 to v, or on an IPv6 socket the
// IPPROTO_IPV6 option opt6 and, best effort, opt4 for the IPv4-mapped
// traffic the socket may carry.
func setBoth(c syscall.RawConn, opt6, opt4, v int) error {
	return controlFamily(c, func(fd int, v6 bool) error {
		if !v6 {
			return unix.SetsockoptInt(fd, unix.IPPROTO_IP, opt4, v)
		}
		err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, opt6, v)
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IP, opt4, v)
		return err
	})
}

// controlFamily runs f on the socket's descriptor, telling it whether the
// socket is AF_INET6 (SO_DOMAIN), and returns the first error of the two.
func controlFamily(c syscall.RawConn, f func(fd int, v6 bool) error) error {
	var ferr error
	err := c.Control(func(fd uintptr) {
		dom, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_DOMAIN)
		if err != nil {
			ferr = err
			return
		}
		ferr = f(int(fd), dom == unix.AF_INET6)
	})
	if err != nil {
		return err
	}
	return ferr
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

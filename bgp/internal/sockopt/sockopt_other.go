//go:build !linux

package sockopt

import (
	"net/netip"
	"syscall"
)

// SetMD5 is not supported on this system.
func SetMD5(c syscall.RawConn, peer netip.Addr, key string) error { return ErrUnsupported }

// SetTTL is not supported on this system; asking for the defaults
// (ttl -1 or 0, minTTL 0) succeeds.
func SetTTL(c syscall.RawConn, ttl, minTTL int) error {
	if ttl <= 0 && minTTL == 0 {
		return nil
	}
	return ErrUnsupported
}

// SetMinTTL is not supported on this system; 0 (accept any) succeeds.
func SetMinTTL(c syscall.RawConn, minTTL int) error {
	if minTTL == 0 {
		return nil
	}
	return ErrUnsupported
}

// SetRecvTTL is not supported on this system.
func SetRecvTTL(c syscall.RawConn) error { return ErrUnsupported }

// SetReuseAddr is not supported on this system.
func SetReuseAddr(c syscall.RawConn) error { return ErrUnsupported }

// InNamespace runs f when path is empty and fails otherwise.
func InNamespace(path string, f func() error) error {
	if path == "" {
		return f()
	}
	return ErrUnsupported
}

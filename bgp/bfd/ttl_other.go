//go:build !linux

package bfd

import "syscall"

// recvTTL is a no-op where the TTL of received datagrams is not reported:
// the GTSM check of RFC 5881 section 5 is then skipped.
func recvTTL(syscall.RawConn) error { return nil }

var oobLen = 0

func ttlOf([]byte) (int, bool) { return 0, false }

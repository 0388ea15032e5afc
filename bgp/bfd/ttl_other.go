//go:build !linux

package bfd

// Where the TTL of received datagrams is not reported (sockopt.SetRecvTTL
// returns ErrUnsupported), the GTSM check of RFC 5881 section 5 is skipped.

var oobLen = 0

func ttlOf([]byte) (int, bool) { return 0, false }

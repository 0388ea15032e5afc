package fsm

import "net/netip"

// Collision decides which of two connections to the same peer survives
// (RFC 4271 section 6.8): when our BGP Identifier is lower than the
// peer's, the connection we initiated is closed; otherwise the one the
// peer initiated is. It reports whether the connection described by
// weInitiated is the one to close (with OpenCollisionDump).
func Collision(localID, remoteID netip.Addr, weInitiated bool) (closeIt bool) {
	localLower := localID.Compare(remoteID) < 0
	return localLower == weInitiated
}

package bfd

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// oobLen is room for one TTL or hop limit control message.
var oobLen = unix.CmsgSpace(4)

// ttlOf finds the TTL or hop limit in the control messages of a received
// datagram, without allocating.
func ttlOf(oob []byte) (int, bool) {
	// struct cmsghdr: a size_t length, then int level and int type.
	lenSize := unix.SizeofCmsghdr - 8
	for len(oob) >= unix.SizeofCmsghdr {
		var n int
		if lenSize == 8 {
			n = int(binary.NativeEndian.Uint64(oob))
		} else {
			n = int(binary.NativeEndian.Uint32(oob))
		}
		level := int32(binary.NativeEndian.Uint32(oob[lenSize:]))
		typ := int32(binary.NativeEndian.Uint32(oob[lenSize+4:]))
		if n < unix.SizeofCmsghdr || n > len(oob) {
			return 0, false
		}
		data := oob[unix.CmsgLen(0):n]
		if len(data) >= 4 && ((level == unix.IPPROTO_IP && typ == unix.IP_TTL) ||
			(level == unix.IPPROTO_IPV6 && typ == unix.IPV6_HOPLIMIT)) {
			return int(binary.NativeEndian.Uint32(data)), true
		}
		oob = oob[min(unix.CmsgSpace(n-unix.CmsgLen(0)), len(oob)):]
	}
	return 0, false
}

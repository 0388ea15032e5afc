package mux

import (
	"encoding/binary"
	"math/bits"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
)

// clampMSS lowers the Maximum Segment Size option (RFC 9293 section
// 3.7.1) of the TCP header tcp to mss if it is larger, updating the TCP
// checksum incrementally (RFC 1624), and reports whether it did. The
// header's data offset has been validated by parse. Because the
// encapsulation makes the path's MTU smaller than the client believes,
// the MSS a client announces in its SYN must leave room for it (RFC 879,
// RFC 6691: MSS = MTU - IP header - TCP header).
func clampMSS(tcp []byte, mss uint16) bool {
	opts := tcp[20 : int(tcp[12]>>4)*4]
	for i := 0; i < len(opts); {
		switch opts[i] {
		case 0: // end of option list
			return false
		case 1: // no-operation
			i++
			continue
		}
		if i+1 >= len(opts) {
			return false
		}
		n := int(opts[i+1])
		if n < 2 || i+n > len(opts) {
			return false
		}
		if opts[i] == 2 && n == 4 {
			old := binary.BigEndian.Uint16(opts[i+2:])
			if old <= mss {
				return false
			}
			binary.BigEndian.PutUint16(opts[i+2:], mss)
			o, v := old, mss
			if (20+i+2)%2 == 1 { // the value straddles two checksum words
				o, v = bits.ReverseBytes16(o), bits.ReverseBytes16(v)
			}
			binary.BigEndian.PutUint16(tcp[16:18], checksum.Update16(binary.BigEndian.Uint16(tcp[16:18]), o, v))
			return true
		}
		i += n
	}
	return false
}

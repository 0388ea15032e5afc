package virtio

import (
	"encoding/binary"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
)

// FinishChecksum completes the partial checksum h describes in pkt (the
// packet that follows the header). When h does not need a checksum it does
// nothing. Otherwise it checks h against len(pkt) (see Validate), sums
// pkt[csum_start:] with the Internet checksum (RFC 1071), whose checksum
// field already holds the folded pseudo-header sum as Linux leaves it for
// CHECKSUM_PARTIAL, and stores the complement at csum_start+csum_offset in
// network byte order. A computed 0x0000 is stored as 0xFFFF, as Linux's
// skb_checksum_help does: the two are the same one's-complement number,
// and for UDP (RFC 768) 0x0000 would mean "no checksum".
//
// After FinishChecksum the packet goes on as a complete one: clear
// FlagNeedsCsum in the header that travels with it.
func (h NetHdr) FinishChecksum(pkt []byte) error {
	if !h.NeedsChecksum() {
		return nil
	}
	if err := h.Validate(len(pkt)); err != nil {
		return err
	}
	field := int(h.CsumStart) + int(h.CsumOffset)
	c := ^checksum.Sum(pkt[h.CsumStart:], 0)
	if c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(pkt[field:], c)
	return nil
}

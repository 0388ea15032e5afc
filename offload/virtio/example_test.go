package virtio_test

import (
	"fmt"

	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

func Example() {
	// The header Linux puts before a TCP/IPv4 super-segment it hands to a
	// TAP device: partial checksum, TSO with a 1448-byte MSS.
	b := []byte{0x01, 0x01, 66, 0, 0xa8, 0x05, 34, 0, 16, 0}
	h, err := virtio.DecodeNetHdr(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("gso=%d mss=%d csum at %d+%d needs=%v\n",
		h.GSOKind(), h.GSOSize, h.CsumStart, h.CsumOffset, h.NeedsChecksum())

	// A header for a plain packet whose checksums were verified.
	out := virtio.NetHdr{Flags: virtio.FlagDataValid}.Append(nil)
	fmt.Printf("% x\n", out)

	_, err = virtio.DecodeNetHdr([]byte{0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0})
	fmt.Println(err)
	// Output:
	// gso=1 mss=1448 csum at 34+16 needs=true
	// 02 00 00 00 00 00 00 00 00 00
	// virtio: unknown gso_type: gso_type at offset 1 is 128
}

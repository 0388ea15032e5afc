package gso_test

import (
	"fmt"

	"github.com/sdnfabric/sdnfabric/offload/gso"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// A TSO super-packet as a TAP device hands it over (an Ethernet frame
// carrying IPv4 and TCP with 4000 payload bytes, gso_size 1448) becomes
// three wire-sized frames with their own lengths, IDs, sequence numbers and
// checksums; PSH stays on the last one only.
func ExampleSegment() {
	pkt, h, _ := build(spec{Eth: true, Payload: payload(4000, 0), MSS: 1448, Seq: 1, ID: 100, Flags: flagPSH})
	fmt.Printf("in: %d bytes, gso_type %d, gso_size %d\n", len(pkt), h.GSOType, h.GSOSize)

	dst := make([][]byte, 4)
	for i := range dst {
		dst[i] = make([]byte, virtio.NetHdrLen+1514)
	}
	sizes := make([]int, len(dst))
	// Leave room for a virtio-net header in front of each segment.
	opts := gso.Options{NetworkOffset: 14, Headroom: virtio.NetHdrLen}
	n, err := gso.Segment(dst, sizes, pkt, h, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := range n {
		seg := dst[i][virtio.NetHdrLen : virtio.NetHdrLen+sizes[i]]
		tcp := seg[14+20:]
		fmt.Printf("segment %d: %d bytes, ip id %d, seq %d, psh %v\n", i, len(seg),
			int(seg[18])<<8|int(seg[19]), int(tcp[4])<<24|int(tcp[5])<<16|int(tcp[6])<<8|int(tcp[7]), tcp[13]&0x08 != 0)
	}
	// Output:
	// in: 4054 bytes, gso_type 1, gso_size 1448
	// segment 0: 1502 bytes, ip id 100, seq 1, psh false
	// segment 1: 1502 bytes, ip id 101, seq 1449, psh false
	// segment 2: 1158 bytes, ip id 102, seq 2897, psh true
}

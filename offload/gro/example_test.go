package gro_test

import (
	"fmt"

	"github.com/sdnfabric/sdnfabric/offload/gro"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// Three consecutive 1000-byte segments of a TCP flow and the flow's last,
// shorter segment with PSH become one packet with a TSO virtio-net header;
// a pure ACK of another flow passes through untouched.
func ExampleCoalescer() {
	c, err := gro.NewCoalescer(gro.Config{NetworkOffset: 14})
	if err != nil {
		fmt.Println(err)
		return
	}
	emit := func(h virtio.NetHdr, pkt []byte) error {
		fmt.Printf("%d bytes: gso_type %d gso_size %d needs_csum %v\n",
			len(pkt), h.GSOType, h.GSOSize, h.Flags&virtio.FlagNeedsCsum != 0)
		return nil
	}
	frames := [][]byte{
		frame(tcpSeg{Len: 1000, Seq: 1, ID: 1}),
		frame(tcpSeg{Len: 0, SPort: 999}), // a pure ACK, another flow
		frame(tcpSeg{Len: 1000, Seq: 1001, ID: 2}),
		frame(tcpSeg{Len: 1000, Seq: 2001, ID: 3}),
		frame(tcpSeg{Len: 200, Seq: 3001, ID: 4, Flags: fPSH}),
	}
	for _, f := range frames {
		if err := c.Add(virtio.NetHdr{}, f, emit); err != nil {
			fmt.Println(err)
		}
	}
	if err := c.Flush(emit); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 54 bytes: gso_type 0 gso_size 0 needs_csum false
	// 3254 bytes: gso_type 1 gso_size 1000 needs_csum true
}

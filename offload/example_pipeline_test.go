package offload_test

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload"
	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// superPacket builds a TCP/IPv4 super-packet as Linux hands it to a TAP
// device: 4000 payload bytes, MSS 1448, checksum left partial.
func superPacket() ([]byte, virtio.NetHdr) {
	src, dst := netip.MustParseAddr("10.99.8.1"), netip.MustParseAddr("10.99.8.2")
	const payload = 4000
	f := make([]byte, 14+20+20+payload)
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:34]
	ip[0], ip[6], ip[8], ip[9] = 0x45, 0x40, 64, 6
	binary.BigEndian.PutUint16(ip[2:], 20+20+payload)
	copy(ip[12:], src.AsSlice())
	copy(ip[16:], dst.AsSlice())
	binary.BigEndian.PutUint16(ip[10:], ^checksum.Sum(ip, 0))
	tcp := f[34:]
	binary.BigEndian.PutUint16(tcp[0:], 40000)
	binary.BigEndian.PutUint16(tcp[2:], 80)
	tcp[12], tcp[13] = 5<<4, 0x18 // data offset 5, ACK|PSH
	binary.BigEndian.PutUint16(tcp[16:], checksum.PseudoHeader(src, dst, 6, 20+payload))
	return f, virtio.NetHdr{Flags: virtio.FlagNeedsCsum, GSOType: virtio.GSOTCPv4, GSOSize: 1448, HdrLen: 54, CsumStart: 34, CsumOffset: 16}
}

func ExamplePipeline_Tx() {
	frame, h := superPacket()
	for _, adapter := range []string{
		"tx-checksum-ip-generic, tso", // does everything: nothing to do
		"TCPChecksumOffloadIPv4",      // checksums, no LSO: segment, leave checksums
		"none",                        // segment and checksum in software
	} {
		f, _ := offload.Parse(adapter)
		p, _ := offload.NewPipeline(offload.Config{Adapter: f})
		fmt.Printf("%-30s", adapter+":")
		p.Tx(h, frame, func(h virtio.NetHdr, seg []byte) error {
			fmt.Printf(" %d", len(seg))
			if h.IsGSO() {
				fmt.Print("(gso)")
			} else if h.NeedsChecksum() {
				fmt.Print("(csum)")
			}
			return nil
		})
		fmt.Println()
	}
	// Output:
	// tx-checksum-ip-generic, tso:   4054(gso)
	// TCPChecksumOffloadIPv4:        1502(csum) 1502(csum) 1158(csum)
	// none:                          1502 1502 1158
}

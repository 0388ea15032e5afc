package mrt_test

import (
	"bytes"
	"fmt"
	"net/netip"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/mrt"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// Write a two-record TABLE_DUMP_V2 dump, read it back and replay each path
// as a BGP UPDATE.
func Example() {
	var dump bytes.Buffer
	w := mrt.NewWriter(&dump)
	ts := time.Unix(1700000000, 0)
	peers, _ := mrt.PeerIndexTable{
		CollectorID: netip.MustParseAddr("192.0.2.254"),
		Peers:       []mrt.Peer{{BGPID: netip.MustParseAddr("192.0.2.1"), Addr: netip.MustParseAddr("192.0.2.1"), AS: 65001}},
	}.Record(ts)
	attrs := []byte{
		0x40, 1, 1, 0, // ORIGIN IGP
		0x40, 2, 6, 2, 1, 0, 0, 0xfd, 0xe9, // AS_PATH 65001
		0x40, 3, 4, 192, 0, 2, 1, // NEXT_HOP
	}
	rib, _ := mrt.RIBRecord(ts, 0, wire.IPv4Unicast, netip.MustParsePrefix("203.0.113.10/32"), false,
		[]mrt.RIBEntry{{PeerIndex: 0, Originated: ts, Attrs: attrs}})
	_ = w.Write(peers)
	_ = w.Write(rib)

	r := mrt.NewReader(&dump)
	for rec, err := range r.All() {
		if err != nil {
			fmt.Println(err)
			return
		}
		switch rec.Subtype {
		case mrt.SubPeerIndexTable:
			t, _ := rec.PeerIndexTable()
			fmt.Println("peers:", len(t.Peers), "first AS", t.Peers[0].AS)
		default:
			rib, _ := rec.RIB()
			for e := range rib.Entries() {
				msg, _ := mrt.AppendUpdate(nil, rib, e)
				u, _ := wire.ParseUpdate(msg, &wire.DecodeOptions{AS4: true})
				nh, _ := u.Attr(wire.AttrNextHop)
				for _, n := range u.Reachable() {
					fmt.Println(n.Prefix, "via", nh.NextHop(), "from peer", e.PeerIndex)
				}
			}
		}
	}
	// Output:
	// peers: 1 first AS 65001
	// 203.0.113.10/32 via 192.0.2.1 from peer 0
}

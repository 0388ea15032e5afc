package mrt

import (
	"bytes"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// BenchmarkReplay reads a TABLE_DUMP_V2 dump of 10,000 IPv4 prefixes with
// two paths each and turns every path into an UPDATE, as a table replay
// does.
func BenchmarkReplay(b *testing.B) {
	var dump bytes.Buffer
	w := NewWriter(&dump)
	attrs := appendAttr(nil, 0x40, byte(wire.AttrOrigin), []byte{0})
	attrs = appendAttr(attrs, 0x40, byte(wire.AttrASPath), []byte{2, 3, 0, 0, 0xfd, 0xe8, 0, 0, 0x0d, 0x1c, 0, 0, 0x3a, 0x98})
	attrs = appendAttr(attrs, 0x40, byte(wire.AttrNextHop), []byte{192, 0, 2, 1})
	attrs = appendAttr(attrs, 0xc0, byte(wire.AttrCommunities), []byte{0xfd, 0xe8, 0, 1, 0xfd, 0xe8, 0, 2})
	for i := range 10000 {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(i >> 8), byte(i), 0, 0}), 24)
		rec, err := RIBRecord(time.Unix(1, 0), uint32(i), wire.IPv4Unicast, p, false,
			[]RIBEntry{{Attrs: attrs}, {PeerIndex: 1, Attrs: attrs}})
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Write(rec); err != nil {
			b.Fatal(err)
		}
	}
	src := bytes.NewReader(dump.Bytes())
	r := NewReader(src)
	buf := make([]byte, 0, 4096)
	b.SetBytes(int64(dump.Len()))
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(dump.Bytes())
		for {
			rec, err := r.Next()
			if err == io.EOF {
				break
			}
			rib, err := rec.RIB()
			if err != nil {
				b.Fatal(err)
			}
			for e := range rib.Entries() {
				if buf, err = AppendUpdate(buf[:0], rib, e); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/20000, "ns/path")
}

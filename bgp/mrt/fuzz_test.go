package mrt

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// FuzzReader feeds arbitrary streams through the Reader and every view:
// nothing may panic, and every UPDATE built from a RIB entry must be one the
// wire package can frame.
func FuzzReader(f *testing.F) {
	pit, _ := PeerIndexTable{CollectorID: netip.MustParseAddr("192.0.2.1"), ViewName: "v",
		Peers: []Peer{{BGPID: netip.MustParseAddr("192.0.2.2"), Addr: netip.MustParseAddr("2001:db8::2"), AS: 65001}}}.Record(time.Unix(1, 0))
	rib, _ := RIBRecord(time.Unix(1, 0), 1, wire.IPv6Unicast, netip.MustParsePrefix("2001:db8::/32"), true,
		[]RIBEntry{{Attrs: appendAttr(appendAttr(nil, 0x40, 1, []byte{0}), 0x80, 14, append([]byte{16}, netip.MustParseAddr("2001:db8::1").AsSlice()...))}})
	msg, _ := BGP4MP{PeerAS: 65001, LocalAS: 65002, PeerAddr: netip.MustParseAddr("192.0.2.2"),
		LocalAddr: netip.MustParseAddr("192.0.2.1"), AS4: true, Message: wire.AppendKeepalive(nil)}.Record(time.Unix(1, 5000))
	var seed []byte
	for _, r := range []Record{pit, rib, msg} {
		seed = r.Append(seed)
		f.Add(r.Append(nil))
	}
	f.Add(seed)
	// Dumps written by BIRD 2.0.12 (see TestBIRDDump).
	for _, name := range []string{"bird-master4.mrt", "bird-master6.mrt"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		r.SetMaxRecordLen(1 << 16)
		var buf []byte
		for rec, err := range r.All() {
			if err != nil {
				return
			}
			_, _ = rec.PeerIndexTable()
			if m, err := rec.BGP4MP(); err == nil && !m.StateChange {
				opts := m.DecodeOptions()
				if _, err := wire.ParseHeader(m.Message, wire.MaxExtendedMessageLen); err != nil {
					t.Fatalf("accepted a BGP4MP message the wire package cannot frame: %v", err)
				}
				_, _ = wire.ParseUpdate(m.Message, &opts)
			}
			rib, err := rec.RIB()
			if err != nil {
				continue
			}
			for e := range rib.Entries() {
				buf, err = AppendUpdate(buf[:0], rib, e)
				if err != nil {
					continue
				}
				if _, err := wire.ParseHeader(buf, wire.MaxExtendedMessageLen); err != nil {
					t.Fatalf("AppendUpdate built a message the wire package cannot frame: %v", err)
				}
			}
		}
	})
}

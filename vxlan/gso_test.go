package vxlan

import (
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// A TSO super-packet from a local port is segmented, each segment
// encapsulated with finished checksums, and all sent in one batch.
func TestOutputGSO(t *testing.T) {
	ta, tb := loopbackPair(t, DefaultBatch)
	v, _ := New(Config{Transport: ta, DstPort: ta.LocalAddr().Port(), Ports: map[VNI]LocalPort{5: nil}})
	v.FDB().Add(5, remoteMAC, tb.LocalAddr().Addr())

	const payload, mss = 3500, 1000
	src, dst := netip.MustParseAddr("10.1.0.1"), netip.MustParseAddr("10.1.0.2")
	frame := make([]byte, 14+20+20+payload)
	header.InitEthernet(frame, remoteMAC, hostMAC, header.EtherTypeIPv4)
	ip, _ := header.InitIPv4(frame[14:], 20)
	ip.SetTTL(64)
	ip.SetProtocol(header.ProtocolTCP)
	ip.SetSource(src)
	ip.SetDestination(dst)
	ip.SetDontFragment(true)
	ip.SetChecksum(^checksum.Sum(ip[:20], 0))
	tcp, _ := header.InitTCP(frame[34:], 20)
	tcp.SetSourcePort(40000)
	tcp.SetDestinationPort(5001)
	tcp.SetSeq(1000)
	tcp.SetFlags(header.TCPFlagACK | header.TCPFlagPSH)
	tcp.SetWindow(512)
	for i := 54; i < len(frame); i++ {
		frame[i] = byte(i)
	}
	tcp.SetChecksum(checksum.PseudoHeader(src, dst, header.ProtocolTCP, 20+payload)) // partial, as Linux leaves it
	hdr := virtio.NetHdr{Flags: virtio.FlagNeedsCsum, GSOType: virtio.GSOTCPv4, HdrLen: 54, GSOSize: mss, CsumStart: 34, CsumOffset: 16}

	var s segmenter
	for round := range 2 { // the second round reuses the buffers
		if err := v.outputGSO(5, hdr, frame, &s); err != nil {
			t.Fatal(err)
		}
		tb.Conn().SetReadDeadline(time.Now().Add(5 * time.Second))
		got := 0
		msgs := make([]Datagram, 8)
		for i := range msgs {
			msgs[i].Buf = make([]byte, 2048)
		}
		for got < 4 {
			n, err := tb.ReadBatch(msgs)
			if err != nil {
				t.Fatalf("round %d: %d of 4 segments: %v", round, got, err)
			}
			for _, m := range msgs[:n] {
				_, inner, err := DecapsulatePayload(m.Buf[:m.N])
				if err != nil {
					t.Fatal(err)
				}
				eth, _ := header.ParseEthernet(inner)
				sip, err := header.ParseIPv4(eth.Payload())
				if err != nil || !sip.ValidChecksum() {
					t.Fatalf("segment IPv4: %v", err)
				}
				seg, err := header.ParseTCP(sip.Payload())
				if err != nil || !seg.ValidChecksum(checksum.PseudoHeader(src, dst, header.ProtocolTCP, len(seg))) {
					t.Fatalf("segment %d TCP checksum bad: %v", got, err)
				}
				if want := uint32(1000 + mss*got); seg.Seq() != want || len(seg.Payload()) != min(mss, payload-mss*got) {
					t.Fatalf("segment %d: seq %d len %d", got, seg.Seq(), len(seg.Payload()))
				}
				got++
			}
		}
	}
	if s := v.Stats(); s.Segmented != 2 {
		t.Errorf("stats %+v", s)
	}
	if c, _ := v.VNIStats(5); c.TxPackets != 8 {
		t.Errorf("VNI counters %+v", c)
	}
}

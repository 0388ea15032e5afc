package vxlan

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/gso"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// tsoFrame returns a TCP/IPv4 super-packet of payload bytes from src to
// dst, as a TAP device with TSO hands it over (the TCP checksum partial),
// and its virtio-net header segmenting it at mss.
func tsoFrame(src, dst netip.Addr, payload int, mss uint16) ([]byte, virtio.NetHdr) {
	frame := make([]byte, 14+20+20+payload)
	header.InitEthernet(frame, remoteMAC, hostMAC, header.EtherTypeIPv4)
	ip, _ := header.InitIPv4(frame[14:], 20)
	ip.SetTTL(64)
	ip.SetProtocol(header.ProtocolTCP)
	ip.SetSource(src)
	ip.SetDestination(dst)
	ip.SetDontFragment(true)
	ip.SetChecksum(ip.ComputeChecksum())
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
	return frame, virtio.NetHdr{Flags: virtio.FlagNeedsCsum, GSOType: virtio.GSOTCPv4, HdrLen: 54, GSOSize: mss, CsumStart: 34, CsumOffset: 16}
}

// FuzzOutputGSO feeds arbitrary super-packets and virtio-net headers (what
// a local port's guest controls) to outputGSO: it never panics, an error
// is typed and counted as a transmit drop, and the segmenter's buffers
// stay reusable.
func FuzzOutputGSO(f *testing.F) {
	src, dst := netip.MustParseAddr("10.1.0.1"), netip.MustParseAddr("10.1.0.2")
	frame, hdr := tsoFrame(src, dst, 300, 100)
	add := func(b []byte, h virtio.NetHdr) {
		f.Add(b, h.Flags, h.GSOType, h.HdrLen, h.GSOSize, h.CsumStart, h.CsumOffset)
	}
	add(frame, hdr)
	add(frame[:60], hdr)
	add(frame[:10], hdr)
	for _, mod := range []func(*virtio.NetHdr){
		func(h *virtio.NetHdr) { h.GSOSize = 0 },
		func(h *virtio.NetHdr) { h.GSOSize = 1 },
		func(h *virtio.NetHdr) { h.HdrLen = 0xffff },
		func(h *virtio.NetHdr) { h.CsumStart = 0xfff0 },
		func(h *virtio.NetHdr) { h.CsumOffset = 0xfff0 },
		func(h *virtio.NetHdr) { h.GSOType = virtio.GSOTCPv6 },
		func(h *virtio.NetHdr) { h.GSOType = virtio.GSOUDPL4 },
		func(h *virtio.NetHdr) { h.GSOType = virtio.GSOUDP },
	} {
		h := hdr
		mod(&h)
		add(frame, h)
	}
	ta, tb := loopbackPair(f, DefaultBatch)
	v, _ := New(Config{Transport: ta, DstPort: tb.LocalAddr().Port(), Ports: map[VNI]LocalPort{5: nil}})
	v.FDB().Add(5, remoteMAC, tb.LocalAddr().Addr())
	var s segmenter
	f.Fuzz(func(t *testing.T, b []byte, flags, typ uint8, hdrLen, gsoSize, csumStart, csumOffset uint16) {
		h := virtio.NetHdr{Flags: flags, GSOType: typ, HdrLen: hdrLen, GSOSize: gsoSize, CsumStart: csumStart, CsumOffset: csumOffset}
		before, _ := v.VNIStats(5)
		err := v.outputGSO(5, h, b, &s)
		if err == nil {
			return
		}
		var ge *gso.Error
		var he *header.Error
		var ve *Error
		if !errors.As(err, &ge) && !errors.As(err, &he) && !errors.As(err, &ve) {
			t.Fatalf("untyped error %T: %v", err, err)
		}
		if after, _ := v.VNIStats(5); after.TxDrops == before.TxDrops {
			t.Fatalf("error %v not counted as a drop", err)
		}
	})
}

// A TSO super-packet from a local port is segmented, each segment
// encapsulated with finished checksums, and all sent in one batch.
func TestOutputGSO(t *testing.T) {
	ta, tb := loopbackPair(t, DefaultBatch)
	v, _ := New(Config{Transport: ta, DstPort: ta.LocalAddr().Port(), Ports: map[VNI]LocalPort{5: nil}})
	v.FDB().Add(5, remoteMAC, tb.LocalAddr().Addr())

	const payload, mss = 3500, 1000
	src, dst := netip.MustParseAddr("10.1.0.1"), netip.MustParseAddr("10.1.0.2")
	frame, hdr := tsoFrame(src, dst, payload, mss)

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

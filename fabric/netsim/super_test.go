package netsim

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// superFrame returns a TCP/IPv4 frame with payload bytes of data (DF set,
// PSH|ACK) whose TCP checksum field holds junk, as a super-frame may.
func superFrame(t testing.TB, payload int) []byte {
	t.Helper()
	const ihl, thl = 20, 32
	f := make([]byte, header.EthernetMinSize+ihl+thl+payload)
	if _, err := header.InitEthernet(f, header.MAC{2, 0, 0, 0, 0, 2}, header.MAC{2, 0, 0, 0, 0, 1}, header.EtherTypeIPv4); err != nil {
		t.Fatal(err)
	}
	ip, err := header.InitIPv4(f[header.EthernetMinSize:], ihl)
	if err != nil {
		t.Fatal(err)
	}
	ip.SetTTL(64)
	ip.SetDontFragment(true)
	ip.SetProtocol(header.ProtocolTCP)
	ip.SetSource(netip.MustParseAddr("10.0.0.1"))
	ip.SetDestination(netip.MustParseAddr("10.0.0.2"))
	ip.SetChecksum(ip.ComputeChecksum())
	tcp, err := header.InitTCP(ip[ihl:], thl)
	if err != nil {
		t.Fatal(err)
	}
	tcp.SetSourcePort(80)
	tcp.SetDestinationPort(40000)
	tcp.SetSeq(1000)
	tcp.SetAck(7)
	tcp.SetFlags(header.TCPFlags(0x18))
	tcp.SetWindow(512)
	tcp.SetChecksum(0xbeef)
	for i := range payload {
		tcp[thl+i] = byte(i * 7)
	}
	return f
}

// checkSegment fails unless seg is a TCP/IPv4 frame with valid IPv4 and TCP
// checksums, and returns its sequence number and payload.
func checkSegment(t *testing.T, seg []byte) (uint32, []byte) {
	t.Helper()
	ip, err := header.ParseIPv4(seg[header.EthernetMinSize:])
	if err != nil {
		t.Fatalf("segment: %v", err)
	}
	if !ip.ValidChecksum() {
		t.Fatal("segment: bad IPv4 checksum")
	}
	tcp, err := header.ParseTCP(ip.Payload())
	if err != nil {
		t.Fatalf("segment: %v", err)
	}
	ph := checksum.PseudoHeader(ip.Source(), ip.Destination(), header.ProtocolTCP, len(tcp))
	if checksum.Sum(tcp, ph) != 0xffff {
		t.Fatal("segment: bad TCP checksum")
	}
	return tcp.Seq(), tcp[tcp.HeaderLen():]
}

// TestSuperFrameToSuperReceiver: a receiver that takes super-frames gets
// the frame as sent, with its MSS; plain frames come with MSS 0.
func TestSuperFrameToSuperReceiver(t *testing.T) {
	a, b := NewWire("w", WireConfig{})
	defer a.Close()
	defer b.Close()
	type got struct {
		f   []byte
		mss int
	}
	ch := make(chan got, 2)
	b.SetSuperReceiver(func(f []byte, mss int) { ch <- got{bytes.Clone(f), mss} })
	f := superFrame(t, 10000)
	if !a.SendSuper(f, 1448) || !a.Send(f[:100]) {
		t.Fatal("send refused")
	}
	for i, want := range []got{{f, 1448}, {f[:100], 0}} {
		select {
		case g := <-ch:
			if g.mss != want.mss || !bytes.Equal(g.f, want.f) {
				t.Errorf("frame %d: mss %d, %d bytes; want %d, %d bytes", i, g.mss, len(g.f), want.mss, len(want.f))
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("frame %d not delivered", i)
		}
	}
}

// TestSuperFrameToPlainReceiver: a plain receiver gets a super-frame as
// its segments, each with complete checksums, the payload in order; a
// super-frame that is not TCP/IPv4 is counted as unsegmentable.
func TestSuperFrameToPlainReceiver(t *testing.T) {
	a, b := NewWire("w", WireConfig{})
	defer a.Close()
	ch := make(chan []byte, 64)
	b.SetReceiver(func(f []byte) { ch <- bytes.Clone(f) })
	const payload, mss = 10000, 1448
	f := superFrame(t, payload)
	if !a.SendSuper(f, mss) {
		t.Fatal("send refused")
	}
	reassemble(t, ch, f, mss, func(_ int, seg []byte) []byte { return seg })
	notTCP := bytes.Clone(f)
	notTCP[12] = 0x86 // not IPv4
	checkUnsegmentable(t, a, b, notTCP, mss)
}

// waitUnsegmentable waits until p's delivery goroutine has taken the
// unsegmentable super-frame sent last: Close may stop it before it does.
func waitUnsegmentable(t *testing.T, p *Port) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); p.Stats().Unsegmentable == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v: the unsegmentable super-frame was not taken", p.Stats())
		}
	}
}

// reassemble receives from ch the segments of super cut at mss, checks
// each (inner returns the TCP/IPv4 frame that segment i carries), their
// sequence numbers from 1000 and that their payload, in order, is super's.
func reassemble(t *testing.T, ch <-chan []byte, super []byte, mss int, inner func(i int, seg []byte) []byte) {
	t.Helper()
	want := super[header.EthernetMinSize+20+32:]
	var data []byte
	seq := uint32(1000)
	for i := range (len(want) + mss - 1) / mss {
		select {
		case seg := <-ch:
			s, p := checkSegment(t, inner(i, seg))
			if s != seq || len(p) > mss {
				t.Fatalf("segment %d: seq %d, %d bytes; want seq %d, at most %d", i, s, len(p), seq, mss)
			}
			seq += uint32(len(p))
			data = append(data, p...)
		case <-time.After(5 * time.Second):
			t.Fatalf("segment %d not delivered", i)
		}
	}
	if !bytes.Equal(data, want) {
		t.Error("segments' payload differs from the super-frame's")
	}
}

// checkUnsegmentable sends notTCP from a as a super-frame at mss, closes
// b and checks that b counted it as unsegmentable (and received one frame).
func checkUnsegmentable(t *testing.T, a, b *Port, notTCP []byte, mss int) {
	t.Helper()
	a.SendSuper(notTCP, mss)
	waitUnsegmentable(t, b)
	b.Close()
	if st := b.Stats(); st.Unsegmentable != 1 || st.RxFrames != 1 {
		t.Errorf("stats %+v: want 1 unsegmentable, 1 received", st)
	}
}

// TestSuperHeader: the header of a super-frame asks for TCPv4 segmentation
// at its MSS and a partial checksum; one that fits in a segment asks for
// the checksum only; anything else is ErrSuperFrame.
func TestSuperHeader(t *testing.T) {
	f := superFrame(t, 3000)
	h, err := SuperHeader(f, 1448)
	if err != nil {
		t.Fatal(err)
	}
	want := virtio.NetHdr{Flags: virtio.FlagNeedsCsum, GSOType: virtio.GSOTCPv4, GSOSize: 1448, HdrLen: 14 + 20 + 32, CsumStart: 34, CsumOffset: 16}
	if h != want {
		t.Errorf("header %+v, want %+v", h, want)
	}
	if err := h.FinishChecksum(f); err != nil {
		t.Fatal(err)
	}
	checkSegment(t, f) // the pseudo-header sum finishes to the right checksum
	if h, err := SuperHeader(f, 3000); err != nil || h.IsGSO() {
		t.Errorf("one segment: %+v, %v; want no GSO", h, err)
	}
	for name, bad := range map[string]func() ([]byte, int){
		"mss 0":     func() ([]byte, int) { return f, 0 },
		"truncated": func() ([]byte, int) { return f[:30], 1448 },
		"udp":       func() ([]byte, int) { g := bytes.Clone(f); g[23] = header.ProtocolUDP; return g, 1448 },
	} {
		g, mss := bad()
		if _, err := SuperHeader(g, mss); !errors.Is(err, ErrSuperFrame) {
			t.Errorf("%s: %v, want ErrSuperFrame", name, err)
		}
	}
}

// TestSuperFrameAllocs: sending a super-frame and delivering it as
// segments (in the sender's goroutine: the receiver is idle) allocates
// nothing once the port's segmenter exists.
func TestSuperFrameAllocs(t *testing.T) {
	a, b := NewWire("w", WireConfig{})
	defer a.Close()
	defer b.Close()
	f := superFrame(t, 20000)
	b.SetReceiver(func([]byte) {})
	a.SendSuper(f, 1448) // makes the segmenter
	if n := testing.AllocsPerRun(100, func() { a.SendSuper(f, 1448) }); n != 0 {
		t.Errorf("%.1f allocations per super-frame sent and segmented", n)
	}
	if got := b.Stats(); got.RxFrames != 102 || got.Queued != 0 {
		t.Errorf("receiver stats %+v, want 102 (AllocsPerRun runs once more) received in the sender' goroutine", got)
	}
}

// vxlanFrame wraps frame inner in outer Ethernet, IPv4 and UDP headers and
// a VXLAN header (VNI 42), as a Mux sends it; the outer UDP checksum is
// left zero.
func vxlanFrame(t testing.TB, inner []byte) []byte {
	t.Helper()
	const outer = header.EthernetMinSize + 20 + header.UDPSize + 8
	f := make([]byte, outer+len(inner))
	if _, err := header.InitEthernet(f, header.MAC{2, 0, 0, 0, 0, 4}, header.MAC{2, 0, 0, 0, 0, 3}, header.EtherTypeIPv4); err != nil {
		t.Fatal(err)
	}
	ip, err := header.InitIPv4(f[header.EthernetMinSize:], 20)
	if err != nil {
		t.Fatal(err)
	}
	ip.SetTTL(64)
	ip.SetProtocol(header.ProtocolUDP)
	ip.SetSource(netip.MustParseAddr("192.168.0.3"))
	ip.SetDestination(netip.MustParseAddr("192.168.0.4"))
	ip.SetChecksum(ip.ComputeChecksum())
	udp := f[header.EthernetMinSize+20:]
	binary.BigEndian.PutUint16(udp[0:], 50000)
	binary.BigEndian.PutUint16(udp[2:], 4789)
	binary.BigEndian.PutUint16(udp[4:], uint16(len(udp)))
	udp[8], udp[8+6] = 0x08, 42 // flags I, VNI 42
	copy(f[outer:], inner)
	return f
}

// TestVXLANSuperFrameToPlainReceiver: a plain receiver gets a super-frame
// in VXLAN as one VXLAN frame per inner segment: outer IPv4 checksum and
// UDP length right, the outer UDP checksum still zero, the VXLAN header
// kept, each inner segment with complete checksums and the payload in
// order; a VXLAN super-frame whose inner packet is not TCP is counted as
// unsegmentable.
func TestVXLANSuperFrameToPlainReceiver(t *testing.T) {
	a, b := NewWire("w", WireConfig{})
	defer a.Close()
	ch := make(chan []byte, 64)
	b.SetReceiver(func(f []byte) { ch <- bytes.Clone(f) })
	const payload, mss = 10000, 1398
	inner := superFrame(t, payload)
	f := vxlanFrame(t, inner)
	if !a.SendSuper(f, mss) {
		t.Fatal("send refused")
	}
	const outer = header.EthernetMinSize + 20 + header.UDPSize + 8
	reassemble(t, ch, inner, mss, func(i int, seg []byte) []byte {
		ip, err := header.ParseIPv4(seg[header.EthernetMinSize:])
		if err != nil || !ip.ValidChecksum() || ip.Protocol() != header.ProtocolUDP {
			t.Fatalf("segment %d: outer IPv4 %v, checksum valid %v", i, err, err == nil && ip.ValidChecksum())
		}
		udp := ip.Payload()
		if got := int(binary.BigEndian.Uint16(udp[4:])); got != len(udp) || binary.BigEndian.Uint16(udp[6:]) != 0 {
			t.Fatalf("segment %d: UDP length %d (want %d), checksum %#x (want 0)", i, got, len(udp), binary.BigEndian.Uint16(udp[6:]))
		}
		if !bytes.Equal(seg[outer-8:outer], f[outer-8:outer]) {
			t.Fatalf("segment %d: VXLAN header % x, want % x", i, seg[outer-8:outer], f[outer-8:outer])
		}
		return seg[outer:]
	})
	notTCP := bytes.Clone(f)
	notTCP[outer+header.EthernetMinSize+9] = header.ProtocolUDP
	checkUnsegmentable(t, a, b, notTCP, mss)
}

// TestVXLANSuperFrameAllocs: delivering a VXLAN super-frame as segments
// allocates nothing once the port's buffers have grown.
func TestVXLANSuperFrameAllocs(t *testing.T) {
	a, b := NewWire("w", WireConfig{})
	defer a.Close()
	defer b.Close()
	f := vxlanFrame(t, superFrame(t, 20000))
	b.SetReceiver(func([]byte) {})
	a.SendSuper(f, 1398) // grows the buffers
	if n := testing.AllocsPerRun(100, func() { a.SendSuper(f, 1398) }); n != 0 {
		t.Errorf("%.1f allocations per VXLAN super-frame sent and segmented", n)
	}
}

// TestCoalescingReceiver: a coalescing receiver's plain TCP segments with
// data are queued (it sees Queued count the rest of a burst), its
// super-frames and pure ACKs run to completion in the sender's goroutine
// once nothing is queued, and a super-frame sent behind queued segments is
// received after them.
func TestCoalescingReceiver(t *testing.T) {
	a, b := NewWire("w", WireConfig{})
	defer a.Close()
	defer b.Close()
	type got struct {
		mss    int
		queued uint64
	}
	ch := make(chan got, 8)
	b.SetCoalescingReceiver(func(f []byte, mss int) { ch <- got{mss, b.Stats().Queued} })
	super := superFrame(t, 20000)
	if !a.SendSuper(super, 1448) || len(ch) != 1 {
		t.Fatal("a super-frame to an idle coalescing receiver was not received in the sender's goroutine")
	}
	<-ch
	plain := superFrame(t, 100)
	b.busy.Lock() // the receiver is busy: a burst collects
	for range 3 {
		a.Send(plain)
	}
	a.SendSuper(super, 1448)
	b.busy.Unlock()
	for i, want := range []got{{0, 3}, {0, 2}, {0, 1}, {1448, 0}} {
		select {
		case g := <-ch:
			if g != want {
				t.Errorf("frame %d: mss %d with %d queued, want %+v", i, g.mss, g.queued, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("frame %d not delivered", i)
		}
	}
	a.Send(plain) // an idle receiver's TCP segment is queued all the same
	select {
	case g := <-ch:
		if g.mss != 0 {
			t.Errorf("got %+v", g)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("plain frame not delivered")
	}
	for range 100 { // until the delivery goroutine has finished with it
		if b.Stats().Queued == 0 && b.busy.TryLock() {
			b.busy.Unlock()
			break
		}
		time.Sleep(time.Millisecond)
	}
	if !a.Send(superFrame(t, 0)) || len(ch) != 1 {
		t.Error("a pure ACK to an idle coalescing receiver was not received in the sender's goroutine")
	}
}

// TestIsTCPDataMalformed: what decides whether a coalescing receiver's
// frame is queued reads a guest's frame as it comes, so it must not panic
// on any truncation of a segment or any IPv4 or TCP header length, and it
// tells a segment with data from a pure ACK.
func TestIsTCPDataMalformed(t *testing.T) {
	data, ack := superFrame(t, 10), superFrame(t, 0)
	if !isTCPData(data) || isTCPData(ack) {
		t.Fatalf("isTCPData: segment with data %v, pure ACK %v; want true, false", isTCPData(data), isTCPData(ack))
	}
	for n := range len(data) {
		isTCPData(data[:n])
	}
	const eth = header.EthernetMinSize
	for ihl := range 16 {
		for off := range 16 {
			f := bytes.Clone(data)
			f[eth] = 0x40 | byte(ihl)
			f[eth+20+12] = byte(off) << 4
			for n := eth; n <= len(f); n++ {
				isTCPData(f[:n])
			}
		}
	}
}

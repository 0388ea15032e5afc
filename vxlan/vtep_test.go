package vxlan

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// chanPort is a LocalPort over channels.
type chanPort struct {
	in   chan []byte // frames the port reads (from its host)
	out  chan []byte // frames written to the port
	once sync.Once
	done chan struct{}
}

func newChanPort() *chanPort {
	return &chanPort{in: make(chan []byte, 16), out: make(chan []byte, 16), done: make(chan struct{})}
}

func (p *chanPort) ReadPacket(buf []byte) (virtio.NetHdr, []byte, error) {
	select {
	case f := <-p.in:
		return virtio.NetHdr{}, buf[:copy(buf, f)], nil
	case <-p.done:
		return virtio.NetHdr{}, nil, os.ErrDeadlineExceeded
	}
}

func (p *chanPort) WritePacket(_ virtio.NetHdr, frame []byte) error {
	p.out <- append([]byte(nil), frame...)
	return nil
}

func (p *chanPort) SetReadDeadline(t time.Time) error {
	if !t.IsZero() && time.Until(t) <= 0 {
		p.once.Do(func() { close(p.done) })
	}
	return nil
}

// loopbackPair opens transports on 127.0.0.1 and 127.0.0.2 sharing one
// port, so each VTEP can reach the other on DstPort.
func loopbackPair(t testing.TB, batch int) (a, b *Transport) {
	t.Helper()
	for range 10 {
		a, err := ListenTransport(context.Background(), netip.MustParseAddrPort("127.0.0.1:0"), batch)
		if err != nil {
			t.Fatal(err)
		}
		port := a.LocalAddr().Port()
		b, err := ListenTransport(context.Background(), netip.AddrPortFrom(netip.MustParseAddr("127.0.0.2"), port), batch)
		if err != nil {
			a.Close()
			continue
		}
		t.Cleanup(func() { a.Close(); b.Close() })
		return a, b
	}
	t.Skip("no UDP port free on both 127.0.0.1 and 127.0.0.2")
	return nil, nil
}

func ethFrame(dst, src header.MAC, n int) []byte {
	b := make([]byte, n)
	header.InitEthernet(b, dst, src, header.EtherTypeIPv4)
	for i := 14; i < n; i++ {
		b[i] = byte(i)
	}
	return b
}

func recvFrame(t *testing.T, c chan []byte) []byte {
	t.Helper()
	select {
	case f := <-c:
		return f
	case <-time.After(5 * time.Second):
		t.Fatal("no frame delivered")
		return nil
	}
}

func TestVTEPLoopback(t *testing.T) {
	for _, batch := range []int{1, DefaultBatch} {
		ta, tb := loopbackPair(t, batch)
		pa, pb := newChanPort(), newChanPort()
		var mu sync.Mutex
		var misses []header.MAC
		a, err := New(Config{Transport: ta, DstPort: ta.LocalAddr().Port(), Ports: map[VNI]LocalPort{5: pa},
			L2Miss: func(_ VNI, m header.MAC) { mu.Lock(); misses = append(misses, m); mu.Unlock() }})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := New(Config{Transport: tb, DstPort: ta.LocalAddr().Port(), Ports: map[VNI]LocalPort{5: pb}})
		a.FDB().Add(5, header.MAC{}, tb.LocalAddr().Addr())
		b.FDB().Add(5, header.MAC{}, ta.LocalAddr().Addr())
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for _, v := range []*VTEP{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := v.Run(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		// Broadcast from A's host floods to B; B learns hostMAC behind A.
		bc := ethFrame(header.BroadcastMAC, hostMAC, 100)
		pa.in <- bc
		if got := recvFrame(t, pb.out); string(got) != string(bc) {
			t.Fatalf("B got %x", got)
		}
		if r, ok := b.FDB().Lookup(5, hostMAC); !ok || r != ta.LocalAddr().Addr() {
			t.Fatalf("B did not learn hostMAC: %v %v", r, ok)
		}
		// Unicast back: B knows where hostMAC is; A learns remoteMAC.
		uc := ethFrame(hostMAC, remoteMAC, 1400)
		pb.in <- uc
		if got := recvFrame(t, pa.out); string(got) != string(uc) {
			t.Fatal("A got a different frame")
		}
		if r, ok := a.FDB().Lookup(5, remoteMAC); !ok || r != tb.LocalAddr().Addr() {
			t.Fatalf("A did not learn remoteMAC: %v %v", r, ok)
		}
		// Unknown unicast: l2miss, then flooded.
		pa.in <- ethFrame(header.MAC{2, 9, 9, 9, 9, 9}, hostMAC, 60)
		recvFrame(t, pb.out)
		mu.Lock()
		if len(misses) != 1 {
			t.Errorf("l2miss reports: %v", misses)
		}
		mu.Unlock()

		// Hostile input to B: garbage and an unknown VNI, counted and dropped.
		raw, _ := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		bad, _ := EncapsulatePayload(nil, Header{VNI: 6}, bc)
		for _, p := range [][]byte{{1, 2, 3}, bad} {
			raw.WriteToUDPAddrPort(p, tb.LocalAddr())
		}
		raw.Close()
		deadline := time.Now().Add(5 * time.Second)
		for s := b.Stats(); s.Malformed != 1 || s.UnknownVNI != 1; s = b.Stats() {
			if time.Now().After(deadline) {
				t.Fatalf("stats %+v", s)
			}
			time.Sleep(time.Millisecond)
		}
		// A frame is counted once its port took it: the counter may lag
		// the frame the test already read from the port by a moment.
		countersSettled := func() bool {
			ca, _ := a.VNIStats(5)
			cb, _ := b.VNIStats(5)
			pc, ok := a.PeerStats(tb.LocalAddr().Addr())
			return ca.TxPackets == 2 && ca.RxPackets == 1 && cb.RxPackets == 2 && cb.TxPackets == 1 && ca.TxBytes == 160 &&
				ok && pc.TxPackets == 2 && pc.RxPackets == 1
		}
		for deadline := time.Now().Add(5 * time.Second); !countersSettled() && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		ca, _ := a.VNIStats(5)
		cb, _ := b.VNIStats(5)
		if ca.TxPackets != 2 || ca.RxPackets != 1 || cb.RxPackets != 2 || cb.TxPackets != 1 || ca.TxBytes != 160 {
			t.Errorf("VNI counters A %+v B %+v", ca, cb)
		}
		if pc, ok := a.PeerStats(tb.LocalAddr().Addr()); !ok || pc.TxPackets != 2 || pc.RxPackets != 1 {
			t.Errorf("peer counters %+v %v", pc, ok)
		}
		cancel()
		wg.Wait()
	}
}

func TestVTEPSuppression(t *testing.T) {
	ta, _ := loopbackPair(t, 1)
	n := NewNeighbors()
	n.Set(5, remoteIP4, remoteMAC)
	var missed netip.Addr
	p := newChanPort()
	v, _ := New(Config{Transport: ta, Ports: map[VNI]LocalPort{5: p}, Neighbors: n, L3Miss: func(_ VNI, ip netip.Addr) { missed = ip }})
	if err := v.Output(5, arpRequest(remoteIP4)); err != nil {
		t.Fatal(err)
	}
	reply := recvFrame(t, p.out)
	if a, err := header.ParseARP(reply[14:]); err != nil || a.SenderMAC() != remoteMAC {
		t.Fatalf("reply %v", err)
	}
	if err := v.Output(5, arpRequest(netip.MustParseAddr("10.99.1.77"))); err != nil || missed.String() != "10.99.1.77" {
		t.Fatalf("l3miss: %v %v", err, missed)
	}
	if s := v.Stats(); s.Suppressed != 1 || s.L3Miss != 1 {
		t.Fatalf("stats %+v", s)
	}
	if err := v.Output(5, ethFrame(remoteMAC, hostMAC, 60)); !errors.Is(err, ErrNoRoute) {
		t.Fatalf("no flood list: %v", err)
	}
	if err := v.Output(6, ethFrame(remoteMAC, hostMAC, 60)); !errors.Is(err, ErrUnknownVNI) {
		t.Fatalf("unknown VNI: %v", err)
	}
}

// A flood of source MACs from a hostile peer leaves the FDB at its limit,
// and a flood of source addresses leaves the peer table at its limit.
func TestVTEPHostileInput(t *testing.T) {
	ta, _ := loopbackPair(t, 1)
	v, _ := New(Config{Transport: ta, Ports: map[VNI]LocalPort{5: nil}, FDB: NewFDB(FDBConfig{MaxPerVNI: 32}), MaxPeers: 4})
	buf := make([]byte, 0, 128)
	for i := range 1000 {
		buf, _ = EncapsulatePayload(buf[:0], Header{VNI: 5}, ethFrame(hostMAC, mac(i), 60))
		v.Input(netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 4789), buf)
	}
	if v.FDB().Len(5) != 32 || v.Stats().LearnFull != 1000-32 || len(v.peers.m) != 4 || v.Stats().PeerOverflow != 996 {
		t.Fatalf("len %d stats %+v peers %d", v.FDB().Len(5), v.Stats(), len(v.peers.m))
	}
	// GBP "don't learn".
	quiet := header.MAC{0x02, 0xdd, 0, 0, 0, 1}
	buf, _ = EncapsulatePayload(buf[:0], Header{VNI: 5, Policy: GroupPolicy{Present: true, DontLearn: true}}, ethFrame(hostMAC, quiet, 60))
	v.FDB().Delete(5, mac(0))
	v.Input(netip.MustParseAddrPort("10.0.0.1:4789"), buf)
	if _, ok := v.FDB().Lookup(5, quiet); ok {
		t.Fatal("learned despite the D bit")
	}
}

func TestForwardAllocs(t *testing.T) {
	ta, tb := loopbackPair(t, DefaultBatch)
	v, _ := New(Config{Transport: ta, DstPort: ta.LocalAddr().Port(), Ports: map[VNI]LocalPort{5: nil}})
	v.FDB().Add(5, remoteMAC, tb.LocalAddr().Addr())
	v.FDB().Add(5, header.MAC{}, tb.LocalAddr().Addr())
	v.FDB().Add(5, header.MAC{}, vtepC)
	frame := ethFrame(remoteMAC, hostMAC, 1450)
	bcast := ethFrame(header.BroadcastMAC, hostMAC, 60)
	pkt := make([]byte, 0, 2048)
	remotes := make([]netip.Addr, 0, 8)
	if n := testing.AllocsPerRun(200, func() { v.Forward(pkt[:0], remotes[:0], 5, frame) }); n != 0 {
		t.Errorf("Forward unicast: %v allocations", n)
	}
	if n := testing.AllocsPerRun(200, func() { v.Forward(pkt[:0], remotes[:0], 5, bcast) }); n != 0 {
		t.Errorf("Forward flood: %v allocations", n)
	}
	buf, _ := EncapsulatePayload(nil, Header{VNI: 5}, ethFrame(hostMAC, remoteMAC, 60))
	from := netip.MustParseAddrPort("10.0.0.9:4789")
	v.Input(from, buf)
	if n := testing.AllocsPerRun(200, func() { v.Input(from, buf) }); n != 0 {
		t.Errorf("Input: %v allocations", n)
	}
	// Under the race detector sync.Pool drops items on purpose.
	if n := testing.AllocsPerRun(200, func() { v.Output(5, frame) }); n != 0 && !raceEnabled {
		t.Errorf("Output (Forward + sendto): %v allocations", n)
	}
}

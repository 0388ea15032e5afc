package guest

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/bfd"
	"github.com/sdnfabric/sdnfabric/fabric/netsim"
)

func waitBFD(t *testing.T, p *bfd.Peer, want bfd.State, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for p.State() != want {
		if time.Now().After(deadline) {
			t.Fatalf("BFD session is %v after %v, want %v", p.State(), within, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestBFDBetweenGuests runs BFD between two gVisor stacks on a wire, over
// their BFDNetworks: the session comes Up (so both send with TTL 255 and
// report it), a control packet sent with the stack's default TTL 64 is
// dropped by the single-hop check, and when one guest stops dead (its
// stack closed, no AdminDown sent) the other detects it within the
// detection time.
func TestBFDBetweenGuests(t *testing.T) {
	a, b := pair(t, netsim.WireConfig{})
	ea, err := bfd.Listen(bfd.EndpointConfig{Local: a.Addr(), Network: a.BFDNetwork()})
	if err != nil {
		t.Fatal(err)
	}
	defer ea.Close()
	eb, err := bfd.Listen(bfd.EndpointConfig{Local: b.Addr(), Network: b.BFDNetwork()})
	if err != nil {
		t.Fatal(err)
	}
	defer eb.Close()
	// 50 ms (detection 150 ms): faster, and a loaded machine makes the
	// sessions flap on their own.
	fast := bfd.Config{DesiredMinTx: 50 * time.Millisecond, RequiredMinRx: 50 * time.Millisecond}
	changes := make(chan bfd.Change, 64) // every change of the test
	pa, err := ea.AddPeer(bfd.PeerConfig{Peer: b.Addr(), Config: fast, OnChange: func(c bfd.Change) { changes <- c }})
	if err != nil {
		t.Fatal(err)
	}
	pb, err := eb.AddPeer(bfd.PeerConfig{Peer: a.Addr(), Config: fast})
	if err != nil {
		t.Fatal(err)
	}
	waitBFD(t, pa, bfd.Up, 5*time.Second)
	waitBFD(t, pb, bfd.Up, 5*time.Second)
	// eb may drop pa's first packets, sent before pb existed; once both
	// are Up, nothing between directly connected guests is dropped.
	beforeA, beforeB := ea.Dropped(), eb.Dropped()
	time.Sleep(10 * fast.DesiredMinTx)
	if n := ea.Dropped() - beforeA + eb.Dropped() - beforeB; n != 0 {
		t.Fatalf("%d control packets dropped between directly connected guests", n)
	}

	// A control packet from an ordinary socket of b (TTL 64).
	c, err := b.ListenPacket("udp4", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pkt := bfd.Packet{State: bfd.Up, DetectMult: 3, MyDiscriminator: pb.Discriminator(), YourDiscriminator: pa.Discriminator(),
		DesiredMinTx: time.Second, RequiredMinRx: time.Second}.Append(nil)
	if _, err := c.WriteTo(pkt, net.UDPAddrFromAddrPort(netip.AddrPortFrom(a.Addr(), bfd.ControlPort))); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ea.Dropped() == beforeA; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a control packet with TTL 64 was not dropped")
		}
	}

	waitBFD(t, pa, bfd.Up, 5*time.Second) // after any flap
	start := time.Now()
	b.Close() // b dies: its sessions send nothing more
	// Well past the detection time: a session that flapped may be in
	// Init, detected after 3 s at the 1 s rate (see bfd's downWithin).
	waitBFD(t, pa, bfd.Down, 5*time.Second)
	t.Logf("down %v after the peer's stack stopped", time.Since(start))
	// The last change to Down, once the changes stop for a moment: the
	// session may flap on a busy machine (packets late past the detection
	// time); whatever happened before, the change that left it Down says
	// why.
	var last bfd.Change
	seen := false
	for deadline := time.After(5 * time.Second); ; {
		select {
		case ch := <-changes:
			if ch.New == bfd.Down {
				last, seen = ch, true
			}
			continue
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatal("no change to Down reported")
		}
		if seen {
			break
		}
	}
	if last.Diag != bfd.DiagDetectionTimeExpired {
		t.Fatalf("change %+v, want Down with %v", last, bfd.DiagDetectionTimeExpired)
	}
}

// BenchmarkBFDNetwork sends a control packet and reads it with its source
// and TTL, through two guests' BFDNetworks on a wire, and, as the
// reference, through bfd.KernelNetwork on the kernel's loopback. The
// guest path's allocations are netstack's packet buffers (none is the
// adapter's).
func BenchmarkBFDNetwork(b *testing.B) {
	run := func(b *testing.B, r bfd.PacketReader, w bfd.PacketWriter, from netip.Addr) {
		defer r.Close()
		defer w.Close()
		pkt := bfd.Packet{State: bfd.Down, DetectMult: 3, MyDiscriminator: 1, DesiredMinTx: time.Second, RequiredMinRx: time.Second}.Append(nil)
		buf := make([]byte, 64)
		roundTrip := func() {
			if _, err := w.Write(pkt); err != nil {
				b.Fatal(err)
			}
			n, src, ttl, err := r.ReadPacket(buf)
			if err != nil || n != len(pkt) || src.Addr() != from || (ttl != 255 && ttl != -1) {
				b.Fatalf("read %d bytes from %v with TTL %d, %v", n, src, ttl, err)
			}
		}
		roundTrip() // ARP
		b.SetBytes(int64(len(pkt)))
		b.ReportAllocs()
		for b.Loop() {
			roundTrip()
		}
	}
	b.Run("guest", func(b *testing.B) {
		ga, gb := pair(b, netsim.WireConfig{})
		r, err := ga.BFDNetwork().ListenPacket(netip.AddrPortFrom(ga.Addr(), bfd.ControlPort))
		if err != nil {
			b.Fatal(err)
		}
		w, err := gb.BFDNetwork().DialPacket(netip.AddrPortFrom(gb.Addr(), bfd.SourcePortMin), netip.AddrPortFrom(ga.Addr(), bfd.ControlPort))
		if err != nil {
			b.Fatal(err)
		}
		run(b, r, w, gb.Addr())
	})
	b.Run("kernel", func(b *testing.B) {
		lo := netip.MustParseAddr("127.0.0.1")
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(lo, 0)))
		if err != nil {
			b.Fatal(err)
		}
		to := c.LocalAddr().(*net.UDPAddr).AddrPort() // a free port
		c.Close()
		var k bfd.KernelNetwork
		r, err := k.ListenPacket(to)
		if err != nil {
			b.Fatal(err)
		}
		w, err := k.DialPacket(netip.AddrPortFrom(lo, 0), to)
		if err != nil {
			b.Fatal(err)
		}
		run(b, r, w, lo)
	})
}

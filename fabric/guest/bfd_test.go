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
	fast := bfd.Config{DesiredMinTx: 20 * time.Millisecond, RequiredMinRx: 20 * time.Millisecond}
	changes := make(chan bfd.Change, 16)
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
	if n := ea.Dropped() + eb.Dropped(); n != 0 {
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
	for deadline := time.Now().Add(5 * time.Second); ea.Dropped() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a control packet with TTL 64 was not dropped")
		}
	}

	for len(changes) > 0 {
		<-changes
	}
	start := time.Now()
	b.Close() // b dies: its sessions send nothing more
	waitBFD(t, pa, bfd.Down, 2*time.Second)
	t.Logf("down %v after the peer's stack stopped", time.Since(start))
	if ch := <-changes; ch.New != bfd.Down || ch.Diag != bfd.DiagDetectionTimeExpired {
		t.Fatalf("change %+v, want Down with %v", ch, bfd.DiagDetectionTimeExpired)
	}
}

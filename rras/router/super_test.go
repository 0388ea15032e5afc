package router

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

// tcp4 builds an Ethernet frame with a TCP/IPv4 segment (DF set, ACK, a
// 12-byte option area) carrying payload bytes.
func tcp4(dstMAC, srcMAC header.MAC, src, dst netip.AddrPort, flags header.TCPFlags, payload int) []byte {
	const thl = 32
	b := make([]byte, 14+20+thl+payload)
	header.InitEthernet(b, dstMAC, srcMAC, header.EtherTypeIPv4)
	ip, _ := header.InitIPv4(b[14:], 20)
	ip.SetTTL(64)
	ip.SetDontFragment(true)
	ip.SetProtocol(header.ProtocolTCP)
	ip.SetSource(src.Addr())
	ip.SetDestination(dst.Addr())
	ip.SetChecksum(ip.ComputeChecksum())
	t, _ := header.InitTCP(ip[20:], thl)
	t.SetSourcePort(src.Port())
	t.SetDestinationPort(dst.Port())
	t.SetFlags(flags)
	for i := range payload {
		t[thl+i] = byte(i)
	}
	return b
}

// TestInputSuperNAT: a 20000-byte super-frame with an MSS that fits the
// MTU crosses a NAT router both ways as one frame handed to SendSuper with
// its MSS, its TTL decremented, its addresses translated and its payload
// untouched; Input would have refused it as too big.
func TestInputSuperNAT(t *testing.T) {
	r, out, _ := natRouter(t, 0)
	a, b := netip.AddrPortFrom(hAv4, 40000), netip.AddrPortFrom(hBv4, 5201)
	const ack = header.TCPFlags(0x10)
	if err := r.Input(1, tcp4(macR1, macA, a, b, header.TCPFlags(0x02), 0)); err != nil { // SYN
		t.Fatal(err)
	}
	syn := out.take()
	if len(syn) != 1 {
		t.Fatalf("SYN: %d frames sent", len(syn))
	}
	ext := parse4(t, syn[0].frame)
	extPort := header.TCP(ext.Payload()).SourcePort()

	up := tcp4(macR1, macA, a, b, ack, 20000)
	payload := bytes.Clone(up[14+20+32:])
	if err := r.InputSuper(1, up, 1448); err != nil {
		t.Fatal(err)
	}
	down := tcp4(macR2, macB, b, netip.AddrPortFrom(r2v4, extPort), ack, 20000)
	if err := r.InputSuper(2, down, 1448); err != nil {
		t.Fatal(err)
	}
	got := out.take()
	if len(got) != 2 {
		t.Fatalf("%d frames sent, want 2", len(got))
	}
	for i, want := range []struct {
		ifIndex  int
		src, dst netip.AddrPort
	}{{2, netip.AddrPortFrom(r2v4, extPort), b}, {1, b, a}} {
		g := got[i]
		ip := parse4(t, g.frame)
		tcp := header.TCP(ip.Payload())
		src, dst := netip.AddrPortFrom(ip.Source(), tcp.SourcePort()), netip.AddrPortFrom(ip.Destination(), tcp.DestinationPort())
		if g.ifIndex != want.ifIndex || g.mss != 1448 || src != want.src || dst != want.dst || ip.TTL() != 63 || len(ip) != 20+32+20000 {
			t.Errorf("frame %d: if %d mss %d %s -> %s ttl %d len %d; want if %d mss 1448 %s -> %s ttl 63 len %d",
				i, g.ifIndex, g.mss, src, dst, ip.TTL(), len(ip), want.ifIndex, want.src, want.dst, 20+32+20000)
		}
		if !bytes.Equal(tcp[32:], payload) {
			t.Errorf("frame %d: payload changed", i)
		}
	}
	if err := r.Input(1, tcp4(macR1, macA, a, b, ack, 20000)); err != nil {
		t.Fatal(err)
	}
	if n := r.Counter(DropTooBig); n != 1 {
		t.Errorf("Input of the super-frame: %d dropped as too big, want 1", n)
	}
}

// TestInputSuperTooBig: a super-frame is judged by its largest segment:
// an MSS whose segments exceed the egress MTU gets fragmentation needed
// with DF set, like a plain packet of that size.
func TestInputSuperTooBig(t *testing.T) {
	r, out, _ := testRouter(t)
	resolve(t, r, 2, hBv4, macB)
	out.take()
	f := tcp4(macR1, macA, netip.AddrPortFrom(hAv4, 1), netip.AddrPortFrom(hBv4, 2), 0x10, 8000)
	if err := r.InputSuper(1, f, 1500); err != nil {
		t.Fatal(err)
	}
	if n := r.Counter(DropTooBig); n != 1 {
		t.Errorf("%d dropped as too big, want 1", n)
	}
	for _, s := range out.take() {
		if s.mss != 0 {
			t.Errorf("a super-frame was sent: %+v", s)
		}
	}
}

// TestInputSuperNeedsSuperOutput: without a SuperOutput, InputSuper does
// nothing and says why.
func TestInputSuperNeedsSuperOutput(t *testing.T) {
	r := New(Config{Output: OutputFunc(func(int, []byte) error { return nil })})
	if err := r.InputSuper(1, make([]byte, 100), 1448); !errors.Is(err, ErrNoSuperOutput) {
		t.Errorf("InputSuper: %v, want ErrNoSuperOutput", err)
	}
}

package header

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSetters(t *testing.T) {
	// Ethernet: rewrite everything of a QinQ frame in place.
	b := make([]byte, 64)
	e, err := InitEthernet(b, MAC{1}, MAC{2}, EtherTypeIPv4, NewVLANTag(EtherTypeQinQ, 1, false, 10), NewVLANTag(EtherTypeVLAN, 2, true, 20))
	if err != nil {
		t.Fatal(err)
	}
	e.SetDestination(BroadcastMAC)
	e.SetSource(MAC{2, 0, 0, 0, 0, 9})
	e.SetTag(1, NewVLANTag(0, 7, false, 4094)) // TPID 0: keep 0x8100
	e.SetEtherType(EtherTypeIPv6)
	p, err := ParseEthernet(b)
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := p.VLANID(); !ok || id != 4094 || p.Tag(1).PCP() != 7 || p.Tag(1).TPID != EtherTypeVLAN || p.Tag(0).ID() != 10 ||
		p.EtherType() != EtherTypeIPv6 || !p.Destination().IsBroadcast() || p.Source() != (MAC{2, 0, 0, 0, 0, 9}) || p.HeaderLen() != 22 {
		t.Fatalf("frame % x", b[:22])
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Tag(2) did not panic")
			}
		}()
		p.Tag(2)
	}()

	// IPv4 and IPv6 length fields and hop limits.
	ip, _ := InitIPv4(make([]byte, 40), 20)
	ip.SetTotalLength(30)
	if len(ip.Payload()) != 10 {
		t.Fatalf("payload %d", len(ip.Payload()))
	}
	ip.SetTotalLength(100) // inconsistent: Payload clamps to the view
	if len(ip.Payload()) != 20 {
		t.Fatalf("payload %d", len(ip.Payload()))
	}
	ip.SetTTL(1)
	ip.SetChecksum(ip.ComputeChecksum())
	if ip.DecrementTTL() != 0 || ip.DecrementTTL() != 0 || !ip.ValidChecksum() {
		t.Fatal("DecrementTTL")
	}
	v6, _ := InitIPv6(make([]byte, 48))
	v6.SetPayloadLength(4)
	v6.SetHopLimit(1)
	if len(v6.Payload()) != 4 || v6.DecrementHopLimit() != 0 || v6.DecrementHopLimit() != 0 {
		t.Fatal("IPv6 setters")
	}
	u, _ := InitUDP(make([]byte, 12))
	u.SetLength(200)
	if len(u.Payload()) != 4 {
		t.Fatal("UDP Payload must clamp")
	}

	// ICMP setters.
	m4, _ := InitICMPv4(make([]byte, 8), 0, 0)
	m4.SetType(ICMPv4DestUnreach)
	m4.SetCode(ICMPv4FragNeededCode)
	m4.SetMTU(1450)
	if m4.MTU() != 1450 {
		t.Fatal("MTU")
	}
	m4.SetType(ICMPv4ParamProblem)
	m4.SetPointer(9)
	if m4.Pointer() != 9 || m4.MTU() != 0 {
		t.Fatal("Pointer")
	}
	m4.SetType(ICMPv4Redirect)
	m4.SetGateway(netip.MustParseAddr("10.0.0.254"))
	if m4.Gateway() != netip.MustParseAddr("10.0.0.254") {
		t.Fatal("Gateway")
	}
	m6, _ := InitICMPv6(make([]byte, 40), ICMPv6Redirect, 0)
	m6.SetTarget(netip.MustParseAddr("fe80::1"))
	copy(m6[24:40], netip.MustParseAddr("2001:db8::99").AsSlice())
	if m6.Target() != netip.MustParseAddr("fe80::1") || m6.RedirectDestination() != netip.MustParseAddr("2001:db8::99") {
		t.Fatal("Redirect")
	}
	m6.SetType(ICMPv6ParamProblem)
	m6.SetCode(1)
	m6.SetPointer(40)
	if m6.Pointer() != 40 || m6.Code() != 1 || m6.Target().IsValid() || m6.RedirectDestination().IsValid() {
		t.Fatal("Pointer")
	}
	m6.SetType(ICMPv6EchoRequest)
	m6.SetIdent(1)
	m6.SetSeq(2)
	if m6.Ident() != 1 || m6.Seq() != 2 || m6.MTU() != 0 {
		t.Fatal("echo")
	}
	if _, _, _, _, _, ok := m6.RouterAdvertisement(); ok {
		t.Fatal("RouterAdvertisement on an echo")
	}
}

func TestInitErrors(t *testing.T) {
	for _, n := range []int{16, 22, 64} {
		_, err := InitIPv4(make([]byte, 80), n)
		wantErr(t, err, ErrBadValue, "ihl")
		_, err = InitTCP(make([]byte, 80), n)
		wantErr(t, err, ErrBadValue, "data offset")
	}
	_, err := InitIPv4(make([]byte, 22), 24)
	wantErr(t, err, ErrTruncated, "header")
	_, err = InitIPv4(make([]byte, 65536), 20)
	wantErr(t, err, ErrBadLength, "total length")
	_, err = InitIPv6(make([]byte, 40+65536))
	wantErr(t, err, ErrBadLength, "payload length")
	_, err = InitUDP(make([]byte, 7))
	wantErr(t, err, ErrTruncated, "header")
	_, err = InitEthernet(make([]byte, 60), MAC{}, MAC{}, EtherTypeIPv4, VLANTag{}, VLANTag{}, VLANTag{})
	wantErr(t, err, ErrTooManyExtensions, "vlan tag")
	_, err = InitICMPv6(make([]byte, 20), ICMPv6NeighborSolicitation, 0)
	wantErr(t, err, ErrTruncated, "message")
	if got := fmt.Sprint(checkHeaderLen("tcp", "data offset", 12, 22, 20, 60)); got != "header: tcp data offset at offset 12: bad value (22 not a multiple of 4)" {
		t.Fatal(got)
	}
}

func TestStringers(t *testing.T) {
	got := []string{EtherTypeIPv4.String(), EtherTypeARP.String(), EtherTypeVLAN.String(), EtherTypeIPv6.String(), EtherTypeQinQ.String(), EtherType(0x88cc).String(),
		ARPRequest.String(), ARPReply.String(), ARPOp(3).String(), TCPOptionKind(30).String()}
	want := []string{"IPv4", "ARP", "802.1Q", "IPv6", "802.1ad", "0x88cc", "request", "reply", "op-3", "kind-30"}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatal(d)
	}
	if !(TCPFlagSYN | TCPFlagACK).Has(TCPFlagACK) || TCPFlagACK.Has(TCPFlagSYN|TCPFlagACK) {
		t.Fatal("Has")
	}
}

func TestTCPFlagsString(t *testing.T) {
	for f, want := range map[TCPFlags]string{0: "[]", TCPFlagSYN | TCPFlagACK: "[S.]", TCPFlagFIN | TCPFlagPSH | TCPFlagACK: "[FP.]", 0xff: "[FSRPUEW.]"} {
		if f.String() != want {
			t.Errorf("%#x: %q, want %q", uint8(f), f.String(), want)
		}
	}
}

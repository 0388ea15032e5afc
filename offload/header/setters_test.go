package header

import (
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIPv6AHAndESP(t *testing.T) {
	// IPv6 / AH (Payload Len 4: (4+2)*4 = 24 bytes, 12-byte ICV) / TCP.
	b := make([]byte, IPv6Size+24+TCPMinSize)
	h, _ := InitIPv6(b)
	h.SetNextHeader(ProtocolAH)
	ah := b[IPv6Size:]
	ah[0], ah[1] = ProtocolTCP, 4
	copy(ah[4:12], []byte{0, 0, 0x10, 0x01, 0, 0, 0, 7}) // SPI, sequence
	if _, err := InitTCP(b[IPv6Size+24:], TCPMinSize); err != nil {
		t.Fatal(err)
	}
	p, err := ParseIPv6(b)
	if err != nil {
		t.Fatal(err)
	}
	for e, err := range p.Extensions() {
		if err != nil || e.Type != ProtocolAH || len(e.Bytes) != 24 || e.NextHeader() != ProtocolTCP {
			t.Fatalf("AH: %+v %v", e, err)
		}
	}
	if proto, off, err := p.Transport(); err != nil || proto != ProtocolTCP || off != IPv6Size+24 {
		t.Fatalf("Transport = %d, %d, %v", proto, off, err)
	}

	// AH then ESP: the walk stops at ESP.
	ah[0] = ProtocolESP
	if proto, off, err := p.Transport(); err != nil || proto != ProtocolESP || off != IPv6Size+24 {
		t.Fatalf("Transport = %d, %d, %v", proto, off, err)
	}
	// No Next Header straight after the fixed header.
	p.SetNextHeader(ProtocolNoNext)
	if proto, off, err := p.Transport(); err != nil || proto != ProtocolNoNext || off != IPv6Size {
		t.Fatalf("Transport = %d, %d, %v", proto, off, err)
	}
	// An AH length that runs past the packet.
	p.SetNextHeader(ProtocolAH)
	ah[0], ah[1] = ProtocolTCP, 20
	_, _, err = p.Transport()
	wantErr(t, err, ErrTruncated, "extension header length")
}

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

func TestMACText(t *testing.T) {
	type doc struct{ MAC MAC }
	in := doc{MAC{0x02, 0, 0x5e, 0x10, 0, 1}}
	js, err := json.Marshal(in)
	if err != nil || string(js) != `{"MAC":"02:00:5e:10:00:01"}` {
		t.Fatalf("%s %v", js, err)
	}
	var out doc
	if err := json.Unmarshal(js, &out); err != nil || out != in {
		t.Fatalf("%+v %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"MAC":"nonsense"}`), &out); err == nil {
		t.Fatal("bad MAC accepted")
	}
	b, _ := in.MAC.AppendText([]byte("mac="))
	if string(b) != "mac=02:00:5e:10:00:01" {
		t.Fatal(string(b))
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

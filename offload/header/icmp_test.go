package header

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestICMPv4FragNeeded(t *testing.T) {
	m, err := ParseICMPv4(icmpFragNeeded())
	if err != nil {
		t.Fatal(err)
	}
	if m.Type() != ICMPv4DestUnreach || m.Code() != ICMPv4FragNeededCode || m.MTU() != 1400 || !m.ValidChecksum() {
		t.Fatalf("type %d code %d mtu %d", m.Type(), m.Code(), m.MTU())
	}
	if _, err := ParseIPv4(m.Payload()); !errors.Is(err, ErrTruncated) {
		t.Fatalf("quoted datagram is cut short, so a full parse must fail: %v", err)
	}
	inner, err := ParseIPv4Partial(m.Payload())
	if err != nil {
		t.Fatal(err)
	}
	if inner.TotalLength() != 1500 || len(inner.Payload()) != 8 || inner.Destination() != netip.MustParseAddr("10.0.0.2") {
		t.Fatalf("quoted datagram: total %d payload %d dst %v", inner.TotalLength(), len(inner.Payload()), inner.Destination())
	}
	if q := TCP(inner.Payload()); q.SourcePort() != 12345 || q.DestinationPort() != 443 || q.Seq() != 0x1000 {
		t.Fatalf("quoted ports %d %d seq %#x", q.SourcePort(), q.DestinationPort(), q.Seq())
	}
	echo, _ := InitICMPv4(make([]byte, 12), ICMPv4Echo, 0)
	echo.SetIdent(7)
	echo.SetSeq(9)
	echo.SetChecksum(echo.ComputeChecksum())
	if echo.Ident() != 7 || echo.Seq() != 9 || !echo.ValidChecksum() || echo.MTU() != 0 {
		t.Fatal("echo")
	}
}

func TestICMPv6NeighborSolicitation(t *testing.T) {
	b := neighborSolicitation()
	m, err := ParseICMPv6(b)
	if err != nil {
		t.Fatal(err)
	}
	src, dst := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("ff02::1:ff00:2")
	if m.Type() != ICMPv6NeighborSolicitation || m.Target() != netip.MustParseAddr("2001:db8::2") || !m.ValidChecksum(pseudo(src, dst, ProtocolICMPv6, len(m))) {
		t.Fatalf("type %d target %v", m.Type(), m.Target())
	}
	var lla MAC
	for o, err := range m.NDPOptions() {
		if err != nil {
			t.Fatal(err)
		}
		if o.Type == NDPOptionSourceLinkAddr {
			lla, _ = o.LinkAddr()
		}
	}
	if lla != (MAC{2, 0, 0, 0, 0, 1}) {
		t.Fatalf("source link-layer address %v", lla)
	}

	// An advertisement built in place answers it.
	buf := make([]byte, NDPNASize, NDPNASize+8)
	na, err := InitICMPv6(buf, ICMPv6NeighborAdvert, 0)
	if err != nil {
		t.Fatal(err)
	}
	na.SetNDPFlags(NDPFlagSolicited | NDPFlagOverride)
	na.SetTarget(m.Target())
	na = ICMPv6(AppendLinkAddrOption(na, NDPOptionTargetLinkAddr, MAC{2, 0, 0, 0, 0, 2}))
	na.SetChecksum(na.ComputeChecksum(pseudo(m.Target(), src, ProtocolICMPv6, len(na))))
	p, err := ParseICMPv6(na)
	if err != nil || p.NDPFlags() != NDPFlagSolicited|NDPFlagOverride || p.Target() != m.Target() {
		t.Fatalf("advertisement: %v", err)
	}
	for o, err := range p.NDPOptions() {
		if mac, ok := o.LinkAddr(); err != nil || !ok || o.Type != NDPOptionTargetLinkAddr || mac != (MAC{2, 0, 0, 0, 0, 2}) {
			t.Fatalf("option %+v %v", o, err)
		}
	}

	tooBig, _ := InitICMPv6(make([]byte, 48), ICMPv6PacketTooBig, 0)
	tooBig.SetMTU(1280)
	if tooBig.MTU() != 1280 || tooBig.Target().IsValid() {
		t.Fatal("packet too big")
	}
}

func TestRouterAdvertisement(t *testing.T) {
	b := []byte{
		0x86, 0x00, 0x00, 0x00, 64, 0x40, 0x07, 0x08, 0, 0, 0x75, 0x30, 0, 0, 0x03, 0xe8,
		// Source Link-Layer Address, MTU 9000
		0x01, 0x01, 0x02, 0, 0, 0, 0, 0xfe, 0x05, 0x01, 0, 0, 0, 0, 0x23, 0x28,
	}
	m, err := ParseICMPv6(b)
	if err != nil {
		t.Fatal(err)
	}
	hl, fl, life, reach, retrans, ok := m.RouterAdvertisement()
	if !ok || hl != 64 || fl != 0x40 || life != 1800 || reach != 30000 || retrans != 1000 {
		t.Fatalf("RA %d %#x %d %d %d %v", hl, fl, life, reach, retrans, ok)
	}
	var types []uint8
	for o, err := range m.NDPOptions() {
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, o.Type)
	}
	if d := cmp.Diff([]uint8{NDPOptionSourceLinkAddr, NDPOptionMTU}, types); d != "" {
		t.Fatal(d)
	}
	if _, err := ParseICMPv6(b[:15]); !errors.Is(err, ErrTruncated) {
		t.Fatal(err)
	}
}

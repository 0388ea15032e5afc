package header

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestARP(t *testing.T) {
	eth, err := ParseEthernet(arpRequest())
	if err != nil || eth.EtherType() != EtherTypeARP || !eth.Destination().IsBroadcast() {
		t.Fatalf("ethernet: %v", err)
	}
	a, err := ParseARP(eth.Payload())
	if err != nil {
		t.Fatal(err)
	}
	if a.Op() != ARPRequest || a.SenderIP() != netip.MustParseAddr("10.0.0.1") || a.TargetIP() != netip.MustParseAddr("10.0.0.2") ||
		a.SenderMAC() != (MAC{2, 0, 0, 0, 0, 1}) || !a.TargetMAC().IsZero() || a.IsGratuitous() || a.IsProbe() {
		t.Fatalf("request fields: %v %v %v %v %v", a.Op(), a.SenderIP(), a.TargetIP(), a.SenderMAC(), a.TargetMAC())
	}
	own := MAC{2, 0, 0, 0, 0, 2}
	buf := make([]byte, ARPSize)
	r, err := InitARPReply(buf, a, own)
	if err != nil {
		t.Fatal(err)
	}
	if r.Op() != ARPReply || r.SenderMAC() != own || r.SenderIP() != a.TargetIP() || r.TargetMAC() != a.SenderMAC() || r.TargetIP() != a.SenderIP() {
		t.Fatalf("reply %x", []byte(r))
	}
	g, _ := InitGratuitousARP(make([]byte, ARPSize), own, netip.MustParseAddr("10.0.0.9"))
	if !g.IsGratuitous() || g.Op() != ARPRequest {
		t.Fatal("gratuitous")
	}
	pr, _ := InitARPRequest(make([]byte, ARPSize), own, netip.IPv4Unspecified(), netip.MustParseAddr("10.0.0.9"))
	if !pr.IsProbe() {
		t.Fatal("probe")
	}
	if _, err := InitARP(make([]byte, 27), ARPRequest, own, netip.IPv4Unspecified(), MAC{}, netip.IPv4Unspecified()); !errors.Is(err, ErrTruncated) {
		t.Fatal(err)
	}
}

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

func TestIPv6ChainBound(t *testing.T) {
	for n := 0; n <= MaxIPv6Extensions+2; n++ {
		h, err := ParseIPv6(ipv6Chain(n))
		if err != nil {
			t.Fatal(err)
		}
		proto, off, err := h.Transport()
		if n <= MaxIPv6Extensions {
			if err != nil || proto != ProtocolUDP || off != IPv6Size+8*n {
				t.Fatalf("%d headers: Transport = %d, %d, %v", n, proto, off, err)
			}
			continue
		}
		wantErr(t, err, ErrTooManyExtensions, "extension header")
	}
}

func TestMalformedMore(t *testing.T) {
	arp := func(mod func(b []byte)) []byte { b := arpRequest()[14:42]; mod(b); return b }
	v6 := func(mod func(b []byte)) []byte { b := tcpIPv6Ext(); mod(b); return b }
	transport := func(b []byte) error {
		h, err := ParseIPv6(b)
		if err != nil {
			return err
		}
		_, _, err = h.Transport()
		return err
	}
	extensions := func(b []byte) error {
		h, err := ParseIPv6(b)
		if err != nil {
			return err
		}
		for _, err := range h.Extensions() {
			if err != nil {
				return err
			}
		}
		return nil
	}
	tcpOpts := func(b []byte) error {
		for _, err := range TCPOptions(b).All() {
			if err != nil {
				return err
			}
		}
		return nil
	}
	ndp := func(b []byte) error {
		m, err := ParseICMPv6(b)
		if err != nil {
			return err
		}
		for _, err := range m.NDPOptions() {
			if err != nil {
				return err
			}
		}
		return nil
	}
	transportPartial := func(b []byte) error {
		h, err := ParseIPv6Partial(b)
		if err != nil {
			return err
		}
		if len(h) != len(b) {
			return errors.New("partial view is not all of b")
		}
		_, _, err = h.Transport()
		return err
	}
	ns := func(mod func(b []byte)) []byte { b := neighborSolicitation(); mod(b); return b }
	tests := []malformed{
		{"arp short", p(ParseARP), make([]byte, 27), ErrTruncated, "packet", 0},
		{"arp htype", p(ParseARP), arp(func(b []byte) { b[1] = 6 }), ErrBadValue, "hardware type", 0},
		{"arp ptype", p(ParseARP), arp(func(b []byte) { b[2] = 0x86; b[3] = 0xdd }), ErrBadValue, "protocol type", 2},
		{"arp hlen", p(ParseARP), arp(func(b []byte) { b[4] = 8 }), ErrBadLength, "hardware length", 4},
		{"arp plen", p(ParseARP), arp(func(b []byte) { b[5] = 16 }), ErrBadLength, "protocol length", 5},
		{"ipv6 hbh not first", transport, v6(func(b []byte) { b[40] = ProtocolHopByHop }), ErrBadValue, "hop-by-hop header", 48},
		{"ipv6 ext length past end", transport, v6(func(b []byte) { b[49] = 9 }), ErrTruncated, "extension header length", 49},
		{"ipv6 ext cut", extensions, v6(func(b []byte) { b[4], b[5] = 0, 17 }), ErrTruncated, "extension header", 56},
		{"ipv6 chain too long", transport, ipv6Chain(MaxIPv6Extensions + 1), ErrTooManyExtensions, "extension header", IPv6Size + 8*MaxIPv6Extensions},
		{"tcp option len 1", tcpOpts, []byte{1, 2, 1}, ErrBadLength, "option length", 2},
		{"tcp option len missing", tcpOpts, []byte{1, 1, 8}, ErrTruncated, "option length", 3},
		{"tcp option past end", tcpOpts, []byte{8, 10, 0, 0}, ErrTruncated, "option length", 1},
		{"tcp mss len 5", tcpOpts, []byte{2, 5, 0, 0, 0}, ErrBadLength, "option length", 1},
		{"tcp ws len 4", tcpOpts, []byte{3, 4, 0, 0}, ErrBadLength, "option length", 1},
		{"tcp sack len 11", tcpOpts, []byte{5, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0}, ErrBadLength, "option length", 1},
		{"tcp ts len 8", tcpOpts, []byte{8, 8, 0, 0, 0, 0, 0, 0}, ErrBadLength, "option length", 1},
		{"ipv4 partial ihl", p(ParseIPv4Partial), ipv4With(func(b []byte) { b[0] = 0x4f })[:40], ErrTruncated, "ihl", 0},
		{"ipv4 partial total < ihl", p(ParseIPv4Partial), ipv4With(func(b []byte) { b[2], b[3] = 0, 4 }), ErrBadLength, "total length", 2},
		{"ipv4 partial option", p(ParseIPv4Partial), ipv4With(func(b []byte) { b[0] = 0x46; copy(b[20:], []byte{1, 7, 1, 0}) }), ErrBadLength, "option length", 22},
		{"ipv6 partial short", p(ParseIPv6Partial), make([]byte, 39), ErrTruncated, "header", 0},
		{"ipv6 partial version", p(ParseIPv6Partial), make([]byte, 40), ErrBadValue, "version", 0},
		{"ipv6 partial chain cut", transportPartial, tcpIPv6Ext()[:60], ErrTruncated, "extension header length", 57},
		{"icmpv4 short", p(ParseICMPv4), make([]byte, 7), ErrTruncated, "header", 0},
		{"icmpv6 short", p(ParseICMPv6), make([]byte, 7), ErrTruncated, "header", 0},
		{"icmpv6 ns short", p(ParseICMPv6), neighborSolicitation()[:23], ErrTruncated, "message", 0},
		{"ndp option len 0", ndp, ns(func(b []byte) { b[25] = 0 }), ErrBadLength, "ndp option length", 25},
		{"ndp option past end", ndp, ns(func(b []byte) { b[25] = 2 }), ErrTruncated, "ndp option length", 25},
		{"ndp option cut", ndp, neighborSolicitation()[:25], ErrTruncated, "ndp option length", 25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.parse(tt.in)
			wantErr(t, err, tt.sentinel, tt.field)
			var he *Error
			errors.As(err, &he)
			if he.Offset != tt.offset {
				t.Fatalf("offset = %d, want %d (%v)", he.Offset, tt.offset, err)
			}
		})
	}
}

func TestIPv6ExtensionOptions(t *testing.T) {
	h, err := ParseIPv6(tcpIPv6Ext())
	if err != nil {
		t.Fatal(err)
	}
	type opt struct {
		ext, typ uint8
		off, n   int
	}
	var got []opt
	for e, err := range h.Extensions() {
		if err != nil {
			t.Fatal(err)
		}
		for o, err := range e.Options() {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, opt{e.Type, o.Type, o.Offset, len(o.Data)})
		}
	}
	want := []opt{{ProtocolHopByHop, IPv6OptionPadN, 42, 4}, {ProtocolDstOpts, IPv6OptionPadN, 50, 4}}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(opt{})); d != "" {
		t.Fatal(d)
	}

	// A Router Alert then a PadN whose length runs past the header.
	bad := tcpIPv6Ext()
	copy(bad[42:48], []byte{IPv6OptionRouterAlert, 2, 0, 0, IPv6OptionPadN, 1})
	h, _ = ParseIPv6(bad)
	for e := range h.Extensions() {
		var last error
		n := 0
		for _, err := range e.Options() {
			last = err
			n++
		}
		if e.Type == ProtocolHopByHop {
			if n != 2 {
				t.Fatalf("%d options", n)
			}
			wantErr(t, last, ErrTruncated, "option length")
		}
		break
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

func TestParseMAC(t *testing.T) {
	for _, s := range []string{"02:00:5e:10:00:01", "02-00-5E-10-00-01"} {
		m, err := ParseMAC(s)
		if err != nil || m != (MAC{2, 0, 0x5e, 0x10, 0, 1}) {
			t.Fatalf("ParseMAC(%q) = %v, %v", s, m, err)
		}
	}
	for _, s := range []string{"", "02:00:5e:10:00", "02:00:5e:10:00:0g", "02:00-5e:10:00:01", "0200.5e10.0001xxxx"} {
		if _, err := ParseMAC(s); err == nil {
			t.Fatalf("ParseMAC(%q) succeeded", s)
		}
	}
	if !BroadcastMAC.IsMulticast() || !BroadcastMAC.IsBroadcast() || (MAC{2}).IsMulticast() || !(MAC{2}).IsLocallyAdministered() {
		t.Fatal("MAC predicates")
	}
}

func TestTCPFlagsString(t *testing.T) {
	for f, want := range map[TCPFlags]string{0: "[]", TCPFlagSYN | TCPFlagACK: "[S.]", TCPFlagFIN | TCPFlagPSH | TCPFlagACK: "[FP.]", 0xff: "[FSRPUEW.]"} {
		if f.String() != want {
			t.Errorf("%#x: %q, want %q", uint8(f), f.String(), want)
		}
	}
}

// TestMutations runs every sample packet, cut at every length and with
// every byte replaced by a few values, through every parser.
func TestMutations(t *testing.T) {
	for _, s := range seeds() {
		for n := range len(s) + 1 {
			exerciseAll(t, s[:n])
		}
		b := make([]byte, len(s))
		for i := range s {
			for _, v := range [...]byte{0, 1, 0x0f, 0x40, 0x45, 0x60, 0xff, s[i] ^ 0x80} {
				copy(b, s)
				b[i] = v
				exerciseAll(t, b)
			}
		}
	}
}

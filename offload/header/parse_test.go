package header

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// wantErr checks that err wraps sentinel and is an *Error for field.
func wantErr(t *testing.T, err, sentinel error, field string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("err = %v, want %v", err, sentinel)
	}
	var he *Error
	if !errors.As(err, &he) {
		t.Fatalf("err %v is not an *Error", err)
	}
	if he.Field != field {
		t.Fatalf("err field = %q, want %q (%v)", he.Field, field, err)
	}
}

func TestErrorMessage(t *testing.T) {
	_, err := ParseIPv4([]byte{0x43, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8})
	if got, want := err.Error(), "header: ipv4 ihl at offset 0: bad value (3 < 5)"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestParseSYN(t *testing.T) {
	b := synIPv4()
	eth, err := ParseEthernet(b)
	if err != nil {
		t.Fatal(err)
	}
	type frame struct {
		Dst, Src         MAC
		Type             EtherType
		Tags, HdrLen     int
		IPSrc, IPDst     netip.Addr
		TTL, Proto       uint8
		ID, TotalLen     uint16
		DF, MF, Frag, OK bool
		SPort, DPort     uint16
		Seq, Ack         uint32
		Flags            TCPFlags
		Win              uint16
		MSS              uint16
		WS               uint8
		SACKOK           bool
		TSval, TSecr     uint32
		PayloadLen       int
	}
	ip, err := ParseIPv4(eth.Payload())
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := ParseTCP(ip.Payload())
	if err != nil {
		t.Fatal(err)
	}
	mss, _ := tcp.MSS()
	ws, _ := tcp.WindowScale()
	tsv, tse, _ := tcp.Timestamps()
	got := frame{
		Dst: eth.Destination(), Src: eth.Source(), Type: eth.EtherType(), Tags: eth.Tags(), HdrLen: eth.HeaderLen(),
		IPSrc: ip.Source(), IPDst: ip.Destination(), TTL: ip.TTL(), Proto: ip.Protocol(), ID: ip.ID(), TotalLen: ip.TotalLength(),
		DF: ip.DontFragment(), MF: ip.MoreFragments(), Frag: ip.IsFragment(), OK: ip.ValidChecksum(),
		SPort: tcp.SourcePort(), DPort: tcp.DestinationPort(), Seq: tcp.Seq(), Ack: tcp.Ack(), Flags: tcp.Flags(), Win: tcp.Window(),
		MSS: mss, WS: ws, SACKOK: tcp.SACKPermitted(), TSval: tsv, TSecr: tse, PayloadLen: len(tcp.Payload()),
	}
	want := frame{
		Dst: MAC{0x52, 0x54, 0, 0x12, 0x34, 0x56}, Src: MAC{0x52, 0x54, 0, 0xab, 0xcd, 0xef}, Type: EtherTypeIPv4, HdrLen: 14,
		IPSrc: netip.MustParseAddr("172.16.10.99"), IPDst: netip.MustParseAddr("172.16.10.12"), TTL: 64, Proto: ProtocolTCP, ID: 0x1c46, TotalLen: 60,
		DF: true, OK: true,
		SPort: 49195, DPort: 80, Seq: 0x3ae57f14, Flags: TCPFlagSYN, Win: 64240,
		MSS: 1460, WS: 7, SACKOK: true, TSval: 0x1d5f6c,
	}
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); d != "" {
		t.Fatalf("mismatch (-want +got):\n%s", d)
	}
	if ip.ComputeChecksum() != 0xb1e6 {
		t.Fatalf("ipv4 checksum = %#x, want 0xb1e6", ip.ComputeChecksum())
	}
	if !tcp.ValidChecksum(pseudo(ip.Source(), ip.Destination(), ProtocolTCP, len(tcp))) {
		t.Fatal("tcp checksum does not verify")
	}
}

func TestParseTaggedPadded(t *testing.T) {
	b := dataIPv4()
	eth, err := ParseEthernet(b)
	if err != nil {
		t.Fatal(err)
	}
	if eth.Tags() != 1 || eth.HeaderLen() != 18 || eth.EtherType() != EtherTypeIPv4 {
		t.Fatalf("tags %d hdrlen %d type %v", eth.Tags(), eth.HeaderLen(), eth.EtherType())
	}
	tag := eth.Tag(0)
	if tag.TPID != EtherTypeVLAN || tag.ID() != 100 || tag.PCP() != 3 || tag.DEI() {
		t.Fatalf("tag = %+v", tag)
	}
	ip, err := ParseIPv4(eth.Payload())
	if err != nil {
		t.Fatal(err)
	}
	if len(ip) != 60 || len(eth.Payload()) != 62 {
		t.Fatalf("ipv4 view %d bytes (frame payload %d), want 60: padding must be cut", len(ip), len(eth.Payload()))
	}
	tcp, err := ParseTCP(ip.Payload())
	if err != nil {
		t.Fatal(err)
	}
	if string(tcp.Payload()) != "payload!" {
		t.Fatalf("payload %q", tcp.Payload())
	}
	if v, e, ok := tcp.Timestamps(); !ok || v != 100 || e != 200 {
		t.Fatalf("timestamps %d %d %v", v, e, ok)
	}
	if f := tcp.Flags(); f != TCPFlagPSH|TCPFlagACK || f.String() != "[P.]" {
		t.Fatalf("flags %v", f)
	}
}

func TestParseIPv6Ext(t *testing.T) {
	ip, err := ParseIPv6(tcpIPv6Ext())
	if err != nil {
		t.Fatal(err)
	}
	if ip.FlowLabel() != 0x12345 || ip.HopLimit() != 64 || ip.Source() != netip.MustParseAddr("2001:db8::1") {
		t.Fatalf("fixed header: flow %#x hop %d src %v", ip.FlowLabel(), ip.HopLimit(), ip.Source())
	}
	var types []uint8
	for e, err := range ip.Extensions() {
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, e.Type)
		if off, more, id, ok := e.Fragment(); ok && (off != 0 || more || id != 0x01020304) {
			t.Fatalf("fragment %d %v %#x", off, more, id)
		}
	}
	if d := cmp.Diff([]uint8{ProtocolHopByHop, ProtocolDstOpts, ProtocolFragment}, types); d != "" {
		t.Fatal(d)
	}
	proto, off, err := ip.Transport()
	if err != nil || proto != ProtocolTCP || off != 64 {
		t.Fatalf("Transport = %d, %d, %v", proto, off, err)
	}
	tcp, err := ParseTCP(ip[off:])
	if err != nil {
		t.Fatal(err)
	}
	if !tcp.ValidChecksum(pseudo(ip.Source(), ip.Destination(), ProtocolTCP, len(tcp))) {
		t.Fatal("tcp checksum does not verify")
	}
}

func TestParseUDP(t *testing.T) {
	ip, err := ParseIPv4(dnsUDPIPv4())
	if err != nil {
		t.Fatal(err)
	}
	u, err := ParseUDP(ip.Payload())
	if err != nil {
		t.Fatal(err)
	}
	if u.SourcePort() != 53000 || u.DestinationPort() != 53 || u.Length() != 12 || len(u.Payload()) != 4 {
		t.Fatalf("udp %d %d %d %d", u.SourcePort(), u.DestinationPort(), u.Length(), len(u.Payload()))
	}
	if !u.ValidChecksum(pseudo(ip.Source(), ip.Destination(), ProtocolUDP, len(u))) {
		t.Fatal("udp checksum does not verify")
	}
}

// malformed is one table entry: a parser, an input and the expected error.
type malformed struct {
	name     string
	parse    func([]byte) error
	in       []byte
	sentinel error
	field    string
	offset   int
}

func p[T any](f func([]byte) (T, error)) func([]byte) error {
	return func(b []byte) error { _, err := f(b); return err }
}

func ipv4With(mod func(b []byte)) []byte {
	b := synIPv4()[14:]
	mod(b)
	return b
}

func TestMalformed(t *testing.T) {
	tests := []malformed{
		{"eth short", p(ParseEthernet), make([]byte, 13), ErrTruncated, "header", 0},
		{"eth tag cut", p(ParseEthernet), append(make([]byte, 12), 0x81, 0x00, 0, 1, 0x08), ErrTruncated, "vlan tag", 12},
		{"eth 3 tags", p(ParseEthernet), append(make([]byte, 12), 0x88, 0xa8, 0, 1, 0x81, 0x00, 0, 2, 0x81, 0x00, 0, 3, 0x08, 0), ErrTooManyExtensions, "vlan tag", 20},
		{"ipv4 short", p(ParseIPv4), make([]byte, 19), ErrTruncated, "header", 0},
		{"ipv4 version", p(ParseIPv4), ipv4With(func(b []byte) { b[0] = 0x65 }), ErrBadValue, "version", 0},
		{"ipv4 ihl 4", p(ParseIPv4), ipv4With(func(b []byte) { b[0] = 0x44 }), ErrBadValue, "ihl", 0},
		{"ipv4 ihl past end", p(ParseIPv4), ipv4With(func(b []byte) { b[0] = 0x4f })[:40], ErrTruncated, "ihl", 0},
		{"ipv4 total < ihl", p(ParseIPv4), ipv4With(func(b []byte) { b[3] = 19 }), ErrBadLength, "total length", 2},
		{"ipv4 total > buffer", p(ParseIPv4), ipv4With(func(b []byte) { b[3] = 61 }), ErrTruncated, "total length", 2},
		{"ipv4 option len 1", p(ParseIPv4), ipv4With(func(b []byte) { b[0] = 0x46; copy(b[20:], []byte{1, 7, 1, 0}) }), ErrBadLength, "option length", 22},
		{"ipv4 option past ihl", p(ParseIPv4), ipv4With(func(b []byte) { b[0] = 0x46; copy(b[20:], []byte{1, 7, 8, 0}) }), ErrTruncated, "option length", 22},
		{"ipv4 option len missing", p(ParseIPv4), ipv4With(func(b []byte) { b[0] = 0x46; copy(b[20:], []byte{1, 1, 1, 7}) }), ErrTruncated, "option length", 24},
		{"ipv6 short", p(ParseIPv6), make([]byte, 39), ErrTruncated, "header", 0},
		{"ipv6 version", p(ParseIPv6), append([]byte{0x40}, make([]byte, 39)...), ErrBadValue, "version", 0},
		{"ipv6 payload length", p(ParseIPv6), tcpIPv6Ext()[:80], ErrTruncated, "payload length", 4},
		{"tcp short", p(ParseTCP), make([]byte, 19), ErrTruncated, "header", 0},
		{"tcp doff 4", p(ParseTCP), append(make([]byte, 12), 0x40, 0, 0, 0, 0, 0, 0, 0), ErrBadValue, "data offset", 12},
		{"tcp doff past end", p(ParseTCP), append(make([]byte, 12), 0x60, 0, 0, 0, 0, 0, 0, 0), ErrTruncated, "data offset", 12},
		{"udp short", p(ParseUDP), make([]byte, 7), ErrTruncated, "header", 0},
		{"udp length 7", p(ParseUDP), []byte{0, 1, 0, 2, 0, 7, 0, 0}, ErrBadLength, "length", 4},
		{"udp length > buffer", p(ParseUDP), []byte{0, 1, 0, 2, 0, 9, 0, 0}, ErrTruncated, "length", 4},
		{"udp length 0", p(ParseUDP), []byte{0, 1, 0, 2, 0, 0, 0, 0}, ErrBadLength, "length", 4},
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

func TestMalformedOptionsAndChains(t *testing.T) {
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

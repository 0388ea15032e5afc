package header

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"
)

// packetInput draws either arbitrary bytes or a sample packet with a few
// bytes overwritten and possibly cut short, so that inputs get past the
// first checks of each parser often.
func packetInput(t *rapid.T) []byte {
	if rapid.Bool().Draw(t, "arbitrary") {
		return rapid.SliceOfN(rapid.Byte(), 0, 96).Draw(t, "bytes")
	}
	all := seeds()
	b := bytes.Clone(all[rapid.IntRange(0, len(all)-1).Draw(t, "seed")])
	for range rapid.IntRange(0, 4).Draw(t, "mutations") {
		i := rapid.IntRange(0, len(b)-1).Draw(t, "at")
		b[i] = rapid.Byte().Draw(t, "value")
	}
	return b[:rapid.IntRange(0, len(b)).Draw(t, "length")]
}

func TestParsersNeverPanic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		exerciseAll(t, packetInput(t))
	})
}

var (
	cmpAddr  = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })
	cmpEmpty = cmpopts.EquateEmpty()
)

func addr4(t *rapid.T, label string) netip.Addr {
	return netip.AddrFrom4([4]byte(rapid.SliceOfN(rapid.Byte(), 4, 4).Draw(t, label)))
}

func addr6(t *rapid.T, label string) netip.Addr {
	return netip.AddrFrom16([16]byte(rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, label)))
}

func mac(t *rapid.T, label string) MAC {
	return MAC(rapid.SliceOfN(rapid.Byte(), 6, 6).Draw(t, label))
}

type ethernetFields struct {
	Dst, Src MAC
	Type     EtherType
	Tags     []VLANTag
}

func TestEthernetRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		want := ethernetFields{
			Dst: mac(t, "dst"), Src: mac(t, "src"),
			Type: EtherType(rapid.Uint16Range(0x0600, 0xffff).Filter(func(v uint16) bool { return !isTagType(EtherType(v)) }).Draw(t, "type")),
		}
		for i := range rapid.IntRange(0, MaxVLANTags).Draw(t, "tags") {
			tpid := EtherTypeVLAN
			if i == 0 && rapid.Bool().Draw(t, "qinq") {
				tpid = EtherTypeQinQ
			}
			want.Tags = append(want.Tags, NewVLANTag(tpid, rapid.Uint8Range(0, 7).Draw(t, "pcp"), rapid.Bool().Draw(t, "dei"), rapid.Uint16Range(0, 4095).Draw(t, "vid")))
		}
		buf := make([]byte, EthernetMaxSize+rapid.IntRange(0, 8).Draw(t, "payload"))
		if _, err := InitEthernet(buf, want.Dst, want.Src, want.Type, want.Tags...); err != nil {
			t.Fatal(err)
		}
		e, err := ParseEthernet(buf)
		if err != nil {
			t.Fatal(err)
		}
		got := ethernetFields{Dst: e.Destination(), Src: e.Source(), Type: e.EtherType()}
		for i := range e.Tags() {
			got.Tags = append(got.Tags, e.Tag(i))
		}
		if d := cmp.Diff(want, got, cmpEmpty); d != "" {
			t.Fatalf("(-built +parsed):\n%s", d)
		}
		if e.HeaderLen() != EthernetMinSize+len(want.Tags)*VLANTagSize {
			t.Fatalf("header length %d", e.HeaderLen())
		}
		// Pushing a tag and popping it restores the frame.
		if len(want.Tags) < MaxVLANTags {
			tag := NewVLANTag(EtherTypeVLAN, 0, false, rapid.Uint16Range(0, 4095).Draw(t, "push"))
			pushed, err := PushTag(append(make([]byte, VLANTagSize), buf...), tag)
			if err != nil {
				t.Fatal(err)
			}
			popped, got, ok := pushed.PopTag()
			if !ok || got != tag || !bytes.Equal(popped, buf) {
				t.Fatalf("push/pop: %v %v % x", ok, got, []byte(popped))
			}
		}
	})
}

type ipv4Fields struct {
	TOS, TTL, Proto uint8
	ID              uint16
	DF, MF          bool
	FragOff         int
	Src, Dst        netip.Addr
	HeaderLen       int
	PayloadLen      int
}

func TestIPv4RoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		want := ipv4Fields{
			TOS: rapid.Byte().Draw(t, "tos"), TTL: rapid.Byte().Draw(t, "ttl"), Proto: rapid.Byte().Draw(t, "proto"),
			ID: rapid.Uint16().Draw(t, "id"), DF: rapid.Bool().Draw(t, "df"), MF: rapid.Bool().Draw(t, "mf"),
			FragOff: rapid.IntRange(0, 0x1fff).Draw(t, "fragoff") * 8,
			Src:     addr4(t, "src"), Dst: addr4(t, "dst"),
			HeaderLen:  rapid.IntRange(5, 15).Draw(t, "ihl") * 4,
			PayloadLen: rapid.IntRange(0, 64).Draw(t, "payload"),
		}
		buf := make([]byte, want.HeaderLen+want.PayloadLen)
		h, err := InitIPv4(buf, want.HeaderLen)
		if err != nil {
			t.Fatal(err)
		}
		h.SetTOS(want.TOS)
		h.SetTTL(want.TTL)
		h.SetProtocol(want.Proto)
		h.SetID(want.ID)
		h.SetDontFragment(want.DF)
		h.SetMoreFragments(want.MF)
		h.SetFragmentOffset(want.FragOff)
		h.SetSource(want.Src)
		h.SetDestination(want.Dst)
		h.SetChecksum(h.ComputeChecksum())
		p, err := ParseIPv4(append(buf, 0, 0, 0)) // trailing padding is cut
		if err != nil {
			t.Fatal(err)
		}
		got := ipv4Fields{
			TOS: p.TOS(), TTL: p.TTL(), Proto: p.Protocol(), ID: p.ID(), DF: p.DontFragment(), MF: p.MoreFragments(),
			FragOff: p.FragmentOffset(), Src: p.Source(), Dst: p.Destination(), HeaderLen: p.HeaderLen(), PayloadLen: len(p.Payload()),
		}
		if d := cmp.Diff(want, got, cmpAddr, cmpEmpty); d != "" {
			t.Fatalf("(-built +parsed):\n%s", d)
		}
		if !p.ValidChecksum() {
			t.Fatal("checksum does not verify")
		}
		if p.IsFragment() != (want.MF || want.FragOff != 0) {
			t.Fatal("IsFragment")
		}
	})
}

func TestIPv4IncrementalChecksum(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		buf := make([]byte, 20)
		h, _ := InitIPv4(buf, 20)
		h.SetTTL(rapid.Byte().Draw(t, "ttl"))
		h.SetID(rapid.Uint16().Draw(t, "id"))
		h.SetSource(addr4(t, "src"))
		h.SetDestination(addr4(t, "dst"))
		h.SetChecksum(h.ComputeChecksum())
		switch rapid.IntRange(0, 2).Draw(t, "op") {
		case 0:
			h.DecrementTTL()
		case 1:
			h.SetSourceUpdatingChecksum(addr4(t, "new"))
		case 2:
			h.SetDestinationUpdatingChecksum(addr4(t, "new"))
		}
		if h.Checksum() != h.ComputeChecksum() {
			t.Fatalf("incremental %#04x, recomputed %#04x", h.Checksum(), h.ComputeChecksum())
		}
	})
}

type ipv6Fields struct {
	TC        uint8
	Flow      uint32
	Next, Hop uint8
	Src, Dst  netip.Addr
	Payload   int
}

func TestIPv6RoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		want := ipv6Fields{
			TC: rapid.Byte().Draw(t, "tc"), Flow: rapid.Uint32Range(0, 0xfffff).Draw(t, "flow"),
			Next: rapid.Byte().Draw(t, "next"), Hop: rapid.Byte().Draw(t, "hop"),
			Src: addr6(t, "src"), Dst: addr6(t, "dst"), Payload: rapid.IntRange(0, 64).Draw(t, "payload"),
		}
		buf := make([]byte, IPv6Size+want.Payload)
		h, err := InitIPv6(buf)
		if err != nil {
			t.Fatal(err)
		}
		h.SetTrafficClass(want.TC)
		h.SetFlowLabel(want.Flow)
		h.SetNextHeader(want.Next)
		h.SetHopLimit(want.Hop)
		h.SetSource(want.Src)
		h.SetDestination(want.Dst)
		p, err := ParseIPv6(append(buf, 0xee))
		if err != nil {
			t.Fatal(err)
		}
		got := ipv6Fields{TC: p.TrafficClass(), Flow: p.FlowLabel(), Next: p.NextHeader(), Hop: p.HopLimit(), Src: p.Source(), Dst: p.Destination(), Payload: len(p.Payload())}
		if d := cmp.Diff(want, got, cmpAddr, cmpEmpty); d != "" {
			t.Fatalf("(-built +parsed):\n%s", d)
		}
	})
}

type tcpFields struct {
	SPort, DPort uint16
	Seq, Ack     uint32
	Flags        TCPFlags
	Window, Urg  uint16
	MSS          uint16
	HasMSS       bool
	WS           uint8
	HasWS        bool
	SACKOK       bool
	TSval, TSecr uint32
	HasTS        bool
	SACK         [][2]uint32
	Payload      []byte
}

func TestTCPRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		want := tcpFields{
			SPort: rapid.Uint16().Draw(t, "sport"), DPort: rapid.Uint16().Draw(t, "dport"),
			Seq: rapid.Uint32().Draw(t, "seq"), Ack: rapid.Uint32().Draw(t, "ack"),
			Flags: TCPFlags(rapid.Byte().Draw(t, "flags")), Window: rapid.Uint16().Draw(t, "win"), Urg: rapid.Uint16().Draw(t, "urg"),
			HasMSS: rapid.Bool().Draw(t, "hasMSS"), HasWS: rapid.Bool().Draw(t, "hasWS"),
			SACKOK: rapid.Bool().Draw(t, "sackok"), HasTS: rapid.Bool().Draw(t, "hasTS"),
			Payload: rapid.SliceOfN(rapid.Byte(), 0, 32).Draw(t, "payload"),
		}
		var opts []byte
		if want.HasMSS {
			want.MSS = rapid.Uint16().Draw(t, "mss")
			opts = AppendMSS(opts, want.MSS)
		}
		if want.SACKOK {
			opts = AppendSACKPermitted(opts)
		}
		if want.HasTS {
			want.TSval, want.TSecr = rapid.Uint32().Draw(t, "tsval"), rapid.Uint32().Draw(t, "tsecr")
			opts = AppendNOP(AppendNOP(opts))
			opts = AppendTimestamps(opts, want.TSval, want.TSecr)
		}
		if want.HasWS {
			want.WS = rapid.Byte().Draw(t, "ws")
			opts = AppendWindowScale(AppendNOP(opts), want.WS)
		}
		if n := (40 - len(opts) - 2) / 8; n > 0 {
			var edges []uint32
			for range rapid.IntRange(0, min(n, TCPMaxSACKBlocks)).Draw(t, "sack") {
				l, r := rapid.Uint32().Draw(t, "left"), rapid.Uint32().Draw(t, "right")
				want.SACK = append(want.SACK, [2]uint32{l, r})
				edges = append(edges, l, r)
			}
			if len(edges) > 0 {
				opts = AppendSACK(opts, edges...)
			}
		}
		hl := TCPMinSize + (len(opts)+3)/4*4
		buf := make([]byte, hl+len(want.Payload))
		s, err := InitTCP(buf, hl)
		if err != nil {
			t.Fatal(err)
		}
		copy(s[TCPMinSize:], opts)
		copy(s[hl:], want.Payload)
		s.SetSourcePort(want.SPort)
		s.SetDestinationPort(want.DPort)
		s.SetSeq(want.Seq)
		s.SetAck(want.Ack)
		s.SetFlags(want.Flags)
		s.SetWindow(want.Window)
		s.SetUrgentPointer(want.Urg)
		ph := pseudo(addr4(t, "src"), addr4(t, "dst"), ProtocolTCP, len(s))
		s.SetChecksum(s.ComputeChecksum(ph))

		p, err := ParseTCP(buf)
		if err != nil {
			t.Fatal(err)
		}
		got := tcpFields{
			SPort: p.SourcePort(), DPort: p.DestinationPort(), Seq: p.Seq(), Ack: p.Ack(), Flags: p.Flags(),
			Window: p.Window(), Urg: p.UrgentPointer(), SACKOK: p.SACKPermitted(), Payload: p.Payload(),
		}
		got.MSS, got.HasMSS = p.MSS()
		got.WS, got.HasWS = p.WindowScale()
		got.TSval, got.TSecr, got.HasTS = p.Timestamps()
		for o, err := range p.Options().All() {
			if err != nil {
				t.Fatal(err)
			}
			for l, r := range o.SACKBlocks() {
				got.SACK = append(got.SACK, [2]uint32{l, r})
			}
		}
		if d := cmp.Diff(want, got, cmpEmpty); d != "" {
			t.Fatalf("(-built +parsed):\n%s", d)
		}
		if !p.ValidChecksum(ph) {
			t.Fatal("checksum does not verify")
		}
	})
}

func TestTCPNATChecksum(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := synIPv4()
		ip := IPv4(b[14:])
		tcp := TCP(ip[20:])
		switch rapid.IntRange(0, 2).Draw(t, "op") {
		case 0:
			a := addr4(t, "addr")
			tcp.UpdateChecksumAddr(ip.Source(), a)
			ip.SetSourceUpdatingChecksum(a)
		case 1:
			tcp.SetSourcePortUpdatingChecksum(rapid.Uint16().Draw(t, "port"))
		case 2:
			tcp.SetDestinationPortUpdatingChecksum(rapid.Uint16().Draw(t, "port"))
		}
		if !ip.ValidChecksum() || !tcp.ValidChecksum(pseudo(ip.Source(), ip.Destination(), ProtocolTCP, len(tcp))) {
			t.Fatal("checksum does not verify after incremental update")
		}
	})
}

type udpFields struct {
	SPort, DPort uint16
	Payload      []byte
}

func TestUDPRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		want := udpFields{rapid.Uint16().Draw(t, "sport"), rapid.Uint16().Draw(t, "dport"), rapid.SliceOfN(rapid.Byte(), 0, 32).Draw(t, "payload")}
		buf := make([]byte, UDPSize+len(want.Payload))
		u, err := InitUDP(buf)
		if err != nil {
			t.Fatal(err)
		}
		u.SetSourcePort(want.SPort)
		u.SetDestinationPort(want.DPort)
		copy(u.Payload(), want.Payload)
		src, dst := addr6(t, "src"), addr6(t, "dst")
		u.SetChecksum(u.ComputeChecksum(pseudo(src, dst, ProtocolUDP, len(u))))
		p, err := ParseUDP(append(buf, 1, 2))
		if err != nil {
			t.Fatal(err)
		}
		got := udpFields{p.SourcePort(), p.DestinationPort(), p.Payload()}
		if d := cmp.Diff(want, got, cmpEmpty); d != "" {
			t.Fatalf("(-built +parsed):\n%s", d)
		}
		if !p.ValidChecksum(pseudo(src, dst, ProtocolUDP, len(p))) {
			t.Fatal("checksum does not verify")
		}
		na := addr6(t, "nat")
		p.UpdateChecksumAddr(src, na)
		p.SetDestinationPortUpdatingChecksum(rapid.Uint16().Draw(t, "natport"))
		if !p.ValidChecksum(pseudo(na, dst, ProtocolUDP, len(p))) {
			t.Fatal("checksum does not verify after NAT")
		}
	})
}

type arpFields struct {
	Op                   ARPOp
	SenderMAC, TargetMAC MAC
	SenderIP, TargetIP   netip.Addr
}

func TestARPRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		want := arpFields{ARPOp(rapid.Uint16Range(1, 2).Draw(t, "op")), mac(t, "smac"), mac(t, "tmac"), addr4(t, "sip"), addr4(t, "tip")}
		buf := make([]byte, 60)
		if _, err := InitARP(buf, want.Op, want.SenderMAC, want.SenderIP, want.TargetMAC, want.TargetIP); err != nil {
			t.Fatal(err)
		}
		a, err := ParseARP(buf)
		if err != nil {
			t.Fatal(err)
		}
		got := arpFields{a.Op(), a.SenderMAC(), a.TargetMAC(), a.SenderIP(), a.TargetIP()}
		if d := cmp.Diff(want, got, cmpAddr, cmpEmpty); d != "" {
			t.Fatalf("(-built +parsed):\n%s", d)
		}
	})
}

func TestMACTextRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := mac(t, "mac")
		got, err := ParseMAC(m.String())
		if err != nil || got != m {
			t.Fatalf("ParseMAC(%q) = %v, %v", m.String(), got, err)
		}
	})
}

type icmpFields struct {
	Type, Code uint8
	Ident, Seq uint16
	Target     netip.Addr
	Flags      uint8
	LinkAddr   MAC
	Body       []byte
}

func TestICMPRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		if rapid.Bool().Draw(t, "v6") {
			want := icmpFields{Type: ICMPv6NeighborAdvert, Target: addr6(t, "target"), Flags: rapid.SampledFrom([]uint8{0, NDPFlagRouter, NDPFlagSolicited | NDPFlagOverride}).Draw(t, "flags"), LinkAddr: mac(t, "lla")}
			buf := make([]byte, NDPNASize, NDPNASize+8)
			m, err := InitICMPv6(buf, want.Type, 0)
			if err != nil {
				t.Fatal(err)
			}
			m.SetTarget(want.Target)
			m.SetNDPFlags(want.Flags)
			m = ICMPv6(AppendLinkAddrOption(m, NDPOptionTargetLinkAddr, want.LinkAddr))
			src, dst := addr6(t, "src"), addr6(t, "dst")
			m.SetChecksum(m.ComputeChecksum(pseudo(src, dst, ProtocolICMPv6, len(m))))
			p, err := ParseICMPv6(m)
			if err != nil {
				t.Fatal(err)
			}
			got := icmpFields{Type: p.Type(), Code: p.Code(), Target: p.Target(), Flags: p.NDPFlags()}
			for o, err := range p.NDPOptions() {
				if err != nil {
					t.Fatal(err)
				}
				got.LinkAddr, _ = o.LinkAddr()
			}
			if d := cmp.Diff(want, got, cmpAddr, cmpEmpty); d != "" {
				t.Fatalf("(-built +parsed):\n%s", d)
			}
			if !p.ValidChecksum(pseudo(src, dst, ProtocolICMPv6, len(p))) {
				t.Fatal("checksum")
			}
			return
		}
		want := icmpFields{Type: rapid.SampledFrom([]uint8{ICMPv4Echo, ICMPv4EchoReply}).Draw(t, "type"), Ident: rapid.Uint16().Draw(t, "id"), Seq: rapid.Uint16().Draw(t, "seq"), Body: rapid.SliceOfN(rapid.Byte(), 0, 32).Draw(t, "body")}
		buf := make([]byte, ICMPv4Size+len(want.Body))
		m, err := InitICMPv4(buf, want.Type, 0)
		if err != nil {
			t.Fatal(err)
		}
		m.SetIdent(want.Ident)
		m.SetSeq(want.Seq)
		copy(m.Payload(), want.Body)
		m.SetChecksum(m.ComputeChecksum())
		p, err := ParseICMPv4(buf)
		if err != nil {
			t.Fatal(err)
		}
		got := icmpFields{Type: p.Type(), Code: p.Code(), Ident: p.Ident(), Seq: p.Seq(), Body: p.Payload()}
		if d := cmp.Diff(want, got, cmpAddr, cmpEmpty); d != "" {
			t.Fatalf("(-built +parsed):\n%s", d)
		}
		if !p.ValidChecksum() {
			t.Fatal("checksum")
		}
	})
}

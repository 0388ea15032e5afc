package header

import "bytes"

// fataler is what the exercise functions need from *testing.T, *testing.F
// and *rapid.T.
type fataler interface {
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// The exercise functions call every accessor and iterator of a parsed
// view and check the invariants the package documents. Properties and fuzz
// targets run them on parsed inputs: none of them may panic.

func exerciseEthernet(t fataler, e Ethernet) {
	_, _ = e.Destination(), e.Source()
	n := e.Tags()
	if n > MaxVLANTags {
		t.Fatalf("Tags() = %d", n)
	}
	for i := range n {
		tag := e.Tag(i)
		_, _, _ = tag.ID(), tag.PCP(), tag.DEI()
	}
	_, _ = e.VLANID()
	_ = e.EtherType().String()
	if e.HeaderLen() != EthernetMinSize+n*VLANTagSize || len(e.Payload()) != len(e)-e.HeaderLen() {
		t.Fatalf("header length %d, payload %d of %d", e.HeaderLen(), len(e.Payload()), len(e))
	}
}

func exerciseARP(t fataler, a ARP) {
	if len(a) != ARPSize {
		t.Fatalf("len %d", len(a))
	}
	_ = a.Op().String()
	_, _, _, _ = a.SenderMAC(), a.SenderIP(), a.TargetMAC(), a.TargetIP()
	_, _ = a.IsGratuitous(), a.IsProbe()
}

func exerciseIPv4(t fataler, h IPv4, partial bool) {
	tlOK := int(h.TotalLength()) == len(h) || partial && int(h.TotalLength()) > len(h)
	if h.Version() != 4 || h.HeaderLen() < IPv4MinSize || h.HeaderLen() > len(h) || !tlOK {
		t.Fatalf("invariants: version %d header %d total %d len %d", h.Version(), h.HeaderLen(), h.TotalLength(), len(h))
	}
	_, _, _, _, _ = h.TOS(), h.DSCP(), h.ECN(), h.ID(), h.Checksum()
	_, _, _, _ = h.DontFragment(), h.MoreFragments(), h.FragmentOffset(), h.IsFragment()
	_, _, _, _ = h.TTL(), h.Protocol(), h.Source(), h.Destination()
	_, _ = h.ComputeChecksum(), h.ValidChecksum()
	if len(h.OptionBytes()) != h.HeaderLen()-IPv4MinSize || len(h.Payload()) != len(h)-h.HeaderLen() {
		t.Fatalf("options %d payload %d", len(h.OptionBytes()), len(h.Payload()))
	}
	for o, err := range h.Options() {
		if err != nil {
			t.Fatalf("parsed header has a bad option: %v", err)
		}
		_ = o.Copied()
	}
}

func exerciseIPv6(t fataler, h IPv6, partial bool) {
	lenOK := len(h) == IPv6Size+int(h.PayloadLength()) || partial && len(h) < IPv6Size+int(h.PayloadLength())
	if h.Version() != 6 || !lenOK || len(h.Payload()) != len(h)-IPv6Size {
		t.Fatalf("invariants: version %d len %d payload length %d", h.Version(), len(h), h.PayloadLength())
	}
	_, _, _, _ = h.TrafficClass(), h.FlowLabel(), h.NextHeader(), h.HopLimit()
	_, _, _ = h.Source(), h.Destination(), h.HeaderLen()
	n, last := 0, IPv6Size
	var walkErr error
	for e, err := range h.Extensions() {
		if err != nil {
			walkErr = err
			break
		}
		n++
		if e.Offset != last || len(e.Bytes) < 8 || e.Offset+len(e.Bytes) > len(h) {
			t.Fatalf("extension at %d (%d bytes), previous ended at %d", e.Offset, len(e.Bytes), last)
		}
		last = e.Offset + len(e.Bytes)
		_, _ = e.NextHeader(), e.Data()
		_, _, _, _ = e.Fragment()
		for o, err := range e.Options() {
			if err != nil {
				break
			}
			if o.Offset < e.Offset+2 || o.Offset+2+len(o.Data) > e.Offset+len(e.Bytes) && o.Data != nil {
				t.Fatalf("option at %d (%d bytes) outside header at %d (%d bytes)", o.Offset, len(o.Data), e.Offset, len(e.Bytes))
			}
			_ = o.Action()
		}
	}
	if n > MaxIPv6Extensions {
		t.Fatalf("walked %d extension headers", n)
	}
	proto, off, err := h.Transport()
	if (err == nil) != (walkErr == nil) {
		t.Fatalf("Transport error %v, Extensions error %v", err, walkErr)
	}
	if err == nil && (off != last || off > len(h) || IsIPv6Extension(proto)) {
		t.Fatalf("Transport = %d at %d, extensions end at %d", proto, off, last)
	}
}

func exerciseTCP(t fataler, s TCP) {
	if s.HeaderLen() < TCPMinSize || s.HeaderLen() > len(s) {
		t.Fatalf("header length %d of %d", s.HeaderLen(), len(s))
	}
	_, _, _, _ = s.SourcePort(), s.DestinationPort(), s.Seq(), s.Ack()
	_ = s.Flags().String()
	_, _, _ = s.Window(), s.Checksum(), s.UrgentPointer()
	_, _ = s.ComputeChecksum(0), s.ValidChecksum(0)
	_, _ = s.MSS()
	_, _ = s.WindowScale()
	_, _, _ = s.Timestamps()
	_ = s.SACKPermitted()
	if len(s.Options()) != s.HeaderLen()-TCPMinSize || len(s.Payload()) != len(s)-s.HeaderLen() {
		t.Fatalf("options %d payload %d", len(s.Options()), len(s.Payload()))
	}
	exerciseTCPOptions(t, s.Options())
}

func exerciseTCPOptions(t fataler, opts TCPOptions) {
	next := 0
	for o, err := range opts.All() {
		if err != nil {
			break
		}
		if o.Offset != next {
			t.Fatalf("option at %d, expected %d", o.Offset, next)
		}
		next = o.Offset + 1
		if o.Data != nil {
			next = o.Offset + 2 + len(o.Data)
		}
		_ = o.Kind.String()
		_, _ = o.MSS()
		_, _ = o.WindowScale()
		_, _, _ = o.Timestamps()
		nb := 0
		for l, r := range o.SACKBlocks() {
			_, _ = l, r
			nb++
		}
		if nb > TCPMaxSACKBlocks {
			t.Fatalf("%d SACK blocks", nb)
		}
	}
	if next > len(opts) {
		t.Fatalf("options walk ended at %d of %d", next, len(opts))
	}
}

func exerciseUDP(t fataler, u UDP) {
	if int(u.Length()) != len(u) || len(u.Payload()) != len(u)-UDPSize {
		t.Fatalf("length %d of %d, payload %d", u.Length(), len(u), len(u.Payload()))
	}
	_, _, _, _ = u.SourcePort(), u.DestinationPort(), u.Checksum(), u.HeaderLen()
	_, _ = u.ComputeChecksum(0), u.ValidChecksum(0)
}

func exerciseICMPv4(t fataler, m ICMPv4) {
	_, _, _, _, _ = m.Type(), m.Code(), m.Checksum(), m.Ident(), m.Seq()
	_, _, _, _ = m.MTU(), m.Pointer(), m.Gateway(), m.Payload()
	_, _ = m.ComputeChecksum(), m.ValidChecksum()
}

func exerciseICMPv6(t fataler, m ICMPv6) {
	_, _, _, _, _ = m.Type(), m.Code(), m.Checksum(), m.Ident(), m.Seq()
	_, _, _, _, _ = m.MTU(), m.Pointer(), m.NDPFlags(), m.Target(), m.Payload()
	_ = m.RedirectDestination()
	_, _, _, _, _, _ = m.RouterAdvertisement()
	_, _ = m.ComputeChecksum(0), m.ValidChecksum(0)
	for o, err := range m.NDPOptions() {
		if err != nil {
			break
		}
		if len(o.Data)%8 != 6 || o.Offset+2+len(o.Data) > len(m) {
			t.Fatalf("ndp option at %d with %d data bytes", o.Offset, len(o.Data))
		}
		_, _ = o.LinkAddr()
	}
}

// exerciseAll runs every parser on b and exercises what parses. It also
// checks that no parser modified b.
func exerciseAll(t fataler, b []byte) {
	orig := bytes.Clone(b)
	if e, err := ParseEthernet(b); err == nil {
		exerciseEthernet(t, e)
	}
	if a, err := ParseARP(b); err == nil {
		exerciseARP(t, a)
	}
	h4, err4 := ParseIPv4(b)
	if err4 == nil {
		exerciseIPv4(t, h4, false)
	}
	if h, err := ParseIPv4Partial(b); err == nil {
		exerciseIPv4(t, h, true)
		if err4 == nil && len(h) != len(h4) {
			t.Fatalf("ParseIPv4Partial view %d bytes, ParseIPv4 %d", len(h), len(h4))
		}
	} else if err4 == nil {
		t.Fatalf("ParseIPv4 accepts what ParseIPv4Partial rejects: %v", err)
	}
	h6, err6 := ParseIPv6(b)
	if err6 == nil {
		exerciseIPv6(t, h6, false)
	}
	if h, err := ParseIPv6Partial(b); err == nil {
		exerciseIPv6(t, h, true)
	} else if err6 == nil {
		t.Fatalf("ParseIPv6 accepts what ParseIPv6Partial rejects: %v", err)
	}
	if s, err := ParseTCP(b); err == nil {
		exerciseTCP(t, s)
	}
	exerciseTCPOptions(t, TCPOptions(b))
	if u, err := ParseUDP(b); err == nil {
		exerciseUDP(t, u)
	}
	if m, err := ParseICMPv4(b); err == nil {
		exerciseICMPv4(t, m)
	}
	if m, err := ParseICMPv6(b); err == nil {
		exerciseICMPv6(t, m)
	}
	if !bytes.Equal(orig, b) {
		t.Fatal("a parser or accessor modified its input")
	}
}

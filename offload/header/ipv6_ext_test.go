package header

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

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

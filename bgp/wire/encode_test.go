package wire

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"testing"
)

func TestEncodeErrors(t *testing.T) {
	at := &Attributes{ASPath: []Segment{{ASSequence, []uint32{1}}}, NextHop: netip.MustParseAddr("192.0.2.1")}
	v6 := netip.MustParsePrefix("2001:db8::/32")
	v4 := netip.MustParsePrefix("10.0.0.0/8")
	huge := &Attributes{ASPath: at.ASPath, NextHop: at.NextHop, Communities: make([]Community, 1100)}
	cases := []struct {
		name string
		b    UpdateBuilder
		o    EncodeOptions
		want error
	}{
		{"IPv6 prefix in IPv4 family", UpdateBuilder{Family: IPv4Unicast, Attrs: at, NLRI: []NLRI{{0, v6}}}, EncodeOptions{}, ErrValue},
		{"invalid prefix", UpdateBuilder{Family: IPv4Unicast, Withdrawn: []NLRI{{}}}, EncodeOptions{}, ErrValue},
		{"no attributes", UpdateBuilder{Family: IPv4Unicast, NLRI: []NLRI{{0, v4}}}, EncodeOptions{}, ErrMissing},
		{"IPv6 next hop not negotiated", UpdateBuilder{Family: IPv4Unicast, NLRI: []NLRI{{0, v4}},
			Attrs: &Attributes{NextHop: netip.MustParseAddr("2001:db8::1")}}, EncodeOptions{}, ErrValue},
		{"unknown family", UpdateBuilder{Family: Family{AFIIPv4, 128}, Withdrawn: []NLRI{{0, v4}}}, EncodeOptions{}, ErrValue},
		{"attributes larger than a message", UpdateBuilder{Family: IPv4Unicast, Attrs: huge, NLRI: []NLRI{{0, v4}}}, EncodeOptions{}, ErrTooLarge},
		{"empty AS_PATH segment", UpdateBuilder{Family: IPv4Unicast, NLRI: []NLRI{{0, v4}},
			Attrs: &Attributes{ASPath: []Segment{{ASSequence, nil}}, NextHop: at.NextHop}}, EncodeOptions{}, ErrValue},
	}
	for _, c := range cases {
		dst := []byte("keep")
		out, n, err := c.b.Append(dst, &c.o)
		if !errors.Is(err, c.want) || n != 0 || string(out) != "keep" {
			t.Errorf("%s: %q %d %v, want %v and dst unchanged", c.name, out, n, err, c.want)
		}
	}
	// The same huge attribute set fits an extended message.
	b := UpdateBuilder{Family: IPv4Unicast, Attrs: huge, NLRI: []NLRI{{0, v4}}}
	if _, n, err := b.Append(nil, &EncodeOptions{ExtendedMessage: true}); err != nil || n != 1 {
		t.Errorf("extended message: %d %v", n, err)
	}

	for _, o := range []Open{
		{ASN: 70000, RouterID: netip.MustParseAddr("10.0.0.1")},          // 4-octet AS without the capability
		{ASN: 1, HoldTime: 2, RouterID: netip.MustParseAddr("10.0.0.1")}, // hold time 2
		{ASN: 1, RouterID: netip.MustParseAddr("::1")},                   // IPv6 router ID
		{ASN: 1, RouterID: netip.MustParseAddr("10.0.0.1"), Capabilities: Capabilities{Unknown: []RawCapability{{Code: 200, Value: make([]byte, 256)}}}},
	} {
		if _, err := o.Append(nil); err == nil {
			t.Errorf("Open%+v encoded", o)
		}
	}
}

func TestReadMessage(t *testing.T) {
	stream := append(AppendKeepalive(nil), mustHex(t, updateHex)...)
	stream = append(stream, mustHex(t, notificationHex)...)
	r := bytes.NewReader(stream)
	buf := make([]byte, 0, MaxMessageLen)
	var types []MessageType
	for {
		m, err := ReadMessage(r, buf, MaxMessageLen)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, MessageType(m[18]))
	}
	if len(types) != 3 || types[0] != TypeKeepalive || types[1] != TypeUpdate || types[2] != TypeNotification {
		t.Fatalf("types %v", types)
	}
	// A truncated body is an unexpected EOF, a hostile length a header error
	// before any body is read.
	if _, err := ReadMessage(bytes.NewReader(stream[19:40]), buf, MaxMessageLen); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated: %v", err)
	}
	hostile := mustHex(t, marker+"ffff 02")
	if _, err := ReadMessage(bytes.NewReader(hostile), buf, MaxMessageLen); !errors.Is(err, ErrLength) {
		t.Errorf("hostile length: %v", err)
	}
	n := testing.AllocsPerRun(100, func() {
		r.Reset(stream)
		if _, err := ReadMessage(r, buf, MaxMessageLen); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("ReadMessage: %v allocations", n)
	}
}

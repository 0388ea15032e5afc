package vxlan

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

func genHeader() *rapid.Generator[Header] {
	return rapid.Custom(func(t *rapid.T) Header {
		h := Header{VNI: VNI(rapid.Uint32Range(0, uint32(MaxVNI)).Draw(t, "vni"))}
		if rapid.Bool().Draw(t, "gbp") {
			h.Policy = GroupPolicy{
				Present:   true,
				DontLearn: rapid.Bool().Draw(t, "D"),
				Applied:   rapid.Bool().Draw(t, "A"),
				ID:        rapid.Uint16().Draw(t, "id"),
			}
		}
		return h
	})
}

func TestHeaderRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := genHeader().Draw(t, "h")
		prefix := rapid.SliceOfN(rapid.Byte(), 0, 8).Draw(t, "prefix")
		b, err := h.Append(append([]byte(nil), prefix...))
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != len(prefix)+HeaderSize {
			t.Fatalf("appended %d bytes", len(b)-len(prefix))
		}
		got, err := Decode(b[len(prefix):])
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(h, got); d != "" {
			t.Fatalf("round trip (-want +got):\n%s", d)
		}
		var p [HeaderSize]byte
		if err := h.Put(p[:]); err != nil || string(p[:]) != string(b[len(prefix):]) {
			t.Fatalf("Put = %x, %v; Append wrote %x", p, err, b[len(prefix):])
		}
	})
}

// Reserved bits are ignored on receive (RFC 7348 section 5): setting any of
// them does not change what Decode returns.
func TestHeaderReservedBitsIgnored(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := genHeader().Draw(t, "h")
		b, _ := h.Append(nil)
		// Reserved: everything but G, I and the VNI; with G set, also
		// everything but D, A and the ID.
		mask := [HeaderSize]byte{0x77, 0xff, 0xff, 0xff, 0, 0, 0, 0xff}
		if h.Policy.Present {
			mask = [HeaderSize]byte{0x77, 0xb7, 0, 0, 0, 0, 0, 0xff}
		}
		noise := rapid.SliceOfN(rapid.Byte(), HeaderSize, HeaderSize).Draw(t, "noise")
		for i := range b {
			b[i] |= noise[i] & mask[i]
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(h, got); d != "" {
			t.Fatalf("reserved bits changed the header (-want +got):\n%s", d)
		}
	})
}

func TestHeaderWire(t *testing.T) {
	b, err := Header{VNI: 0x123456}.Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "\x08\x00\x00\x00\x12\x34\x56\x00"; string(b) != want {
		t.Errorf("plain header = %x, want %x", b, want)
	}
	b, _ = Header{VNI: 42, Policy: GroupPolicy{Present: true, DontLearn: true, Applied: true, ID: 0xabcd}}.Append(nil)
	if want := "\x88\x48\xab\xcd\x00\x00\x2a\x00"; string(b) != want {
		t.Errorf("GBP header = %x, want %x", b, want)
	}
}

func TestHeaderErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		b     []byte
		err   error
		field string
	}{
		{"empty", nil, ErrTruncated, "header"},
		{"seven bytes", []byte{8, 0, 0, 0, 0, 0, 1}, ErrTruncated, "header"},
		{"no I bit", []byte{0, 0, 0, 0, 0, 0, 1, 0}, ErrBadValue, "flags (I bit clear)"},
	} {
		_, err := Decode(tc.b)
		var e *Error
		if !errors.Is(err, tc.err) || !errors.As(err, &e) || e.Field != tc.field {
			t.Errorf("%s: Decode = %v, want %v in field %q", tc.name, err, tc.err, tc.field)
		}
	}
	if _, err := (Header{VNI: MaxVNI + 1}).Append(nil); !errors.Is(err, ErrBadValue) {
		t.Errorf("Append with 25-bit VNI: %v, want ErrBadValue", err)
	}
	if err := (Header{VNI: 1}).Put(make([]byte, 7)); !errors.Is(err, ErrTruncated) {
		t.Errorf("Put into 7 bytes: %v, want ErrTruncated", err)
	}
}

func TestGPERoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := GPEHeader{
			VNI:          VNI(rapid.Uint32Range(0, uint32(MaxVNI)).Draw(t, "vni")),
			NextProtocol: NextProtocol(rapid.Uint8Range(1, 255).Draw(t, "next")),
			BUM:          rapid.Bool().Draw(t, "B"),
			OAM:          rapid.Bool().Draw(t, "O"),
		}
		b, err := h.Append(nil)
		if err != nil {
			t.Fatal(err)
		}
		// Reserved bits: the two top bits of byte 0, bytes 1-2, byte 7.
		b[0] |= rapid.Uint8Range(0, 3).Draw(t, "r0") << 6
		b[1] = rapid.Byte().Draw(t, "r1")
		b[2] = rapid.Byte().Draw(t, "r2")
		b[7] = rapid.Byte().Draw(t, "r7")
		got, err := DecodeGPE(b)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(h, got); d != "" {
			t.Fatalf("round trip (-want +got):\n%s", d)
		}
	})
}

func TestGPEWireAndErrors(t *testing.T) {
	b, _ := GPEHeader{VNI: 0x010203, NextProtocol: NextNSH, OAM: true}.Append(nil)
	if want := "\x0d\x00\x00\x04\x01\x02\x03\x00"; string(b) != want {
		t.Errorf("GPE header = %x, want %x", b, want)
	}
	// Without the P bit, the payload is Ethernet.
	h, err := DecodeGPE([]byte{0x08, 0, 0, 0, 0, 0, 7, 0})
	if err != nil || h.NextProtocol != NextEthernet || h.VNI != 7 {
		t.Errorf("P clear: %+v, %v", h, err)
	}
	for _, tc := range []struct {
		b     []byte
		field string
		err   error
	}{
		{[]byte{0x0c, 0, 0, 1, 0, 0, 1}, "header", ErrTruncated},
		{[]byte{0x1c, 0, 0, 1, 0, 0, 1, 0}, "version", ErrBadValue},
		{[]byte{0x04, 0, 0, 1, 0, 0, 1, 0}, "flags (I bit clear)", ErrBadValue},
		{[]byte{0x0c, 0, 0, 0, 0, 0, 1, 0}, "next protocol", ErrBadValue},
	} {
		_, err := DecodeGPE(tc.b)
		var e *Error
		if !errors.Is(err, tc.err) || !errors.As(err, &e) || e.Field != tc.field {
			t.Errorf("DecodeGPE(%x) = %v, want %v in %q", tc.b, err, tc.err, tc.field)
		}
	}
	if _, err := (GPEHeader{VNI: 1}).Append(nil); !errors.Is(err, ErrBadValue) {
		t.Errorf("Append without next protocol: %v", err)
	}
}

package virtio

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

func TestDecodeKnown(t *testing.T) {
	// A TSO packet as Linux hands it to a TAP device: NEEDS_CSUM, TCPv4,
	// hdr_len 66, MSS 1448, csum_start 34 (14 Ethernet + 20 IPv4), offset 16.
	b := []byte{0x01, 0x01, 66, 0, 0xa8, 0x05, 34, 0, 16, 0}
	h, err := DecodeNetHdr(b)
	if err != nil {
		t.Fatal(err)
	}
	want := NetHdr{Flags: FlagNeedsCsum, GSOType: GSOTCPv4, HdrLen: 66, GSOSize: 1448, CsumStart: 34, CsumOffset: 16}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Fatalf("decode (-want +got):\n%s", diff)
	}
	if got := h.Append(nil); !cmp.Equal(got, b) {
		t.Fatalf("Append = % x, want % x", got, b)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name   string
		b      []byte
		sent   error
		field  string
		offset int
	}{
		{"empty", nil, ErrTruncated, "header", 0},
		{"nine bytes", make([]byte, 9), ErrTruncated, "header", 0},
		{"gso type 2", []byte{0, 2, 0, 0, 1, 0, 0, 0, 0, 0}, ErrGSOType, "gso_type", 1},
		{"gso type 6", []byte{0, 6, 0, 0, 1, 0, 0, 0, 0, 0}, ErrGSOType, "gso_type", 1},
		{"ecn alone", []byte{0, 0x80, 0, 0, 1, 0, 0, 0, 0, 0}, ErrGSOType, "gso_type", 1},
		{"zero gso_size", []byte{1, 1, 0, 0, 0, 0, 34, 0, 16, 0}, ErrGSOSize, "gso_size", 4},
		{"tcp offset 6", []byte{1, 4, 0, 0, 1, 0, 54, 0, 6, 0}, ErrChecksumOffset, "csum_offset", 8},
		{"uso offset 16", []byte{1, 5, 0, 0, 1, 0, 34, 0, 16, 0}, ErrChecksumOffset, "csum_offset", 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeNetHdr(tt.b)
			if !errors.Is(err, tt.sent) {
				t.Fatalf("err = %v, want %v", err, tt.sent)
			}
			var e *Error
			if !errors.As(err, &e) || e.Field != tt.field || e.Offset != tt.offset {
				t.Fatalf("err = %#v, want field %q at %d", err, tt.field, tt.offset)
			}
		})
	}
}

func TestDecodeLenient(t *testing.T) {
	// Unknown flag bits are kept and ignored (VIRTIO 1.2 5.1.6.2.2); so is
	// a GSO checksum offset when NEEDS_CSUM is not set, and ECN with a GSO
	// type.
	for _, b := range [][]byte{
		{0xf8, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		{0, 1, 0, 0, 1, 0, 0, 0, 99, 0},
		{1, 0x81, 0, 0, 1, 0, 34, 0, 16, 0},
		{1, 0x85, 0, 0, 1, 0, 34, 0, 6, 0},
		{FlagNeedsCsum | FlagRSCInfo, 4, 0, 0, 1, 0, 3, 0, 3, 0},
	} {
		h, err := DecodeNetHdr(b)
		if err != nil {
			t.Errorf("DecodeNetHdr(% x) = %v", b, err)
		}
		if got := h.Append(nil); !cmp.Equal(got, b) {
			t.Errorf("round trip % x -> % x", b, got)
		}
	}
}

func TestValidate(t *testing.T) {
	h := NetHdr{Flags: FlagNeedsCsum, CsumStart: 34, CsumOffset: 16}
	if err := h.Validate(52); err != nil {
		t.Errorf("Validate(52) = %v", err)
	}
	for _, n := range []int{0, 34, 51} {
		err := h.Validate(n)
		var e *Error
		if !errors.Is(err, ErrChecksumOffset) || !errors.As(err, &e) {
			t.Errorf("Validate(%d) = %v, want ErrChecksumOffset", n, err)
		}
	}
	// Without NEEDS_CSUM the offsets are not looked at.
	h.Flags = 0
	if err := h.Validate(0); err != nil {
		t.Errorf("Validate without NEEDS_CSUM = %v", err)
	}
	// Large values do not overflow.
	h = NetHdr{Flags: FlagNeedsCsum, CsumStart: 0xffff, CsumOffset: 0xffff}
	if err := h.Validate(1 << 20); err != nil {
		t.Errorf("Validate(1<<20) = %v", err)
	}
	if err := h.Validate(0xffff + 0xffff + 1); err == nil {
		t.Error("Validate accepted a field one byte past the end")
	}
}

func genNetHdr(t *rapid.T) NetHdr {
	return NetHdr{
		Flags:      rapid.Uint8().Draw(t, "flags"),
		GSOType:    rapid.Uint8().Draw(t, "gso_type"),
		HdrLen:     rapid.Uint16().Draw(t, "hdr_len"),
		GSOSize:    rapid.Uint16().Draw(t, "gso_size"),
		CsumStart:  rapid.Uint16().Draw(t, "csum_start"),
		CsumOffset: rapid.Uint16().Draw(t, "csum_offset"),
	}
}

func TestRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := genNetHdr(t)
		prefix := rapid.SliceOfN(rapid.Byte(), 0, 8).Draw(t, "prefix")
		b := h.Append(prefix)
		if len(b) != len(prefix)+NetHdrLen {
			t.Fatalf("Append grew by %d", len(b)-len(prefix))
		}
		var enc [NetHdrLen]byte
		h.Encode(enc[:])
		if !cmp.Equal(enc[:], b[len(prefix):]) {
			t.Fatalf("Encode % x != Append % x", enc, b[len(prefix):])
		}
		got, err := DecodeNetHdr(b[len(prefix):])
		// Decode returns the fields even when they are invalid.
		if diff := cmp.Diff(h, got); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
		if (err == nil) != (h.check() == nil) {
			t.Fatalf("DecodeNetHdr err %v, check %v", err, h.check())
		}
		// Little-endian on the wire, whatever the host.
		if binary.LittleEndian.Uint16(enc[offGSOSize:]) != h.GSOSize {
			t.Fatal("gso_size not little-endian")
		}
	})
}

func TestValidProperty(t *testing.T) {
	// Every header built from the rules validates.
	rapid.Check(t, func(t *rapid.T) {
		kind := rapid.SampledFrom([]uint8{GSONone, GSOTCPv4, GSOTCPv6, GSOUDP, GSOUDPL4}).Draw(t, "kind")
		h := NetHdr{Flags: FlagNeedsCsum, GSOType: kind, CsumStart: rapid.Uint16Range(0, 200).Draw(t, "start")}
		switch kind {
		case GSONone:
			h.CsumOffset = rapid.Uint16Range(0, 100).Draw(t, "off")
		case GSOTCPv4, GSOTCPv6:
			h.CsumOffset = csumOffsetTCP
			h.GSOType |= rapid.SampledFrom([]uint8{0, GSOECN}).Draw(t, "ecn")
		default:
			h.CsumOffset = csumOffsetUDP
		}
		if kind != GSONone {
			h.GSOSize = rapid.Uint16Range(1, 0xffff).Draw(t, "mss")
		}
		n := int(h.CsumStart) + int(h.CsumOffset) + 2 + rapid.IntRange(0, 100).Draw(t, "extra")
		if err := h.Validate(n); err != nil {
			t.Fatalf("Validate(%d) = %v for %+v", n, err, h)
		}
		if _, err := DecodeNetHdr(h.Append(nil)); err != nil {
			t.Fatalf("DecodeNetHdr = %v for %+v", err, h)
		}
	})
}

func TestAllocs(t *testing.T) {
	b := []byte{0x01, 0x01, 66, 0, 0xa8, 0x05, 34, 0, 16, 0}
	dst := make([]byte, 0, 64)
	pkt := make([]byte, 1500)
	var sink NetHdr
	n := testing.AllocsPerRun(100, func() {
		h, err := DecodeNetHdr(b)
		if err != nil {
			t.Fatal(err)
		}
		dst = h.Append(dst[:0])
		h.Encode(dst)
		if err := h.Validate(len(pkt)); err != nil {
			t.Fatal(err)
		}
		h.GSOType = GSONone
		if err := h.FinishChecksum(pkt); err != nil {
			t.Fatal(err)
		}
		sink = h
	})
	if n != 0 {
		t.Errorf("allocations per run = %v, want 0", n)
	}
	_ = sink
}

func FuzzDecodeNetHdr(f *testing.F) {
	f.Add([]byte{0x01, 0x01, 66, 0, 0xa8, 0x05, 34, 0, 16, 0}, 1514)
	f.Add([]byte{0x01, 0x04, 86, 0, 0xa0, 0x05, 54, 0, 16, 0}, 65000)
	f.Add([]byte{0x01, 0x05, 42, 0, 0xc8, 0x05, 34, 0, 6, 0}, 9000)
	f.Add([]byte{0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 60)
	f.Add([]byte{0x01, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, 100)
	f.Add([]byte{0, 0x80, 0, 0, 1, 0, 0, 0, 0, 0}, 0)
	f.Add([]byte{1, 2, 3}, 3)
	f.Fuzz(func(t *testing.T, b []byte, pktLen int) {
		h, err := DecodeNetHdr(b)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			return
		}
		if got := h.Append(nil); !cmp.Equal(got, b[:NetHdrLen]) {
			t.Fatalf("re-encode % x != % x", got, b[:NetHdrLen])
		}
		if pktLen < 0 || pktLen > 1<<17 {
			return
		}
		pkt := make([]byte, pktLen)
		verr := h.Validate(pktLen)
		ferr := h.FinishChecksum(pkt)
		if (verr == nil) != (ferr == nil) && h.NeedsChecksum() {
			t.Fatalf("Validate %v, FinishChecksum %v", verr, ferr)
		}
		if verr == nil && h.NeedsChecksum() {
			var e error
			if e = verifyPartial(h, pkt); e != nil {
				t.Fatal(e)
			}
		}
	})
}

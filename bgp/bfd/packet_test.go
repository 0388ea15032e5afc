package bfd

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

func genPacket(t *rapid.T) Packet {
	us := func(label string) time.Duration {
		return time.Duration(rapid.Uint32().Draw(t, label)) * time.Microsecond
	}
	p := Packet{
		Diag:              Diag(rapid.IntRange(0, maxDiag).Draw(t, "diag")),
		State:             State(rapid.IntRange(0, 3).Draw(t, "state")),
		Poll:              rapid.Bool().Draw(t, "poll"),
		Final:             rapid.Bool().Draw(t, "final"),
		ControlPlaneIndep: rapid.Bool().Draw(t, "cpi"),
		Demand:            rapid.Bool().Draw(t, "demand"),
		DetectMult:        rapid.Uint8Range(1, 255).Draw(t, "mult"),
		MyDiscriminator:   rapid.Uint32Range(1, 1<<32-1).Draw(t, "my"),
		YourDiscriminator: rapid.Uint32().Draw(t, "your"),
		DesiredMinTx:      us("tx"),
		RequiredMinRx:     us("rx"),
		RequiredMinEchoRx: us("echo"),
	}
	return p
}

func TestPacketRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		want := genPacket(t)
		b := want.Append(nil)
		if len(b) != PacketLen {
			t.Fatalf("length %d", len(b))
		}
		got, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("round trip (-want +got):\n%s", d)
		}
	})
}

// TestParseDiscards covers the reception checks of RFC 5880 section 6.8.6
// that need no session.
func TestParseDiscards(t *testing.T) {
	good := Packet{State: Down, DetectMult: 3, MyDiscriminator: 1, DesiredMinTx: time.Second, RequiredMinRx: time.Second}.Append(nil)
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte{}, good...)) }
	for _, tc := range []struct {
		name  string
		b     []byte
		want  error
		field string
	}{
		{"short", good[:23], ErrShort, "packet"},
		{"version 0", mod(func(b []byte) []byte { b[0] &^= 0xe0; return b }), ErrVersion, "version"},
		{"length below 24", mod(func(b []byte) []byte { b[3] = 23; return b }), ErrLength, "length"},
		{"length beyond the packet", mod(func(b []byte) []byte { b[3] = 30; return b }), ErrLength, "length"},
		{"auth with length 24", mod(func(b []byte) []byte { b[1] |= flagAuth; return b }), ErrLength, "length"},
		{"detect mult 0", mod(func(b []byte) []byte { b[2] = 0; return b }), ErrDetectMult, "detect mult"},
		{"multipoint", mod(func(b []byte) []byte { b[1] |= flagMultipoint; return b }), ErrMultipoint, "flags"},
		{"my discriminator 0", mod(func(b []byte) []byte { clear(b[4:8]); return b }), ErrDiscriminator, "my discriminator"},
		{"auth not configured", mod(func(b []byte) []byte { b[1] |= flagAuth; b[3] = 26; return append(b, 1, 2) }), ErrAuth, "flags"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.b)
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, tc.want) || e.Field != tc.field {
				t.Fatalf("err = %v, want %v in %q", err, tc.want, tc.field)
			}
		})
	}
}

func TestPacketAllocs(t *testing.T) {
	p := Packet{State: Up, DetectMult: 3, MyDiscriminator: 7, YourDiscriminator: 9, DesiredMinTx: 300 * time.Millisecond}
	buf := make([]byte, 0, PacketLen)
	if n := testing.AllocsPerRun(1000, func() {
		buf = p.Append(buf[:0])
		if _, err := Parse(buf); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("%v allocations per append+parse, want 0", n)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(Packet{State: Up, DetectMult: 3, MyDiscriminator: 7, YourDiscriminator: 9, DesiredMinTx: time.Second}.Append(nil))
	f.Add(Packet{State: Down, Poll: true, DetectMult: 1, MyDiscriminator: 1}.Append(nil))
	f.Add([]byte{0x20, 0x44, 3, 26, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			return
		}
		// What Parse accepts re-encodes to the same mandatory section.
		if got := p.Append(nil); string(got[4:]) != string(b[4:PacketLen]) || got[0] != b[0] || got[1] != b[1] || got[2] != b[2] {
			t.Fatalf("re-encoded %x from %x", got, b[:PacketLen])
		}
	})
}

package flowhash

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"

	"pgregory.net/rapid"
)

var (
	tuple4 = Tuple{
		Src: netip.MustParseAddr("198.51.100.7"), Dst: netip.MustParseAddr("203.0.113.10"),
		SrcPort: 49152, DstPort: 443, Proto: 6,
	}
	tuple6 = Tuple{
		Src: netip.MustParseAddr("2001:db8:1::7"), Dst: netip.MustParseAddr("2001:db8:ffff::10"),
		SrcPort: 49152, DstPort: 443, Proto: 6,
	}
)

// TestSumGolden pins the hash of fixed tuples. Every Mux of a deployment
// must compute these values; a change here moves every flow to another
// backend during a rolling upgrade, so it needs a new key or version.
func TestSumGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    Mode
		t    Tuple
		want uint64
	}{
		{"v4/5-tuple", FiveTuple, tuple4, 0x7f32ccff7b489e06},
		{"v4/3-tuple", SourceIPProtocol, tuple4, 0x4dafb3692695ed67},
		{"v4/2-tuple", SourceIP, tuple4, 0xd8795d794046f280},
		{"v6/5-tuple", FiveTuple, tuple6, 0x7a88e95bcbff6f43},
		{"v6/3-tuple", SourceIPProtocol, tuple6, 0x630479ad7fcc262e},
		{"v6/2-tuple", SourceIP, tuple6, 0xa77d1e1f871e7485},
	} {
		if got := Sum(tc.m, tc.t); got != tc.want {
			t.Errorf("%s: Sum = %#016x, want %#016x", tc.name, got, tc.want)
		}
	}
}

// encode is the documented canonical encoding, written independently of
// Key.Sum.
func encode(m Mode, t Tuple) []byte {
	var b []byte
	for _, a := range []netip.Addr{t.Src, t.Dst} {
		a = a.Unmap()
		if a.IsValid() {
			b = append(b, a.AsSlice()...)
		}
	}
	if m == SourceIP {
		return b
	}
	b = append(b, t.Proto)
	if m == SourceIPProtocol {
		return b
	}
	b = binary.BigEndian.AppendUint16(b, t.SrcPort)
	return binary.BigEndian.AppendUint16(b, t.DstPort)
}

func drawAddr(t *rapid.T, label string) netip.Addr {
	switch rapid.IntRange(0, 3).Draw(t, label+"Kind") {
	case 0:
		return netip.AddrFrom4([4]byte(rapid.SliceOfN(rapid.Byte(), 4, 4).Draw(t, label)))
	case 1:
		return netip.AddrFrom16([16]byte(rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, label)))
	case 2:
		return netip.AddrFrom16([16]byte(rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, label))).WithZone("eth0")
	}
	return netip.Addr{}
}

func drawTuple(t *rapid.T) Tuple {
	return Tuple{
		Src:     drawAddr(t, "src"),
		Dst:     drawAddr(t, "dst"),
		SrcPort: rapid.Uint16().Draw(t, "sport"),
		DstPort: rapid.Uint16().Draw(t, "dport"),
		Proto:   rapid.Uint8().Draw(t, "proto"),
	}
}

// TestSumIsSipHash13OfEncoding: Sum is exactly SipHash-1-3 of the
// documented byte string, so other implementations can interoperate.
func TestSumIsSipHash13OfEncoding(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		k := Key{rapid.Uint64().Draw(t, "k0"), rapid.Uint64().Draw(t, "k1")}
		m := Mode(rapid.IntRange(0, 2).Draw(t, "mode"))
		tu := drawTuple(t)
		if got, want := k.Sum(m, tu), SipHash13(k, encode(m, tu)); got != want {
			t.Fatalf("Sum(%v, %+v) = %#x, want SipHash13(%x) = %#x", m, tu, got, encode(m, tu), want)
		}
	})
}

// TestSumModesIgnoreFields: the affinity modes give every flow of a client
// (and protocol) the same hash, whatever its ports.
func TestSumModesIgnoreFields(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b := drawTuple(t), drawTuple(t)
		b.Src, b.Dst = a.Src, a.Dst
		if Sum(SourceIP, a) != Sum(SourceIP, b) {
			t.Fatal("SourceIP depends on ports or protocol")
		}
		b.Proto = a.Proto
		if Sum(SourceIPProtocol, a) != Sum(SourceIPProtocol, b) {
			t.Fatal("SourceIPProtocol depends on ports")
		}
		b.SrcPort, b.DstPort = a.SrcPort, a.DstPort
		if Sum(FiveTuple, a) != Sum(FiveTuple, b) {
			t.Fatal("FiveTuple differs for equal tuples")
		}
	})
}

func TestSumUnmapsIPv4(t *testing.T) {
	mapped := tuple4
	mapped.Src = netip.AddrFrom16(tuple4.Src.As16())
	mapped.Dst = netip.AddrFrom16(tuple4.Dst.As16())
	if Sum(FiveTuple, mapped) != Sum(FiveTuple, tuple4) {
		t.Error("an IPv4-mapped IPv6 tuple hashes differently from its IPv4 form")
	}
}

func TestSumAllocs(t *testing.T) {
	for _, tu := range []Tuple{tuple4, tuple6} {
		if n := testing.AllocsPerRun(100, func() { _ = Sum(FiveTuple, tu) }); n != 0 {
			t.Errorf("Sum(%v) allocates %v times", tu.Src, n)
		}
	}
}

func TestModeString(t *testing.T) {
	for m, want := range map[Mode]string{FiveTuple: "Default", SourceIPProtocol: "SourceIPProtocol", SourceIP: "SourceIP", 9: "Mode(9)"} {
		if got := m.String(); got != want {
			t.Errorf("Mode(%d).String() = %q, want %q", m, got, want)
		}
	}
}

func ExampleSum() {
	t := Tuple{
		Src:     netip.MustParseAddr("198.51.100.7"),
		Dst:     netip.MustParseAddr("203.0.113.10"),
		SrcPort: 49152,
		DstPort: 443,
		Proto:   6,
	}
	other := t
	other.SrcPort = 49153 // the client's next connection

	fmt.Println(Sum(FiveTuple, t) == Sum(FiveTuple, other))
	fmt.Println(Sum(SourceIP, t) == Sum(SourceIP, other))
	// Output:
	// false
	// true
}

func benchmarkSum(b *testing.B, m Mode, tu Tuple) {
	b.ReportAllocs()
	var sink uint64
	for i := 0; b.Loop(); i++ {
		tu.SrcPort = uint16(i)
		sink += Sum(m, tu)
	}
	_ = sink
}

func BenchmarkSum(b *testing.B) {
	b.Run("v4/5-tuple", func(b *testing.B) { benchmarkSum(b, FiveTuple, tuple4) })
	b.Run("v6/5-tuple", func(b *testing.B) { benchmarkSum(b, FiveTuple, tuple6) })
	b.Run("v4/2-tuple", func(b *testing.B) { benchmarkSum(b, SourceIP, tuple4) })
	b.Run("v6/2-tuple", func(b *testing.B) { benchmarkSum(b, SourceIP, tuple6) })
}

func BenchmarkSipHash24Name(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = SipHash24(DefaultKey, "pool-a/10.1.2.3")
	}
}

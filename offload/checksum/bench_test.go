package checksum

import (
	"fmt"
	"net/netip"
	"testing"
)

var benchSizes = []int{64, 128, 256, 512, 1024, 1500, 4096, 9000, 16384, 65536}

func benchmarkSum(b *testing.B, sum func([]byte, uint16) uint16) {
	for _, n := range benchSizes {
		buf := make([]byte, n)
		for i := range buf {
			buf[i] = byte(i*131 + i>>8)
		}
		b.Run(fmt.Sprintf("size=%d", n), func(b *testing.B) {
			b.SetBytes(int64(n))
			b.ReportAllocs()
			var s uint16
			for b.Loop() {
				s = sum(buf, s)
			}
		})
	}
}

func BenchmarkSum(b *testing.B) { benchmarkSum(b, Sum) }

// BenchmarkSumGeneric measures the portable loop, the one purego builds and
// other architectures use.
func BenchmarkSumGeneric(b *testing.B) {
	benchmarkSum(b, func(buf []byte, s uint16) uint16 { return Combine(sumGeneric(buf, 0), s) })
}

func BenchmarkPseudoHeader(b *testing.B) {
	for _, a := range []struct{ name, src, dst string }{
		{"ipv4", "192.0.2.1", "198.51.100.7"},
		{"ipv6", "2001:db8::1", "2001:db8:ffff::7"},
	} {
		src, dst := netip.MustParseAddr(a.src), netip.MustParseAddr(a.dst)
		b.Run(a.name, func(b *testing.B) {
			b.ReportAllocs()
			var s uint16
			for b.Loop() {
				s += PseudoHeader(src, dst, 6, 1480+int(s&1))
			}
		})
	}
}

func BenchmarkUpdate(b *testing.B) {
	v6a, v6b := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8:ffff::7")
	v4a, v4b := netip.MustParseAddr("10.0.0.7"), netip.MustParseAddr("203.0.113.9")
	b.Run("16", func(b *testing.B) {
		b.ReportAllocs()
		f := uint16(0x1234)
		for b.Loop() {
			f = Update16(f, 0x4006, 0x3f06)
		}
	})
	b.Run("32", func(b *testing.B) {
		b.ReportAllocs()
		f := uint16(0x1234)
		for b.Loop() {
			f = Update32(f, 0xdeadbeef, 0xfeedface)
		}
	})
	b.Run("addr=ipv4", func(b *testing.B) {
		b.ReportAllocs()
		f := uint16(0x1234)
		for b.Loop() {
			f = UpdateAddr(f, v4a, v4b)
		}
	})
	b.Run("addr=ipv6", func(b *testing.B) {
		b.ReportAllocs()
		f := uint16(0x1234)
		for b.Loop() {
			f = UpdateAddr(f, v6a, v6b)
		}
	})
}

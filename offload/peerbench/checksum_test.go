package peerbench

import (
	"fmt"
	"math/rand/v2"
	"testing"

	sdnchecksum "github.com/sdnfabric/sdnfabric/offload/checksum"
	gvchecksum "gvisor.dev/gvisor/pkg/tcpip/checksum"
)

// checksumSizes are the buffer sizes both implementations are measured at:
// minimum frames, MTU-sized packets, jumbo frames and 64 KiB GSO/GRO
// super-packets.
var checksumSizes = []int{64, 128, 256, 512, 1024, 1500, 4096, 9000, 16384, 65536}

var checksumImpls = []struct {
	name string
	sum  func([]byte, uint16) uint16
}{
	{"sdnfabric", sdnchecksum.Sum},
	{"gvisor", gvchecksum.Checksum},
}

// checksumData returns n pseudo-random bytes, the same for every run.
func checksumData(n int) []byte {
	r := rand.New(rand.NewPCG(1, uint64(n)))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestChecksumAgrees makes sure the benchmark compares like with like: both
// return the folded, uncomplemented RFC 1071 sum.
func TestChecksumAgrees(t *testing.T) {
	for _, n := range append([]int{0, 1, 2, 3, 7, 63}, checksumSizes...) {
		b := checksumData(n + 1)
		for _, off := range []int{0, 1} {
			buf := b[off : off+n]
			for _, initial := range []uint16{0, 1, 0xfffe, 0xffff} {
				a, g := sdnchecksum.Sum(buf, initial), gvchecksum.Checksum(buf, initial)
				if a != g && !(a == 0xffff && g == 0 || a == 0 && g == 0xffff) {
					t.Errorf("len %d off %d initial %#04x: sdnfabric %#04x, gvisor %#04x", n, off, initial, a, g)
				}
			}
		}
	}
}

// BenchmarkChecksum runs both implementations over the same bytes, as
// sub-benchmarks impl=.../size=... that benchstat can set side by side
// (benchstat -col /impl out.txt). Sizes are the outer loop so that the two
// implementations at one size run next to each other in time, which keeps
// the noise of a shared machine out of their ratio.
func BenchmarkChecksum(b *testing.B) {
	for _, n := range checksumSizes {
		buf := checksumData(n)
		for _, impl := range checksumImpls {
			b.Run(fmt.Sprintf("impl=%s/size=%d", impl.name, n), func(b *testing.B) {
				b.SetBytes(int64(n))
				b.ReportAllocs()
				var s uint16
				for b.Loop() {
					s = impl.sum(buf, s)
				}
			})
		}
	}
}

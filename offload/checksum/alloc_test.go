package checksum

import (
	"net/netip"
	"testing"
)

func TestZeroAllocs(t *testing.T) {
	b := make([]byte, 1500)
	src := netip.MustParseAddr("2001:db8::1")
	dst := netip.MustParseAddr("2001:db8::2")
	v4 := netip.MustParseAddr("192.0.2.1")
	var sink uint16
	for name, fn := range map[string]func(){
		"Sum":          func() { sink += Sum(b, sink) },
		"PseudoHeader": func() { sink += PseudoHeader(src, dst, 6, 1480) },
		"Update16":     func() { sink = Update16(sink, 1, 2) },
		"Update32":     func() { sink = Update32(sink, 1, 2) },
		"UpdateAddr":   func() { sink = UpdateAddr(sink, src, v4) },
	} {
		if n := testing.AllocsPerRun(100, fn); n != 0 {
			t.Errorf("%s allocates %v times per call, want 0", name, n)
		}
	}
}

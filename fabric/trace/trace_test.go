package trace_test

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/sdnfabric/sdnfabric/fabric/trace"
)

// ipv4 builds an IPv4 header (no checksum) with payload.
func ipv4(src, dst string, proto byte, payload []byte) []byte {
	h := make([]byte, 20, 20+len(payload))
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(payload)))
	h[8], h[9] = 64, proto
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	copy(h[12:], s[:])
	copy(h[16:], d[:])
	return append(h, payload...)
}

func tcp(sport, dport uint16, flags byte, data string) []byte {
	t := make([]byte, 20)
	binary.BigEndian.PutUint16(t, sport)
	binary.BigEndian.PutUint16(t[2:], dport)
	t[12], t[13] = 5<<4, flags
	return append(t, data...)
}

func ether(payload []byte) []byte {
	f := make([]byte, 14, 14+len(payload))
	f[0], f[6] = 2, 2
	f[12] = 0x08
	return append(f, payload...)
}

func vxlan(outerSrc, outerDst string, vni uint32, inner []byte) []byte {
	u := make([]byte, 16)
	binary.BigEndian.PutUint16(u, 50000)
	binary.BigEndian.PutUint16(u[2:], 4789)
	binary.BigEndian.PutUint16(u[4:], uint16(16+len(inner)))
	u[8] = 0x08
	binary.BigEndian.PutUint32(u[12:], vni<<8)
	return ipv4(outerSrc, outerDst, 17, append(u, inner...))
}

func TestDescribe(t *testing.T) {
	syn := ether(ipv4("192.168.200.10", "192.168.102.10", 6, tcp(40000, 80, 0x02, "")))
	data := ether(ipv4("192.168.102.10", "192.168.200.10", 6, tcp(80, 40000, 0x18, "hello")))
	encap := vxlan("192.168.100.20", "192.168.100.31", 5001, syn)
	for _, c := range []struct {
		got, want string
	}{
		{trace.Describe(syn), "TCP 192.168.200.10:40000 > 192.168.102.10:80 [S]"},
		{trace.Describe(data), "TCP 192.168.102.10:80 > 192.168.200.10:40000 [.P] len 5"},
		{trace.DescribeIP(encap), "VXLAN vni 5001 192.168.100.20 > 192.168.100.31 | TCP 192.168.200.10:40000 > 192.168.102.10:80 [S]"},
		{trace.Describe([]byte{1, 2}), "malformed Ethernet"},
		{trace.DescribeIP([]byte{0x45}), "malformed IPv4"},
		{trace.DescribeIP(ipv4("10.0.0.1", "10.0.0.2", 17, []byte{0, 53, 0, 53, 0, 9, 0, 0, 'x'})), "UDP 10.0.0.1:53 > 10.0.0.2:53 len 1"},
	} {
		if c.got != c.want {
			t.Errorf("got  %q\nwant %q", c.got, c.want)
		}
	}
	if got := strings.Join(trace.VXLANHeaders(encap), ", "); got != "IPv4 192.168.100.20 > 192.168.100.31, UDP 50000 > 4789, VXLAN vni 5001" {
		t.Errorf("VXLANHeaders = %q", got)
	}
}

func TestRecorderWatchesFlowsInsideVXLAN(t *testing.T) {
	r := trace.NewRecorder(2)
	client := netip.MustParseAddr("192.168.200.10")
	syn := ether(ipv4("192.168.200.10", "192.168.102.10", 6, tcp(40000, 80, 0x02, "")))
	encap := vxlan("192.168.100.20", "192.168.100.31", 5001, syn)
	if r.WantsFrame(syn) || r.WantsIP(encap) {
		t.Fatal("wants a frame before any watch")
	}
	stop := r.Watch(client)
	if !r.WantsFrame(syn) || !r.WantsIP(encap) || !r.WantsFrame(ether(encap)) {
		t.Fatal("does not want the watched flow")
	}
	if r.WantsFrame(ether(ipv4("10.0.0.1", "10.0.0.2", 6, tcp(1, 2, 2, "")))) {
		t.Error("wants another flow")
	}
	for range 3 {
		r.Record(trace.Event{Node: "n", Layer: "l", Action: "a"})
	}
	if ev := r.Events(); len(ev) != 2 || ev[1].Seq != 2 || r.Dropped() != 1 {
		t.Errorf("events %v, dropped %d", ev, r.Dropped())
	}
	stop()
	stop()
	if r.WantsFrame(syn) {
		t.Error("still watching after stop")
	}
	r.Reset()
	if len(r.Events()) != 0 {
		t.Error("Reset kept events")
	}
	var none *trace.Recorder
	none.Record(trace.Event{})
	if none.WantsFrame(syn) || none.WantsIP(encap) {
		t.Error("nil recorder wants frames")
	}
}

func TestWantsDoesNotAllocateWhenIdle(t *testing.T) {
	r := trace.NewRecorder(0)
	f := ether(ipv4("192.168.200.10", "192.168.102.10", 6, tcp(40000, 80, 0x02, "")))
	if n := testing.AllocsPerRun(100, func() { r.WantsFrame(f) }); n != 0 {
		t.Errorf("WantsFrame allocates %v", n)
	}
}

func FuzzDescribe(f *testing.F) {
	syn := ether(ipv4("192.168.200.10", "192.168.102.10", 6, tcp(40000, 80, 0x02, "")))
	f.Add(syn)
	f.Add(ether(vxlan("1.1.1.1", "2.2.2.2", 7, syn)))
	f.Add([]byte{})
	r := trace.NewRecorder(1)
	r.Watch(netip.MustParseAddr("192.168.200.10"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = trace.Describe(b)
		_ = trace.DescribeIP(b)
		_ = trace.VXLANHeaders(b)
		_ = r.WantsFrame(b)
		_ = r.WantsIP(b)
	})
}

func Example() {
	r := trace.NewRecorder(0)
	stop := r.Watch(netip.MustParseAddr("192.168.200.10"))
	defer stop()
	syn := ether(ipv4("192.168.200.10", "192.168.102.10", 6, tcp(40000, 80, 0x02, "")))
	if r.WantsFrame(syn) {
		r.Record(trace.Event{Node: "BGPVM", Layer: "router", Action: "forward", Packet: trace.Describe(syn), Rule: "ebgp 192.168.102.10/32"})
	}
	for _, e := range r.Events() {
		fmt.Println(e)
	}
	// Output: BGPVM     router  forward  TCP 192.168.200.10:40000 > 192.168.102.10:80 [S] [ebgp 192.168.102.10/32]
}

//go:build linux

package lab

import (
	"encoding/binary"
	"testing"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// tcp4Frame returns an Ethernet frame of a TCPv4 segment with n bytes of
// payload, as a kernel hands it to a TAP that accepted TSO: the TCP
// checksum holds 0 (what a partial checksum starts from is not checked
// here).
func tcp4Frame(n int) []byte {
	f := make([]byte, 14+20+20+n)
	copy(f, []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00})
	ip := f[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+20+n))
	ip[6], ip[8], ip[9] = 0x40, 64, 6
	copy(ip[12:], []byte{10, 0, 0, 1, 10, 0, 0, 2})
	tcp := ip[20:]
	binary.BigEndian.PutUint16(tcp[0:], 40000)
	binary.BigEndian.PutUint16(tcp[2:], 80)
	tcp[12], tcp[13] = 5<<4, 0x18 // PSH|ACK
	binary.BigEndian.PutUint16(tcp[14:], 65535)
	return f
}

// superHdr is the virtio-net header of a TCPv4 super-frame from the kernel.
var superHdr = virtio.NetHdr{Flags: virtio.FlagNeedsCsum, GSOType: virtio.GSOTCPv4, HdrLen: 54, GSOSize: 1448, CsumStart: 34, CsumOffset: 16}

// testGuest returns a TSO guest as the lab builds it, for a machine on a
// host (the vNIC segments: onNet false) or on a network (it segments
// itself), with no TAP or namespace: packets go in through
// fromKernelPacket and out on a wire to far, which discards them.
func testGuest(t testing.TB, onNet bool) (g *kernelGuest, far *netsim.Port) {
	near, far := netsim.NewWire("fuzz", netsim.WireConfig{})
	far.SetReceiver(func([]byte) {})
	t.Cleanup(func() { near.Close(); far.Close() })
	m := runtime.Machine{Name: "vm", Host: "host1"}
	if onNet {
		m.Host = ""
	}
	g, err := newKernelGuest("unused", m, near, true, true)
	if err != nil {
		t.Fatal(err)
	}
	return g, far
}

// readPacket decodes b as tap.Device.ReadPacket decodes what it reads.
func readPacket(b []byte) (virtio.NetHdr, []byte, error) {
	h, err := virtio.DecodeNetHdr(b)
	if err != nil {
		return h, b[min(len(b), virtio.NetHdrLen):], err
	}
	frame := b[virtio.NetHdrLen:]
	return h, frame, h.Validate(len(frame))
}

// FuzzFromKernel: whatever the kernel side of a TAP writes (a bogus
// virtio-net header: gso_size 0, hdr_len past the frame, csum_start or
// csum_offset out of range, an unaccepted GSO type; a truncated or
// garbled frame), the guest never panics and counts the packet exactly
// once, as carried or as dropped.
func FuzzFromKernel(f *testing.F) {
	super := superHdr.Append(nil)
	f.Add(append(super, tcp4Frame(5000)...), true)
	f.Add(append(super, tcp4Frame(5000)...), false)
	f.Add(append(make([]byte, virtio.NetHdrLen), tcp4Frame(100)...), true)
	partial := virtio.NetHdr{Flags: virtio.FlagNeedsCsum, CsumStart: 34, CsumOffset: 16}
	f.Add(append(partial.Append(nil), tcp4Frame(100)...), false)
	for _, bad := range []virtio.NetHdr{
		{GSOType: virtio.GSOTCPv4, HdrLen: 54},                                                                   // gso_size 0
		{GSOType: virtio.GSOTCPv4, HdrLen: 60000, GSOSize: 1448},                                                 // hdr_len past the frame
		{Flags: virtio.FlagNeedsCsum, GSOType: virtio.GSOTCPv4, GSOSize: 1448, CsumStart: 60000, CsumOffset: 16}, // csum_start out of range
		{Flags: virtio.FlagNeedsCsum, CsumStart: 34, CsumOffset: 60000},                                          // csum_offset out of range
		{Flags: virtio.FlagNeedsCsum, GSOType: virtio.GSOUDPL4, GSOSize: 1000, CsumStart: 34, CsumOffset: 6},
		{Flags: virtio.FlagNeedsCsum, GSOType: virtio.GSOTCPv4, HdrLen: 54, GSOSize: 1, CsumStart: 34, CsumOffset: 16},
	} {
		f.Add(append(bad.Append(nil), tcp4Frame(3000)...), true)
	}
	f.Add(append(super, tcp4Frame(0)[:20]...), true)
	f.Add([]byte{1, 2, 3}, false)
	f.Fuzz(func(t *testing.T, b []byte, onNet bool) {
		g, _ := testGuest(t, onNet)
		h, frame, err := readPacket(b)
		g.fromKernelPacket(h, frame, err)
		if s := g.stats(); s.FromKernel+s.Dropped != 1 {
			t.Fatalf("one packet counted %d times (%+v)", s.FromKernel+s.Dropped, s)
		}
	})
}

// TestFromKernelBogusHeaders: a super-frame whose virtio-net header the
// TAP's reader rejects, or one the guest never accepted, is dropped and
// counted; a good one is carried (segmented by the guest of a machine on
// a network).
func TestFromKernelBogusHeaders(t *testing.T) {
	frame := tcp4Frame(3000)
	for _, c := range []struct {
		name    string
		h       virtio.NetHdr
		carried bool
	}{
		{"good", superHdr, true},
		{"gso_size 0", virtio.NetHdr{Flags: virtio.FlagNeedsCsum, GSOType: virtio.GSOTCPv4, HdrLen: 54, CsumStart: 34, CsumOffset: 16}, false},
		{"csum_start past the frame", virtio.NetHdr{Flags: virtio.FlagNeedsCsum, GSOType: virtio.GSOTCPv4, HdrLen: 54, GSOSize: 1448, CsumStart: 9000, CsumOffset: 16}, false},
		{"csum_offset past the frame", virtio.NetHdr{Flags: virtio.FlagNeedsCsum, CsumStart: 34, CsumOffset: 9000}, false},
		{"UDP segmentation never accepted", virtio.NetHdr{Flags: virtio.FlagNeedsCsum, GSOType: virtio.GSOUDPL4, HdrLen: 42, GSOSize: 1000, CsumStart: 34, CsumOffset: 6}, false},
	} {
		for _, onNet := range []bool{false, true} {
			g, _ := testGuest(t, onNet)
			h, f, err := readPacket(append(c.h.Append(nil), frame...))
			g.fromKernelPacket(h, f, err)
			s := g.stats()
			if got := s.FromKernel == 1 && s.Dropped == 0; got != c.carried {
				t.Errorf("%s (on a network %v): carried %v, want %v (%+v)", c.name, onNet, got, c.carried, s)
			}
			if c.carried && onNet {
				if sent, want := g.port.Stats().TxFrames, uint64((3000+1447)/1448); sent != want {
					t.Errorf("%s: %d segments sent, want %d", c.name, sent, want)
				}
			}
		}
	}
}

// TestFromKernelAllocs: carrying a plain frame, a partial checksum or a
// super-frame the guest segments allocates nothing.
func TestFromKernelAllocs(t *testing.T) {
	partial := virtio.NetHdr{Flags: virtio.FlagNeedsCsum, CsumStart: 34, CsumOffset: 16}
	for _, c := range []struct {
		name  string
		h     virtio.NetHdr
		frame []byte
	}{
		{"plain", virtio.NetHdr{}, tcp4Frame(100)},
		{"partial checksum", partial, tcp4Frame(100)},
		{"super-frame", superHdr, tcp4Frame(5000)},
	} {
		g, far := testGuest(t, true)
		far.Close() // what netsim's queues allocate is not the guest's
		if n := testing.AllocsPerRun(100, func() { g.fromKernelPacket(c.h, c.frame, nil) }); n != 0 {
			t.Errorf("%s: %v allocations per packet, want 0", c.name, n)
		}
		if s := g.stats(); s.Dropped != 0 {
			t.Errorf("%s: %d dropped", c.name, s.Dropped)
		}
	}
}

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

// rxKind is what reads a TAP: the guest of a machine on a host (its vNIC
// segments), of a machine on a network (it segments itself), or an
// uplink (no offloads).
type rxKind uint8

const (
	rxVNIC rxKind = iota
	rxNetwork
	rxUplink
	rxKinds
)

func (k rxKind) String() string {
	return [...]string{"vNIC guest", "network guest", "uplink"}[k%rxKinds]
}

// testRx returns a tapRx of kind k as the lab builds it, with no TAP:
// packets go in through packet and out on a wire to far, which discards
// them.
func testRx(t testing.TB, k rxKind) (r *tapRx, far *netsim.Port) {
	near, far := netsim.NewWire("fuzz", netsim.WireConfig{})
	far.SetReceiver(func([]byte) {})
	t.Cleanup(func() { near.Close(); far.Close() })
	if k == rxUplink {
		return &tapRx{port: near}, far
	}
	m := runtime.Machine{Name: "vm", Host: "host1"}
	if k == rxNetwork {
		m.Host = ""
	}
	g, err := newKernelGuest("unused", m, near, true, true)
	if err != nil {
		t.Fatal(err)
	}
	return g.tapRx, far
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

// FuzzTapRx: whatever the kernel side of a TAP writes (a bogus virtio-net
// header: gso_size 0, hdr_len past the frame, csum_start or csum_offset
// out of range, an unaccepted GSO type; a truncated or garbled frame),
// a guest or an uplink never panics and counts the packet exactly once,
// as carried or as dropped.
func FuzzTapRx(f *testing.F) {
	super := superHdr.Append(nil)
	for k := range rxKinds {
		f.Add(append(super, tcp4Frame(5000)...), uint8(k))
	}
	f.Add(append(make([]byte, virtio.NetHdrLen), tcp4Frame(100)...), uint8(rxNetwork))
	partial := virtio.NetHdr{Flags: virtio.FlagNeedsCsum, CsumStart: 34, CsumOffset: 16}
	f.Add(append(partial.Append(nil), tcp4Frame(100)...), uint8(rxUplink))
	for _, bad := range []virtio.NetHdr{
		{GSOType: virtio.GSOTCPv4, HdrLen: 54},                                                                   // gso_size 0
		{GSOType: virtio.GSOTCPv4, HdrLen: 60000, GSOSize: 1448},                                                 // hdr_len past the frame
		{Flags: virtio.FlagNeedsCsum, GSOType: virtio.GSOTCPv4, GSOSize: 1448, CsumStart: 60000, CsumOffset: 16}, // csum_start out of range
		{Flags: virtio.FlagNeedsCsum, CsumStart: 34, CsumOffset: 60000},                                          // csum_offset out of range
		{Flags: virtio.FlagNeedsCsum, GSOType: virtio.GSOUDPL4, GSOSize: 1000, CsumStart: 34, CsumOffset: 6},
		{Flags: virtio.FlagNeedsCsum, GSOType: virtio.GSOTCPv4, HdrLen: 54, GSOSize: 1, CsumStart: 34, CsumOffset: 16},
	} {
		f.Add(append(bad.Append(nil), tcp4Frame(3000)...), uint8(rxNetwork))
	}
	f.Add(append(super, tcp4Frame(0)[:20]...), uint8(rxVNIC))
	f.Add([]byte{1, 2, 3}, uint8(rxUplink))
	f.Fuzz(func(t *testing.T, b []byte, kind uint8) {
		r, _ := testRx(t, rxKind(kind%uint8(rxKinds)))
		h, frame, err := readPacket(b)
		r.packet(h, frame, err)
		if n := r.fromKernel.Load() + r.dropped.Load(); n != 1 {
			t.Fatalf("one packet counted %d times", n)
		}
	})
}

// TestTapRxBogusHeaders: a super-frame whose virtio-net header the TAP's
// reader rejects, or one the TAP never accepted (an uplink's takes none),
// is dropped and counted; a good one is carried whole, as a netsim
// super-frame.
func TestTapRxBogusHeaders(t *testing.T) {
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
		for k := range rxKinds {
			r, _ := testRx(t, k)
			h, f, err := readPacket(append(c.h.Append(nil), frame...))
			r.packet(h, f, err)
			want := c.carried && k != rxUplink
			if got := r.fromKernel.Load() == 1 && r.dropped.Load() == 0; got != want {
				t.Errorf("%s (%s): carried %v, want %v", c.name, k, got, want)
			}
			if want {
				if sent := r.port.Stats().TxFrames; sent != 1 {
					t.Errorf("%s (%s): %d frames sent, want the super-frame whole", c.name, k, sent)
				}
			}
		}
	}
}

// TestTapRxAllocs: carrying a plain frame, a partial checksum or a
// super-frame allocates nothing.
func TestTapRxAllocs(t *testing.T) {
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
		r, far := testRx(t, rxNetwork)
		far.Close() // what netsim's queues allocate is not the guest's
		if n := testing.AllocsPerRun(100, func() { r.packet(c.h, c.frame, nil) }); n != 0 {
			t.Errorf("%s: %v allocations per packet, want 0", c.name, n)
		}
		if d := r.dropped.Load(); d != 0 {
			t.Errorf("%s: %d dropped", c.name, d)
		}
	}
}

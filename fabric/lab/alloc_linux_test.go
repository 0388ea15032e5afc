//go:build linux

package lab

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"testing"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
)

// TestBridgeToKernelAllocs holds the bridge's write of a frame into a
// machine's TAP at zero allocations.
func TestBridgeToKernelAllocs(t *testing.T) {
	if err := supported(); err != nil {
		t.Skip(err)
	}
	ns := fmt.Sprintf("fl%d-alloc", os.Getpid())
	t.Cleanup(func() { _ = deleteNamespace(ns) })
	a, b := netsim.NewWire("alloc", netsim.WireConfig{})
	defer b.Close()
	b.SetReceiver(func([]byte) {})
	m := runtime.Machine{Name: "m", Addr: netip.MustParsePrefix("10.99.7.2/24"), MAC: header.MAC{0x02, 0, 0, 0, 0, 1}}
	g, err := startKernelGuest(context.Background(), ns, m, a, false, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer g.close()
	// A UDP datagram to the machine, which its kernel drops (no socket).
	frame := make([]byte, 14+20+8+64)
	copy(frame, []byte{0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00})
	ip := frame[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, 17
	ip[2], ip[3] = 0, byte(len(ip))
	copy(ip[12:], []byte{10, 99, 7, 1, 10, 99, 7, 2})
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(ip[i])<<8 | uint32(ip[i+1])
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	ip[10], ip[11] = byte(^sum>>8), byte(^sum)
	ip[20], ip[21], ip[22], ip[23] = 0x30, 0x39, 0x30, 0x39
	ip[24], ip[25] = 0, byte(8+64)
	if n := testing.AllocsPerRun(200, func() { g.toKernelFrame(frame) }); n != 0 {
		t.Errorf("toKernelFrame: %.1f allocations per frame, want 0", n)
	}
	// A TCP segment: held by the coalescer, and written when the port's
	// queue is found empty.
	tcp := make([]byte, 14+20+20+100)
	copy(tcp, frame[:14+20])
	tip := tcp[14:]
	tip[2], tip[3], tip[9] = 0, byte(len(tip)), 6
	tip[10], tip[11] = 0, 0
	sum = 0
	for i := 0; i < 20; i += 2 {
		sum += uint32(tip[i])<<8 | uint32(tip[i+1])
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	tip[10], tip[11] = byte(^sum>>8), byte(^sum)
	tip[20], tip[21], tip[22], tip[23] = 0x30, 0x39, 0x00, 0x50
	tip[32], tip[33] = 0x50, 0x10 // data offset 5, ACK
	seg := tip[20:]
	c := ^checksum.Sum(seg, checksum.PseudoHeader(netip.AddrFrom4([4]byte(tip[12:16])), netip.AddrFrom4([4]byte(tip[16:20])), 6, len(seg)))
	seg[16], seg[17] = byte(c>>8), byte(c)
	if n := testing.AllocsPerRun(200, func() { g.toKernelFrame(tcp) }); n != 0 {
		t.Errorf("toKernelFrame of a TCP segment: %.1f allocations per frame, want 0", n)
	}
	if g.gro.Held() != 0 {
		t.Errorf("%d flows still held after the port's queue emptied", g.gro.Held())
	}
	if st := g.gro.Stats(); st.BadChecksum != 0 || st.PassThrough >= st.Packets {
		t.Errorf("coalescer %+v: want the TCP segments held, not passed through", st)
	}
	if st := g.stats(); st.ToKernel == 0 || st.Dropped != 0 {
		t.Errorf("stats %+v: want frames written and none dropped", st)
	}
	// A super-frame (4000 bytes of payload, MSS 1448), as it crosses the
	// fabric from a TSO machine: the kernel takes it whole, as a GSO
	// frame whose header and partial checksum toKernelSuper writes.
	super := make([]byte, 14+20+20+4000)
	copy(super, tcp[:14+20+20])
	sip := super[14:]
	sip[2], sip[3], sip[10], sip[11] = byte(len(sip)>>8), byte(len(sip)), 0, 0
	c = ^checksum.Sum(sip[:20], 0)
	sip[10], sip[11] = byte(c>>8), byte(c)
	before := g.stats()
	if n := testing.AllocsPerRun(200, func() { g.toKernelSuper(super, 1448) }); n != 0 {
		t.Errorf("toKernelSuper: %.1f allocations per super-frame, want 0", n)
	}
	if st := g.stats(); st.Dropped != 0 || st.ToKernel-before.ToKernel != 201 || st.Merged-before.Merged != 201 {
		t.Errorf("stats %+v after %+v: want 201 GSO frames written, none dropped", st, before)
	}
}

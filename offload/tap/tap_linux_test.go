//go:build linux

package tap

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{
		{Name: "a-name-longer-than-15"},
		{Offload: OffloadTSO4},
		{Offload: OffloadUSO6},
	} {
		_, err := Open(cfg)
		var e *Error
		if !errors.Is(err, ErrConfig) || !errors.As(err, &e) {
			t.Errorf("Open(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
}

func TestOffloadString(t *testing.T) {
	for o, want := range map[Offload]string{
		0:                                       "none",
		OffloadCsum | OffloadTSO4 | OffloadTSO6: "csum|tso4|tso6",
		OffloadUSO6 | 0x100:                     "uso6|0x100",
	} {
		if got := o.String(); got != want {
			t.Errorf("%#x.String() = %q, want %q", uint32(o), got, want)
		}
	}
}

// openTestTAP creates a namespace holding an up TAP device with address
// 10.99.6.1/24 and a permanent neighbour 10.99.6.2, so packets sent to
// that neighbour come out of the device.
func openTestTAP(t *testing.T, off Offload) (*Device, string) {
	ns := newNetNS(t, "u")
	d, err := Open(Config{Name: "tapu", Offload: off, NetNS: "/run/netns/" + ns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	ipCmd(t, "-n", ns, "addr", "add", "10.99.6.1/24", "dev", "tapu")
	ipCmd(t, "-n", ns, "link", "set", "tapu", "up")
	ipCmd(t, "-n", ns, "neigh", "add", "10.99.6.2", "lladdr", "02:00:00:00:06:02", "dev", "tapu", "nud", "permanent")
	return d, ns
}

func TestOpenReadWrite(t *testing.T) {
	needRootAndIP(t)
	d, ns := openTestTAP(t, OffloadAll)
	if d.Name() != "tapu" {
		t.Errorf("Name() = %q", d.Name())
	}
	if want := OffloadCsum | OffloadTSO4 | OffloadTSO6; d.Offload()&want != want {
		t.Errorf("Offload() = %v, want at least %v", d.Offload(), want)
	}
	t.Logf("kernel accepted offloads %v of %v", d.Offload(), OffloadAll)

	var conn *net.UDPConn
	if err := inNetNS(ns, func() (err error) {
		conn, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(10, 99, 6, 1)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	to := netip.MustParseAddrPort("10.99.6.2:7")
	payload := []byte("hello, tap")
	buf := make([]byte, ReadBufferSize)

	// Read until our datagram shows up (IPv6 router solicitations and the
	// like may come first).
	if _, err := conn.WriteToUDPAddrPort(payload, to); err != nil {
		t.Fatal(err)
	}
	for {
		h, frame, err := d.ReadPacket(buf)
		if err != nil {
			t.Fatal(err)
		}
		if len(frame) < 42 || frame[12] != 0x08 || frame[13] != 0x00 || frame[23] != 17 {
			continue
		}
		if string(frame[42:]) != string(payload) {
			t.Fatalf("payload %q", frame[42:])
		}
		// The kernel leaves the UDP checksum partial (TUN_F_CSUM).
		if !h.NeedsChecksum() || h.CsumStart != 34 || h.CsumOffset != 6 {
			t.Errorf("header %+v, want NEEDS_CSUM at 34+6", h)
		}
		break
	}

	// Write a UDP datagram to the socket, its checksum left partial: the
	// kernel must accept NEEDS_CSUM from user space.
	var mac net.HardwareAddr
	if err := inNetNS(ns, func() error {
		ifi, err := net.InterfaceByName("tapu")
		if err == nil {
			mac = ifi.HardwareAddr
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	local := netip.AddrPortFrom(netip.MustParseAddr("10.99.6.1"), uint16(conn.LocalAddr().(*net.UDPAddr).Port))
	frame, hdr := udpFrame(mac, to, local, []byte("hello, kernel"))
	if err := d.WritePacket(hdr, frame); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := make([]byte, 100)
	n, from, err := conn.ReadFromUDPAddrPort(got)
	if err != nil {
		t.Fatal(err)
	}
	if string(got[:n]) != "hello, kernel" || from != to {
		t.Errorf("socket read %q from %v", got[:n], from)
	}

	if err := d.WritePacket(virtio.NetHdr{}, make([]byte, 10)); !errors.Is(err, ErrShortBuffer) {
		t.Errorf("short frame: %v", err)
	}
}

// udpFrame builds an Ethernet/IPv4/UDP frame from src to dst whose UDP
// checksum is partial, and the virtio-net header that says so.
func udpFrame(dstMAC net.HardwareAddr, src, dst netip.AddrPort, payload []byte) ([]byte, virtio.NetHdr) {
	ulen := 8 + len(payload)
	f := make([]byte, 14+20+ulen)
	copy(f[0:6], dstMAC)
	copy(f[6:12], []byte{0x02, 0, 0, 0, 0x06, 0x02})
	binary.BigEndian.PutUint16(f[12:], 0x0800)
	ip := f[14:34]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+ulen))
	ip[6] = 0x40 // DF
	ip[8] = 64
	ip[9] = 17
	s4, d4 := src.Addr().As4(), dst.Addr().As4()
	copy(ip[12:], s4[:])
	copy(ip[16:], d4[:])
	binary.BigEndian.PutUint16(ip[10:], ^checksum.Sum(ip, 0))
	u := f[34:]
	binary.BigEndian.PutUint16(u[0:], src.Port())
	binary.BigEndian.PutUint16(u[2:], dst.Port())
	binary.BigEndian.PutUint16(u[4:], uint16(ulen))
	binary.BigEndian.PutUint16(u[6:], checksum.PseudoHeader(src.Addr(), dst.Addr(), 17, ulen))
	copy(u[8:], payload)
	return f, virtio.NetHdr{Flags: virtio.FlagNeedsCsum, CsumStart: 34, CsumOffset: 6}
}

func TestReadWriteAllocs(t *testing.T) {
	needRootAndIP(t)
	d, ns := openTestTAP(t, OffloadCsum)
	var conn *net.UDPConn
	if err := inNetNS(ns, func() (err error) {
		conn, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(10, 99, 6, 1)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	to := netip.MustParseAddrPort("10.99.6.2:7")
	payload := make([]byte, 100)
	buf := make([]byte, ReadBufferSize)
	// An Ethernet frame to nobody: the kernel drops it after accepting it.
	junk := make([]byte, 60)
	copy(junk, []byte{0x02, 0, 0, 0, 0, 0x99, 0x02, 0, 0, 0, 0, 0x98, 0x88, 0xb5})
	n := testing.AllocsPerRun(50, func() {
		if _, err := conn.WriteToUDPAddrPort(payload, to); err != nil {
			t.Fatal(err)
		}
		if _, _, err := d.ReadPacket(buf); err != nil {
			t.Fatal(err)
		}
		if err := d.WritePacket(virtio.NetHdr{}, junk); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("ReadPacket+WritePacket allocate %v times per packet, want 0", n)
	}
}

func TestCloseUnblocksRead(t *testing.T) {
	needRootAndIP(t)
	ns := newNetNS(t, "c")
	d, err := Open(Config{Offload: OffloadCsum, NetNS: "/run/netns/" + ns})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, _, err := d.ReadPacket(make([]byte, ReadBufferSize))
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	d.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, os.ErrClosed) {
			t.Errorf("ReadPacket after Close = %v, want os.ErrClosed", err)
		}
		if err := d.WritePacket(virtio.NetHdr{}, make([]byte, 60)); !errors.Is(err, os.ErrClosed) {
			t.Errorf("WritePacket after Close = %v, want os.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadPacket still blocked 5 s after Close")
	}
}

func TestReadDeadline(t *testing.T) {
	needRootAndIP(t)
	ns := newNetNS(t, "d")
	d, err := Open(Config{NetNS: "/run/netns/" + ns})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.SetReadDeadline(time.Now().Add(10 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	_, _, err = d.ReadPacket(make([]byte, ReadBufferSize))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("ReadPacket past the deadline = %v, want os.ErrDeadlineExceeded", err)
	}
}

func BenchmarkWritePacket1514(b *testing.B) {
	needRootAndIP(b)
	ns := newNetNS(b, "bw")
	d, err := Open(Config{Name: "tapbw", NetNS: "/run/netns/" + ns})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	ipCmd(b, "-n", ns, "link", "set", "tapbw", "up")
	// A frame to another host's MAC: the kernel takes it and drops it.
	frame := make([]byte, 1514)
	copy(frame, []byte{0x02, 0, 0, 0, 0, 0x99, 0x02, 0, 0, 0, 0, 0x98, 0x88, 0xb5})
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if err := d.WritePacket(virtio.NetHdr{}, frame); err != nil {
			b.Fatal(err)
		}
	}
}

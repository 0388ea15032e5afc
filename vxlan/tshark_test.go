package vxlan

import (
	"encoding/binary"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

// writePcap writes Ethernet frames to a classic pcap file.
func writePcap(t *testing.T, path string, frames [][]byte) {
	t.Helper()
	b := binary.LittleEndian.AppendUint32(nil, 0xa1b2c3d4)
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint16(b, 4)
	b = append(b, make([]byte, 8)...)              // thiszone, sigfigs
	b = binary.LittleEndian.AppendUint32(b, 65535) // snaplen
	b = binary.LittleEndian.AppendUint32(b, 1)     // LINKTYPE_ETHERNET
	for i, f := range frames {
		b = binary.LittleEndian.AppendUint32(b, uint32(i+1))
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(f)))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTshark has Wireshark's dissectors decode whole packets from
// Outer.Encapsulate and EncapsulateGPE (IPv4 and IPv6 outers, every checksum
// mode, GBP, GPE with several next protocols): none may be malformed, every
// field must read as we meant it, and every checksum we computed must verify.
func TestTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("needs tshark (Wireshark's command-line dissector) to check our packets")
	}
	inner := testFrame(200, 45000)
	header.UDP(inner[34:]).SetDestinationPort(45001) // no dissector behind it
	v4 := Outer{Ethernet: true, SrcMAC: header.MAC{2, 0, 0, 0, 0, 1}, DstMAC: header.MAC{2, 0, 0, 0, 0, 2},
		Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2"), DontFragment: true}
	v6 := v4
	v6.Src, v6.Dst = netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	type want struct{ vni, gbp, next, udpStatus, ipStatus string }
	var frames [][]byte
	var wants []want
	add := func(b []byte, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, b)
	}
	// udp.checksum.status: 1 good, 3 not present (zero over IPv4), 4
	// illegal (zero over IPv6: tshark predates RFC 6935). ip.checksum.status
	// is the first IPv4 header's: the outer one, or the inner one.
	add(v4.Encapsulate(nil, Header{VNI: 100}, inner))
	wants = append(wants, want{"100", "0", "", "3", "1"})
	o := v4
	o.UDPChecksum = true
	add(o.Encapsulate(nil, Header{VNI: 16777215, Policy: GroupPolicy{Present: true, DontLearn: true, ID: 0xbeef}}, inner))
	wants = append(wants, want{"16777215", "48879", "", "1", "1"})
	add(v6.Encapsulate(nil, Header{VNI: 1}, inner))
	wants = append(wants, want{"1", "0", "", "1", "1"})
	o = v6
	o.ZeroUDP6Checksum = true
	add(o.Encapsulate(nil, Header{VNI: 2}, inner))
	wants = append(wants, want{"2", "0", "", "4", "1"})
	add(v4.EncapsulateGPE(nil, GPEHeader{VNI: 3, NextProtocol: NextIPv4}, inner[14:]))
	wants = append(wants, want{"3", "", "1", "3", "1"})
	add(v6.EncapsulateGPE(nil, GPEHeader{VNI: 4, NextProtocol: NextEthernet, OAM: true}, inner))
	wants = append(wants, want{"4", "", "3", "1", "1"})

	pcap := filepath.Join(t.TempDir(), "vxlan.pcap")
	writePcap(t, pcap, frames)
	// The one expert error allowed is tshark's on a zero UDP checksum over
	// IPv6, which RFC 6935 permits for tunnels and frame 4 has on purpose.
	out, err := exec.Command("tshark", "-r", pcap, "-Y", "_ws.malformed || (_ws.expert.severity >= error && !(ipv6 && udp.checksum == 0))").Output()
	if err != nil {
		t.Fatal(err)
	}
	if s := strings.TrimSpace(string(out)); s != "" {
		t.Errorf("tshark finds malformed packets or errors:\n%s", s)
	}
	out, err = exec.Command("tshark", "-r", pcap, "-o", "udp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
		"-T", "fields", "-E", "occurrence=f", "-e", "vxlan.vni", "-e", "vxlan.gbp", "-e", "vxlan.next_proto",
		"-e", "udp.checksum.status", "-e", "ip.checksum.status").Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) != len(wants) {
		t.Fatalf("tshark printed %d lines for %d frames:\n%s", len(lines), len(wants), out)
	}
	for i, l := range lines {
		f := strings.Split(l, "\t")
		for len(f) < 5 {
			f = append(f, "")
		}
		got := want{f[0], f[1], f[2], f[3], f[4]}
		if got != wants[i] {
			t.Errorf("frame %d: tshark reads %+v, want %+v", i+1, got, wants[i])
		}
	}
}

package offload

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sdnfabric/sdnfabric/offload/tap"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
	"pgregory.net/rapid"
)

func genFeatures(t *rapid.T, label string) Features {
	return Features(rapid.Uint32Range(0, uint32(All)).Draw(t, label))
}

// The seed's point: turning one property off never turns another off.
func TestTurningOneOffKeepsOthers(t *testing.T) {
	for i := range numFeatures {
		one := Features(1) << i
		f := All.Without(one)
		if f.Has(one) {
			t.Errorf("All.Without(%v) still has it", one)
		}
		for j := range numFeatures {
			other := Features(1) << j
			if j != i && !f.Has(other) {
				t.Errorf("turning off %v turned off %v", one, other)
			}
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		f, g := genFeatures(t, "f"), genFeatures(t, "g")
		if got := f.Without(g); got != f&^g || got.With(f&g) != f {
			t.Fatalf("%v.Without(%v) = %v", f, g, got)
		}
		if !f.With(g).Has(f) || !f.With(g).Has(g) {
			t.Fatalf("%v.With(%v) lost a property", f, g)
		}
	})
}

func TestChecksumIsNotTaskOffload(t *testing.T) {
	// An adapter with TCP checksum offload but no LSO checksums, and
	// does not segment; one with LSO but no checksum offload segments
	// but needs the pipeline for non-LSO checksums.
	csumOnly := TCPv4ChecksumTx
	if csumOnly.SegmentsTCP(false) {
		t.Error("checksum offload implied LSO")
	}
	lsoOnly := LSOv2IPv4
	if lsoOnly.Has(TCPv4ChecksumTx) {
		t.Error("LSO implied checksum offload")
	}
	partialTCP := virtio.NetHdr{Flags: virtio.FlagNeedsCsum, CsumStart: 34, CsumOffset: 16}
	if !csumOnly.AcceptsHeader(partialTCP, false) || lsoOnly.AcceptsHeader(partialTCP, false) {
		t.Error("AcceptsHeader mixes checksum and segmentation properties")
	}
	tso := virtio.NetHdr{Flags: virtio.FlagNeedsCsum, GSOType: virtio.GSOTCPv4, GSOSize: 1448, CsumStart: 34, CsumOffset: 16}
	if csumOnly.AcceptsHeader(tso, false) || !lsoOnly.AcceptsHeader(tso, false) {
		t.Error("AcceptsHeader: TSO packets depend on LSO alone")
	}
}

func TestStringParseRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f := genFeatures(t, "f")
		got, err := Parse(f.String())
		if err != nil {
			t.Fatal(err)
		}
		if got != f {
			t.Fatalf("Parse(%q) = %v, want %v", f.String(), got, f)
		}
	})
}

func TestString(t *testing.T) {
	for f, want := range map[Features]string{
		0:                               "none",
		TCPv4ChecksumTx | LSOv2IPv6:     "tcp4-csum-tx|lso2-ipv6",
		URO | 1<<31:                     "uro|0x80000000",
		IPv4ChecksumRx | IPv4ChecksumTx: "ipv4-csum-tx|ipv4-csum-rx",
	} {
		if got := f.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}

func TestParseNames(t *testing.T) {
	tests := []struct {
		in   string
		want Features
	}{
		{"", 0},
		{"none", 0},
		{"ALL", All},
		{"TCPChecksumOffloadIPv4", TCPv4ChecksumTx | TCPv4ChecksumRx},
		{"*TCPChecksumOffloadIPv4", TCPv4ChecksumTx | TCPv4ChecksumRx},
		{"*TCPChecksumOffloadIPv4Tx", TCPv4ChecksumTx},
		{"udpchecksumoffloadipv6rx", UDPv6ChecksumRx},
		{"IPv4 Checksum Offload", IPv4ChecksumTx | IPv4ChecksumRx},
		{"TCP Checksum Offload (IPv6), Large Send Offload V2 (IPv6)", TCPv6ChecksumTx | TCPv6ChecksumRx | LSOv2IPv6},
		{"Large Send Offload V1 (IPv4)", LSOv1IPv4},
		{"LsoV2IPv4|*RscIPv6", LSOv2IPv4 | RSCIPv6},
		{"Recv Segment Coalescing (IPv4)", RSCIPv4},
		{"*UsoIPv6", USOIPv6},
		{"tx-checksum-ipv4", TCPv4ChecksumTx | UDPv4ChecksumTx},
		{"tx-checksum-ip-generic", TCPv4ChecksumTx | UDPv4ChecksumTx | TCPv6ChecksumTx | UDPv6ChecksumTx},
		{"rx-checksumming", ChecksumRx},
		{"tso, tx-udp-segmentation", LSOv2IPv4 | LSOv2IPv6 | USO},
		{"rx-gro-hw", RSC},
		{"rx-udp-gro-forwarding", URO},
		{" tcp6-csum-tx | lso1-ipv4 ", TCPv6ChecksumTx | LSOv1IPv4},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"tcp", "LsoV3IPv4", "*TCPChecksumOffloadIPv4Xx", "gso", "tx-checksum-ipv4,bogus"} {
		_, err := Parse(bad)
		var fe *FeatureError
		if !errors.Is(err, ErrUnknownFeature) || !errors.As(err, &fe) {
			t.Errorf("Parse(%q) = %v, want ErrUnknownFeature", bad, err)
		}
	}
}

func TestParseKeyword(t *testing.T) {
	tests := []struct {
		kw    string
		value int
		want  Features
	}{
		{"*IPChecksumOffloadIPv4", 0, 0},
		{"*IPChecksumOffloadIPv4", 1, IPv4ChecksumTx},
		{"*IPChecksumOffloadIPv4", 2, IPv4ChecksumRx},
		{"*TCPChecksumOffloadIPv6", 3, TCPv6ChecksumTx | TCPv6ChecksumRx},
		{"LsoV1IPv4", 1, LSOv1IPv4},
		{"*RscIPv4", 0, 0},
		{"*UdpRsc", 1, URO},
	}
	for _, tt := range tests {
		got, err := ParseKeyword(tt.kw, tt.value)
		if err != nil || got != tt.want {
			t.Errorf("ParseKeyword(%q, %d) = %v, %v; want %v", tt.kw, tt.value, got, err, tt.want)
		}
	}
	for _, bad := range []struct {
		kw    string
		value int
	}{{"*LsoV2IPv4", 2}, {"*TCPChecksumOffloadIPv4", 4}, {"*UDPChecksumOffloadIPv4", -1}, {"*JumboPacket", 1}} {
		if _, err := ParseKeyword(bad.kw, bad.value); !errors.Is(err, ErrUnknownFeature) {
			t.Errorf("ParseKeyword(%q, %d) = %v, want ErrUnknownFeature", bad.kw, bad.value, err)
		}
	}
}

func TestTAPMapping(t *testing.T) {
	if got := All.TAPOffload(); got != tap.OffloadCsum|tap.OffloadTSO4|tap.OffloadTSO6|tap.OffloadTSOECN|tap.OffloadUSO4|tap.OffloadUSO6 {
		t.Errorf("All.TAPOffload() = %v", got)
	}
	// LSO without every transmit checksum: the kernel must not hand over
	// super-packets (TSO needs TUN_F_CSUM).
	if got := (LSO | TCPv4ChecksumTx).TAPOffload(); got != 0 {
		t.Errorf("TAPOffload without UDP checksum = %v, want none", got)
	}
	rapid.Check(t, func(t *rapid.T) {
		f := genFeatures(t, "f")
		o := f.TAPOffload()
		back := FeaturesFromTAP(o)
		// The kernel only leaves undone what the adapter does.
		fn := f // LSOv1 and LSOv2 both answer TUN_F_TSO4
		if f.SegmentsTCP(false) {
			fn |= LSOv2IPv4
		}
		if !fn.Has(back) {
			t.Fatalf("%v -> %v -> %v: more than the adapter does", f, o, back)
		}
		if back.TAPOffload() != o {
			t.Fatalf("%v -> %v -> %v -> %v", f, o, back, back.TAPOffload())
		}
		// Every header the kernel may produce under o is one f accepts.
		for _, h := range tapHeaders(o) {
			for _, v6 := range []bool{false, true} {
				if h.GSOKind() == virtio.GSOTCPv4 && v6 || h.GSOKind() == virtio.GSOTCPv6 && !v6 {
					continue
				}
				if h.GSOKind() == virtio.GSOUDPL4 && (v6 && o&tap.OffloadUSO6 == 0 || !v6 && o&tap.OffloadUSO4 == 0) {
					continue
				}
				if !f.AcceptsHeader(h, v6) {
					t.Fatalf("%v (TAP %v) refuses %+v v6=%v", f, o, h, v6)
				}
			}
		}
	})
}

// tapHeaders lists the kinds of header a kernel may hand over under o.
func tapHeaders(o tap.Offload) []virtio.NetHdr {
	hs := []virtio.NetHdr{{}}
	if o&tap.OffloadCsum != 0 {
		hs = append(hs, virtio.NetHdr{Flags: virtio.FlagNeedsCsum, CsumOffset: 16}, virtio.NetHdr{Flags: virtio.FlagNeedsCsum, CsumOffset: 6})
	}
	if o&tap.OffloadTSO4 != 0 {
		hs = append(hs, virtio.NetHdr{Flags: virtio.FlagNeedsCsum, GSOType: virtio.GSOTCPv4, GSOSize: 1448, CsumOffset: 16})
	}
	if o&tap.OffloadTSO6 != 0 {
		hs = append(hs, virtio.NetHdr{Flags: virtio.FlagNeedsCsum, GSOType: virtio.GSOTCPv6 | virtio.GSOECN, GSOSize: 1428, CsumOffset: 16})
	}
	if o&(tap.OffloadUSO4|tap.OffloadUSO6) != 0 {
		hs = append(hs, virtio.NetHdr{Flags: virtio.FlagNeedsCsum, GSOType: virtio.GSOUDPL4, GSOSize: 1400, CsumOffset: 6})
	}
	return hs
}

func TestAcceptsHeader(t *testing.T) {
	tcp := virtio.NetHdr{Flags: virtio.FlagNeedsCsum, CsumOffset: 16}
	udp := virtio.NetHdr{Flags: virtio.FlagNeedsCsum, CsumOffset: 6}
	tso4 := virtio.NetHdr{Flags: virtio.FlagNeedsCsum, GSOType: virtio.GSOTCPv4, GSOSize: 1448, CsumOffset: 16}
	tso6 := virtio.NetHdr{Flags: virtio.FlagNeedsCsum, GSOType: virtio.GSOTCPv6, GSOSize: 1448, CsumOffset: 16}
	uso := virtio.NetHdr{Flags: virtio.FlagNeedsCsum, GSOType: virtio.GSOUDPL4, GSOSize: 1400, CsumOffset: 6}
	ufo := virtio.NetHdr{GSOType: virtio.GSOUDP, GSOSize: 1400}
	tests := []struct {
		f    Features
		h    virtio.NetHdr
		v6   bool
		want bool
	}{
		{0, virtio.NetHdr{}, false, true},
		{0, tcp, false, false},
		{TCPv4ChecksumTx, tcp, false, true},
		{TCPv4ChecksumTx, tcp, true, false},
		{TCPv6ChecksumTx, tcp, true, true},
		{TCPv4ChecksumTx, udp, false, false},
		{UDPv6ChecksumTx, udp, true, true},
		{TCPv4ChecksumTx | LSOv1IPv4, tso4, false, true},
		{TCPv4ChecksumTx | LSOv2IPv4, tso4, false, true},
		{TCPv4ChecksumTx, tso4, false, false},
		{LSOv2IPv4, tso4, false, true}, // LSO checksums the segments it makes
		{LSOv2IPv4, virtio.NetHdr{GSOType: virtio.GSOTCPv4, GSOSize: 1448}, false, true},
		{TCPv6ChecksumTx | LSOv2IPv4, tso6, true, false},
		{TCPv6ChecksumTx | LSOv2IPv6, tso6, true, true},
		{UDPv4ChecksumTx | USOIPv6, uso, false, false},
		{UDPv4ChecksumTx | USOIPv4, uso, false, true},
		{All, ufo, false, false},
	}
	for _, tt := range tests {
		if got := tt.f.AcceptsHeader(tt.h, tt.v6); got != tt.want {
			t.Errorf("%v.AcceptsHeader(%+v, v6=%v) = %v, want %v", tt.f, tt.h, tt.v6, got, tt.want)
		}
	}
}

func TestGroups(t *testing.T) {
	got := []Features{ChecksumTx | ChecksumRx | LSO | USO | RSC | URO}
	if diff := cmp.Diff([]Features{All}, got); diff != "" {
		t.Errorf("groups do not cover All: %s", diff)
	}
	if ChecksumTx&ChecksumRx != 0 || LSO&USO != 0 || RSC&LSO != 0 {
		t.Error("groups overlap")
	}
}

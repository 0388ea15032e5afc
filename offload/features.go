package offload

import (
	"errors"
	"strconv"
	"strings"

	"github.com/sdnfabric/sdnfabric/offload/tap"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// Features is the set of task offloads an adapter performs, one bit per
// independent adapter property. "TCP checksum offload is not equal to TCP
// task offload": each bit is enabled and disabled on its own, and clearing
// one never clears another (LSO does not imply checksum offload in this
// type; an adapter that segments does compute the checksums of the
// segments it makes, as NDIS requires, but that is part of what it does
// with an LSO packet, not the checksum property, which is about packets it
// does not segment).
//
// The bits follow the Windows (NDIS) standardized INF keywords, which have
// one property per protocol, IP version and direction:
//
//	bit              keyword (value bit)            Linux ethtool feature
//	IPv4ChecksumTx   *IPChecksumOffloadIPv4 (1)     (none: Linux always computes it)
//	IPv4ChecksumRx   *IPChecksumOffloadIPv4 (2)     rx-checksumming
//	TCPv4ChecksumTx  *TCPChecksumOffloadIPv4 (1)    tx-checksum-ipv4
//	TCPv4ChecksumRx  *TCPChecksumOffloadIPv4 (2)    rx-checksumming
//	TCPv6ChecksumTx  *TCPChecksumOffloadIPv6 (1)    tx-checksum-ipv6
//	TCPv6ChecksumRx  *TCPChecksumOffloadIPv6 (2)    rx-checksumming
//	UDPv4ChecksumTx  *UDPChecksumOffloadIPv4 (1)    tx-checksum-ipv4
//	UDPv4ChecksumRx  *UDPChecksumOffloadIPv4 (2)    rx-checksumming
//	UDPv6ChecksumTx  *UDPChecksumOffloadIPv6 (1)    tx-checksum-ipv6
//	UDPv6ChecksumRx  *UDPChecksumOffloadIPv6 (2)    rx-checksumming
//	LSOv1IPv4        *LsoV1IPv4                     tx-tcp-segmentation (tso)
//	LSOv2IPv4        *LsoV2IPv4                     tx-tcp-segmentation (tso)
//	LSOv2IPv6        *LsoV2IPv6                     tx-tcp6-segmentation
//	USOIPv4          *UsoIPv4                       tx-udp-segmentation
//	USOIPv6          *UsoIPv6                       tx-udp-segmentation
//	RSCIPv4          *RscIPv4                       rx-gro-hw
//	RSCIPv6          *RscIPv6                       rx-gro-hw
//	URO              *UdpRsc                        rx-udp-gro-forwarding
//
// Linux groups what Windows separates: tx-checksum-ipv4 is TCP and UDP
// over IPv4 together, rx-checksumming every receive checksum, and the
// software features gso and gro are what this module does when the adapter
// lacks LSO/USO or RSC; Parse accepts the Linux names and sets every bit
// they cover.
//
// # Sizes
//
// NDIS lets an LSOv1 send carry up to 64 KiB of TCP payload and an LSOv2
// send up to 256 KiB. Linux caps a GSO packet at 64 KiB (an IPv4 total
// length or IPv6 payload length of 65535) unless BIG TCP is enabled, and
// this module does not build or accept BIG TCP packets (IPv6 jumbograms,
// RFC 2675) either. So the largest packet the pipeline hands an adapter in
// one piece is MaxGSOSize bytes of IP packet for LSOv1 and LSOv2 alike;
// an adapter that takes less (its MaxOffLoadSize, Config.MaxLSOSize) gets
// larger packets segmented in software.
type Features uint32

// The task offload properties.
const (
	IPv4ChecksumTx Features = 1 << iota
	IPv4ChecksumRx
	TCPv4ChecksumTx
	TCPv4ChecksumRx
	TCPv6ChecksumTx
	TCPv6ChecksumRx
	UDPv4ChecksumTx
	UDPv4ChecksumRx
	UDPv6ChecksumTx
	UDPv6ChecksumRx
	LSOv1IPv4
	LSOv2IPv4
	LSOv2IPv6
	USOIPv4
	USOIPv6
	RSCIPv4
	RSCIPv6
	URO

	// numFeatures is the number of defined bits.
	numFeatures = iota
)

// Groups of properties.
const (
	// ChecksumTx is every transmit checksum offload.
	ChecksumTx = IPv4ChecksumTx | TCPv4ChecksumTx | TCPv6ChecksumTx | UDPv4ChecksumTx | UDPv6ChecksumTx
	// ChecksumRx is every receive checksum offload.
	ChecksumRx = IPv4ChecksumRx | TCPv4ChecksumRx | TCPv6ChecksumRx | UDPv4ChecksumRx | UDPv6ChecksumRx
	// LSO is every large send offload.
	LSO = LSOv1IPv4 | LSOv2IPv4 | LSOv2IPv6
	// USO is UDP segmentation offload for both IP versions.
	USO = USOIPv4 | USOIPv6
	// RSC is receive segment coalescing for both IP versions.
	RSC = RSCIPv4 | RSCIPv6
	// All is every property.
	All Features = 1<<numFeatures - 1
)

// Size limits; see the Sizes section of Features.
const (
	// MaxLSOv1Size is the most TCP payload NDIS lets one LSOv1 send carry.
	MaxLSOv1Size = 64 << 10
	// MaxLSOv2Size is the most TCP payload NDIS lets one LSOv2 send carry.
	MaxLSOv2Size = 256 << 10
	// MaxGSOSize is the largest IP packet (header included) this module
	// segments or hands an adapter to segment: the 16-bit IPv4 total length
	// and IPv6 payload length, without BIG TCP or jumbograms.
	MaxGSOSize = 65535
)

type featureName struct {
	short   string // our name, used by String
	keyword string // NDIS keyword without '*', "" for none
	value   int    // the keyword's value bit: 1 Tx, 2 Rx; 1 for on/off keywords
	display string // the adapter property's display name in Windows
}

var featureNames = [numFeatures]featureName{
	{"ipv4-csum-tx", "IPChecksumOffloadIPv4", 1, "IPv4 Checksum Offload"},
	{"ipv4-csum-rx", "IPChecksumOffloadIPv4", 2, "IPv4 Checksum Offload"},
	{"tcp4-csum-tx", "TCPChecksumOffloadIPv4", 1, "TCP Checksum Offload (IPv4)"},
	{"tcp4-csum-rx", "TCPChecksumOffloadIPv4", 2, "TCP Checksum Offload (IPv4)"},
	{"tcp6-csum-tx", "TCPChecksumOffloadIPv6", 1, "TCP Checksum Offload (IPv6)"},
	{"tcp6-csum-rx", "TCPChecksumOffloadIPv6", 2, "TCP Checksum Offload (IPv6)"},
	{"udp4-csum-tx", "UDPChecksumOffloadIPv4", 1, "UDP Checksum Offload (IPv4)"},
	{"udp4-csum-rx", "UDPChecksumOffloadIPv4", 2, "UDP Checksum Offload (IPv4)"},
	{"udp6-csum-tx", "UDPChecksumOffloadIPv6", 1, "UDP Checksum Offload (IPv6)"},
	{"udp6-csum-rx", "UDPChecksumOffloadIPv6", 2, "UDP Checksum Offload (IPv6)"},
	{"lso1-ipv4", "LsoV1IPv4", 1, "Large Send Offload V1 (IPv4)"},
	{"lso2-ipv4", "LsoV2IPv4", 1, "Large Send Offload V2 (IPv4)"},
	{"lso2-ipv6", "LsoV2IPv6", 1, "Large Send Offload V2 (IPv6)"},
	{"uso-ipv4", "UsoIPv4", 1, "UDP Segmentation Offload (IPv4)"},
	{"uso-ipv6", "UsoIPv6", 1, "UDP Segmentation Offload (IPv6)"},
	{"rsc-ipv4", "RscIPv4", 1, "Recv Segment Coalescing (IPv4)"},
	{"rsc-ipv6", "RscIPv6", 1, "Recv Segment Coalescing (IPv6)"},
	{"uro", "UdpRsc", 1, "UDP Receive Segment Coalescing Offload"},
}

// linuxNames are ethtool feature names (and their short forms) and the
// bits each covers.
var linuxNames = []struct {
	name string
	f    Features
}{
	{"tx-checksum-ipv4", TCPv4ChecksumTx | UDPv4ChecksumTx},
	{"tx-checksum-ipv6", TCPv6ChecksumTx | UDPv6ChecksumTx},
	{"tx-checksum-ip-generic", TCPv4ChecksumTx | UDPv4ChecksumTx | TCPv6ChecksumTx | UDPv6ChecksumTx},
	{"tx-checksumming", TCPv4ChecksumTx | UDPv4ChecksumTx | TCPv6ChecksumTx | UDPv6ChecksumTx},
	{"tx", TCPv4ChecksumTx | UDPv4ChecksumTx | TCPv6ChecksumTx | UDPv6ChecksumTx},
	{"rx-checksumming", ChecksumRx},
	{"rx", ChecksumRx},
	{"tx-tcp-segmentation", LSOv2IPv4},
	{"tx-tcp6-segmentation", LSOv2IPv6},
	{"tcp-segmentation-offload", LSOv2IPv4 | LSOv2IPv6},
	{"tso", LSOv2IPv4 | LSOv2IPv6},
	{"tx-udp-segmentation", USO},
	{"uso", USO},
	{"rx-gro-hw", RSC},
	{"lro", RSC},
	{"large-receive-offload", RSC},
	{"rx-udp-gro-forwarding", URO},
}

// ErrUnknownFeature is wrapped by Parse and ParseKeyword errors.
var ErrUnknownFeature = errors.New("offload: unknown feature")

// FeatureError names the offending word of a Parse or ParseKeyword input.
type FeatureError struct {
	Name  string // the word (or keyword) that was not understood
	Value int    // the keyword value, for ParseKeyword
	Err   error  // ErrUnknownFeature
}

func (e *FeatureError) Error() string {
	s := e.Err.Error() + " " + strconv.Quote(e.Name)
	if e.Value != 0 {
		s += " value " + strconv.Itoa(e.Value)
	}
	return s
}

// Unwrap returns ErrUnknownFeature.
func (e *FeatureError) Unwrap() error { return e.Err }

// Has reports whether every property in g is set in f.
func (f Features) Has(g Features) bool { return f&g == g }

// With returns f with the properties in g set.
func (f Features) With(g Features) Features { return f | g }

// Without returns f with the properties in g cleared, and no other.
func (f Features) Without(g Features) Features { return f &^ g }

// String lists the properties by short name, separated by '|', "none" for
// the empty set; undefined bits are appended in hex.
func (f Features) String() string {
	if f == 0 {
		return "none"
	}
	var b strings.Builder
	for i := range numFeatures {
		if f&(1<<i) != 0 {
			if b.Len() > 0 {
				b.WriteByte('|')
			}
			b.WriteString(featureNames[i].short)
		}
	}
	if rest := f &^ All; rest != 0 {
		if b.Len() > 0 {
			b.WriteByte('|')
		}
		b.WriteString("0x" + strconv.FormatUint(uint64(rest), 16))
	}
	return b.String()
}

// Parse reads a list of properties separated by ',' or '|'. Each item is
// matched case-insensitively against, in turn: a short name as String
// writes it ("tcp4-csum-tx"); "all" or "none"; an NDIS keyword with or
// without '*' and an optional "Tx" or "Rx" suffix ("TCPChecksumOffloadIPv4"
// sets Tx and Rx, "*TCPChecksumOffloadIPv4Tx" only Tx); a Windows display
// name ("TCP Checksum Offload (IPv4)", Tx and Rx; "Large Send Offload V2
// (IPv6)"); a Linux ethtool feature ("tx-checksum-ipv4", "tso",
// "rx-gro-hw"). Parse(f.String()) == f for every f within All.
func Parse(s string) (Features, error) {
	var f Features
	for item := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ',' || r == '|' }) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		g, ok := parseOne(item)
		if !ok {
			return 0, &FeatureError{Name: item, Err: ErrUnknownFeature}
		}
		f |= g
	}
	return f, nil
}

func parseOne(item string) (Features, bool) {
	switch strings.ToLower(item) {
	case "none":
		return 0, true
	case "all":
		return All, true
	}
	for i, n := range featureNames {
		if strings.EqualFold(item, n.short) {
			return 1 << i, true
		}
	}
	kw := strings.TrimPrefix(item, "*")
	var dir int // 0 both, 1 Tx, 2 Rx
	if len(kw) > 2 {
		switch strings.ToLower(kw[len(kw)-2:]) {
		case "tx":
			dir = 1
		case "rx":
			dir = 2
		}
	}
	var f Features
	for i, n := range featureNames {
		switch {
		case strings.EqualFold(kw, n.keyword), strings.EqualFold(item, n.display):
			f |= 1 << i
		case dir != 0 && n.value == dir && strings.EqualFold(kw[:len(kw)-2], n.keyword):
			f |= 1 << i
		}
	}
	if f != 0 {
		return f, true
	}
	for _, n := range linuxNames {
		if strings.EqualFold(item, n.name) {
			return n.f, true
		}
	}
	return 0, false
}

// ParseKeyword interprets an NDIS standardized keyword (with or without
// '*') and its registry value, as Get-NetAdapterAdvancedProperty reports
// them: checksum keywords take 0 (disabled), 1 (Tx enabled), 2 (Rx
// enabled) or 3 (Rx and Tx enabled); the others 0 or 1. It returns the
// properties the value enables among those the keyword names.
func ParseKeyword(keyword string, value int) (Features, error) {
	kw := strings.TrimPrefix(keyword, "*")
	var f Features
	known, maxValue := false, 0
	for i, n := range featureNames {
		if !strings.EqualFold(kw, n.keyword) {
			continue
		}
		known = true
		maxValue |= n.value
		if value&n.value != 0 {
			f |= 1 << i
		}
	}
	if !known {
		return 0, &FeatureError{Name: keyword, Err: ErrUnknownFeature}
	}
	if value < 0 || value > maxValue {
		return 0, &FeatureError{Name: keyword, Value: value, Err: ErrUnknownFeature}
	}
	return f, nil
}

// ChecksumTxFor returns the transmit checksum property for a transport
// protocol (6 TCP, 17 UDP) over IPv4 or IPv6, or 0 for other protocols.
func ChecksumTxFor(ipv6 bool, proto uint8) Features {
	return checksumFor(ipv6, proto) & ChecksumTx
}

// ChecksumRxFor returns the receive checksum property for a transport
// protocol over IPv4 or IPv6, or 0 for other protocols.
func ChecksumRxFor(ipv6 bool, proto uint8) Features {
	return checksumFor(ipv6, proto) & ChecksumRx
}

func checksumFor(ipv6 bool, proto uint8) Features {
	switch {
	case proto == protoTCP && !ipv6:
		return TCPv4ChecksumTx | TCPv4ChecksumRx
	case proto == protoTCP:
		return TCPv6ChecksumTx | TCPv6ChecksumRx
	case proto == protoUDP && !ipv6:
		return UDPv4ChecksumTx | UDPv4ChecksumRx
	case proto == protoUDP:
		return UDPv6ChecksumTx | UDPv6ChecksumRx
	}
	return 0
}

// SegmentsTCP reports whether the adapter segments TCP super-packets over
// the given IP version (LSOv1 or LSOv2 for IPv4, LSOv2 for IPv6).
func (f Features) SegmentsTCP(ipv6 bool) bool {
	if ipv6 {
		return f&LSOv2IPv6 != 0
	}
	return f&(LSOv1IPv4|LSOv2IPv4) != 0
}

// SegmentsUDP reports whether the adapter segments UDP super-datagrams
// (USO) over the given IP version.
func (f Features) SegmentsUDP(ipv6 bool) bool {
	if ipv6 {
		return f&USOIPv6 != 0
	}
	return f&USOIPv4 != 0
}

// Coalesces reports whether the adapter coalesces received TCP segments
// (RSC) for the given IP version.
func (f Features) Coalesces(ipv6 bool) bool {
	if ipv6 {
		return f&RSCIPv6 != 0
	}
	return f&RSCIPv4 != 0
}

// AcceptsHeader reports whether an adapter with f can be handed, as is, a
// packet whose virtio-net header is h (ipv6 is the packet's IP version). A
// super-packet (a GSO type) needs the matching LSO or USO property and
// nothing else: an adapter that segments also computes the checksums of
// the segments it makes, as NDIS requires of LSO. A plain packet with a
// partial checksum needs the transmit checksum property of its protocol
// (told by csum_offset: 16 TCP, 6 UDP) and IP version. Whatever
// AcceptsHeader refuses, Pipeline.Tx finishes in software.
func (f Features) AcceptsHeader(h virtio.NetHdr, ipv6 bool) bool {
	switch h.GSOKind() {
	case virtio.GSONone:
	case virtio.GSOTCPv4:
		return !ipv6 && f.SegmentsTCP(false)
	case virtio.GSOTCPv6:
		return ipv6 && f.SegmentsTCP(true)
	case virtio.GSOUDPL4:
		return f.SegmentsUDP(ipv6)
	default:
		return false // UFO and unknown types
	}
	if !h.NeedsChecksum() {
		return true
	}
	var proto uint8
	switch h.CsumOffset {
	case 16:
		proto = protoTCP
	case 6:
		proto = protoUDP
	}
	need := ChecksumTxFor(ipv6, proto)
	return need != 0 && f.Has(need)
}

// TAPOffload returns the TUN_F_* flags to give a TAP device (TUNSETOFFLOAD)
// whose user-space side acts as an adapter with f: the kernel then hands
// over only partial checksums and super-packets that adapter can finish.
// TUN_F_CSUM covers TCP and UDP over both IP versions, so it needs all four
// transmit checksum properties; each TSO and USO flag needs TUN_F_CSUM.
// TUN_F_TSO_ECN is set with any TSO flag (segmenting ECN streams only
// changes CWR, which every LSO adapter and package gso handle).
func (f Features) TAPOffload() tap.Offload {
	l4tx := TCPv4ChecksumTx | TCPv6ChecksumTx | UDPv4ChecksumTx | UDPv6ChecksumTx
	if !f.Has(l4tx) {
		return 0
	}
	o := tap.OffloadCsum
	if f.SegmentsTCP(false) {
		o |= tap.OffloadTSO4
	}
	if f.SegmentsTCP(true) {
		o |= tap.OffloadTSO6
	}
	if o&(tap.OffloadTSO4|tap.OffloadTSO6) != 0 {
		o |= tap.OffloadTSOECN
	}
	if f.SegmentsUDP(false) {
		o |= tap.OffloadUSO4
	}
	if f.SegmentsUDP(true) {
		o |= tap.OffloadUSO6
	}
	return o
}

// FeaturesFromTAP returns the adapter properties that TUN_F_* flags o
// amount to: what the kernel may leave undone in the packets it hands to
// user space. TUN_F_TSO4 maps to LSOv2IPv4; TUN_F_UFO has no property.
func FeaturesFromTAP(o tap.Offload) Features {
	var f Features
	if o&tap.OffloadCsum == 0 {
		return 0 // the kernel ignores the others without it
	}
	f |= TCPv4ChecksumTx | TCPv6ChecksumTx | UDPv4ChecksumTx | UDPv6ChecksumTx
	if o&tap.OffloadTSO4 != 0 {
		f |= LSOv2IPv4
	}
	if o&tap.OffloadTSO6 != 0 {
		f |= LSOv2IPv6
	}
	if o&tap.OffloadUSO4 != 0 {
		f |= USOIPv4
	}
	if o&tap.OffloadUSO6 != 0 {
		f |= USOIPv6
	}
	return f
}

const (
	protoTCP = 6
	protoUDP = 17
)

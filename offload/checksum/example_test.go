package checksum_test

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
)

// Compute and verify an IPv4 header checksum.
func ExampleSum() {
	hdr := []byte{
		0x45, 0x00, 0x00, 0x54, 0x1c, 0x46, 0x40, 0x00,
		0x40, 0x01, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x01,
		0xc6, 0x33, 0x64, 0x01,
	}
	binary.BigEndian.PutUint16(hdr[10:], ^checksum.Sum(hdr, 0))
	fmt.Printf("checksum %#04x\n", binary.BigEndian.Uint16(hdr[10:]))
	fmt.Println("valid:", checksum.Sum(hdr, 0) == 0xffff)
	// Output:
	// checksum 0x322d
	// valid: true
}

// A UDP checksum covers the pseudo-header, the UDP header and the payload.
func ExamplePseudoHeader() {
	src := netip.MustParseAddr("2001:db8::1")
	dst := netip.MustParseAddr("2001:db8::2")
	udp := []byte{
		0x30, 0x39, 0x00, 0x35, // ports 12345 -> 53
		0x00, 0x0c, 0x00, 0x00, // length 12, checksum zeroed
		'p', 'i', 'n', 'g',
	}
	c := ^checksum.Sum(udp, checksum.PseudoHeader(src, dst, 17, len(udp)))
	if c == 0 {
		c = 0xffff // RFC 768: a computed 0 is sent as all ones
	}
	binary.BigEndian.PutUint16(udp[6:], c)
	fmt.Printf("udp checksum %#04x\n", c)
	// Output:
	// udp checksum 0x9522
}

// Decrement the TTL of an IPv4 header without recomputing its checksum.
func ExampleUpdate16() {
	hdr := []byte{
		0x45, 0x00, 0x00, 0x54, 0x1c, 0x46, 0x40, 0x00,
		0x40, 0x01, 0x32, 0x2d, 0xc0, 0x00, 0x02, 0x01,
		0xc6, 0x33, 0x64, 0x01,
	}
	old := binary.BigEndian.Uint16(hdr[8:]) // TTL and protocol
	hdr[8]--
	field := checksum.Update16(binary.BigEndian.Uint16(hdr[10:]), old, binary.BigEndian.Uint16(hdr[8:]))
	binary.BigEndian.PutUint16(hdr[10:], field)
	fmt.Printf("ttl %d checksum %#04x valid: %v\n", hdr[8], field, checksum.Sum(hdr, 0) == 0xffff)
	// Output:
	// ttl 63 checksum 0x332d valid: true
}

// Rewrite the source address of an IPv4 header (source NAT) and fix its
// checksum. The same call fixes a TCP or UDP checksum, which covers the
// address through the pseudo-header.
func ExampleUpdateAddr() {
	hdr := []byte{
		0x45, 0x00, 0x00, 0x54, 0x1c, 0x46, 0x40, 0x00,
		0x40, 0x01, 0x32, 0x2d, 0xc0, 0x00, 0x02, 0x01,
		0xc6, 0x33, 0x64, 0x01,
	}
	oldSrc := netip.AddrFrom4([4]byte(hdr[12:16]))
	newSrc := netip.MustParseAddr("203.0.113.9")
	a := newSrc.As4()
	copy(hdr[12:16], a[:])
	field := checksum.UpdateAddr(binary.BigEndian.Uint16(hdr[10:]), oldSrc, newSrc)
	binary.BigEndian.PutUint16(hdr[10:], field)
	fmt.Printf("%v -> %v checksum %#04x valid: %v\n", oldSrc, newSrc, field, checksum.Sum(hdr, 0) == 0xffff)
	// Output:
	// 192.0.2.1 -> 203.0.113.9 checksum 0xb824 valid: true
}

// Sum a datagram held in two buffers, as a segmentation offload does for a
// header and a payload that live apart. The first buffer has even length,
// so the second one's words line up.
func ExampleCombine() {
	hdr := []byte{0x30, 0x39, 0x00, 0x35, 0x00, 0x0c, 0x00, 0x00}
	payload := []byte("ping")
	whole := append(append([]byte(nil), hdr...), payload...)
	split := checksum.Combine(checksum.Sum(hdr, 0), checksum.Sum(payload, 0))
	chained := checksum.Sum(payload, checksum.Sum(hdr, 0))
	fmt.Printf("%#04x %#04x %#04x\n", checksum.Sum(whole, 0), split, chained)
	// Output:
	// 0x0f4b 0x0f4b 0x0f4b
}

// Shift a TCP sequence number, as a proxy that splices connections does,
// and patch the checksum field to match.
func ExampleUpdate32() {
	const field = 0xb1e6 // checksum of the segment as received
	oldSeq, newSeq := uint32(0x01020304), uint32(0x01020304+1000)
	fmt.Printf("%#04x\n", checksum.Update32(field, oldSeq, newSeq))
	// Output:
	// 0xadfe
}

package wire

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// TestPrefixDecode covers both decode paths (room for a full-width load or
// not) and the clearing of host bits past the prefix length.
func TestPrefixDecode(t *testing.T) {
	cases := []struct {
		b       []byte
		fam     Family
		addPath bool
		want    []string
	}{
		{[]byte{20, 10, 1, 0xff, 24, 10, 1, 2, 0, 32, 1, 2, 3, 4}, IPv4Unicast, false, []string{"10.1.240.0/20", "10.1.2.0/24", "0.0.0.0/0", "1.2.3.4/32"}},
		{[]byte{9, 10, 0xff}, IPv4Unicast, false, []string{"10.128.0.0/9"}},
		{[]byte{0, 0, 0, 7, 17, 10, 1, 0xff}, IPv4Unicast, true, []string{"10.1.128.0/17"}},
		{[]byte{33, 0x20, 0x01, 0x0d, 0xb8, 0xff, 64, 0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 4},
			IPv6Unicast, false, []string{"2001:db8:8000::/33", "2001:db8:102:304::/64"}},
		{[]byte{68, 0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 4, 0xff}, IPv6Unicast, false, []string{"2001:db8:102:304:f000::/68"}},
	}
	for _, c := range cases {
		if bad := checkPrefixes(c.b, c.fam, c.addPath); bad >= 0 {
			t.Fatalf("% x: bad at %d", c.b, bad)
		}
		var got []string
		for p := range prefixes(c.b, c.fam, c.addPath) {
			got = append(got, p.Prefix.String())
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("% x: %v, want %v", c.b, got, c.want)
		}
	}
}

// TestCheckPrefixesProperty holds checkPrefixes, with its guess that runs
// of prefixes share a length, to the plain one-prefix-at-a-time reading of
// RFC 4271 section 4.3 and RFC 7911 section 3, on runs of few lengths
// (where the guess is right most of the time) and on arbitrary bytes.
func TestCheckPrefixesProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		fam := rapid.SampledFrom([]Family{IPv4Unicast, IPv6Unicast}).Draw(t, "family")
		addPath := rapid.Bool().Draw(t, "addPath")
		lengths := rapid.SliceOfN(rapid.IntRange(0, 130), 1, 3).Draw(t, "lengths")
		var b []byte
		for range rapid.IntRange(0, 40).Draw(t, "prefixes") {
			if addPath {
				b = append(b, 0, 0, 0, 1)
			}
			bits := rapid.SampledFrom(lengths).Draw(t, "bits")
			b = append(b, byte(bits))
			b = append(b, make([]byte, (bits+7)/8)...)
		}
		if rapid.Bool().Draw(t, "damage") && len(b) > 0 {
			b[rapid.IntRange(0, len(b)-1).Draw(t, "at")] = rapid.Byte().Draw(t, "octet")
			b = b[:rapid.IntRange(0, len(b)).Draw(t, "cut")]
		}
		if got, want := checkPrefixes(b, fam, addPath), checkPrefixesPlain(b, fam, addPath); got != want {
			t.Fatalf("checkPrefixes(% x) = %d, want %d", b, got, want)
		}
	})
}

// checkPrefixesPlain is the definition checkPrefixes must agree with.
func checkPrefixesPlain(b []byte, fam Family, addPath bool) int {
	for i := 0; i < len(b); {
		j := i
		if addPath {
			j += 4
		}
		if j >= len(b) || int(b[j]) > fam.addrLen()*8 {
			return i
		}
		next := j + 1 + (int(b[j])+7)/8
		if next > len(b) {
			return i
		}
		i = next
	}
	return -1
}

// TestWalkPrefixesProperty holds the decoding of runs of prefixes (loads
// that reach into the next prefix, masked) to the plain reading: copy the
// prefix's octets, clear the bits past its length.
func TestWalkPrefixesProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		fam := rapid.SampledFrom([]Family{IPv4Unicast, IPv6Unicast}).Draw(t, "family")
		addPath := rapid.Bool().Draw(t, "addPath")
		var b []byte
		var want []NLRI
		for range rapid.IntRange(0, 20).Draw(t, "prefixes") {
			id := rapid.Uint32().Draw(t, "id")
			if addPath {
				b = binary.BigEndian.AppendUint32(b, id)
			} else {
				id = 0
			}
			bits := rapid.IntRange(0, fam.addrLen()*8).Draw(t, "bits")
			octets := rapid.SliceOfN(rapid.Byte(), (bits+7)/8, (bits+7)/8).Draw(t, "octets")
			b = append(append(b, byte(bits)), octets...)
			var a [16]byte
			copy(a[:], octets)
			maskTail(a[:], bits, len(octets))
			addr := netip.AddrFrom16(a)
			if fam.AFI == AFIIPv4 {
				addr = netip.AddrFrom4([4]byte(a[:4]))
			}
			want = append(want, NLRI{PathID: id, Prefix: netip.PrefixFrom(addr, bits)})
		}
		var got []NLRI
		for p := range prefixes(b, fam, addPath) {
			got = append(got, p)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("% x: got %v, want %v", b, got, want)
		}
	})
}

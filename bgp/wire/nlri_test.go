package wire

import (
	"slices"
	"testing"
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

package lpmtest

import (
	"net/netip"
	"testing"
)

func TestTablesAreDeterministicMaskedAndDistinct(t *testing.T) {
	for _, tc := range []struct {
		name string
		gen  func(int, uint64) []netip.Prefix
		n    int
	}{{"Table4", Table4, 20000}, {"Table6", Table6, 5000}} {
		a, b := tc.gen(tc.n, 1), tc.gen(tc.n, 1)
		if len(a) != tc.n {
			t.Fatalf("%s: got %d prefixes, want %d", tc.name, len(a), tc.n)
		}
		seen := map[netip.Prefix]bool{}
		for i, p := range a {
			if p != b[i] {
				t.Fatalf("%s is not deterministic at %d: %v vs %v", tc.name, i, p, b[i])
			}
			if p != p.Masked() || seen[p] {
				t.Fatalf("%s: prefix %v is unmasked or repeated", tc.name, p)
			}
			seen[p] = true
		}
		addrs := Addrs(a, 1000, 2)
		for i := 0; i < len(addrs); i += 2 {
			if addrs[i].Is4() != a[0].Addr().Is4() {
				t.Fatalf("%s: address %v has the wrong family", tc.name, addrs[i])
			}
		}
	}
}

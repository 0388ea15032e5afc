package policy

import (
	"net/netip"
	"testing"

	"pgregory.net/rapid"
)

// PrefixRange.Contains equals the definition: same family, the range's
// first bits equal, length within [ge, le] as defaulted.
func TestPrefixRangeProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		addr := func(label string) netip.Addr {
			b := rapid.SliceOfN(rapid.Byte(), 4, 4).Draw(t, label)
			return netip.AddrFrom4([4]byte(b))
		}
		rb := rapid.IntRange(0, 32).Draw(t, "rbits")
		r := PrefixRange{Prefix: netip.PrefixFrom(addr("r"), rb).Masked()}
		if rapid.Bool().Draw(t, "ge") {
			r.GE = rapid.IntRange(rb, 32).Draw(t, "GE")
		}
		if rapid.Bool().Draw(t, "le") {
			r.LE = rapid.IntRange(max(rb, r.GE), 32).Draw(t, "LE")
		}
		a := addr("p")
		if rapid.Bool().Draw(t, "inside") {
			// keep the range's bits, so containment is often true
			ra, pa := r.Prefix.Addr().As4(), a.As4()
			for i := range rb {
				bit := byte(0x80 >> (i % 8))
				pa[i/8] = pa[i/8]&^bit | ra[i/8]&bit
			}
			a = netip.AddrFrom4(pa)
		}
		p := netip.PrefixFrom(a, rapid.IntRange(0, 32).Draw(t, "pbits")).Masked()

		ge, le := r.GE, r.LE
		switch {
		case ge == 0 && le == 0:
			ge, le = rb, rb
		case ge == 0:
			ge = rb
		case le == 0:
			le = 32
		}
		want := p.Bits() >= rb && netip.PrefixFrom(p.Addr(), rb).Masked() == r.Prefix && p.Bits() >= ge && p.Bits() <= le
		if got := r.Contains(p); got != want {
			t.Fatalf("%+v contains %v: %v, want %v", r, p, got, want)
		}
	})
}

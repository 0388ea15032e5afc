package maglev

import (
	"slices"
	"testing"

	"github.com/sdnfabric/sdnfabric/slb/flowhash"
)

// TestRebuildGolden pins the tables of a sequence of rebuilds, as
// TestGolden pins New's: Muxes that rebuild through the same sequence of
// backend sets must agree on every table, whatever their version, or a
// rolling upgrade sends flows to different backends on old and new Muxes.
// The sequence: ten backends, one leaves, one joins, a weight changes
// (Rebuild built the same tables before its build got faster).
func TestRebuildGolden(t *testing.T) {
	bs := names(10)
	tb := mustNew(t, DefaultSize, bs)
	bs = slices.Delete(bs, 3, 4)
	steps := [][]Backend{slices.Clone(bs)}
	bs = append(bs, Backend{Name: "backend-10", Weight: 1})
	steps = append(steps, slices.Clone(bs))
	bs[0].Weight = 3
	steps = append(steps, slices.Clone(bs))
	digest := make([]byte, 0, 2*len(steps)*tb.Size())
	for _, set := range steps {
		var err error
		if tb, err = Rebuild(tb, set); err != nil {
			t.Fatal(err)
		}
		for s := range tb.Size() {
			digest = append(digest, byte(tb.Owner(s)), byte(tb.Owner(s)>>8))
		}
	}
	if got, want := flowhash.SipHash24(flowhash.Key{}, digest), uint64(0x4447917f72f58112); got != want {
		t.Errorf("digest of the rebuilt tables = %#016x, want %#016x", got, want)
	}
}

//go:build !race

// Not under -race, where it takes 18 s instead of 1.7 (make test runs it
// in the module alone, without -race).

package maglev

import "testing"

// TestLargestSize builds and rebuilds a table of the largest prime size
// New accepts, where the bitmap holds 2M bits and every modular trick
// (the skips' Barrett reductions, addMod, the end game's ranks) works
// nearest its limits: the shares are balanced, the rebuild moves exactly
// the slots of the backend that left, and every slot is owned.
func TestLargestSize(t *testing.T) {
	const m = 16777213 // the largest prime not above MaxSize
	if m > MaxSize || !isPrime(m) {
		t.Fatalf("%d is not an accepted size", m)
	}
	bs := names(3)
	tb := mustNew(t, m, bs)
	for i, s := range tb.Shares() {
		if s < m/3 || s > m/3+1 {
			t.Errorf("backend %d owns %d slots, want %d or %d", i, s, m/3, m/3+1)
		}
	}
	gone := tb.Shares()[1]
	next, err := Rebuild(tb, []Backend{bs[0], bs[2]})
	if err != nil {
		t.Fatal(err)
	}
	if moved := Moved(tb, next); moved != gone {
		t.Errorf("rebuild without backend 1 moved %d slots, want its %d", moved, gone)
	}
	for i, s := range next.Shares() {
		if s < m/2 || s > m/2+1 {
			t.Errorf("after the rebuild backend %d owns %d slots, want %d or %d", i, s, m/2, m/2+1)
		}
	}
	if got := tb.Lookup(^uint64(0)); got < 0 || got > 2 {
		t.Errorf("Lookup of the largest hash = %d", got)
	}
}

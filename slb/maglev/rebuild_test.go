package maglev

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// history draws a start set and a sequence of changes to it (a backend
// leaves, one joins, or a weight changes), as the backend sets after
// each step.
func history(t *rapid.T, m int, weighted bool) [][]Backend {
	n := rapid.IntRange(1, m/100).Draw(t, "N")
	next := n
	bs := names(n)
	weight := func() uint32 {
		if weighted {
			return rapid.Uint32Range(1, 4).Draw(t, "weight")
		}
		return 1
	}
	for i := range bs {
		bs[i].Weight = weight()
	}
	sets := [][]Backend{slices.Clone(bs)}
	for range rapid.IntRange(1, 6).Draw(t, "steps") {
		switch op := rapid.IntRange(0, 2).Draw(t, "op"); {
		case op == 0 && len(bs) > 1:
			i := rapid.IntRange(0, len(bs)-1).Draw(t, "leaves")
			bs = slices.Delete(bs, i, i+1)
		case op == 2 && weighted:
			bs[rapid.IntRange(0, len(bs)-1).Draw(t, "reweighted")].Weight = weight()
		default:
			if (len(bs)+1)*100 > m {
				continue
			}
			bs = append(bs, Backend{Name: fmt.Sprintf("backend-%d", next), Weight: weight()})
			next++
		}
		sets = append(sets, slices.Clone(bs))
	}
	return sets
}

// checkShares fails unless every backend of tb owns between R*w and
// (R+1)*w slots, w its reduced weight and R = floor(M/W).
func checkShares(t *rapid.T, tb *Table) {
	var g uint32
	for i := range tb.Len() {
		g = gcd(g, tb.Backend(i).Weight)
	}
	total := 0
	for i := range tb.Len() {
		total += int(tb.Backend(i).Weight / g)
	}
	r := tb.Size() / total
	for i, s := range tb.Shares() {
		w := int(tb.Backend(i).Weight / g)
		if s < r*w || s > (r+1)*w {
			t.Fatalf("M=%d W=%d: %s of reduced weight %d owns %d slots, want [%d, %d]",
				tb.Size(), total, tb.Backend(i).Name, w, s, r*w, (r+1)*w)
		}
	}
}

// TestRebuildBalance: through any sequence of changes, a rebuilt table
// keeps New's balance: floor(M/N) or ceil(M/N) slots with equal
// weights, [R*w, (R+1)*w] with weights.
func TestRebuildBalance(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := rapid.SampledFrom(primes).Draw(t, "M")
		tb := mustNew(t, m, nil)
		for _, bs := range history(t, m, rapid.Bool().Draw(t, "weighted")) {
			next, err := Rebuild(tb, bs)
			if err != nil {
				t.Fatal(err)
			}
			checkShares(t, next)
			tb = next
		}
	})
}

// TestRebuildDisruption: with M at least 100 N
// and equal weights, removing one of N backends changes the owner of at
// most 2 M/N slots. A rebuild moves exactly the removed backend's
// slots, the ideal, and adding a backend moves exactly the slots it
// gets, after any history of changes.
func TestRebuildDisruption(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := rapid.SampledFrom([]int{1021, 10007, 65537}).Draw(t, "M")
		tb := mustNew(t, m, nil)
		for _, bs := range history(t, m, false) {
			tb = must(t)(Rebuild(tb, bs))
		}
		n := tb.Len()
		if n < 2 {
			t.Skip("one backend")
		}
		gone := rapid.IntRange(0, n-1).Draw(t, "removed")
		after := must(t)(Rebuild(tb, slices.Delete(slices.Clone(tb.backends), gone, gone+1)))
		moved := Moved(tb, after)
		if moved*n > 2*m {
			t.Fatalf("M=%d N=%d: removing one backend moved %d slots, more than 2M/N = %.1f", m, n, moved, 2*float64(m)/float64(n))
		}
		if own := tb.Shares()[gone]; moved != own {
			t.Fatalf("M=%d N=%d: removing one backend moved %d slots, its own are %d", m, n, moved, own)
		}
		if (n+1)*100 > m {
			return
		}
		grown := must(t)(Rebuild(tb, append(slices.Clone(tb.backends), Backend{Name: "new", Weight: 1})))
		i, _ := grown.Index("new")
		if moved, got := Moved(tb, grown), grown.Shares()[i]; moved != got {
			t.Fatalf("M=%d N=%d: adding one backend moved %d slots, it got %d", m, n, moved, got)
		}
	})
}

// TestRebuildDeterministic: Muxes that saw the same sequence of backend
// sets, each set in any order, rebuild identical tables.
func TestRebuildDeterministic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := rapid.SampledFrom(primes).Draw(t, "M")
		r := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 0))
		a, b := mustNew(t, m, nil), mustNew(t, m, nil)
		for _, bs := range history(t, m, true) {
			shuffled := slices.Clone(bs)
			r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			a, b = must(t)(Rebuild(a, bs)), must(t)(Rebuild(b, shuffled))
			if !slices.Equal(a.entries, b.entries) {
				t.Fatalf("tables differ after the same history")
			}
		}
	})
}

// TestRebuildUnchanged: rebuilding for the same set keeps every slot,
// and rebuilding from nothing is New.
func TestRebuildUnchanged(t *testing.T) {
	bs := names(100)
	bs[7].Weight = 3
	tb := mustNew(t, 10007, bs)
	same, err := Rebuild(tb, bs)
	if err != nil {
		t.Fatal(err)
	}
	if n := Moved(tb, same); n != 0 {
		t.Errorf("rebuilding the same set moved %d slots", n)
	}
	fresh, err := Rebuild(nil, bs)
	if err != nil {
		t.Fatal(err)
	}
	if want := mustNew(t, DefaultSize, bs); !slices.Equal(fresh.entries, want.entries) {
		t.Error("Rebuild(nil, bs) differs from New(DefaultSize, bs)")
	}
	if _, err := Rebuild(tb, []Backend{{Name: "a"}}); err == nil {
		t.Error("Rebuild accepted a zero weight")
	}
	empty, err := Rebuild(tb, nil)
	if err != nil || empty.Len() != 0 || empty.Size() != 10007 {
		t.Errorf("Rebuild to no backends = %v, %v", empty, err)
	}
}

// must returns a function that fails t if err is not nil and returns tb
// otherwise.
func must(t tb) func(*Table, error) *Table {
	return func(tb *Table, err error) *Table {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return tb
	}
}

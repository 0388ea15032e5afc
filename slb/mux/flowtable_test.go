package mux

import (
	"testing"

	"pgregory.net/rapid"
)

// pair.lookup, which tests both buckets' tags without a branch per
// entry, finds what looking through the first bucket and then the second
// entry by entry finds: the first live entry holding the tag, also when
// the tag sits on expired entries before it, and when both buckets are
// one.
func TestPropertyLookup(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		const now = 1000
		var a, b bucket
		for _, bk := range []*bucket{&a, &b} {
			for i := range bk {
				if tag := rapid.Uint64Range(0, 3).Draw(t, "tag"); tag != 0 {
					deadline := uint32(rapid.IntRange(now-2, now+2).Draw(t, "deadline"))
					bk[i].tag.Store(tag)
					bk[i].meta.Store(packMeta(uint32(i), deadline))
				}
			}
		}
		p := pair{&a, &b}
		if rapid.Bool().Draw(t, "one bucket") {
			p.b = p.a
		}
		tag := rapid.Uint64Range(1, 3).Draw(t, "looked up")
		want, wv := p.a.lookup(tag, now)
		if want == nil {
			want, wv = p.b.lookup(tag, now)
		}
		if got, v := p.lookup(tag, now); got != want || v != wv {
			t.Fatalf("lookup gave entry %p meta %#x, entry by entry %p meta %#x", got, v, want, wv)
		}
	})
}

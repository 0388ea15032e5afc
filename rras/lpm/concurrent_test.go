package lpm

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

// TestReadersDuringWrites runs lock-free readers while a writer keeps
// inserting, replacing and deleting routes, singly and in batches. Each
// probe address is covered by a fixed /16 and by one toggling more
// specific route, so at any moment exactly two answers are legitimate:
// the /16 or the current toggling route. Readers assert they never see
// anything else (a torn node would give a wrong prefix, value or miss).
func TestReadersDuringWrites(t *testing.T) {
	for _, bucket := range []int{bucketSize, 2} {
		t.Run(fmt.Sprintf("bucket=%d", bucket), func(t *testing.T) {
			withBucketSize(t, bucket)
			readersDuringWrites(t)
		})
	}
}

func readersDuringWrites(t *testing.T) {
	withIndexThreshold(t, 0) // readers also go through the indexes
	var tab Table[int]
	const groups = 64
	type probe struct {
		addr   netip.Addr
		base   netip.Prefix // always present, value -1
		toggle netip.Prefix // present or not; its value identifies it
	}
	var probes []probe
	for g := range groups {
		v4 := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(g), 0, 0}), 16)
		v6 := netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(g)}), 40)
		for _, base := range []netip.Prefix{v4, v6} {
			if err := tab.Insert(base, -1); err != nil {
				t.Fatal(err)
			}
			b := base.Addr().AsSlice()
			b[len(b)-1] = 0x42
			a, _ := netip.AddrFromSlice(b)
			toggle, _ := a.Prefix(base.Bits() + 1 + g%(a.BitLen()-base.Bits()-1))
			probes = append(probes, probe{a, base, toggle})
			if a.Is6() {
				// Two fixed /56s next to the probe (not covering it) put
				// the toggling route in and out of a bucket, which splits
				// when the bucket size is 2.
				for _, x := range []byte{0x98, 0x99} {
					f := a.As16()
					f[6] = x
					if err := tab.Insert(netip.PrefixFrom(netip.AddrFrom16(f), 56).Masked(), -2); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
	// Filler routes elsewhere make the writer clone and link real nodes.
	for i := range 2000 {
		tab.Insert(netip.PrefixFrom(netip.AddrFrom4([4]byte{172, byte(i >> 8), byte(i), 0}), 24), i)
	}

	read := func(i int) error {
		pr := probes[i%len(probes)]
		p, v, ok := tab.LookupPrefix(pr.addr)
		okBase := ok && p == pr.base && v == -1
		okToggle := ok && p == pr.toggle && v >= 0
		if !okBase && !okToggle {
			return fmt.Errorf("LookupPrefix(%v) = %v %v %v, want %v or %v", pr.addr, p, v, ok, pr.base, pr.toggle)
		}
		return nil
	}
	duringWrites(t, 3, read, func() {
		for round := range 300 {
			for i, pr := range probes {
				switch (round + i) % 4 {
				case 0:
					tab.Insert(pr.toggle, round)
				case 1:
					tab.Insert(pr.toggle, round+1) // replace the value
				case 2:
					tab.Delete(pr.toggle)
				case 3:
					tab.Update(func(b *Batch[int]) error {
						b.Insert(pr.toggle, round)
						b.Delete(netip.PrefixFrom(netip.AddrFrom4([4]byte{172, 0, byte(round), 0}), 24))
						b.Insert(netip.PrefixFrom(netip.AddrFrom4([4]byte{172, 0, byte(round), 0}), 24), round)
						return nil
					})
				}
			}
		}
	})
}

// duringWrites runs write while n readers call read(i) with i counting
// up from the reader's number, until write returns or a read returns an
// error, which the test reports.
func duringWrites(t *testing.T, n int, read func(i int) error, write func()) {
	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for r := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := r; !stop.Load(); i++ {
				if err := read(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	defer func() { // also when write fails the test
		stop.Store(true)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}()
	write()
}

// TestReadersDuringBucketSplits runs lock-free readers over one /32 of
// IPv6 space whose stable routes fill a bucket to one short of the
// default size, while a writer moves two more routes in and out, singly
// and in batches: the subtree keeps crossing the 32/33 boundary, so it is
// split into nodes and folded back into a bucket (at depth 2, which the
// index points to, and deeper). Readers use every read path: Lookup
// (through the index), LookupPrefix, Get and All, and check that every
// stable route is always there with its value and that nothing else but
// the two moving routes ever shows.
func TestReadersDuringBucketSplits(t *testing.T) {
	withIndexThreshold(t, 0)
	var tab Table[int]
	stable := make([]netip.Prefix, bucketSize-1)
	for i := range stable {
		stable[i] = netip.PrefixFrom(netip.AddrFrom16([16]byte{0x2a, 0, 0x12, 0x34, 0, byte(i)}), 48)
		if err := tab.Insert(stable[i], i); err != nil {
			t.Fatal(err)
		}
	}
	// Inside stable[5] (nested) and beside all of them.
	inner := netip.MustParsePrefix("2a00:1234:5:1::/64")
	beside := netip.MustParsePrefix("2a00:1234:ff::/48")
	moving := map[netip.Prefix]bool{inner: true, beside: true}
	region := netip.MustParsePrefix("2a00::/16")
	// Another /16 in 2000::/3 keeps the levels above regular nodes.
	for i := range 40 {
		tab.Insert(netip.PrefixFrom(netip.AddrFrom16([16]byte{0x2a, 1, byte(i)}), 24), 1000+i)
	}

	read := func(i int) error {
		s := i % len(stable)
		p := stable[s]
		a := p.Addr().Next() // in p only: inner starts at ...:5:1::
		if v, ok := tab.Lookup(a); !ok || v != s {
			return fmt.Errorf("Lookup(%v) = %d %v, want %d", a, v, ok, s)
		}
		if q, v, ok := tab.LookupPrefix(a); !ok || q != p || v != s {
			return fmt.Errorf("LookupPrefix(%v) = %v %d %v, want %v %d", a, q, v, ok, p, s)
		}
		if v, ok := tab.Get(p); !ok || v != s {
			return fmt.Errorf("Get(%v) = %d %v, want %d", p, v, ok, s)
		}
		if v, ok := tab.Lookup(inner.Addr()); !ok || v != 5 && v < 2000 {
			return fmt.Errorf("Lookup(%v) = %d %v, want 5 or the inner route's value", inner.Addr(), v, ok)
		}
		if i%16 != 0 {
			return nil
		}
		// All: the stable routes, each once, in order, and at most the
		// moving ones besides.
		var got []netip.Prefix
		for q := range tab.All() {
			if region.Overlaps(q) && !moving[q] {
				got = append(got, q)
			}
		}
		if !slices.Equal(got, stable) {
			return fmt.Errorf("All yields %v in 2a00::/16, want %v", got, stable)
		}
		return nil
	}
	duringWrites(t, 2, read, func() {
		for round := range 400 {
			v := 2000 + round
			switch round % 4 {
			case 0: // 31 -> 32 -> 33: a full bucket splits
				tab.Insert(inner, v)
				if nd := bucketAt(&tab, inner.Addr(), 2); !nd.isBucket() || len(nd.lvs) != bucketSize {
					t.Fatalf("32 routes below 2a00::/16: %+v, want a full bucket", nd)
				}
				tab.Insert(beside, v)
				if bucketAt(&tab, inner.Addr(), 2).isBucket() {
					t.Fatal("33 routes below 2a00::/16 are still a bucket")
				}
			case 1: // 33 -> 32 -> 31: folds back
				tab.Delete(beside)
				if nd := bucketAt(&tab, inner.Addr(), 2); !nd.isBucket() || len(nd.lvs) != bucketSize {
					t.Fatalf("32 routes left below 2a00::/16: %+v, want a full bucket", nd)
				}
				tab.Delete(inner)
			case 2:
				tab.Update(func(b *Batch[int]) error {
					b.Insert(beside, v)
					b.Insert(inner, v)
					b.Delete(beside)
					return b.Insert(beside, v)
				})
			case 3:
				tab.Update(func(b *Batch[int]) error {
					b.Delete(inner)
					b.Delete(beside)
					return nil
				})
			}
		}
	})
}

package lpm

import (
	"fmt"
	"net/netip"
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

	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for r := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := r; !stop.Load(); i++ {
				pr := probes[i%len(probes)]
				p, v, ok := tab.LookupPrefix(pr.addr)
				okBase := ok && p == pr.base && v == -1
				okToggle := ok && p == pr.toggle && v >= 0
				if !okBase && !okToggle {
					errs <- fmt.Errorf("LookupPrefix(%v) = %v %v %v, want %v or %v", pr.addr, p, v, ok, pr.base, pr.toggle)
					return
				}
			}
		}()
	}
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
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

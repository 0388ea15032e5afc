package maglev_test

import (
	"fmt"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/slb/flowhash"
	"github.com/sdnfabric/sdnfabric/slb/maglev"
)

func ExampleNew() {
	t, err := maglev.New(maglev.DefaultSize, []maglev.Backend{
		{Name: "pool-a/10.1.0.7", Weight: 1},
		{Name: "pool-a/10.1.0.5", Weight: 1},
		{Name: "pool-a/10.1.0.6", Weight: 2},
	})
	if err != nil {
		panic(err)
	}
	flow := flowhash.Tuple{
		Src: netip.MustParseAddr("198.51.100.7"), Dst: netip.MustParseAddr("203.0.113.10"),
		SrcPort: 49152, DstPort: 443, Proto: 6,
	}
	i := t.Lookup(flowhash.Sum(flowhash.FiveTuple, flow))
	fmt.Println(t.Backend(i).Name)
	fmt.Println(t.Shares()) // in name order: .5, .6 (weight 2), .7
	// Output:
	// pool-a/10.1.0.7
	// [16384 32769 16384]
}

func ExampleCurrent() {
	var current maglev.Current // shared by the packet goroutines
	current.Update([]maglev.Backend{{Name: "a", Weight: 1}, {Name: "b", Weight: 1}, {Name: "c", Weight: 1}})

	// A packet goroutine: one atomic load, then a lock-free lookup.
	t := current.Load()
	fmt.Println(t.Len(), t.Backend(t.Lookup(42)).Name)

	// The control plane removes "b"; only its slots, and a few more, move.
	moved, _ := current.Update([]maglev.Backend{{Name: "a", Weight: 1}, {Name: "c", Weight: 1}})
	fmt.Printf("moved %.3f of the slots\n", float64(moved)/float64(t.Size()))
	// Output:
	// 3 a
	// moved 0.333 of the slots
}

func ExampleRebuild() {
	var bs []maglev.Backend
	for i := range 500 {
		bs = append(bs, maglev.Backend{Name: fmt.Sprintf("pool-a/10.1.%d.%d", i/256, i%256), Weight: 1})
	}
	t, _ := maglev.New(maglev.DefaultSize, bs)
	own := t.Shares()[0]

	// The first backend leaves: New moves several times its share of
	// slots, Rebuild only its own.
	fresh, _ := maglev.New(maglev.DefaultSize, bs[1:])
	rebuilt, _ := maglev.Rebuild(t, bs[1:])
	fmt.Printf("own %d, New moved %.1fx, Rebuild moved %.1fx\n", own,
		float64(maglev.Moved(t, fresh))/float64(own), float64(maglev.Moved(t, rebuilt))/float64(own))
	// Output:
	// own 132, New moved 5.3x, Rebuild moved 1.0x
}

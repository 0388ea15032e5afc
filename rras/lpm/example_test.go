package lpm_test

import (
	"fmt"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/rras/lpm"
)

func Example() {
	var t lpm.Table[string]
	t.Insert(netip.MustParsePrefix("0.0.0.0/0"), "default via upstream")
	t.Insert(netip.MustParsePrefix("10.0.0.0/8"), "fabric")
	t.Insert(netip.MustParsePrefix("10.1.0.0/16"), "rack 1")
	t.Insert(netip.MustParsePrefix("2001:db8::/32"), "documentation")

	for _, a := range []string{"10.1.2.3", "10.9.9.9", "192.0.2.1", "2001:db8::1", "2001:db9::1"} {
		p, v, ok := t.LookupPrefix(netip.MustParseAddr(a))
		fmt.Println(a, p, v, ok)
	}
	// Output:
	// 10.1.2.3 10.1.0.0/16 rack 1 true
	// 10.9.9.9 10.0.0.0/8 fabric true
	// 192.0.2.1 0.0.0.0/0 default via upstream true
	// 2001:db8::1 2001:db8::/32 documentation true
	// 2001:db9::1 invalid Prefix  false
}

func ExampleTable_All() {
	var t lpm.Table[int]
	for i, p := range []string{"10.1.0.0/16", "2001:db8::/32", "10.0.0.0/8", "10.0.0.0/16", "0.0.0.0/0"} {
		t.Insert(netip.MustParsePrefix(p), i)
	}
	for p, v := range t.All() {
		fmt.Println(p, v)
	}
	// Output:
	// 0.0.0.0/0 4
	// 10.0.0.0/8 2
	// 10.0.0.0/16 3
	// 10.1.0.0/16 0
	// 2001:db8::/32 1
}

func ExampleTable_Update() {
	var t lpm.Table[string]
	routes := map[string]string{"192.0.2.0/24": "a", "198.51.100.0/24": "b", "203.0.113.0/24": "c"}
	// Readers see either none of these routes or all of them.
	err := t.Update(func(b *lpm.Batch[string]) error {
		for p, v := range routes {
			if err := b.Insert(netip.MustParsePrefix(p), v); err != nil {
				return err
			}
		}
		return nil
	})
	fmt.Println(err, t.Len())
	// Output:
	// <nil> 3
}

func ExampleTable_Insert_invalid() {
	var t lpm.Table[int]
	err := t.Insert(netip.Prefix{}, 1)
	fmt.Println(err)
	// Output:
	// lpm: prefix invalid Prefix: invalid prefix
}

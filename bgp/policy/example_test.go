package policy_test

import (
	"fmt"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/bgp/policy"
	"github.com/sdnfabric/sdnfabric/bgp/wire"
)

// An import policy for a Mux: accept only /32 VIPs from 192.0.2.0/24 and
// prefer them; reject everything else.
func Example() {
	lp := uint32(200)
	imp := &policy.Policy{
		Statements: []policy.Statement{{
			Name:   "vips",
			Match:  policy.Match{Prefixes: []policy.PrefixRange{{Prefix: netip.MustParsePrefix("192.0.2.0/24"), GE: 32}}},
			Set:    policy.Set{LocalPref: &lp},
			Result: policy.Accept,
		}},
		Default: policy.Reject,
	}
	for _, p := range []string{"192.0.2.10/32", "192.0.2.0/24", "198.51.100.1/32"} {
		r := &policy.Route{Prefix: netip.MustParsePrefix(p), Attrs: wire.Attributes{}}
		fmt.Println(p, policy.Evaluate(imp, true, false, r), r.Attrs.LocalPref)
	}
	fmt.Println("no policy:", policy.Evaluate(nil, true, false, &policy.Route{}))
	// Output:
	// 192.0.2.10/32 accept 200
	// 192.0.2.0/24 reject 0
	// 198.51.100.1/32 reject 0
	// no policy: reject
}

package snat_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/sdnfabric/sdnfabric/slb/snat"
)

// A host asks for ports for its DIP; the Mux learns where the return
// traffic of each block goes through OnChange.
func ExampleManager_Lease() {
	m := snat.New(snat.Config{OnChange: func(l snat.Lease, granted bool) {
		fmt.Println("mux:", l.Block, "->", l.DIP, "on", l.Host, granted)
	}})
	if err := m.Configure(outbound(16)); err != nil { // 16 ports (2 blocks) per DIP
		panic(err)
	}
	ctx := context.Background()
	for range 3 {
		_, err := m.Lease(ctx, snat.Request{LoadBalancer: "lb", Rule: "out", Host: host1, VNI: 7, DIP: dipA, Protocol: 6})
		if errors.Is(err, snat.ErrQuota) {
			fmt.Println(err)
		}
	}
	// Output:
	// mux: 203.0.113.10/6:1024-1031 -> 10.1.0.5 on 192.0.2.11 true
	// mux: 203.0.113.10/6:1032-1039 -> 10.1.0.5 on 192.0.2.11 true
	// snat: lease for DIP 10.1.0.5 on host 192.0.2.11: SNAT port quota reached
}

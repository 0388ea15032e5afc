package runtime_test

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/runtime"
)

// Start the seed topology in process, wait until BGP, the VIP route and the
// probes are up, and fetch the Portal VIP from ClientVM.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rt, err := runtime.Start(ctx, runtime.Seed(), runtime.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rt.Close()
	if err := rt.Ready(ctx); err != nil {
		fmt.Println(err)
		return
	}
	client, _ := rt.Machine("ClientVM")
	resp, err := client.HTTPClient().Get("http://192.168.102.10/")
	if err != nil {
		fmt.Println(err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Status)
	for _, s := range rt.Status().Sessions {
		fmt.Println(s.Node, s.Peer, s.State)
	}
	for _, r := range rt.Status().Routes {
		fmt.Println(r.Node, r.Prefix, r.NextHops)
	}
	// Output:
	// 200 OK
	// BGPVM 192.168.100.20 Established
	// MuxVM 192.168.100.1 Established
	// BGPVM 192.168.102.10/32 [192.168.100.20]
}

package runtime_test

import (
	"context"
	"fmt"
	"io"
	"net/netip"
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

// An instance takes itself out of rotation from inside its VM: PortalVM2,
// over its own stack, asks its host's WireServer (168.63.129.16) to mark
// it busy, then ready, as Set-RoleInstanceStatus does. A
// WireServerRotation is what provision.BringUp takes as its Rotation.
func ExampleWireServerRotation() {
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
	vm, _ := rt.Machine("PortalVM2")
	rot := runtime.NewWireServerRotation(vm.HTTPClient())
	self := netip.MustParseAddr("10.10.0.12")
	if err := rot.SetBusy(ctx, self); err != nil {
		fmt.Println(err)
		return
	}
	st, _ := rot.Get(ctx)
	fmt.Println(st.Machine, st.Address, st.VNI, st.Status, st.InRotation)
	if err := rot.SetReady(ctx, self); err != nil {
		fmt.Println(err)
		return
	}
	st, _ = rot.Get(ctx)
	fmt.Println(st.Machine, st.Status)
	// Another instance's address is refused.
	err = rot.SetBusy(ctx, netip.MustParseAddr("10.10.0.11"))
	fmt.Println(err.(*runtime.WireServerError).Status)
	// Output:
	// PortalVM2 10.10.0.12 5001 busy false
	// PortalVM2 ready
	// 403
}

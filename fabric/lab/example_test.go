package lab_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/lab"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
)

// Each machine of a topology becomes a namespace named after it.
func ExampleNamespaceName() {
	for _, m := range runtime.Seed().Machines {
		fmt.Println(m.Name, "->", lab.NamespaceName(lab.DefaultPrefix, m.Name))
	}
	// Output:
	// ClientVM -> fab-clientvm
	// PortalVM1 -> fab-portalvm1
	// PortalVM2 -> fab-portalvm2
}

// A distributed lab of examples/seed.yaml: etcd, the controller on it and
// an agent per gateway, Mux and host, each a process in a namespace of
// its own (needs root on Linux, and etcd).
func ExampleUpDistributed() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	data, err := os.ReadFile("../examples/seed.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	objs, err := model.Decode(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := lab.UpDistributed(ctx, objs, lab.DistOptions{Prefix: "fab-"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close()
	if err := d.Ready(ctx); err != nil {
		fmt.Println(err)
		return
	}
	resp, err := d.HTTPClient("clientvm").Get("http://192.168.102.10/")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println("served by", resp.Header.Get(runtime.ServedBy))
}

// Ours and the kernel's build of the same topology under the same load:
// what `fabric lab bench` does for each round (needs root on Linux, nft,
// bird, iperf3 and wrk).
func ExampleKernelUp() {
	ctx := context.Background()
	topo := lab.BenchTopology()
	free := []uint16{lab.IperfPort}
	k, err := lab.KernelUp(ctx, topo, lab.KernelOptions{Prefix: "fk-", FreePorts: free})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer k.Close()
	if err := k.Ready(ctx); err != nil {
		fmt.Println(err)
		return
	}
	metrics, err := lab.RunLoad(ctx, k.Namespace, topo, lab.LoadOptions{Streams: []int{1}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range metrics {
		fmt.Printf("%-28s %10.3f %s\n", m.Name, m.Value, m.Unit)
	}
}

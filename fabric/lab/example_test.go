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

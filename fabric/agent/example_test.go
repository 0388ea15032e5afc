package agent_test

import (
	"fmt"
	"os"

	"github.com/sdnfabric/sdnfabric/fabric/agent"
	"github.com/sdnfabric/sdnfabric/fabric/model"
)

// The slice of the seed topology a host agent programs onto host1.
func ExampleHostSliceOf() {
	data, _ := os.ReadFile("../examples/seed.yaml")
	objs, _ := model.Decode(data)
	st, err := model.NewState(objs)
	if err != nil {
		fmt.Println(err)
		return
	}
	s, _, _ := agent.HostSliceOf(st, "host1")
	for _, i := range s.Interfaces {
		fmt.Println("nic", i.Name, i.Spec.Addresses, "vni", i.Attachment.VNI)
	}
	for _, m := range s.Mappings["portal-vnet"] {
		fmt.Println("map", m.CA, "->", m.HostPA, "on", m.Host)
	}
	for _, lb := range s.LoadBalancers {
		fmt.Println("lb", lb.Name, lb.FrontendIPConfigurations[0].VIP)
	}
	// Output:
	// nic portalvm1 [10.1.0.4] vni 5001
	// map 10.1.0.4 -> 192.168.100.21 on host1
	// map 10.1.0.5 -> 192.168.100.22 on host2
	// lb portal 192.168.102.10
}

package runtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/agent"
	"github.com/sdnfabric/sdnfabric/fabric/controller"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
	"github.com/sdnfabric/sdnfabric/fabric/store/memstore"
)

// Put the seed in a controller, start the fabric it describes, and let an
// agent per node keep the nodes programmed from the controller; the Mux's
// agent reports its BGP session and the VIP it announces into the Mux
// resource's status.
func ExampleRuntime_StartAgents() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
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
	ctl, err := controller.New(controller.Config{Store: memstore.New(memstore.Options{}), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, _, err := ctl.Apply(ctx, objs); err != nil {
		fmt.Println(err)
		return
	}
	state, _, err := ctl.List(ctx, "") // allocated: MACs, SNAT blocks
	if err != nil {
		fmt.Println(err)
		return
	}
	topo, err := runtime.FromModel(state)
	if err != nil {
		fmt.Println(err)
		return
	}
	rt, err := runtime.Start(ctx, topo, runtime.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rt.Close()
	if _, err := rt.StartAgents(agent.Config{Backend: ctl, StatusInterval: 100 * time.Millisecond}); err != nil {
		fmt.Println(err)
		return
	}
	for ctx.Err() == nil {
		o, err := ctl.Get(ctx, model.KindMux, "mux1")
		var st model.MuxStatus
		if err == nil && len(o.Status) > 0 && json.Unmarshal(o.Status, &st) == nil &&
			st.ObservedGeneration == o.Metadata.Generation && len(st.Announced) > 0 {
			fmt.Printf("mux1: generation %d programmed; BGP with %s %s; announces %v\n",
				st.ObservedGeneration, st.Peers[0].Name, st.Peers[0].State, st.Announced)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Println("mux1 never reported")
	// Output:
	// mux1: generation 1 programmed; BGP with bgpvm Established; announces [192.168.102.10/32]
}

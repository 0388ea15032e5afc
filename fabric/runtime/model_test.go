package runtime

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestSeedYAML runs the repository's examples/seed.yaml and fetches the
// Portal VIP from its client.
func TestSeedYAML(t *testing.T) {
	data, err := os.ReadFile("../examples/seed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	topo, err := FromModelFile("seed.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if topo.Outside == nil || len(topo.Hosts) != 2 || len(topo.Muxes) != 1 || len(topo.Gateways) != 2 {
		t.Fatalf("topology %+v", topo)
	}
	rt := start(t, topo, Options{})
	var client string
	for _, m := range topo.Machines {
		if m.Role == RoleClient {
			client = m.Name
		}
	}
	c := newClient(mustMachine(t, rt, client), true, 5*time.Second)
	for range 4 {
		who, err := get(context.Background(), c, "http://"+rt.VIPs()[0].String()+"/")
		if err != nil {
			t.Fatal(err)
		}
		t.Log(who)
	}
}

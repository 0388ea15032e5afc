package runtime

import (
	"context"
	"os"
	"strings"
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

func TestFromModelErrors(t *testing.T) {
	if _, err := FromModelFile("bad.yaml", []byte("kind: [")); err == nil {
		t.Error("want an error for malformed YAML")
	}
	data, err := os.ReadFile("../examples/seed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Without the NATVM, no machine is a client.
	var kept []string
	for _, doc := range strings.Split(string(data), "\n---\n") {
		if !strings.Contains(doc, "name: natvm") {
			kept = append(kept, doc)
		}
	}
	if _, err := FromModelFile("seed.yaml", []byte(strings.Join(kept, "\n---\n"))); err == nil {
		t.Error("want an error for a topology without a client (or with a dangling reference)")
	}
}

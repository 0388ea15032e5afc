package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestDemoController: with -controller the seed goes through an
// in-process controller, every node's agent programs it, and the nodes'
// statuses come back into their resources.
func TestDemoController(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"demo", "-controller", "-f", "../../examples/seed.yaml"}, &out); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	checkDemo(t, out.String())
	for _, want := range []string{
		"applied 16 resources", "5 agent(s) started",
		"host1     agent    programmed: 1 load balancer(s)", "mux1      agent    programmed: 1 load balancer(s)",
		"bgpvm     agent    programmed: 1 static route(s)",
		"Host    host1  generation 1 of 1 programmed, ready true",
		"Mux     mux1   generation 1 of 1 programmed, BGP bgpvm Established, announces [192.168.102.10/32]",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestDemoControllerNeedsFile(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"demo", "-controller", "-f", "does-not-exist.yaml"}, &out)
	if err == nil || !strings.Contains(err.Error(), "-controller needs a topology file") {
		t.Fatalf("err = %v, want one saying -controller needs a file", err)
	}
}

package main

import (
	"strings"
	"testing"
)

// TestAgentChecks: fabric agent refuses a missing name, a malformed
// --link, and a node the controller's state does not hold in that role,
// before it builds anything.
func TestAgentChecks(t *testing.T) {
	dir := startController(t)
	mustCLI(t, dir, "apply", "-f", "../../examples/seed.yaml")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"agent", "--role", "host"}, "--name is required"},
		{[]string{"agent", "--role", "host", "--name", "host1", "--link", "provider"}, "want NETWORK=DEVICE"},
		{[]string{"agent", "--role", "router", "--name", "host1"}, `--role "router"`},
		{[]string{"agent", "--role", "mux", "--name", "host1"}, `no mux "host1"`},
		{[]string{"agent", "--role", "gateway", "--name", "nosuch"}, `no gateway "nosuch"`},
	} {
		_, err := cli(t, dir, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error saying %q", c.args, err, c.want)
		}
	}
}

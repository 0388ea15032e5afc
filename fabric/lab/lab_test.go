package lab_test

import (
	"testing"

	"github.com/sdnfabric/sdnfabric/fabric/lab"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
)

func TestNamespaceName(t *testing.T) {
	for _, c := range []struct{ prefix, machine, want string }{
		{"fab-", "ClientVM", "fab-clientvm"},
		{"x-", "Portal VM/1", "x-portal-vm-1"},
		{"x-", "a_b.c-D", "x-a_b.c-d"},
	} {
		if got := lab.NamespaceName(c.prefix, c.machine); got != c.want {
			t.Errorf("NamespaceName(%q, %q) = %q, want %q", c.prefix, c.machine, got, c.want)
		}
	}
}

func TestBadPrefix(t *testing.T) {
	for _, p := range []string{"Fab-", "a/b", "a b", "012345678901234567890123456789012"} {
		if _, err := lab.Up(t.Context(), runtime.Seed(), lab.Options{Prefix: p}); err == nil {
			t.Errorf("Up with prefix %q: no error", p)
		}
		if _, err := lab.Down(p); err == nil {
			t.Errorf("Down(%q): no error", p)
		}
	}
}

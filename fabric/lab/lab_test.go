package lab_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
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

// TestRemoveStaleFabricDirs: the fabric command a test process that no
// longer runs built is removed; that of a running one is kept.
func TestRemoveStaleFabricDirs(t *testing.T) {
	if _, err := os.Stat("/proc/self"); err != nil {
		t.Skip("needs /proc")
	}
	ended := exec.Command("true")
	if err := ended.Run(); err != nil {
		t.Skipf("true: %v", err)
	}
	stale, err := os.MkdirTemp("", fmt.Sprintf(fabricDirPattern, ended.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(stale) })
	mine, err := os.MkdirTemp("", fmt.Sprintf(fabricDirPattern, os.Getpid())+"-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(mine) })
	removeStaleFabricDirs()
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the directory of ended process %d is left: %v", ended.Process.Pid, err)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("this process's directory went: %v", err)
	}
}

//go:build linux

package tap

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// needRootAndIP skips the test unless it can create network namespaces.
func needRootAndIP(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces and TAP devices")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs the ip command (iproute2) to configure namespaces")
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		t.Skip("needs /dev/net/tun to create TAP devices")
	}
}

// ipCmd runs ip with args and fails the test on error.
func ipCmd(t testing.TB, args ...string) {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// newNetNS creates a network namespace with a name unique to this process
// and deletes it when the test ends. It returns the name.
func newNetNS(t testing.TB, tag string) string {
	t.Helper()
	name := fmt.Sprintf("sdnf-tap%d-%s", os.Getpid(), tag)
	exec.Command("ip", "netns", "del", name).Run() // a leftover from a crashed run
	ipCmd(t, "netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	ipCmd(t, "-n", name, "link", "set", "lo", "up")
	return name
}

// inNetNS runs fn on a thread switched into namespace ns; sockets fn
// creates stay in ns.
func inNetNS(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		restore, err := enterNetNS("/run/netns/" + ns)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		err = fn()
		if restore() == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

//go:build linux

package lab_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	goruntime "runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sdnfabric/sdnfabric/fabric/lab"
)

// visitorEnv makes the test binary visit a namespace with its main
// thread only, as a lab process does when it opens a socket there (see
// TestDownSparesVisitors).
const visitorEnv = "FABRIC_LAB_TEST_VISIT"

// visit switches the main thread into namespace ns, says so on stdout
// ("visiting", or "elsewhere" if this goroutine is not on the main
// thread), and waits to be killed.
func visit(ns string) {
	goruntime.LockOSThread()
	if unix.Gettid() != os.Getpid() {
		fmt.Println("elsewhere")
		os.Exit(0)
	}
	fd, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err == nil {
		err = unix.Setns(fd, unix.CLONE_NEWNET)
	}
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("visiting")
	time.Sleep(30 * time.Second)
	os.Exit(0)
}

// TestDownSparesVisitors: Down ends the processes running in a
// namespace, but not a process whose main thread only visits it (a lab
// process opening a socket there): its other threads are elsewhere.
func TestDownSparesVisitors(t *testing.T) {
	needLab(t)
	p := prefix(t, "ffvisit")
	ns := p + "x"
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v\n%s", err, out)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), visitorEnv+"="+ns)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() {
		t.Fatal("the visitor said nothing")
	}
	switch sc.Text() {
	case "visiting":
	case "elsewhere":
		t.Skip("the visitor's main goroutine was not on the main thread")
	default:
		t.Fatalf("visitor: %s", sc.Text())
	}
	go func() { exited <- cmd.Wait() }()
	if _, err := lab.Down(p); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		exited <- err // for the cleanup
		t.Fatalf("Down ended a process that only visited the namespace: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
}

//go:build linux

package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// netnsDir is where iproute2 keeps named network namespaces (bind mounts).
const netnsDir = "/run/netns"

func nsPath(ns string) string { return netnsDir + "/" + ns }

// supported says what is missing to run a lab here.
func supported() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: needs root to create network namespaces", ErrUnsupported)
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return fmt.Errorf("%w: needs the ip command (iproute2)", ErrUnsupported)
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		return fmt.Errorf("%w: needs /dev/net/tun", ErrUnsupported)
	}
	return nil
}

// ip runs the ip command; stdin, if not empty, is a -batch script.
func ip(ctx context.Context, stdin string, args ...string) error {
	cmd := exec.CommandContext(ctx, "ip", args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// Namespaces returns the names of the network namespaces whose names start
// with prefix, sorted.
func Namespaces(prefix string) ([]string, error) {
	if prefix == "" {
		return nil, errors.New("lab: empty prefix")
	}
	ents, err := os.ReadDir(netnsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			out = append(out, e.Name())
		}
	}
	slices.Sort(out)
	return out, nil
}

// Down removes every network namespace whose name starts with prefix,
// after ending the processes running in it (SIGTERM, then SIGKILL after a
// second), and its directories in os.TempDir (its routers', a distributed
// lab's), and returns the namespaces' names. The TAP devices of a lab
// live in its namespaces and go with them. A lab process still running
// keeps its namespaces alive, unnamed, until it exits: stop it first.
func Down(prefix string) ([]string, error) {
	if err := checkPrefix(prefix); err != nil {
		return nil, err
	}
	names, err := Namespaces(prefix)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, ns := range names {
		errs = append(errs, deleteNamespace(ns))
	}
	// The routers' directories (configuration, sockets, logs).
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), prefix+"*"+runDirSuffix))
	for _, d := range dirs {
		errs = append(errs, os.RemoveAll(d))
	}
	return names, errors.Join(errs...)
}

// runDirSuffix ends the names of the routers' directories in os.TempDir().
const runDirSuffix = ".labrun"

// addNamespace creates a named network namespace with its loopback up.
func addNamespace(ctx context.Context, ns string) error {
	if err := ip(ctx, "", "netns", "add", ns); err != nil {
		return err
	}
	return ip(ctx, "", "-n", ns, "link", "set", "lo", "up")
}

// deleteNamespace ends the processes in ns and deletes it.
func deleteNamespace(ns string) error {
	stopProcesses(ns)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ip(ctx, "", "netns", "del", ns); err != nil {
		if _, serr := os.Stat(nsPath(ns)); errors.Is(serr, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	return nil
}

// stopProcesses ends the processes whose network namespace is ns (a
// server someone started there with ip netns exec): SIGTERM, then SIGKILL
// for those still there after a second.
func stopProcesses(ns string) {
	for i, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		pids := namespacePIDs(ns)
		if len(pids) == 0 {
			return
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, sig)
		}
		if i == 0 {
			for range 20 {
				time.Sleep(50 * time.Millisecond)
				if len(namespacePIDs(ns)) == 0 {
					return
				}
			}
		}
	}
}

// namespacePIDs lists the processes in ns, as `ip netns pids` does: those
// whose /proc/PID/ns/net is the namespace's inode, but only those all of
// whose threads are in it. A process that visits ns with one thread (a lab
// process opening a socket there: see inNamespace, which may run on its
// main thread) is not one that runs there, and must not be stopped.
func namespacePIDs(ns string) []int {
	var want unix.Stat_t
	if err := unix.Stat(nsPath(ns), &want); err != nil {
		return nil
	}
	in := func(path string) bool {
		var st unix.Stat_t
		return unix.Stat(path, &st) == nil && st.Dev == want.Dev && st.Ino == want.Ino
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() || !in("/proc/"+e.Name()+"/ns/net") {
			continue
		}
		tasks, err := os.ReadDir("/proc/" + e.Name() + "/task")
		if err != nil {
			continue // gone
		}
		all := true
		for _, t := range tasks {
			var st unix.Stat_t
			if unix.Stat("/proc/"+e.Name()+"/task/"+t.Name()+"/ns/net", &st) == nil && (st.Dev != want.Dev || st.Ino != want.Ino) {
				all = false // a thread elsewhere (one that ended meanwhile does not count)
			}
		}
		if all {
			out = append(out, pid)
		}
	}
	return out
}

// inNamespace runs fn on a thread switched into ns; sockets fn opens stay
// in ns. The thread is switched back afterwards, or discarded if that
// fails.
func inNamespace(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		goruntime.LockOSThread()
		self, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			goruntime.UnlockOSThread()
			errc <- fmt.Errorf("lab: own namespace: %w", err)
			return
		}
		defer unix.Close(self)
		target, err := unix.Open(nsPath(ns), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			goruntime.UnlockOSThread()
			errc <- fmt.Errorf("lab: namespace %s: %w", ns, err)
			return
		}
		err = unix.Setns(target, unix.CLONE_NEWNET)
		unix.Close(target)
		if err != nil {
			goruntime.UnlockOSThread()
			errc <- fmt.Errorf("lab: setns %s: %w", ns, err)
			return
		}
		err = fn()
		if unix.Setns(self, unix.CLONE_NEWNET) == nil {
			goruntime.UnlockOSThread()
		} // else the goroutine ends locked and the thread is discarded
		errc <- err
	}()
	return <-errc
}

// sysctl writes value to /proc/sys/<key> in namespace ns (net.* keys are
// per namespace); a key this kernel lacks is skipped.
func sysctl(ns, key, value string) error {
	return inNamespace(ns, func() error {
		err := os.WriteFile("/proc/sys/"+strings.ReplaceAll(key, ".", "/"), []byte(value), 0)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	})
}

// listening reports whether a TCP socket listens on port in namespace ns.
func listening(ns string, port uint16) (bool, error) {
	var tcp []byte
	err := inNamespace(ns, func() error {
		var err error
		tcp, err = os.ReadFile("/proc/thread-self/net/tcp")
		return err
	})
	return strings.Contains(string(tcp), fmt.Sprintf(":%04X 00000000:0000 0A", port)), err
}

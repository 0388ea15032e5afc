package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/lab"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
)

// runLab is `fabric lab up|down`: the topology on real Linux networking,
// every machine a network namespace with the kernel's stack on a TAP
// device, the fabric's nodes in this process.
//
//	fabric lab up [-f FILE] [-prefix P] [-router ours|bird|frr] [-bfd D]   start, and run until interrupted or `lab down`
//	fabric lab up -distributed [-f FILE] [-prefix P] [-router ours|bird|frr]   every node a process in a namespace
//	fabric lab down [-prefix P]           stop a running lab and remove what any lab with P left
//	fabric lab bench [-rounds N]          ours and a kernel-only build of the seed under the same load, side by side
func runLab(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("lab: want a subcommand: up, down or bench")
	}
	switch args[0] {
	case "up":
		return runLabUp(ctx, args[1:], out)
	case "down":
		return runLabDown(args[1:], out)
	case "bench":
		return runLabBench(ctx, args[1:], out)
	}
	return fmt.Errorf("lab: unknown subcommand %q (want: up, down, bench)", args[0])
}

// labFlags are the flags up and down share.
type labFlags struct {
	prefix, stateDir string
}

func (f *labFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.prefix, "prefix", lab.DefaultPrefix, "prefix of the names of the lab's network namespaces")
	fs.StringVar(&f.stateDir, "state-dir", "/run/sdnfabric", "directory of the running labs' PID files")
}

// pidFile is where `lab up` records its PID for `lab down`.
func (f *labFlags) pidFile() string {
	return filepath.Join(f.stateDir, "lab-"+strings.TrimSuffix(f.prefix, "-")+".pid")
}

func runLabUp(ctx context.Context, args []string, out io.Writer) error {
	flags := flag.NewFlagSet("lab up", flag.ContinueOnError)
	flags.SetOutput(out)
	var lf labFlags
	lf.register(flags)
	file := flags.String("f", defaultTopology, "topology file (fabric model resources, YAML or JSON); the built-in seed topology when it does not exist")
	timeout := flags.Duration("timeout", 20*time.Second, "how long the fabric may take to converge")
	router := flags.String("router", lab.RouterOurs, "what runs the BGP router (the BGPVM): ours (in this process), bird (BIRD 2) or frr (FRR's zebra, bgpd and, with BFD, bfdd) in the router's namespace, the kernel forwarding")
	noOffload := flags.Bool("no-offload", false, "open the TAPs without offloads (by default those of VMs on hosts take TSO super-segments)")
	distributed := flags.Bool("distributed", false, "etcd, the controller and every node a process in a namespace of its own (router ours, bird or frr)")
	hold := flags.Duration("hold-time", 0, "with -distributed: the BGP hold time (0: 9 s)")
	bfdInterval := flags.Duration("bfd", 0, "the BFD interval (multiplier 3) of the Mux<->router sessions (0: 100 ms with -distributed, none without; negative: no BFD)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *distributed {
		return runLabUpDistributed(ctx, lf, *file, *router, *hold, *bfdInterval, *timeout, out)
	}
	topo, source, err := loadTopology(*file)
	if err != nil {
		return err
	}
	start := time.Now()
	fmt.Fprintf(out, "sdnfabric lab: starting %s; machines are network namespaces %s* on TAP devices, the fabric's nodes run in this process (PID %d)\n\n",
		source, lf.prefix, os.Getpid())
	l, err := lab.Up(ctx, topo, lab.Options{Prefix: lf.prefix, Router: *router, NoOffload: *noOffload, Runtime: runtime.Options{
		BFD: max(*bfdInterval, 0),
		Progress: func(p runtime.Progress) {
			fmt.Fprintf(out, "  %6.1fms  %s\n", float64(time.Since(start).Microseconds())/1000, p)
		},
	}})
	if err != nil {
		return err
	}
	defer func() {
		l.Close()
		fmt.Fprintf(out, "\nsdnfabric lab: stopped; namespaces %s* removed\n", lf.prefix)
	}()
	readyCtx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := l.Ready(readyCtx); err != nil {
		return err
	}
	if err := lf.writePIDFile(); err != nil {
		return err
	}
	defer os.Remove(lf.pidFile())

	fmt.Fprintf(out, "\nsdnfabric lab: ready in %s\n\n", time.Since(start).Round(time.Millisecond))
	machines := append(append([]runtime.Machine(nil), topo.Machines...), outside(topo)...)
	for _, m := range machines {
		fmt.Fprintf(out, "  %-10s %-18s namespace %-16s %s\n", m.Name, m.Addr, l.Namespace(m.Name), m.Role)
	}
	fmt.Fprintln(out)
	for _, m := range machines {
		if m.Role != runtime.RoleClient {
			continue
		}
		for _, vip := range l.Runtime().VIPs() {
			fmt.Fprintf(out, "  try: ip netns exec %s curl http://%s/\n", l.Namespace(m.Name), vip)
		}
		break
	}
	if *router == lab.RouterBIRD || *router == lab.RouterFRR {
		for _, g := range topo.Gateways {
			if g.BGP != nil {
				fmt.Fprintf(out, "  router: %s is %s in namespace %s (ip netns exec %s ip route)\n", g.Name, *router, l.Namespace(g.Name), l.Namespace(g.Name))
			}
		}
	}
	fmt.Fprintf(out, "  stop: interrupt this process, or fabric lab down -prefix %s\n", lf.prefix)
	<-ctx.Done()
	return nil
}

func outside(t *runtime.Topology) []runtime.Machine {
	if t.Outside == nil {
		return nil
	}
	return []runtime.Machine{*t.Outside}
}

func runLabDown(args []string, out io.Writer) error {
	flags := flag.NewFlagSet("lab down", flag.ContinueOnError)
	flags.SetOutput(out)
	var lf labFlags
	lf.register(flags)
	if err := flags.Parse(args); err != nil {
		return err
	}
	if err := stopLabProcess(lf.pidFile(), out); err != nil {
		return err
	}
	removed, err := lab.Down(lf.prefix)
	for _, ns := range removed {
		fmt.Fprintf(out, "removed namespace %s\n", ns)
	}
	if err != nil {
		return err
	}
	if len(removed) == 0 {
		fmt.Fprintf(out, "no namespace %s* left\n", lf.prefix)
	}
	return nil
}

// writePIDFile records this process for `lab down`: its PID and when it
// started, which together name it and no later process given the same PID.
func (f *labFlags) writePIDFile() error {
	if err := os.MkdirAll(f.stateDir, 0o755); err != nil {
		return err
	}
	start, err := processStart(os.Getpid())
	if err != nil {
		return err
	}
	return os.WriteFile(f.pidFile(), fmt.Appendf(nil, "%d %s\n", os.Getpid(), start), 0o644)
}

// processStart returns when process pid started, in clock ticks since
// boot (field 22 of /proc/PID/stat).
func processStart(pid int) (string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", err
	}
	// The command's name (field 2) is in parentheses and may hold
	// anything, spaces and parentheses too.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return "", fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 20 {
		return "", fmt.Errorf("/proc/%d/stat: %d fields after the command name, want 20 or more", pid, len(fields))
	}
	return fields[19], nil
}

// stopLabProcess ends the `lab up` that recorded itself in file, if it
// still runs: SIGTERM (it removes its namespaces itself), then SIGKILL
// after ten seconds. A process that reused the PID of a crashed lab (its
// start time differs) is left alone; the PID file is removed either way.
func stopLabProcess(file string, out io.Writer) error {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer os.Remove(file)
	field, start, withStart := strings.Cut(strings.TrimSpace(string(data)), " ")
	pid, err := strconv.Atoi(field)
	if err != nil || pid <= 1 || pid == os.Getpid() {
		return nil
	}
	running := func() bool {
		if !withStart { // a PID file of an older fabric
			return isFabric(pid)
		}
		now, err := processStart(pid)
		return err == nil && now == start
	}
	if !running() {
		return nil // the lab crashed and its PID is someone else's now, or no one's
	}
	fmt.Fprintf(out, "stopping lab process %d\n", pid)
	proc, err := os.FindProcess(pid)
	if err != nil {
		return nil // gone
	}
	for _, sig := range []os.Signal{syscall.SIGTERM, os.Kill} {
		if err := proc.Signal(sig); err != nil {
			return nil // gone
		}
		for range 100 {
			if !running() {
				return nil
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return fmt.Errorf("lab process %d does not stop", pid)
}

// isFabric reports whether pid runs a fabric binary (or its test).
func isFabric(pid int) bool {
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	exe, _, _ := strings.Cut(string(cmdline), "\x00")
	return strings.HasPrefix(filepath.Base(exe), "fabric")
}

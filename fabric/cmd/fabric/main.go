// Command fabric runs the sdnfabric stack and its network controller, and
// is the controller's command-line client.
//
//	fabric [run|demo]             the stack demo (the default)
//	fabric controller [flags]     run the network controller
//	fabric agent --role host|mux|gateway --name NAME [--server URL] [--token-file F] [--link NETWORK=DEVICE]...
//	                              run one node (a host with its VMs, a Mux or a gateway) in this
//	                              process, programmed by the controller, its networks attached to
//	                              the namespace's devices through TAPs; SIGTERM stops it (a Mux
//	                              withdraws its VIPs)
//	fabric apply -f FILE          create or update the resources of FILE, all or nothing
//	fabric get KIND [NAME]        list or show resources (-o table|json|yaml)
//	fabric describe KIND NAME     a resource, its status and its events
//	fabric delete KIND NAME...    delete resources
//	fabric status                 the controller's state at a glance
//	fabric backup -f FILE         back the whole store up to FILE
//	fabric restore -f FILE        restore a backup into an empty store (offline)
//	fabric lab up [-f FILE] [-router ours|bird|frr] [-distributed] [-prefix P]
//	                              the Linux lab (root): every machine a network namespace on a TAP,
//	                              the nodes in this process, or with -distributed etcd, the
//	                              controller and a fabric agent per node each in a namespace of its own
//	fabric lab down [-prefix P]   end a lab's processes and remove its namespaces (also after a crash)
//	fabric lab bench [flags]      build the lab and the kernel-only reference in turn, load both,
//	                              print the medians and the ratio
//
// The client commands find the controller from --server/--token, else
// FABRIC_SERVER/FABRIC_TOKEN, else the controller's data directory
// (--data-dir, FABRIC_DATA_DIR), where it records its URL and token.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "fabric:", err)
		}
		os.Exit(1)
	}
}

// commands are the subcommands besides the demo.
var commands = map[string]func(ctx context.Context, args []string, out io.Writer) error{
	"controller": runController,
	"apply":      runApply,
	"get":        runGet,
	"describe":   runDescribe,
	"delete":     runDelete,
	"status":     runStatus,
	"backup":     runBackup,
	"restore":    runRestore,
	"lab":        runLab,
	"agent":      runAgent,
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("fabric", flag.ContinueOnError)
	fs.SetOutput(out)
	if err := fs.Parse(args); err != nil {
		return err
	}
	var rest []string
	if fs.NArg() > 1 {
		rest = fs.Args()[1:]
	}
	switch cmd := fs.Arg(0); cmd {
	case "", "run", "demo":
		return runDemo(ctx, rest, out)
	default:
		if f, ok := commands[cmd]; ok {
			return f(ctx, rest, out)
		}
		return fmt.Errorf("unknown command %q (want: run, demo, controller, agent, apply, get, describe, delete, status, backup, restore, lab)", cmd)
	}
}

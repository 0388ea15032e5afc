// Command fabric runs the sdnfabric stack.
//
// Until the runnable stack lands, "fabric run" says so honestly and exercises
// the libraries that exist, so `make run` always does real work.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fabric:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("fabric", flag.ContinueOnError)
	fs.SetOutput(out)
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch cmd := fs.Arg(0); cmd {
	case "", "run", "demo":
		var rest []string
		if fs.NArg() > 1 {
			rest = fs.Args()[1:]
		}
		return runDemo(ctx, rest, out)
	default:
		return fmt.Errorf("unknown command %q (want: run, demo)", cmd)
	}
}

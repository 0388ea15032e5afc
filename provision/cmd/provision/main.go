// Command provision runs the start-storm simulator.
//
//	provision simulate -n 1000 -c 20 -latency 200ms -svg storm.svg
//
// prints a Markdown table comparing start strategies (no wait, the seed's
// RandomWait, full and decorrelated jitter, admission control) and writes
// the in-flight requests over time as an SVG chart.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/sdnfabric/sdnfabric/provision/sim"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "provision:", err)
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "simulate" {
		fmt.Fprintln(stderr, "usage: provision simulate [-n N] [-c C] [-latency D] [-queue Q] [-seed S] [-svg FILE]")
		return errors.New("unknown or missing subcommand")
	}
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg sim.Config
	fs.IntVar(&cfg.N, "n", 1000, "instances started at once")
	fs.IntVar(&cfg.C, "c", 20, "requests the database serves at a time")
	fs.DurationVar(&cfg.Latency, "latency", 200e6, "service time of one request")
	fs.IntVar(&cfg.Queue, "queue", 0, "requests that may wait for a slot; beyond C+queue a request fails")
	fs.DurationVar(&cfg.Refuse, "refuse", 0, "time the database takes to refuse (default latency/40)")
	fs.IntVar(&cfg.MaxAttempts, "max-attempts", 20, "attempts before an instance gives up")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "random seed; a run is deterministic given it")
	svg := fs.String("svg", "", "write the concurrency chart to this SVG file")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	var results []sim.Result
	for _, s := range sim.Standard(cfg) {
		r, err := sim.Run(cfg, s)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	if err := sim.WriteTable(stdout, cfg, results); err != nil {
		return err
	}
	if *svg == "" {
		return nil
	}
	f, err := os.Create(*svg)
	if err != nil {
		return err
	}
	if err := sim.WriteSVG(f, cfg, results); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

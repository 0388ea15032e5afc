package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	goruntime "runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/lab"
)

// runLabBench is `fabric lab bench`: the seed topology built twice, with
// our data plane (lab.Up) and from kernel parts only (lab.KernelUp), one
// after the other for each round, loaded the same way (lab.RunLoad), and
// the medians printed side by side with their ratio.
//
//	fabric lab bench [-rounds N] [-duration D] [-builds ours,kernel] [-cpuprofile FILE]
func runLabBench(ctx context.Context, args []string, out io.Writer) error {
	flags := flag.NewFlagSet("lab bench", flag.ContinueOnError)
	flags.SetOutput(out)
	rounds := flags.Int("rounds", 3, "rounds; each builds, loads and removes every build in turn")
	dur := flags.Duration("duration", 5*time.Second, "length of each iperf3 and wrk run")
	conns := flags.Int("connections", 16, "wrk's connections")
	streams := flags.String("streams", "1,8", "iperf3 parallel streams to measure, comma-separated")
	noDown := flags.Bool("no-download", false, "skip iperf3 -R (the PortalVM sends)")
	builds := flags.String("builds", "ours,kernel", "what to build, in order: ours (the fabric in this process), ours-bird (ours with BIRD as the router), ours-no-offload (no TAP offloads), ours-no-gro (frames to the kernel written one by one), kernel (kernel parts only); each but the last gets a ratio to the last")
	cpuProfile := flags.String("cpuprofile", "", "write a CPU profile of this process (our data plane) under load in the first round of the first build to this file")
	if err := flags.Parse(args); err != nil {
		return err
	}
	switch {
	case *rounds < 1:
		return fmt.Errorf("lab bench: -rounds %d: want 1 or more", *rounds)
	case *dur < time.Second:
		return fmt.Errorf("lab bench: -duration %s: want 1s or more (iperf3 counts whole seconds)", *dur)
	case *conns < 1:
		return fmt.Errorf("lab bench: -connections %d: want 1 or more", *conns)
	}
	opts := lab.LoadOptions{Duration: *dur, Connections: *conns, NoDownload: *noDown}
	for _, s := range strings.Split(*streams, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("lab bench: -streams %q: want positive numbers", *streams)
		}
		opts.Streams = append(opts.Streams, n)
	}
	names := strings.Split(*builds, ",")
	for _, b := range names {
		if !slices.Contains([]string{"ours", "ours-bird", "ours-no-offload", "ours-no-gro", "kernel"}, b) {
			return fmt.Errorf("lab bench: unknown build %q", b)
		}
	}
	results := map[string][][]lab.Metric{} // by build, per round
	for round := range *rounds {
		for i, b := range names {
			var prof *os.File
			if *cpuProfile != "" && round == 0 && i == 0 {
				f, err := os.Create(*cpuProfile)
				if err != nil {
					return err
				}
				prof = f
			}
			fmt.Fprintf(out, "round %d/%d: %s ...", round+1, *rounds, b)
			start := time.Now()
			m, err := benchBuild(ctx, b, opts, prof)
			if err != nil {
				return fmt.Errorf("lab bench: %s: %w", b, err)
			}
			fmt.Fprintf(out, " %s\n", time.Since(start).Round(time.Second))
			results[b] = append(results[b], m)
		}
	}
	fmt.Fprintf(out, "\nmedians of %d rounds, %s per run, on %d CPUs; CPU is the whole machine's (/proc/stat)\n\n", *rounds, *dur, goruntime.NumCPU())
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := "metric\tunit\t"
	for _, b := range names {
		header += b + "\t"
	}
	last := names[len(names)-1]
	for _, b := range names[:len(names)-1] {
		header += b + "/" + last + "\t"
	}
	fmt.Fprintln(tw, header)
	for j, m := range results[names[0]][0] {
		row := m.Name + "\t" + m.Unit + "\t"
		var med []float64
		for _, b := range names {
			var vals []float64
			for _, r := range results[b] {
				vals = append(vals, r[j].Value)
			}
			med = append(med, median(vals))
			row += strconv.FormatFloat(med[len(med)-1], 'f', precision(med[len(med)-1]), 64) + "\t"
		}
		for _, v := range med[:len(med)-1] {
			row += fmt.Sprintf("%.2f\t", v/med[len(med)-1])
		}
		fmt.Fprintln(tw, row)
	}
	return tw.Flush()
}

// benchBuild builds one lab, loads it and removes it; with prof, it
// profiles this process during the load.
func benchBuild(ctx context.Context, build string, opts lab.LoadOptions, prof *os.File) ([]lab.Metric, error) {
	topo := lab.BenchTopology()
	free := []uint16{lab.IperfPort}
	readyCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var ns func(string) string
	switch build {
	case "kernel":
		k, err := lab.KernelUp(ctx, topo, lab.KernelOptions{Prefix: fmt.Sprintf("fk%d-", os.Getpid()), FreePorts: free})
		if err != nil {
			return nil, err
		}
		defer k.Close()
		if err := k.Ready(readyCtx); err != nil {
			return nil, err
		}
		ns = k.Namespace
	default:
		o := lab.Options{Prefix: fmt.Sprintf("fp%d-", os.Getpid()), FreePorts: free}
		switch build {
		case "ours-bird":
			o.Router = lab.RouterBIRD
		case "ours-no-offload":
			o.NoOffload = true
		case "ours-no-gro":
			o.NoGRO = true
		}
		l, err := lab.Up(ctx, topo, o)
		if err != nil {
			return nil, err
		}
		defer l.Close()
		if err := l.Ready(readyCtx); err != nil {
			return nil, err
		}
		ns = l.Namespace
	}
	if prof != nil {
		if err := pprof.StartCPUProfile(prof); err != nil {
			return nil, err
		}
		defer func() {
			pprof.StopCPUProfile()
			prof.Close()
		}()
	}
	return lab.RunLoad(ctx, ns, topo, opts)
}

func median(v []float64) float64 {
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// precision keeps about three significant digits.
func precision(v float64) int {
	switch {
	case v >= 100:
		return 0
	case v >= 10:
		return 1
	case v >= 1:
		return 2
	}
	return 3
}

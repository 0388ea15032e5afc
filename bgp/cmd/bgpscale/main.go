//go:build linux

// Command bgpscale measures how fast BGP implementations take in a large
// table and how much memory they need for it: the same synthetic table is
// fed over TCP, one implementation after another in the same run, into this
// module's speaker and RIB, into BIRD 2 and into GoBGP. For each it reports
// the time from the first UPDATE until the implementation holds every path
// (End-of-RIB sent and the path count settled) and the process's peak
// resident memory.
//
// Everything runs in two network namespaces the command creates (root and
// Linux only), joined by a veth pair: the targets listen on 10.200.0.1 in
// one, the feeders connect from 10.200.1.N in the other, so every daemon
// sees them as directly connected neighbors with next hops on a connected
// network. scripts/bgp-scale.sh runs both scenarios.
//
// Usage:
//
//	bgpscale [-prefixes 1200000] [-peers 1] [-targets ours,bird,gobgp]
//
// With -peers N each feeder sends the same -prefixes prefixes (its own
// next hop): "-prefixes 20000 -peers 50" is 50 peers x 20,000 prefixes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/sdnfabric/sdnfabric/bgp/rib/ribtest"
)

const targetASN = 65000

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		err = serve(ctx, os.Args[2:])
	} else {
		err = run(ctx, os.Args[1:])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bgpscale:", err)
		os.Exit(1)
	}
}

type bench struct {
	ns     string // the target's namespace
	feedNS string // the feeders'

	dir     string
	target  netip.AddrPort
	feeders []*feeder
	want    int  // paths every target must end up with
	profile bool // ours writes a CPU profile
}

type result struct {
	name    string
	elapsed time.Duration
	rss     int64
	err     error
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bgpscale", flag.ContinueOnError)
	prefixes := fs.Int("prefixes", 1_200_000, "prefixes per feeder (every sixth IPv6)")
	peers := fs.Int("peers", 1, "feeders, each sending the same prefixes")
	targets := fs.String("targets", "ours,bird,gobgp", "implementations to measure, in order")
	timeout := fs.Duration("timeout", 15*time.Minute, "give up on a target after this long")
	profile := fs.Bool("cpuprofile", false, "write a CPU profile of ours (ours.pprof in the log directory)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if os.Geteuid() != 0 {
		return errors.New("needs root, to create the benchmark's network namespace")
	}
	dir, err := os.MkdirTemp("", "bgpscale")
	if err != nil {
		return err
	}
	os.Chmod(dir, 0o755)
	b := &bench{ns: fmt.Sprintf("bgpscale%d", os.Getpid()), feedNS: fmt.Sprintf("bgpfeed%d", os.Getpid()),
		dir: dir, target: netip.MustParseAddrPort("10.200.0.1:179")}
	if err := setupNetns(b.ns, b.feedNS, *peers); err != nil {
		return err
	}
	defer deleteNetns(b.ns, b.feedNS)

	fmt.Printf("table: %d prefixes x %d peers; preparing UPDATEs...\n", *prefixes, *peers)
	for i := range *peers {
		nh4 := netip.AddrFrom4([4]byte{10, 200, 1, byte(i + 1)})
		nh6 := netip.MustParseAddr(fmt.Sprintf("fd00::1:%x", i+1))
		// The same prefixes from every feeder, with its own AS paths and
		// communities (a seed per feeder), as different peers see them.
		routes := ribtest.Table(*prefixes, uint64(i+1), nh4, nh6)
		ups, err := ribtest.Updates(routes)
		if err != nil {
			return err
		}
		b.feeders = append(b.feeders, &feeder{asn: 65001 + uint32(i), addr: nh4, updates: ups})
	}
	b.want = *prefixes * *peers
	b.profile = *profile

	var results []result
	for _, name := range strings.Split(*targets, ",") {
		var t target
		switch name {
		case "ours":
			t = &ours{}
		case "bird":
			t = bird{}
		case "gobgp":
			t = gobgp{}
		default:
			return fmt.Errorf("unknown target %q", name)
		}
		tctx, cancel := context.WithTimeout(ctx, *timeout)
		r := measure(tctx, b, t)
		cancel()
		fmt.Printf("%-28s %v\n", r.name+":", summary(r))
		results = append(results, r)
		if ctx.Err() != nil {
			break
		}
	}
	fmt.Println()
	tw := tabwriter.NewWriter(os.Stdout, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "implementation\tpaths\tconverged in\tpeak RSS\tbytes/path\n")
	for _, r := range results {
		if r.err != nil {
			fmt.Fprintf(tw, "%s\t%d\tfailed: %v\t\t\n", r.name, b.want, r.err)
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%.2f s\t%.0f MiB\t%d\n", r.name, b.want, r.elapsed.Seconds(),
			float64(r.rss)/(1<<20), r.rss/int64(b.want))
	}
	tw.Flush()
	fmt.Printf("(logs in %s)\n", dir)
	return nil
}

func summary(r result) string {
	if r.err != nil {
		return "failed: " + r.err.Error()
	}
	return fmt.Sprintf("%.2f s, peak RSS %.0f MiB", r.elapsed.Seconds(), float64(r.rss)/(1<<20))
}

// measure starts t, feeds it the table from every feeder at once and waits
// until it holds every path.
func measure(ctx context.Context, b *bench, t target) result {
	r := result{name: t.name()}
	cmd, err := t.start(ctx, b)
	if err != nil {
		r.err = err
		return r
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		for _, f := range b.feeders {
			f.close()
		}
	}()
	// Wait until the target listens. (Not by connecting: a daemon that
	// sees its peer connect and leave holds it down for a while.)
	for !listening(b.ns, b.target) {
		if ctx.Err() != nil {
			r.err = errors.New("target never listened")
			return r
		}
		time.Sleep(100 * time.Millisecond)
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, len(b.feeders))
	for _, f := range b.feeders {
		wg.Go(func() {
			if err := f.run(ctx, func(ctx context.Context, local, remote netip.AddrPort) (net.Conn, error) {
				return dialIn(ctx, b.feedNS, local, remote)
			}, b.target, targetASN); err != nil {
				errs <- fmt.Errorf("feeder %v: %w", f.addr, err)
			}
		})
	}
	wg.Wait()
	select {
	case r.err = <-errs:
		return r
	default:
	}
	sent := time.Since(start)
	for {
		n, err := t.paths(ctx, b)
		if err == nil && n >= b.want {
			break
		}
		if ctx.Err() != nil {
			r.err = fmt.Errorf("%d of %d paths after %v (last error: %v)", n, b.want, time.Since(start).Round(time.Second), err)
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.elapsed = time.Since(start)
	r.rss, r.err = peakRSS(cmd.Process.Pid)
	fmt.Fprintf(os.Stderr, "  %s: table written in %.2f s\n", r.name, sent.Seconds())
	return r
}

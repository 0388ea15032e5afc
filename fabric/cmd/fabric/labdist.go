package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/lab"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
)

// runLabUpDistributed is `fabric lab up -distributed`: etcd, the
// controller and a `fabric agent` per node, each a process in a network
// namespace of its own (see lab.UpDistributed). It runs until interrupted
// or `lab down`.
func runLabUpDistributed(ctx context.Context, lf labFlags, file, router string, hold, bfd, timeout time.Duration, out io.Writer) error {
	data, err := readBounded(file, model.MaxFileBytes)
	if err != nil {
		return fmt.Errorf("-distributed needs a topology file (fabric model resources): %w", err)
	}
	objs, err := model.Decode(data)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	start := time.Now()
	fmt.Fprintf(out, "sdnfabric lab: starting %s distributed: etcd, the controller and every node a process in a namespace %s* of its own\n", file, lf.prefix)
	d, err := lab.UpDistributed(ctx, objs, lab.DistOptions{Prefix: lf.prefix, Router: router, HoldTime: hold, BFD: bfd})
	if err != nil {
		return err
	}
	defer func() {
		d.Close()
		fmt.Fprintf(out, "\nsdnfabric lab: stopped; namespaces %s* removed\n", lf.prefix)
	}()
	if err := lf.writePIDFile(); err != nil {
		return err
	}
	defer os.Remove(lf.pidFile())
	readyCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := d.Ready(readyCtx); err != nil {
		return fmt.Errorf("%w (logs in %s)", err, d.Dir())
	}
	fmt.Fprintf(out, "\nsdnfabric lab: ready in %s; logs in %s\n\n", time.Since(start).Round(time.Millisecond), d.Dir())
	fmt.Fprintf(out, "  %-10s namespace %s (controller %s)\n", "etcd", d.Namespace("etcd"), d.Client().Server)
	fmt.Fprintf(out, "  %-10s namespace %s\n", "controller", d.Namespace("controller"))
	t := d.Topology()
	for _, g := range t.Gateways {
		fmt.Fprintf(out, "  %-10s namespace %-16s gateway\n", g.Name, d.Namespace(g.Name))
	}
	for _, m := range t.Muxes {
		fmt.Fprintf(out, "  %-10s namespace %-16s mux\n", m.Name, d.Namespace(m.Name))
	}
	for _, h := range t.Hosts {
		fmt.Fprintf(out, "  %-10s namespace %-16s host\n", h.Name, d.Namespace(h.Name))
	}
	for _, m := range append(append([]runtime.Machine(nil), t.Machines...), outside(t)...) {
		fmt.Fprintf(out, "  %-10s namespace %-16s %s at %s\n", m.Name, d.Namespace(m.Name), m.Role, m.Addr)
	}
	fmt.Fprintln(out)
	for _, m := range t.Machines {
		if m.Role == runtime.RoleClient {
			for _, lb := range t.LoadBalancers {
				for _, f := range lb.FrontendIPConfigurations {
					fmt.Fprintf(out, "  try: ip netns exec %s curl http://%s/\n", d.Namespace(m.Name), f.VIP)
				}
			}
			break
		}
	}
	fmt.Fprintf(out, "  stop: interrupt this process, or fabric lab down -prefix %s\n", lf.prefix)
	<-ctx.Done()
	return nil
}

package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/guest"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
	"github.com/sdnfabric/sdnfabric/fabric/trace"
)

// runDemo is `fabric run` / `fabric demo` / `make run`: it starts a
// topology (the seed's by default) in process, shows it coming up, sends an
// HTTP GET from the client machine to the first VIP, and prints the
// response, the hop-by-hop trace of the request and the reply, and the BGP
// and health state.
func runDemo(ctx context.Context, args []string, out io.Writer) error {
	flags := flag.NewFlagSet("demo", flag.ContinueOnError)
	flags.SetOutput(out)
	file := flags.String("f", defaultTopology, "topology file (fabric model resources, YAML or JSON); the built-in seed topology when it does not exist")
	keep := flags.Bool("keep", false, "keep the topology running after the demo, until interrupted")
	timeout := flags.Duration("timeout", 10*time.Second, "how long the fabric may take to converge")
	withController := flags.Bool("controller", false, "apply the topology file to an in-process controller (memory store), start the fabric from its state, and let an agent per node program it")
	if err := flags.Parse(args); err != nil {
		return err
	}
	var (
		ctl    *demoController
		topo   *runtime.Topology
		source = *file
		err    error
	)
	if *withController {
		ctl, topo, err = startDemoController(ctx, *file, out)
	} else {
		topo, source, err = loadTopology(*file)
	}
	if err != nil {
		return err
	}

	start := time.Now()
	fmt.Fprintf(out, "sdnfabric: starting %s in process (netsim wires and switches, gVisor guests)\n\n", source)
	rec := trace.NewRecorder(0)
	rt, err := runtime.Start(ctx, topo, runtime.Options{
		Trace: rec,
		Progress: func(p runtime.Progress) {
			fmt.Fprintf(out, "  %6.1fms  %s\n", float64(time.Since(start).Microseconds())/1000, p)
		},
	})
	if err != nil {
		return err
	}
	defer rt.Close()
	if ctl != nil {
		if err := ctl.attach(rt); err != nil {
			return err
		}
	}
	readyCtx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := rt.Ready(readyCtx); err != nil {
		return err
	}
	if ctl != nil {
		if err := ctl.waitProgrammed(readyCtx); err != nil {
			return err
		}
	}

	client, err := demoClient(rt)
	if err != nil {
		return err
	}
	vip := rt.VIPs()[0]
	url := fmt.Sprintf("http://%s/", vip)
	fmt.Fprintf(out, "\n%s: GET %s\n", client.Name(), url)
	// Connect first, then watch: the trace shows the request and its
	// reply rather than the handshake.
	conn, err := client.DialContext(readyCtx, "tcp", netip.AddrPortFrom(vip, 80).String())
	if err != nil {
		return fmt.Errorf("connect to %s: %w", vip, err)
	}
	defer conn.Close()
	local := conn.LocalAddr().String()
	stop := rec.Watch(client.Addr())
	resp, body, err := httpOver(conn, url)
	// The client's ACK of the response may still be on its way.
	time.Sleep(20 * time.Millisecond)
	stop()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s %s (%s: %s)\n  %s\n", resp.Proto, resp.Status, runtime.ServedBy, resp.Header.Get(runtime.ServedBy), strings.TrimSpace(body))

	events := rec.Events()
	fmt.Fprintln(out, "\nHop-by-hop trace of the request (its data segment):")
	printTrace(out, events, func(p string) bool { return strings.Contains(p, local+" >") && strings.Contains(p, " len ") })
	fmt.Fprintln(out, "\nHop-by-hop trace of the reply (Direct Server Return: from the host straight to the router, never through the Mux):")
	printTrace(out, events, func(p string) bool { return strings.Contains(p, "> "+local) && strings.Contains(p, " len ") })

	st := rt.Status()
	fmt.Fprintln(out, "\nBGP sessions:")
	for _, s := range st.Sessions {
		fmt.Fprintf(out, "  %-8s peer %-15s %s\n", s.Node, s.Peer, s.State)
	}
	fmt.Fprintln(out, "VIP routes:")
	for _, r := range st.Routes {
		fmt.Fprintf(out, "  %-8s %s via %v (ECMP over the Muxes announcing it)\n", r.Node, r.Prefix, r.NextHops)
	}
	fmt.Fprintln(out, "Backend health (host probes):")
	for _, h := range st.Health {
		state := "healthy, in rotation"
		switch {
		case h.Busy:
			state = "busy, out of rotation"
		case !h.Healthy:
			state = "unhealthy, out of rotation"
		}
		fmt.Fprintf(out, "  %-6s %-10s %-12s %s\n", h.Host, h.Machine, h.DIP, state)
	}
	if ctl != nil {
		if err := ctl.printStatus(ctx, out); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "\ndone in %s\n", time.Since(start).Round(time.Millisecond))
	if *keep {
		fmt.Fprintln(out, "running until interrupted (-keep)")
		<-ctx.Done()
	}
	fmt.Fprintln(out, "\nstopping:")
	return nil
}

// defaultTopology is the seed topology's example file, relative to the
// repository root where `make run` runs.
const defaultTopology = "fabric/examples/seed.yaml"

// loadTopology reads a topology file; the default file may be missing
// (the command runs elsewhere than the repository root), and then the
// built-in seed topology stands in.
func loadTopology(file string) (*runtime.Topology, string, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) && file == defaultTopology {
		return runtime.Seed(), "the built-in seed topology", nil
	}
	if err != nil {
		return nil, "", err
	}
	t, err := runtime.FromModelFile(file, data)
	if err != nil {
		return nil, "", err
	}
	return t, file, nil
}

// demoClient returns the topology's first client machine.
func demoClient(rt *runtime.Runtime) (*guest.Guest, error) {
	for _, m := range rt.Topology().Machines {
		if m.Role == runtime.RoleClient {
			g, _ := rt.Machine(m.Name)
			return g, nil
		}
	}
	return nil, errors.New("the topology has no client machine")
}

// httpOver sends a GET for url on conn and reads the response.
func httpOver(conn net.Conn, url string) (*http.Response, string, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("User-Agent", "sdnfabric-demo")
	if err := conn.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return nil, "", err
	}
	if err := req.Write(conn); err != nil {
		return nil, "", fmt.Errorf("send request: %w", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		return nil, "", fmt.Errorf("read response: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", fmt.Errorf("read response body: %w", err)
	}
	return resp, string(body), nil
}

// printTrace prints the events whose packet matches.
func printTrace(out io.Writer, events []trace.Event, match func(packet string) bool) {
	n := 0
	for _, e := range events {
		if !match(e.Packet) {
			continue
		}
		n++
		fmt.Fprintf(out, "  %2d. %s\n", n, e)
	}
	if n == 0 {
		fmt.Fprintln(out, "  (nothing recorded)")
	}
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/agent"
	"github.com/sdnfabric/sdnfabric/fabric/api"
	"github.com/sdnfabric/sdnfabric/fabric/lab"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
)

// linkFlags collects repeated -link NETWORK=DEVICE flags.
type linkFlags map[string]string

func (l linkFlags) String() string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(l)) {
		out = append(out, k+"="+l[k])
	}
	return strings.Join(out, ",")
}

func (l linkFlags) Set(s string) error {
	network, dev, ok := strings.Cut(s, "=")
	if !ok || network == "" || dev == "" {
		return fmt.Errorf("want NETWORK=DEVICE, got %q", s)
	}
	l[network] = dev
	return nil
}

// runAgent is `fabric agent`: one node of the fabric (a host with its VMs,
// a Mux or a gateway) in this process, built from the controller's state
// and programmed by its agent, its networks attached to real links
// through TAP devices (see lab.Uplinks). It runs until SIGTERM or an
// interrupt; a Mux then withdraws its VIPs.
func runAgent(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("fabric agent", flag.ContinueOnError)
	fs.SetOutput(out)
	role := fs.String("role", "", "the node's kind: host, mux or gateway")
	name := fs.String("name", "", "the node's resource name (a Host, Mux or Gateway)")
	conn := addConnFlags(fs)
	tokenFile := fs.String("token-file", "", "file holding the bearer token (instead of --token)")
	links := linkFlags{}
	fs.Var(links, "link", "NETWORK=DEVICE: attach the topology network to this device of the process's namespace (repeatable)")
	guestPrefix := fs.String("guest-prefix", lab.DefaultPrefix, "a host's VMs are network namespaces named this prefix and the VM's name")
	noOffload := fs.Bool("no-offload", false, "open the VMs' TAPs without offloads")
	hold := fs.Duration("hold-time", 0, "BGP hold time of the node's speakers (0: 9 s)")
	bfdInterval := fs.Duration("bfd", 0, "BFD interval (multiplier 3) on the node's BGP sessions (0: no BFD)")
	wait := fs.Duration("wait", time.Minute, "how long to wait for the controller at start")
	level := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if pos, err := parseFlags(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return fmt.Errorf("agent: unexpected argument %q", pos[0])
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("agent: --log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv})).With("agent", *name)
	if *tokenFile != "" {
		tok, err := api.ReadToken(*tokenFile)
		if err != nil {
			return fmt.Errorf("agent: %w", err)
		}
		conn.token = tok
	}
	if *name == "" {
		return errors.New("agent: --name is required")
	}
	client, err := conn.client()
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	topo, err := fetchTopology(ctx, client, *wait, log)
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	if err := checkRole(topo, *role, *name); err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	opts := runtime.Options{
		Logger:   log,
		Nodes:    []string{*name},
		Uplinks:  lab.Uplinks(links),
		HoldTime: *hold,
		BFD:      *bfdInterval,
		Progress: func(p runtime.Progress) { log.Info(p.Event, "node", p.Node, "detail", p.Detail) },
	}
	if *role == "host" {
		opts.Guests = lab.Guests(*guestPrefix, *noOffload)
	}
	rt, err := runtime.Start(ctx, topo, opts)
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	defer rt.Close() // a Mux withdraws its VIPs
	if _, err := rt.StartAgents(agent.Config{Backend: client, Logger: log, StatusInterval: 2 * time.Second}); err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	fmt.Fprintf(out, "agent %s (%s) running, PID %d\n", *name, *role, os.Getpid())
	<-ctx.Done()
	fmt.Fprintf(out, "agent %s stopping\n", *name)
	if *role == "mux" {
		// Withdraw the VIPs before anything else stops, so the routers
		// move the flows to the other Muxes at once.
		_ = rt.StopMux(*name)
	}
	return nil
}

// fetchTopology reads the controller's whole state, retrying until it
// answers or wait has passed, and builds the topology from it.
func fetchTopology(ctx context.Context, c *api.Client, wait time.Duration, log *slog.Logger) (*runtime.Topology, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	delay := 100 * time.Millisecond
	for {
		objs, _, err := c.List(ctx, "")
		if err == nil {
			return runtime.FromModel(nonEvents(objs))
		}
		log.Warn("controller not reachable yet", "err", err)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("controller: %w", err)
		case <-time.After(delay):
		}
		delay = min(2*delay, 2*time.Second)
	}
}

// nonEvents drops the event log's resources from a state listing.
func nonEvents(objs []model.Object) []model.Object {
	return slices.DeleteFunc(objs, func(o model.Object) bool { return o.Kind == model.KindEvent })
}

// checkRole makes sure name is a node of topo of the given role.
func checkRole(topo *runtime.Topology, role, name string) error {
	var names []string
	switch role {
	case "host":
		for _, h := range topo.Hosts {
			names = append(names, h.Name)
		}
	case "mux":
		for _, m := range topo.Muxes {
			names = append(names, m.Name)
		}
	case "gateway":
		for _, g := range topo.Gateways {
			names = append(names, g.Name)
		}
	default:
		return fmt.Errorf("--role %q: want host, mux or gateway", role)
	}
	if !slices.Contains(names, name) {
		return fmt.Errorf("no %s %q in the controller's state (%s: %s)", role, name, role, strings.Join(names, ", "))
	}
	return nil
}

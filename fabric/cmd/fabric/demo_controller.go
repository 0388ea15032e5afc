package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/agent"
	"github.com/sdnfabric/sdnfabric/fabric/controller"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
	"github.com/sdnfabric/sdnfabric/fabric/store/memstore"
)

// demoController is `fabric demo -controller`: an in-process controller
// on a memory store holds the topology file's resources (allocated and
// validated as `fabric apply` would), and the runtime starts from the
// controller's state.
type demoController struct {
	ctl *controller.Controller
}

// startDemoController applies file through a new in-process controller
// and returns the topology of the state it holds.
func startDemoController(ctx context.Context, file string, out io.Writer) (*demoController, *runtime.Topology, error) {
	data, err := readBounded(file, model.MaxFileBytes)
	if err != nil {
		return nil, nil, fmt.Errorf("-controller needs a topology file: %w", err)
	}
	objs, err := model.Decode(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	ctl, err := controller.New(controller.Config{Store: memstore.New(memstore.Options{}), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, nil, err
	}
	if _, rev, err := ctl.Apply(ctx, objs); err != nil {
		return nil, nil, fmt.Errorf("apply %s: %w", file, err)
	} else {
		fmt.Fprintf(out, "controller (in process, memory store): applied %d resources of %s at revision %d\n", len(objs), file, rev)
	}
	state, _, err := ctl.List(ctx, "")
	if err != nil {
		return nil, nil, err
	}
	topo, err := runtime.FromModel(state)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	return &demoController{ctl: ctl}, topo, nil
}

// attach starts an agent on every node of rt, programming it from the
// controller; their programming shows in rt's progress.
func (d *demoController) attach(rt *runtime.Runtime) error {
	_, err := rt.StartAgents(agent.Config{Backend: d.ctl, StatusInterval: 250 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	return err
}

// waitProgrammed waits until every node's agent reported its resource's
// generation programmed, and every host ready.
func (d *demoController) waitProgrammed(ctx context.Context) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		pending, err := d.pending(ctx)
		if err != nil {
			return err
		}
		if pending == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("agents: %s not programmed: %w", pending, ctx.Err())
		case <-tick.C:
		}
	}
}

// pending names the first node not programmed yet, or returns "".
func (d *demoController) pending(ctx context.Context) (string, error) {
	for _, kind := range []model.Kind{model.KindHost, model.KindMux, model.KindGateway} {
		objs, _, err := d.ctl.List(ctx, kind)
		if err != nil {
			return "", err
		}
		for _, o := range objs {
			var s struct {
				ObservedGeneration int64 `json:"observedGeneration"`
				Ready              *bool `json:"ready"`
			}
			if len(o.Status) == 0 || json.Unmarshal(o.Status, &s) != nil ||
				s.ObservedGeneration != o.Metadata.Generation || (s.Ready != nil && !*s.Ready) {
				return string(kind) + "/" + o.Metadata.Name, nil
			}
		}
	}
	return "", nil
}

// printStatus prints the nodes' resources as the agents reported them.
func (d *demoController) printStatus(ctx context.Context, out io.Writer) error {
	fmt.Fprintln(out, "\nNode resources in the controller (status reported by their agents):")
	for _, kind := range []model.Kind{model.KindHost, model.KindMux, model.KindGateway} {
		objs, _, err := d.ctl.List(ctx, kind)
		if err != nil {
			return err
		}
		for _, o := range objs {
			fmt.Fprintf(out, "  %-7s %-6s %s\n", kind, o.Metadata.Name, nodeStatus(kind, o))
		}
	}
	return nil
}

// nodeStatus sums up a node's status in a line.
func nodeStatus(kind model.Kind, o model.Object) string {
	if len(o.Status) == 0 {
		return "no status yet"
	}
	st := model.NewStatus(kind)
	if err := json.Unmarshal(o.Status, st); err != nil {
		return "status does not decode: " + err.Error()
	}
	line := func(gen int64, rest string) string {
		return fmt.Sprintf("generation %d of %d programmed, %s", gen, o.Metadata.Generation, rest)
	}
	switch s := st.(type) {
	case *model.HostStatus:
		healthy := 0
		for _, p := range s.Probes {
			if p.Healthy {
				healthy++
			}
		}
		return line(s.ObservedGeneration, fmt.Sprintf("ready %t, %d/%d probes healthy", s.Ready, healthy, len(s.Probes)))
	case *model.MuxStatus:
		return line(s.ObservedGeneration, fmt.Sprintf("BGP %s, announces %v", peerStates(s.Peers), s.Announced))
	case *model.GatewayStatus:
		return line(s.ObservedGeneration, fmt.Sprintf("BGP %s, %d learned route(s)", peerStates(s.Peers), len(s.Routes)))
	}
	return ""
}

func peerStates(ps []model.BGPPeerStatus) string {
	if len(ps) == 0 {
		return "off"
	}
	s := ""
	for i, p := range ps {
		if i > 0 {
			s += ", "
		}
		s += p.Name + " " + p.State
	}
	return s
}

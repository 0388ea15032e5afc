package runtime

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/guest"
	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/fabric/vswitch"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb"
)

// probeAddr is the address of each host's own stack, where the load
// balancer's probes come from: Azure's platform address 168.63.129.16.
// The vswitch answers its ARP for probeGateway.
var (
	probeAddr    = netip.MustParsePrefix("168.63.129.16/24")
	probeGateway = netip.MustParseAddr("168.63.129.1")
)

// probeUserAgent is the User-Agent of HTTP probes, Azure's.
const probeUserAgent = "Load Balancer Agent"

// probeMAC is the MAC of the probe stacks (each sits behind its own
// switch port, so one MAC serves them all).
var probeMAC = header.MAC{0x02, 0x5d, 0xff, 0xff, 0xff, 0x03}

// prober runs the health probes of a host's local DIPs from a stack plugged
// into the host's virtual switch, and reports changes.
type prober struct {
	host     *hostNode
	stk      *guest.Guest
	client   *http.Client
	dialer   func(ctx context.Context, network, addr string) (net.Conn, error)
	targets  []probeTarget
	interval time.Duration
	onChange func(dip netip.Addr, up bool)

	mu     sync.Mutex
	state  map[netip.Addr]*probeState
	busy   map[netip.Addr]bool
	cancel context.CancelFunc
	done   sync.WaitGroup
}

type probeTarget struct {
	dip   netip.Addr
	probe slb.Probe
}

type probeState struct {
	known  bool // a probe has answered; the first answer sets up at once
	up     bool
	streak int // consecutive results that disagree with up
}

// startProber gives h its own stack on the vswitch's host port and starts
// probing every local DIP of every load balancer from it.
func (rt *Runtime) startProber(h *hostNode) error {
	var targets []probeTarget
	seen := map[netip.Addr]bool{}
	for _, lb := range rt.topo.LoadBalancers {
		probes := map[string]slb.Probe{}
		for _, p := range lb.Probes {
			probes[p.Name] = p
		}
		for _, rule := range lb.LoadBalancingRules {
			p, ok := probes[rule.Probe]
			if !ok {
				continue
			}
			for _, pool := range lb.BackendAddressPools {
				if pool.Name != rule.BackendPool {
					continue
				}
				for _, b := range pool.Backends {
					if b.HostPA != h.spec.PA.Addr() || seen[b.DIP] {
						continue
					}
					seen[b.DIP] = true
					targets = append(targets, probeTarget{dip: b.DIP, probe: p})
				}
			}
		}
	}
	if len(targets) == 0 {
		return nil
	}
	stackSide, switchSide := netsim.NewWire(h.spec.Name+".host", netsim.WireConfig{Queue: rt.opts.queue()})
	if _, err := h.sw.AddHostPort(vswitch.HostPortConfig{Name: "host", Port: switchSide, MAC: hw(probeMAC), Addr: probeAddr.Addr()}); err != nil {
		stackSide.Close()
		switchSide.Close()
		return fmt.Errorf("%s: host port: %w", h.spec.Name, err)
	}
	stk, err := guest.New(h.spec.Name+"/host", stackSide, guest.Config{MAC: hw(probeMAC), Addr: probeAddr, Gateway: probeGateway})
	if err != nil {
		return fmt.Errorf("%s: host stack: %w", h.spec.Name, err)
	}
	interval := rt.opts.ProbeInterval
	p := &prober{host: h, stk: stk, client: stk.HTTPClient(), targets: targets, interval: interval,
		state: map[netip.Addr]*probeState{}, busy: map[netip.Addr]bool{},
		onChange: func(dip netip.Addr, up bool) { rt.healthChanged(h, dip, up) }}
	p.client.Transport.(*http.Transport).DisableKeepAlives = true
	for _, t := range targets {
		p.state[t.dip] = &probeState{}
	}
	h.prober = p
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.done.Go(func() { p.run(ctx) })
	rt.closers = append(rt.closers, func() {
		cancel()
		p.done.Wait()
		stk.Close()
	})
	return nil
}

func (p *prober) run(ctx context.Context) {
	for {
		var wg sync.WaitGroup
		for _, t := range p.targets {
			wg.Go(func() { p.record(t.dip, p.probe(ctx, t)) })
		}
		wg.Wait()
		interval := p.interval
		if interval == 0 {
			interval = min(p.targets[0].probe.Interval(), time.Second)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// probe runs one probe of a DIP: an HTTP GET that must answer 200, or a
// TCP connect. A busy instance fails its probes.
func (p *prober) probe(ctx context.Context, t probeTarget) bool {
	p.mu.Lock()
	busy := p.busy[t.dip]
	p.mu.Unlock()
	if busy {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	target := netip.AddrPortFrom(t.dip, uint16(t.probe.Port)).String()
	if t.probe.Protocol == slb.ProbeTCP {
		c, err := p.stk.DialContext(ctx, "tcp", target)
		if err != nil {
			return false
		}
		c.Close()
		return true
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+target+t.probe.RequestPath, nil)
	if err != nil {
		return false
	}
	req.Header.Set("User-Agent", probeUserAgent)
	resp, err := p.client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (p *prober) record(dip netip.Addr, ok bool) {
	p.mu.Lock()
	s := p.state[dip]
	var threshold int
	for _, t := range p.targets {
		if t.dip == dip {
			threshold = t.probe.Threshold()
		}
	}
	changed := false
	if !s.known {
		s.known, s.up, changed = true, ok, ok
	} else if ok == s.up {
		s.streak = 0
	} else if s.streak++; s.streak >= threshold {
		s.up, s.streak, changed = ok, 0, true
	}
	p.mu.Unlock()
	if changed {
		p.onChange(dip, ok)
	}
}

// setBusy marks a DIP busy (its probes fail at once) or ready.
func (p *prober) setBusy(dip netip.Addr, busy bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.state[dip]
	if !ok {
		return false
	}
	p.busy[dip] = busy
	if busy && s.up {
		s.up, s.streak = false, 0
		go p.onChange(dip, false)
	}
	return true
}

func (p *prober) unhealthy() []netip.Addr {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []netip.Addr
	for _, t := range p.targets {
		if !p.state[t.dip].up && !p.busy[t.dip] {
			out = append(out, t.dip)
		}
	}
	return out
}

// healthChanged tells every Mux about a DIP's health.
func (rt *Runtime) healthChanged(h *hostNode, dip netip.Addr, up bool) {
	for _, m := range rt.muxes {
		m.m.SetHealth(dip, up)
	}
	state := "healthy"
	if !up {
		state = "unhealthy: out of rotation"
	}
	rt.progress(h.spec.Name, "health", "probe of %s (%s): %s", dip, rt.machineAt(dip), state)
}

func (rt *Runtime) machineAt(a netip.Addr) string {
	for _, m := range rt.topo.Machines {
		if m.Addr.Addr() == a {
			return m.Name
		}
	}
	return "?"
}

// SetBusy takes the instance at addr out of rotation, as the seed's
// Set-RoleInstanceStatus -Busy does: its probes fail, the Muxes send it no
// new flows, and its existing flows go on. It implements
// provision.Rotation.
func (rt *Runtime) SetBusy(_ context.Context, addr netip.Addr) error {
	return rt.setBusy(addr, true)
}

// SetReady puts the instance at addr back in rotation once its probes
// succeed. It implements provision.Rotation.
func (rt *Runtime) SetReady(_ context.Context, addr netip.Addr) error {
	return rt.setBusy(addr, false)
}

func (rt *Runtime) setBusy(addr netip.Addr, busy bool) error {
	for _, h := range rt.sortedHosts() {
		if h.prober != nil && h.prober.setBusy(addr, busy) {
			what := "ready: back in rotation once probes succeed"
			if busy {
				what = "busy (Set-RoleInstanceStatus -Busy)"
			}
			rt.progress(h.spec.Name, "health", "%s (%s) %s", addr, rt.machineAt(addr), what)
			return nil
		}
	}
	return fmt.Errorf("runtime: no host probes %s", addr)
}

// healthy reports whether the probes of dip succeed and it is not busy.
func (rt *Runtime) healthy(dip netip.Addr) bool {
	for _, h := range rt.sortedHosts() {
		if h.prober == nil {
			continue
		}
		h.prober.mu.Lock()
		s, ok := h.prober.state[dip]
		up := ok && s.up && !h.prober.busy[dip]
		h.prober.mu.Unlock()
		if ok {
			return up
		}
	}
	return false
}

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
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb"
)

// probeHostByte is the host part of the address a host's probe stack has in
// each tenant subnet with local DIPs: x.x.x.3, an address Azure reserves in
// every subnet for the platform.
const probeHostByte = 3

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
	up     bool
	streak int // consecutive results that disagree with up
}

// startProber gives h a probe stack in the subnet of its first local DIP
// and starts probing every local DIP of every load balancer.
func (rt *Runtime) startProber(h *hostNode) error {
	var targets []probeTarget
	seen := map[netip.Addr]bool{}
	var subnet netip.Prefix
	var vni uint32
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
					if !subnet.IsValid() {
						for _, m := range rt.topo.Machines {
							if m.Addr.Addr() == b.DIP {
								subnet, vni = m.Addr.Masked(), m.VNI
							}
						}
					}
				}
			}
		}
	}
	if len(targets) == 0 || !subnet.IsValid() {
		return nil
	}
	a := subnet.Addr().As4()
	a[3] = probeHostByte
	probeAddr := netip.PrefixFrom(netip.AddrFrom4(a), subnet.Bits())
	hostSide, stackSide := netsim.NewWire(h.spec.Name+".probe", netsim.WireConfig{Queue: rt.opts.queue()})
	vm := &vmPort{spec: Machine{Name: h.spec.Name + "/probe", VNI: vni, Addr: probeAddr, MAC: probeMAC}, port: hostSide, acl: newACL(nil)}
	stk, err := guest.New(h.spec.Name+"/probe", stackSide, guest.Config{MAC: net.HardwareAddr(probeMAC[:]), Addr: probeAddr})
	if err != nil {
		hostSide.Close()
		return err
	}
	h.mu.Lock()
	h.vms[probeAddr.Addr()] = vm
	h.probeAddr = probeAddr.Addr()
	h.mu.Unlock()
	hostSide.SetReceiver(func(f []byte) { h.fromVM(vm, f) })
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
		hostSide.Close()
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
	if ok == s.up {
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

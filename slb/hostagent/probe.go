package hostagent

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/sdnfabric/sdnfabric/slb"
)

// A Dialer opens the probe connections to local DIPs: a net.Dialer, or in
// an in-process fabric the host's network stack.
type Dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// maxProbeTimeout bounds one probe (and a probe never outlasts its
// interval).
const maxProbeTimeout = 5 * time.Second

// A probeKey is one health check of one DIP; several rules may share it.
type probeKey struct {
	dip  dipKey
	kind slb.ProbeProtocol
	port uint16
	path string
}

// A probeState is a probe's schedule and its run of equal results. It
// outlives configurations (a.mu).
type probeState struct {
	key       probeKey
	interval  time.Duration
	threshold int
	next      int64 // clock reading when it is due
	up        bool  // its verdict
	run       int   // consecutive results that disagree with up
	pending   bool  // down until it first succeeds (AwaitProbe)
}

// addProbe records that probe p checks DIP d (in compile, a.mu held).
func (c *compiled) addProbe(a *Agent, d *localDIP, p slb.Probe) {
	k := probeKey{d.key, p.Protocol, uint16(p.Port), p.RequestPath}
	if c.probes[k] != nil {
		return
	}
	st := a.probes[k]
	if st == nil {
		st = &probeState{key: k, up: true}
		a.probes[k] = st
	}
	st.interval, st.threshold = p.Interval(), p.Threshold()
	c.probes[k] = st
}

// runProbes runs the probes that are due, concurrently, waits for them,
// and applies their results.
func (a *Agent) runProbes(ctx context.Context, c *compiled, now int64) {
	var due []*probeState
	a.mu.Lock()
	for _, st := range c.probes {
		if now >= st.next {
			st.next = now + int64(st.interval)
			due = append(due, st)
		}
	}
	a.mu.Unlock()
	if len(due) == 0 {
		return
	}
	results := make([]bool, len(due))
	var wg sync.WaitGroup
	for i, st := range due {
		wg.Go(func() {
			pctx, cancel := context.WithTimeout(ctx, min(st.interval, maxProbeTimeout))
			defer cancel()
			results[i] = a.probe(pctx, st.key) == nil
		})
	}
	wg.Wait()
	a.stats.probes.Add(uint64(len(due)))

	a.reporting.Lock()
	defer a.reporting.Unlock()
	a.mu.Lock()
	for i, st := range due {
		if st.pending && results[i] {
			st.up, st.pending, st.run = true, false, 0
			a.log.Info("hostagent: first probe passed", "dip", st.key.dip.addr, "probe", st.key.kind, "port", st.key.port)
			continue
		}
		if results[i] == st.up {
			st.run = 0
			continue
		}
		if st.run++; st.run >= st.threshold {
			st.up, st.run = results[i], 0
			a.log.Info("hostagent: probe changed state", "dip", st.key.dip.addr, "probe", st.key.kind,
				"port", st.key.port, "up", st.up)
		}
	}
	for _, d := range c.dips {
		up := true
		for k, st := range c.probes {
			if k.dip == d.key && !st.up {
				up = false
			}
		}
		d.up.Store(up)
	}
	events := a.healthEvents()
	a.mu.Unlock()
	a.report(events)
}

// probe runs one health check: a TCP connection, or an HTTP GET that must
// answer 200.
func (a *Agent) probe(ctx context.Context, k probeKey) error {
	addr := netip.AddrPortFrom(k.dip.addr, k.port).String()
	if k.kind != slb.ProbeHTTP {
		conn, err := a.dialer.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return conn.Close()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+k.path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "sdnfabric-slb-hostagent")
	resp, err := a.http.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("hostagent: probe %s%s: status %s", addr, k.path, strconv.Itoa(resp.StatusCode))
	}
	return nil
}

// A healthEvent is an OnHealth call to make.
type healthEvent struct {
	dip dipKey
	up  bool
}

// healthEvents returns the changes of the DIPs' reported state (usable:
// probed up and not busy) since the last report, and records them (a.mu
// held). Each (VNI, DIP) is reported on its own: two tenants' VMs of one
// address are two DIPs.
func (a *Agent) healthEvents() []healthEvent {
	var ev []healthEvent
	for k, d := range a.dips {
		if d.removed != 0 {
			continue
		}
		up := d.usable()
		if old, ok := a.reported[k]; !ok && up || ok && old == up {
			a.reported[k] = up // a new DIP starts up: nothing to say
			continue
		}
		a.reported[k] = up
		ev = append(ev, healthEvent{k, up})
	}
	return ev
}

func (a *Agent) report(ev []healthEvent) {
	for _, e := range ev {
		a.stats.healthChanges.Add(1)
		if a.cfg.OnHealth != nil {
			a.cfg.OnHealth(e.dip.vni, e.dip.addr, e.up)
		}
	}
}

// AwaitProbe takes local DIP dip of the virtual network vni out of
// rotation until its probes pass: each probe of the current configuration
// that checks it counts as down until it first succeeds (once, whatever
// the probe's threshold), and it runs at the next Tick. As Azure's load
// balancer, a DIP added to a running pool takes new flows only once its
// health probe has succeeded; call AwaitProbe when a DIP is added (its VM
// started) after the agent started. The DIP is reported down through
// OnHealth now, unless it was already, and up when its probes pass. A DIP
// without a probe is left alone, and so is a DIP of the same address in
// another virtual network.
func (a *Agent) AwaitProbe(vni uint32, dip netip.Addr) {
	k := dipKey{vni, dip}
	a.reporting.Lock()
	defer a.reporting.Unlock()
	a.mu.Lock()
	c := a.conf.Load()
	probed := false
	for pk, st := range c.probes {
		if pk.dip == k {
			st.up, st.pending, st.run, st.next = false, true, 0, 0
			probed = true
		}
	}
	if !probed {
		a.mu.Unlock()
		return
	}
	if d := c.dips[k]; d != nil {
		d.up.Store(false)
	}
	ev := a.healthEvents()
	a.mu.Unlock()
	a.report(ev)
}

// SetBusy takes local DIP dip of the virtual network vni out of rotation
// (busy) or puts it back: the seed's Set-RoleInstanceStatus -Busy. A busy
// DIP is reported down through OnHealth, so the Muxes send it no new
// flows, and the agent picks it for none; its existing flows go on, but a
// SYN that opens a connection on the 5-tuple of one of them goes to a
// usable DIP. A DIP of the same address in another virtual network (a VM
// of another tenant) is left alone. It may be called before the DIP is
// configured.
func (a *Agent) SetBusy(vni uint32, dip netip.Addr, busy bool) {
	k := dipKey{vni, dip}
	a.reporting.Lock()
	defer a.reporting.Unlock()
	a.mu.Lock()
	if d := a.dips[k]; d != nil {
		d.busy.Store(busy)
	}
	a.busy[k] = busy
	if !busy {
		delete(a.busy, k)
	}
	ev := a.healthEvents()
	a.mu.Unlock()
	a.report(ev)
}

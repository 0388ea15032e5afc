//go:build linux

package lab

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
	"github.com/sdnfabric/sdnfabric/offload/tap"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// kernelRouter is a BGP gateway run by a real routing daemon (BIRD 2 or
// FRR) in a namespace: the kernel forwards between the gateway's networks
// (one TAP per interface, bridged to the gateway's ports) along the
// gateway's static routes and the routes the daemon learns from the Muxes
// and installs (ECMP).
type kernelRouter struct {
	name, ns string
	dir      string // configuration, control sockets, logs
	ports    []*tapPort
	daemons  []*daemon // in start order
}

// daemon is a routing daemon process run with ip netns exec.
type daemon struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// startKernelRouter runs gateway g with router (RouterBIRD or RouterFRR)
// in namespace ns on ports, with BFD at interval bfd (none if zero).
func startKernelRouter(ctx context.Context, router, ns string, g runtime.Gateway, ports []*netsim.Port, holdTime, bfd time.Duration) (r *kernelRouter, err error) {
	bins, err := routerDaemons(router, bfd)
	if err != nil {
		return nil, err
	}
	if err := addNamespace(ctx, ns); err != nil {
		return nil, err
	}
	r = &kernelRouter{name: g.Name, ns: ns}
	defer func() {
		if err != nil {
			r.stop()
			r = nil
		}
	}()
	if err := routerSysctls(ns); err != nil {
		return nil, err
	}
	var script strings.Builder
	for i, ifc := range g.Interfaces {
		name := fmt.Sprintf("eth%d", i)
		// Checksum and TCPv4 segmentation offloads: the kernel
		// forwards TCP super-frames whole, as our router does.
		dev, err := tap.Open(tap.Config{Name: name, NetNS: nsPath(ns), Offload: tap.OffloadCsum | tap.OffloadTSO4})
		if err != nil {
			return nil, err
		}
		r.ports = append(r.ports, &tapPort{dev: dev, rx: newTapRx(ports[i], true)})
		fmt.Fprintf(&script, "link set %s address %s mtu 1500\naddr add %s dev %s\nlink set %s up\n",
			name, net.HardwareAddr(ifc.MAC[:]), ifc.Addr, name, name)
	}
	for _, rt := range g.Routes {
		fmt.Fprintf(&script, "route add %s via %s\n", rt.Prefix, rt.NextHop)
	}
	if err := ip(ctx, script.String(), "-n", ns, "-batch", "-"); err != nil {
		return nil, err
	}
	for _, p := range r.ports {
		p.start()
	}
	return r, r.startDaemons(ctx, router, bins, g, holdTime, bfd)
}

// routerDaemons returns the paths of the daemons router runs, or
// ErrUnsupported if one is not installed.
func routerDaemons(router string, bfd time.Duration) ([]string, error) {
	var bins []string
	switch router {
	case RouterBIRD:
		bins = []string{"bird"}
	case RouterFRR:
		bins = frrDaemons(bfd)
	default:
		return nil, fmt.Errorf("lab: router %q (want %s or %s)", router, RouterBIRD, RouterFRR)
	}
	for i, b := range bins {
		p, err := exec.LookPath(b)
		if err != nil {
			return nil, fmt.Errorf("%w: %s is not installed (%s)", ErrUnsupported, router, b)
		}
		bins[i] = p
	}
	return bins, nil
}

// startDaemons runs router's daemons bins (routerDaemons) for g in the
// router's namespace, its interfaces and routes set up, and returns once
// BGP listens.
func (r *kernelRouter) startDaemons(ctx context.Context, router string, bins []string, g runtime.Gateway, holdTime, bfd time.Duration) error {
	// unix socket paths must stay under 108 bytes: a short directory,
	// named after the namespace so that Down finds it after a crash.
	var err error
	if r.dir, err = os.MkdirTemp("", r.ns+".*"+runDirSuffix); err != nil {
		return err
	}
	switch router {
	case RouterBIRD:
		err = r.startBIRD(bins[0], g, holdTime, bfd)
	case RouterFRR:
		err = r.startFRR(bins, g, holdTime, bfd)
	}
	if err != nil {
		return err
	}
	// The Muxes dial the router as soon as it returns: be listening.
	return r.waitListening(ctx, 179)
}

// routerSysctls makes namespace ns a router: IPv4 forwarding, ECMP
// hashing on the ports, no IPv6, no reverse path filter, no redirects.
func routerSysctls(ns string) error {
	for _, kv := range [][2]string{
		{"net.ipv6.conf.all.disable_ipv6", "1"}, {"net.ipv6.conf.default.disable_ipv6", "1"},
		{"net.ipv4.ip_forward", "1"},
		// ECMP over the Muxes by the flow's ports too, not only its
		// addresses (one client would reach one Mux).
		{"net.ipv4.fib_multipath_hash_policy", "1"},
		{"net.ipv4.conf.all.rp_filter", "0"}, {"net.ipv4.conf.default.rp_filter", "0"},
		{"net.ipv4.conf.all.send_redirects", "0"}, {"net.ipv4.conf.default.send_redirects", "0"},
	} {
		if err := sysctl(ns, kv[0], kv[1]); err != nil {
			return fmt.Errorf("sysctl %s in %s: %w", kv[0], ns, err)
		}
	}
	return nil
}

// startBIRD runs BIRD with a configuration generated for g (with BFD at
// interval bfd, if not zero).
func (r *kernelRouter) startBIRD(bin string, g runtime.Gateway, holdTime, bfd time.Duration) error {
	conf := filepath.Join(r.dir, "bird.conf")
	if err := os.WriteFile(conf, []byte(birdConfig(g, holdTime, bfd)), 0o644); err != nil {
		return err
	}
	return r.run("bird", bin, "-f", "-c", conf, "-s", filepath.Join(r.dir, "bird.ctl"))
}

// run starts a daemon in the namespace, its output in dir/<name>.log.
func (r *kernelRouter) run(name string, args ...string) error {
	log, err := os.OpenFile(filepath.Join(r.dir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	d := &daemon{cmd: exec.Command("ip", append([]string{"netns", "exec", r.ns}, args...)...), exited: make(chan struct{})}
	d.cmd.Stdout, d.cmd.Stderr = log, log
	if err := d.cmd.Start(); err != nil {
		return fmt.Errorf("start %s in %s: %w", name, r.ns, err)
	}
	go func() {
		_ = d.cmd.Wait()
		close(d.exited)
	}()
	r.daemons = append(r.daemons, d)
	return nil
}

// waitListening waits until a TCP socket listens on port in the namespace.
func (r *kernelRouter) waitListening(ctx context.Context, port uint16) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		if ok, err := listening(r.ns, port); err != nil || ok {
			return err
		}
		for _, d := range r.daemons {
			select {
			case <-d.exited:
				return fmt.Errorf("%s: %s exited; its logs:\n%s", r.name, filepath.Base(d.cmd.Args[len(d.cmd.Args)-1]), r.log())
			default:
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: nothing listens on port %d: %w; logs:\n%s", r.name, port, ctx.Err(), r.log())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// routes returns the kernel's IPv4 routes to p in the router's namespace,
// one line each.
func (r *kernelRouter) routes(ctx context.Context, p netip.Prefix) (string, error) {
	out, err := exec.CommandContext(ctx, "ip", "-n", r.ns, "-4", "route", "show", "exact", p.String()).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("ip route show in %s: %w: %s", r.ns, err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// log returns the daemons' logs so far.
func (r *kernelRouter) log() string {
	var b strings.Builder
	logs, _ := filepath.Glob(filepath.Join(r.dir, "*.log"))
	for _, l := range logs {
		data, _ := os.ReadFile(l)
		fmt.Fprintf(&b, "== %s\n%s", filepath.Base(l), data)
	}
	return b.String()
}

// stop ends the daemons (in reverse start order), closes the TAPs and
// ports, and deletes the namespace.
func (r *kernelRouter) stop() {
	for i := len(r.daemons) - 1; i >= 0; i-- {
		d := r.daemons[i]
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.exited:
		case <-time.After(3 * time.Second):
			_ = d.cmd.Process.Kill()
			<-d.exited
		}
	}
	for _, p := range r.ports {
		p.close()
	}
	_ = deleteNamespace(r.ns)
	if r.dir != "" {
		_ = os.RemoveAll(r.dir)
	}
}

// tapPort bridges a router's TAP, which takes checksum and TCPv4
// segmentation offloads, to a netsim port: super-frames cross it whole
// both ways.
type tapPort struct {
	dev     *tap.Device
	rx      *tapRx // from the kernel to the port
	started bool
	wg      sync.WaitGroup

	written, merged atomic.Uint64
}

func (p *tapPort) start() {
	p.started = true
	p.rx.port.SetSuperReceiver(p.toKernel)
	p.wg.Go(func() { p.rx.loop(p.dev) })
}

// toKernel writes a frame to the TAP, a super-frame (mss not 0) as one GSO
// frame with a partial checksum (netsim.SuperHeader).
func (p *tapPort) toKernel(frame []byte, mss int) {
	var h virtio.NetHdr
	if mss != 0 {
		var err error
		if h, err = netsim.SuperHeader(frame, mss); err != nil {
			p.rx.dropped.Add(1)
			return
		}
	}
	if p.dev.WritePacket(h, frame) != nil {
		p.rx.dropped.Add(1)
		return
	}
	p.written.Add(1)
	if h.IsGSO() {
		p.merged.Add(1)
	}
}

// stats adds up the counters of the router's TAPs.
func (r *kernelRouter) stats() GuestStats {
	var s GuestStats
	for _, p := range r.ports {
		s.FromKernel += p.rx.fromKernel.Load()
		s.Super += p.rx.super.Load()
		s.Dropped += p.rx.dropped.Load()
		s.ToKernel += p.written.Load()
		s.Merged += p.merged.Load()
	}
	return s
}

func (p *tapPort) close() {
	_ = p.dev.Close()
	if p.started {
		p.rx.port.Close()
	}
	p.wg.Wait()
}

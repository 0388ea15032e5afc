//go:build linux

package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/api"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
)

// Distributed is a lab whose every node is a process of its own in a
// namespace of its own: etcd, the controller on it, and a `fabric agent`
// per host, Mux and gateway, joined by Linux bridges (see UpDistributed).
type Distributed struct {
	prefix, dir, bin string
	hold, bfd        time.Duration
	topo             *runtime.Topology
	client           *api.Client

	mu      sync.Mutex
	procs   map[string]*daemon // by node name, "etcd" and "controller"
	argv    map[string][]string
	routers map[string]*kernelRouter
	servers []*http.Server
	vethN   int
	refused map[string][]uint16 // by machine: the ports SetServing stopped
}

// UpDistributed starts a distributed lab of the resources objs:
//
//   - an infrastructure namespace <prefix>infra with a Linux bridge per
//     topology network and one for the management network (MgmtPrefix);
//   - etcd in <prefix>etcd, and `fabric controller --store etcd://...` in
//     <prefix>controller, to which objs are applied;
//   - for every gateway, Mux and host of the resulting state, a namespace
//     named after it with a veth pair to the bridge of each of its networks
//     and one to the management bridge, and `fabric agent` running in it
//     (with RouterBIRD or RouterFRR, the BGP gateways are BIRD or FRR on
//     the veths instead, with BFD to the Muxes);
//   - every machine plugged into a network directly (the client, the
//     outside server) is a namespace with the kernel's stack on a veth to
//     the network's bridge; the VMs are made by their hosts' agents.
//
// Close (or Down after a crash) removes it all.
func UpDistributed(ctx context.Context, objs []model.Object, opts DistOptions) (d *Distributed, err error) {
	prefix, err := claimPrefix(opts.Prefix)
	if err != nil {
		return nil, err
	}
	for _, bin := range []string{"etcd", "nsenter"} {
		if _, err := exec.LookPath(bin); err != nil {
			return nil, fmt.Errorf("%w: the distributed lab needs %s", ErrUnsupported, bin)
		}
	}
	switch opts.Router {
	case "", RouterOurs, RouterBIRD, RouterFRR:
	default:
		return nil, fmt.Errorf("lab: distributed router %q (want %s, %s or %s)", opts.Router, RouterOurs, RouterBIRD, RouterFRR)
	}
	bin := opts.Binary
	if bin == "" {
		if bin, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	d = &Distributed{prefix: prefix, bin: bin, hold: opts.HoldTime, procs: map[string]*daemon{}, argv: map[string][]string{}, routers: map[string]*kernelRouter{}}
	if d.hold == 0 {
		d.hold = 9 * time.Second
	}
	switch {
	case opts.BFD == 0:
		d.bfd = DefaultBFD
	case opts.BFD > 0:
		d.bfd = opts.BFD
	}
	defer func() {
		if err != nil {
			d.Close()
			d = nil
		}
	}()
	if d.dir, err = os.MkdirTemp("", prefix+"dist.*"+runDirSuffix); err != nil {
		return nil, err
	}
	infra := d.ns("infra")
	if err := addNamespace(ctx, infra); err != nil {
		return nil, err
	}
	if err := ip(ctx, "link add brmgmt type bridge forward_delay 0\nlink set brmgmt up\n", "-n", infra, "-batch", "-"); err != nil {
		return nil, err
	}
	if err := d.startEtcd(ctx); err != nil {
		return nil, err
	}
	if err := d.startController(ctx); err != nil {
		return nil, err
	}
	if _, _, err := d.client.Apply(ctx, objs); err != nil {
		return nil, fmt.Errorf("lab: apply: %w", err)
	}
	state, _, err := d.client.List(ctx, "")
	if err != nil {
		return nil, err
	}
	if d.topo, err = runtime.FromModel(slices.DeleteFunc(state, func(o model.Object) bool { return o.Kind == model.KindEvent })); err != nil {
		return nil, err
	}
	var script strings.Builder
	for i := range d.topo.Networks {
		fmt.Fprintf(&script, "link add br%d mtu %d type bridge forward_delay 0\nlink set br%d up\n", i, UplinkMTU, i)
	}
	if err := ip(ctx, script.String(), "-n", infra, "-batch", "-"); err != nil {
		return nil, err
	}
	host := 10
	for _, g := range d.topo.Gateways {
		if g.BGP != nil && (opts.Router == RouterBIRD || opts.Router == RouterFRR) {
			if err := d.startRouter(ctx, opts.Router, g); err != nil {
				return nil, err
			}
			continue
		}
		var nets []string
		for _, ifc := range g.Interfaces {
			nets = append(nets, ifc.Network)
		}
		if err := d.startAgent(ctx, "gateway", g.Name, nets, &host); err != nil {
			return nil, err
		}
	}
	for _, m := range d.topo.Muxes {
		if err := d.startAgent(ctx, "mux", m.Name, []string{m.Network}, &host); err != nil {
			return nil, err
		}
	}
	for _, h := range d.topo.Hosts {
		if err := d.startAgent(ctx, "host", h.Name, []string{h.Network}, &host); err != nil {
			return nil, err
		}
	}
	machines := d.topo.Machines
	if d.topo.Outside != nil {
		machines = append(slices.Clone(machines), *d.topo.Outside)
	}
	for _, m := range machines {
		if m.Host == "" {
			if err := d.startMachine(ctx, m); err != nil {
				return nil, err
			}
		}
	}
	return d, nil
}

// ns returns the namespace name of a node or machine.
func (d *Distributed) ns(name string) string { return NamespaceName(d.prefix, name) }

// Namespace returns the namespace of a node or machine.
func (d *Distributed) Namespace(name string) string { return d.ns(name) }

// Topology returns the topology the controller's state describes.
func (d *Distributed) Topology() *runtime.Topology { return d.topo }

// Client returns a client of the controller's API, connecting from the
// controller's namespace.
func (d *Distributed) Client() *api.Client { return d.client }

// Dir is the lab's directory: the processes' logs, etcd's data, the
// controller's data directory.
func (d *Distributed) Dir() string { return d.dir }

// network returns the index of a network (its bridge is br<index>).
func (d *Distributed) network(name string) (int, error) {
	for i, n := range d.topo.Networks {
		if n.Name == name {
			return i, nil
		}
	}
	return 0, fmt.Errorf("lab: no network %q", name)
}

// veth links namespace ns to bridge br of the infrastructure namespace;
// inside ns the link is named dev.
func (d *Distributed) veth(ctx context.Context, ns, dev, br string, mtu int) error {
	d.mu.Lock()
	d.vethN++
	outer := fmt.Sprintf("v%d", d.vethN)
	d.mu.Unlock()
	infra := d.ns("infra")
	if err := ip(ctx, "", "-n", infra, "link", "add", outer, "mtu", fmt.Sprint(mtu), "type", "veth", "peer", "name", dev, "netns", ns, "mtu", fmt.Sprint(mtu)); err != nil {
		return err
	}
	return ip(ctx, fmt.Sprintf("link set %s master %s\nlink set %s up\n", outer, br, outer), "-n", infra, "-batch", "-")
}

// mgmt gives ns an address on the management network, on a link "mgmt".
func (d *Distributed) mgmt(ctx context.Context, ns string, a netip.Addr) error {
	if err := d.veth(ctx, ns, "mgmt", "brmgmt", 1500); err != nil {
		return err
	}
	return ip(ctx, fmt.Sprintf("addr add %s dev mgmt\nlink set mgmt up\n", netip.PrefixFrom(a, MgmtPrefix.Bits())), "-n", ns, "-batch", "-")
}

// newNamespace makes ns, IPv6 off (the fabric speaks IPv4).
func newNamespace(ctx context.Context, ns string) error {
	if err := addNamespace(ctx, ns); err != nil {
		return err
	}
	for _, k := range []string{"net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.default.disable_ipv6"} {
		if err := sysctl(ns, k, "1"); err != nil {
			return err
		}
	}
	return nil
}

// start runs argv in namespace ns (nsenter: the network namespace only,
// so that the namespaces an agent makes are visible to everyone), its
// output in the lab's directory as name.log.
func (d *Distributed) start(name, ns string, argv []string) error {
	log, err := os.OpenFile(filepath.Join(d.dir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	p := &daemon{cmd: exec.Command("nsenter", append([]string{"--net=" + nsPath(ns), "--"}, argv...)...), exited: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = log, log
	// If this process dies (a crash, a killed test), the kernel ends
	// its children: no agent lives on without its lab (nsenter execs the
	// command, which keeps the signal). Down still removes the rest.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := startFromSpawner(p.cmd); err != nil {
		return fmt.Errorf("start %s in %s: %w", name, ns, err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	d.mu.Lock()
	d.procs[name], d.argv[name] = p, argv
	d.mu.Unlock()
	return nil
}

func (d *Distributed) startEtcd(ctx context.Context) error {
	ns := d.ns("etcd")
	if err := newNamespace(ctx, ns); err != nil {
		return err
	}
	if err := d.mgmt(ctx, ns, mgmtEtcd); err != nil {
		return err
	}
	client := "http://" + netip.AddrPortFrom(mgmtEtcd, 2379).String()
	peer := "http://" + netip.AddrPortFrom(mgmtEtcd, 2380).String()
	argv := []string{"etcd", "--name", "e1", "--data-dir", filepath.Join(d.dir, "etcd"),
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "e1=" + peer,
		"--log-level", "warn"}
	if err := d.start("etcd", ns, argv); err != nil {
		return err
	}
	return d.waitTCP(ctx, "etcd", netip.AddrPortFrom(mgmtEtcd, 2379))
}

// spawner is a goroutine locked to its thread for the life of the
// process, which starts the lab's processes: the kernel sends Pdeathsig
// when the thread that forked a child exits, and this one never does
// before the process (another could, when a goroutine ends locked).
var spawner = sync.OnceValue(func() chan func() {
	ch := make(chan func())
	go func() {
		goruntime.LockOSThread()
		for f := range ch {
			f()
		}
	}()
	return ch
})

// startFromSpawner starts cmd from the spawner's thread.
func startFromSpawner(cmd *exec.Cmd) error {
	done := make(chan error, 1)
	spawner() <- func() { done <- cmd.Start() }
	return <-done
}

// RestartEtcd kills the etcd member (SIGKILL) and starts it again on the
// same data directory, returning once it accepts connections.
func (d *Distributed) RestartEtcd(ctx context.Context) error {
	if err := d.Kill("etcd"); err != nil {
		return err
	}
	d.mu.Lock()
	argv := d.argv["etcd"]
	d.mu.Unlock()
	if err := d.start("etcd", d.ns("etcd"), argv); err != nil {
		return err
	}
	return d.waitTCP(ctx, "etcd", netip.AddrPortFrom(mgmtEtcd, 2379))
}

func (d *Distributed) startController(ctx context.Context) error {
	ns := d.ns("controller")
	if err := newNamespace(ctx, ns); err != nil {
		return err
	}
	if err := d.mgmt(ctx, ns, mgmtController); err != nil {
		return err
	}
	listen := netip.AddrPortFrom(mgmtController, 7443)
	data := filepath.Join(d.dir, "controller")
	if err := d.start("controller", ns, []string{d.bin, "controller", "--store", "etcd://" + netip.AddrPortFrom(mgmtEtcd, 2379).String(),
		"--listen", listen.String(), "--data-dir", data, "--log-level", "warn"}); err != nil {
		return err
	}
	if err := d.waitTCP(ctx, "controller", listen); err != nil {
		return err
	}
	token, err := api.ReadToken(filepath.Join(data, api.TokenFile))
	if err != nil {
		return err
	}
	d.client, err = api.NewClient("http://"+listen.String(), token, nil)
	if err != nil {
		return err
	}
	tr := d.client.HTTP.Transport.(*http.Transport)
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.dial(ctx, ns, network, addr)
	}
	return nil
}

// dial connects from inside namespace ns.
func (d *Distributed) dial(ctx context.Context, ns, network, addr string) (net.Conn, error) {
	var c net.Conn
	err := inNamespace(ns, func() error {
		var err error
		c, err = (&net.Dialer{}).DialContext(ctx, network, addr)
		return err
	})
	return c, err
}

// waitTCP waits until process name accepts connections on a, or exits.
func (d *Distributed) waitTCP(ctx context.Context, name string, a netip.AddrPort) error {
	d.mu.Lock()
	p := d.procs[name]
	d.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for {
		c, err := d.dial(ctx, d.ns(name), "tcp4", a.String())
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("lab: %s exited; its log:\n%s", name, d.Log(name))
		case <-ctx.Done():
			return fmt.Errorf("lab: %s does not listen on %s: %w; its log:\n%s", name, a, ctx.Err(), d.Log(name))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Log returns the output of process name so far.
func (d *Distributed) Log(name string) string {
	b, _ := os.ReadFile(filepath.Join(d.dir, name+".log"))
	return string(b)
}

// startAgent makes the namespace of node name, links it to the bridges of
// nets and to the management network, and runs `fabric agent` in it.
func (d *Distributed) startAgent(ctx context.Context, role, name string, nets []string, host *int) error {
	ns := d.ns(name)
	if err := newNamespace(ctx, ns); err != nil {
		return err
	}
	*host++
	if err := d.mgmt(ctx, ns, netip.AddrFrom4([4]byte{10, 254, 0, byte(*host)})); err != nil {
		return err
	}
	argv := []string{d.bin, "agent", "--role", role, "--name", name, "--server", d.client.Server,
		"--token-file", filepath.Join(d.dir, "controller", api.TokenFile), "--guest-prefix", d.prefix,
		"--hold-time", d.hold.String(), "--bfd", d.bfd.String(), "--log-level", "warn"}
	seen := map[string]bool{}
	for _, n := range nets {
		if seen[n] {
			continue
		}
		seen[n] = true
		i, err := d.network(n)
		if err != nil {
			return err
		}
		dev := fmt.Sprintf("n%d", i)
		if err := d.veth(ctx, ns, dev, fmt.Sprintf("br%d", i), UplinkMTU); err != nil {
			return err
		}
		argv = append(argv, "--link", n+"="+dev)
	}
	return d.start(name, ns, argv)
}

// RestartAgent starts the agent of node name again (after Kill).
func (d *Distributed) RestartAgent(name string) error {
	d.mu.Lock()
	argv := d.argv[name]
	d.mu.Unlock()
	if argv == nil {
		return fmt.Errorf("lab: no process %q", name)
	}
	return d.start(name, d.ns(name), argv)
}

// startRouter runs BGP gateway g as router (BIRD or FRR) in a namespace of
// its own, the kernel forwarding between veths to its networks' bridges.
func (d *Distributed) startRouter(ctx context.Context, router string, g runtime.Gateway) error {
	bins, err := routerDaemons(router, d.bfd)
	if err != nil {
		return err
	}
	ns := d.ns(g.Name)
	if err := newNamespace(ctx, ns); err != nil {
		return err
	}
	if err := routerSysctls(ns); err != nil {
		return err
	}
	var script strings.Builder
	for j, ifc := range g.Interfaces {
		i, err := d.network(ifc.Network)
		if err != nil {
			return err
		}
		dev := fmt.Sprintf("eth%d", j)
		if err := d.veth(ctx, ns, dev, fmt.Sprintf("br%d", i), 1500); err != nil {
			return err
		}
		fmt.Fprintf(&script, "link set %s address %s\naddr add %s dev %s\nlink set %s up\n", dev, net.HardwareAddr(ifc.MAC[:]), ifc.Addr, dev, dev)
	}
	for _, r := range g.Routes {
		fmt.Fprintf(&script, "route add %s via %s\n", r.Prefix, r.NextHop)
	}
	if err := ip(ctx, script.String(), "-n", ns, "-batch", "-"); err != nil {
		return err
	}
	r := &kernelRouter{name: g.Name, ns: ns}
	d.mu.Lock()
	d.routers[g.Name] = r
	d.mu.Unlock()
	return r.startDaemons(ctx, router, bins, g, d.hold, d.bfd)
}

// router returns the BIRD or FRR router of a gateway.
func (d *Distributed) router(gateway string) (*kernelRouter, error) {
	d.mu.Lock()
	r, ok := d.routers[gateway]
	d.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("lab: no BIRD or FRR gateway %q", gateway)
	}
	return r, nil
}

// Routes returns the kernel's routes to p in the namespace of a BIRD or
// FRR gateway.
func (d *Distributed) Routes(ctx context.Context, gateway string, p netip.Prefix) (string, error) {
	r, err := d.router(gateway)
	if err != nil {
		return "", err
	}
	return r.routes(ctx, p)
}

// FRRBFDPeers returns the BFD sessions of an FRR gateway, one per Mux.
func (d *Distributed) FRRBFDPeers(ctx context.Context, gateway string) ([]FRRBFDPeer, error) {
	r, err := d.router(gateway)
	if err != nil {
		return nil, err
	}
	return r.frrBFDPeers(ctx)
}

// FRR runs an FRR command in an FRR gateway's daemons (vtysh -c) and
// returns what it printed, such as `show bgp neighbors json`.
func (d *Distributed) FRR(ctx context.Context, gateway, command string) (string, error) {
	r, err := d.router(gateway)
	if err != nil {
		return "", err
	}
	out, err := r.vtysh(ctx, command)
	return string(out), err
}

// BIRDProtocols returns what `birdc show protocols` says in a BIRD
// gateway's namespace: each BGP session's state and why it last went
// down.
func (d *Distributed) BIRDProtocols(ctx context.Context, gateway string) (string, error) {
	return d.birdc(ctx, gateway, "show", "protocols")
}

// BIRDBFDSessions returns what `birdc show bfd sessions` says in a BIRD
// gateway's namespace: each BFD session's neighbor, state and timers.
func (d *Distributed) BIRDBFDSessions(ctx context.Context, gateway string) (string, error) {
	return d.birdc(ctx, gateway, "show", "bfd", "sessions")
}

func (d *Distributed) birdc(ctx context.Context, gateway string, args ...string) (string, error) {
	r, err := d.router(gateway)
	if err != nil {
		return "", err
	}
	out, err := exec.CommandContext(ctx, "birdc", append([]string{"-s", filepath.Join(r.dir, "bird.ctl")}, args...)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("birdc in %s: %w: %s", r.ns, err, out)
	}
	return string(out), nil
}

// startMachine makes machine m a namespace with the kernel's stack on a
// veth to its network's bridge, serving HTTP from this process if it is a
// web server.
func (d *Distributed) startMachine(ctx context.Context, m runtime.Machine) error {
	ns := d.ns(m.Name)
	if err := newNamespace(ctx, ns); err != nil {
		return err
	}
	i, err := d.network(m.Network)
	if err != nil {
		return err
	}
	if err := d.veth(ctx, ns, guestIfName, fmt.Sprintf("br%d", i), 1500); err != nil {
		return err
	}
	script := fmt.Sprintf("link set %s address %s\naddr add %s dev %s\nlink set %s up\n",
		guestIfName, net.HardwareAddr(m.MAC[:]), m.Addr, guestIfName, guestIfName)
	if m.Gateway.IsValid() {
		script += fmt.Sprintf("route add default via %s dev %s\n", m.Gateway, guestIfName)
	}
	if err := ip(ctx, script, "-n", ns, "-batch", "-"); err != nil {
		return err
	}
	if m.Role != runtime.RoleWebServer {
		return nil
	}
	for _, p := range machineWebPorts(m) {
		var ln net.Listener
		if err := inNamespace(ns, func() error {
			var err error
			ln, err = (&net.ListenConfig{}).Listen(ctx, "tcp4", fmt.Sprintf(":%d", p))
			return err
		}); err != nil {
			return err
		}
		srv := &http.Server{Handler: runtime.WebHandler(m.Name, nil), ReadHeaderTimeout: 10 * time.Second}
		d.mu.Lock()
		d.servers = append(d.servers, srv)
		d.mu.Unlock()
		go func() { _ = srv.Serve(ln) }()
	}
	return nil
}

// DialContext connects from inside a machine's (or node's) namespace.
func (d *Distributed) DialContext(ctx context.Context, machine, network, addr string) (net.Conn, error) {
	return d.dial(ctx, d.ns(machine), network, addr)
}

// HTTPClient returns a client whose connections start in a machine's
// namespace, one per request.
func (d *Distributed) HTTPClient(machine string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, machine, network, addr)
		},
		DisableKeepAlives: true,
	}}
}

// Ready waits until every node's agent reports its resource's generation
// programmed (and every host ready), and every BIRD or FRR gateway has a kernel
// route to every VIP.
func (d *Distributed) Ready(ctx context.Context) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		pending, err := d.pending(ctx)
		if err == nil && pending == "" {
			return nil
		}
		if err != nil {
			pending = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("lab: not ready (%s): %w", pending, ctx.Err())
		case <-tick.C:
		}
	}
}

// pending names what is not ready yet, or returns "".
func (d *Distributed) pending(ctx context.Context) (string, error) {
	for _, kind := range []model.Kind{model.KindHost, model.KindMux, model.KindGateway} {
		objs, _, err := d.client.List(ctx, kind)
		if err != nil {
			return "", err
		}
		d.mu.Lock()
		routers := maps.Clone(d.routers)
		d.mu.Unlock()
		for _, o := range objs {
			if _, ok := routers[o.Metadata.Name]; ok {
				continue // BIRD or FRR: no agent
			}
			var s struct {
				ObservedGeneration int64 `json:"observedGeneration"`
				Ready              *bool `json:"ready"`
				Peers              []struct {
					State string `json:"state"`
				} `json:"peers"`
			}
			if len(o.Status) == 0 || json.Unmarshal(o.Status, &s) != nil || s.ObservedGeneration != o.Metadata.Generation {
				return string(kind) + "/" + o.Metadata.Name + " not programmed", nil
			}
			if s.Ready != nil && !*s.Ready {
				return string(kind) + "/" + o.Metadata.Name + " not ready", nil
			}
			for _, p := range s.Peers {
				if p.State != "Established" {
					return string(kind) + "/" + o.Metadata.Name + " BGP " + p.State, nil
				}
			}
		}
	}
	d.mu.Lock()
	routers := slices.Collect(maps.Values(d.routers))
	d.mu.Unlock()
	for _, r := range routers {
		for _, lb := range d.topo.LoadBalancers {
			for _, f := range lb.FrontendIPConfigurations {
				routes, err := r.routes(ctx, netip.PrefixFrom(f.VIP, 32))
				if err != nil {
					return "", err
				}
				if routes == "" {
					return r.name + " has no route to " + f.VIP.String(), nil
				}
			}
		}
	}
	return "", nil
}

// Kill ends process name (a node's agent, "etcd" or "controller") with
// SIGKILL, as a crash would, and waits until it has exited.
func (d *Distributed) Kill(name string) error {
	d.mu.Lock()
	p, ok := d.procs[name]
	d.mu.Unlock()
	if !ok {
		return fmt.Errorf("lab: no process %q", name)
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
	return nil
}

// Running reports whether process name (a node's agent, "etcd" or
// "controller") runs.
func (d *Distributed) Running(name string) bool {
	d.mu.Lock()
	p, ok := d.procs[name]
	d.mu.Unlock()
	if !ok {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// Stop ends process name with SIGTERM (an agent stops cleanly: a Mux
// withdraws its VIPs), then SIGKILL after five seconds.
func (d *Distributed) Stop(name string) error {
	d.mu.Lock()
	p, ok := d.procs[name]
	d.mu.Unlock()
	if !ok {
		return fmt.Errorf("lab: no process %q", name)
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	return nil
}

// SetServing stops (on false) or resumes (on true) the HTTP service of a
// machine's namespace on the given TCP ports, or on its web ports (those
// of its endpoints in the lab's topology, else 80) when none is given,
// as Lab.SetServing does; for a VM, whose server runs in its host's agent
// process, from outside that process: an nftables rule in the namespace
// answers every TCP segment to a stopped port with a reset, so the
// kernel refuses new connections (the host agent's probes included) and
// ends the open ones at their next segment, as when the service stopped
// listening. It needs nft.
func (d *Distributed) SetServing(machine string, on bool, ports ...uint16) error {
	if _, err := exec.LookPath("nft"); err != nil {
		return fmt.Errorf("%w: SetServing needs nft", ErrUnsupported)
	}
	if len(ports) == 0 {
		ports = d.webPorts(machine)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.refused == nil {
		d.refused = map[string][]uint16{}
	}
	refused := slices.Clone(d.refused[machine])
	for _, p := range ports {
		switch i := slices.Index(refused, p); {
		case on && i >= 0:
			refused = slices.Delete(refused, i, i+1)
		case !on && i < 0:
			refused = append(refused, p)
		}
	}
	slices.Sort(refused)
	// Made (if absent) and deleted, then made anew with the ports
	// refused: one transaction.
	rules := "table inet lab_serving\ndelete table inet lab_serving\n"
	if len(refused) > 0 {
		var list []string
		for _, p := range refused {
			list = append(list, strconv.Itoa(int(p)))
		}
		rules += "table inet lab_serving {\n\tchain input {\n\t\ttype filter hook input priority 0; policy accept;\n" +
			"\t\ttcp dport { " + strings.Join(list, ", ") + " } reject with tcp reset\n\t}\n}\n"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := nft(ctx, d.ns(machine), rules); err != nil {
		return err
	}
	d.refused[machine] = refused
	return nil
}

// webPorts returns the TCP ports machine serves HTTP on, as the lab's
// topology has it; 80 for a machine it does not know (a VM attached
// later).
func (d *Distributed) webPorts(machine string) []uint16 {
	for _, m := range d.topo.Machines {
		if m.Name == machine {
			return machineWebPorts(m)
		}
	}
	return []uint16{80}
}

// machineWebPorts returns the TCP ports a web server machine m serves HTTP on:
// its endpoints' ports, or 80 if it has none.
func machineWebPorts(m runtime.Machine) []uint16 {
	if len(m.Endpoints) == 0 {
		return []uint16{80}
	}
	var ports []uint16
	for _, e := range m.Endpoints {
		if !slices.Contains(ports, e.Port) {
			ports = append(ports, e.Port)
		}
	}
	return ports
}

// Partition cuts (or, with cut false, restores) the management link of a
// node's namespace: its agent loses the controller, the data plane
// stays.
func (d *Distributed) Partition(ctx context.Context, name string, cut bool) error {
	state := "up"
	if cut {
		state = "down"
	}
	return ip(ctx, "", "-n", d.ns(name), "link", "set", "mgmt", state)
}

// Close stops the agents, the controller and etcd (SIGTERM), the BIRD or
// FRR routers and web servers, and removes every namespace and the lab's
// directory.
func (d *Distributed) Close() {
	d.mu.Lock()
	names := slices.Collect(maps.Keys(d.procs))
	servers := d.servers
	routers := slices.Collect(maps.Values(d.routers))
	d.mu.Unlock()
	var wg sync.WaitGroup
	for _, n := range names {
		if n != "etcd" && n != "controller" {
			wg.Go(func() { _ = d.Stop(n) })
		}
	}
	wg.Wait()
	for _, n := range []string{"controller", "etcd"} {
		if slices.Contains(names, n) {
			_ = d.Stop(n)
		}
	}
	for _, s := range servers {
		_ = s.Close()
	}
	for _, r := range routers {
		r.stop() // deletes its namespace and directory
	}
	_, _ = Down(d.prefix)
	if d.dir != "" {
		_ = os.RemoveAll(d.dir)
	}
}

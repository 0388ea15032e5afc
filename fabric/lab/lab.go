package lab

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
	"github.com/sdnfabric/sdnfabric/offload/header"
)

// DefaultPrefix starts the names of a lab's namespaces when Options.Prefix
// is empty.
const DefaultPrefix = "fab-"

// ErrUnsupported: the lab needs Linux network namespaces and TAP devices.
var ErrUnsupported = errors.New("lab: needs Linux network namespaces and TAP devices")

// ErrExists: namespaces with the lab's prefix exist already (a lab runs,
// or one crashed; Down removes them).
var ErrExists = errors.New("lab: namespaces with this prefix exist")

// Options tune a lab.
type Options struct {
	// Prefix starts the name of every namespace the lab makes
	// (DefaultPrefix when empty): lower-case letters, digits and '-', at
	// most 32 bytes.
	Prefix string
	// Runtime are the options of the fabric's nodes; Up sets Guests.
	Runtime runtime.Options
	// NoOffload opens every TAP without offloads. By default a machine's
	// TAP accepts checksum offload and TCP segmentation (TUNSETOFFLOAD
	// csum|tso4): its super-frames cross the fabric whole and are
	// segmented and checksummed in software where a node takes none
	// (package netsim).
	NoOffload bool
	// NoGRO writes every frame to a machine's TAP as it comes. By
	// default the TCP segments of a burst are merged into super-frames
	// with a GSO virtio-net header (package offload/gro), so the kernel
	// takes one write and one packet per burst of a flow.
	NoGRO bool
	// Router chooses what runs the BGP gateways (the BGPVM): RouterOurs
	// (the default, the runtime's rras router and bgp speaker in this
	// process), RouterBIRD (BIRD 2) or RouterFRR (FRR's zebra and bgpd) in
	// the gateway's own namespace, the kernel forwarding along the routes
	// it learns from the Muxes. With Runtime.BFD, BIRD (protocol bfd) and
	// FRR (bfdd) run BFD with the Muxes at that interval too.
	Router string
	// FreePorts are TCP ports the lab does not serve HTTP on, though a web
	// server machine declares them as endpoints: they are left to
	// processes run in the namespaces (iperf3 -s, say).
	FreePorts []uint16
}

// Routers for Options.Router.
const (
	RouterOurs = "ours"
	RouterBIRD = "bird"
	RouterFRR  = "frr"
)

// Lab is a running topology whose machines are network namespaces.
type Lab struct {
	prefix    string
	noOffload bool
	noGRO     bool
	freePorts []uint16
	rt        *runtime.Runtime

	mu      sync.Mutex
	guests  map[string]*kernelGuest  // by machine name
	routers map[string]*kernelRouter // by gateway name
}

// Up checks that no namespace with the prefix exists, then starts t with
// every machine in a namespace of its own. It returns once every node runs;
// call Ready to wait for BGP, routes and probes, and Close to remove
// everything.
func Up(ctx context.Context, t *runtime.Topology, opts Options) (*Lab, error) {
	prefix, err := claimPrefix(opts.Prefix)
	if err != nil {
		return nil, err
	}
	l := &Lab{prefix: prefix, noOffload: opts.NoOffload, noGRO: opts.NoGRO, freePorts: opts.FreePorts, guests: map[string]*kernelGuest{}, routers: map[string]*kernelRouter{}}
	ro := opts.Runtime
	ro.Guests = l.attach
	switch opts.Router {
	case "", RouterOurs:
	case RouterBIRD, RouterFRR:
		router := opts.Router
		hold := ro.HoldTime
		if hold == 0 {
			hold = 9 * time.Second
		}
		bfd := max(ro.BFD, 0)
		ro.Gateways = func(ctx context.Context, g runtime.Gateway, ports []*netsim.Port) (func(), error) {
			return l.startRouter(ctx, router, g, ports, hold, bfd)
		}
	default:
		return nil, fmt.Errorf("lab: router %q (want %s, %s or %s)", opts.Router, RouterOurs, RouterBIRD, RouterFRR)
	}
	rt, err := runtime.Start(ctx, t, ro)
	if err != nil {
		// Start closed what it had started, our guests with it; remove
		// anything a failed attach left.
		_, _ = Down(prefix)
		return nil, err
	}
	l.rt = rt
	return l, nil
}

// claimPrefix returns prefix (DefaultPrefix when empty) once it is valid,
// the lab can run here, and no namespace has it yet.
func claimPrefix(prefix string) (string, error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if err := checkPrefix(prefix); err != nil {
		return "", err
	}
	if err := supported(); err != nil {
		return "", err
	}
	left, err := Namespaces(prefix)
	if err != nil {
		return "", err
	}
	if len(left) > 0 {
		return "", fmt.Errorf("%w: %s (a lab with prefix %q runs, or one crashed: run `fabric lab down -prefix %s`)",
			ErrExists, strings.Join(left, ", "), prefix, prefix)
	}
	return prefix, nil
}

func checkPrefix(p string) error {
	if len(p) > 32 {
		return fmt.Errorf("lab: prefix %q longer than 32 bytes", p)
	}
	for _, c := range []byte(p) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("lab: prefix %q: only a-z, 0-9 and '-' are allowed", p)
		}
	}
	return nil
}

// Prefix returns the prefix of the lab's namespace names.
func (l *Lab) Prefix() string { return l.prefix }

// Runtime returns the fabric's nodes, for their status and counters.
func (l *Lab) Runtime() *runtime.Runtime { return l.rt }

// Ready waits until the fabric can carry traffic to every VIP (see
// runtime.Runtime.Ready) and, with BIRD as the router, until the kernel of
// every BIRD or FRR router has a route to every VIP.
func (l *Lab) Ready(ctx context.Context) error {
	if err := l.rt.Ready(ctx); err != nil {
		return err
	}
	l.mu.Lock()
	routers := slices.Collect(maps.Values(l.routers))
	l.mu.Unlock()
	return waitRoutes(ctx, routers, l.rt.VIPs())
}

// waitRoutes waits until the kernel of every router (BIRD or FRR) has a
// route to every VIP.
func waitRoutes(ctx context.Context, routers []*kernelRouter, vips []netip.Addr) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for _, r := range routers {
		for _, vip := range vips {
			p := netip.PrefixFrom(vip, vip.BitLen())
			for {
				routes, err := r.routes(ctx, p)
				if err != nil {
					return err
				}
				if routes != "" {
					break
				}
				select {
				case <-ctx.Done():
					return fmt.Errorf("%s has no route to %s: %w; its daemons' logs:\n%s", r.name, p, ctx.Err(), r.log())
				case <-tick.C:
				}
			}
		}
	}
	return nil
}

// Routes returns the kernel's routes to p in the namespace of a gateway run
// by BIRD or FRR, as ip route shows them.
func (l *Lab) Routes(ctx context.Context, gateway string, p netip.Prefix) (string, error) {
	r, err := l.router(gateway)
	if err != nil {
		return "", err
	}
	return r.routes(ctx, p)
}

// FRRBFDPeers returns the BFD sessions of a gateway run by FRR (with
// Runtime.BFD), one per Mux.
func (l *Lab) FRRBFDPeers(ctx context.Context, gateway string) ([]FRRBFDPeer, error) {
	r, err := l.router(gateway)
	if err != nil {
		return nil, err
	}
	return r.frrBFDPeers(ctx)
}

// router returns the BIRD or FRR router of a gateway.
func (l *Lab) router(gateway string) (*kernelRouter, error) {
	l.mu.Lock()
	r, ok := l.routers[gateway]
	l.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("lab: no BIRD or FRR router %q", gateway)
	}
	return r, nil
}

// startRouter is the runtime's GatewayFactory with BIRD or FRR: it runs
// every gateway with BGP, and leaves the others (the NAT) to the runtime.
func (l *Lab) startRouter(ctx context.Context, router string, g runtime.Gateway, ports []*netsim.Port, hold, bfd time.Duration) (func(), error) {
	if g.BGP == nil {
		return nil, nil
	}
	r, err := startKernelRouter(ctx, router, l.Namespace(g.Name), g, ports, hold, bfd)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.routers[g.Name] = r
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		delete(l.routers, g.Name)
		l.mu.Unlock()
		r.stop()
	}, nil
}

// Namespace returns the name of a machine's namespace: the prefix and the
// machine's name in lower case, other characters than letters, digits,
// '-', '_' and '.' replaced by '-'.
func (l *Lab) Namespace(machine string) string { return NamespaceName(l.prefix, machine) }

// NamespaceName returns the name of a machine's namespace in a lab with
// prefix (see Lab.Namespace).
func NamespaceName(prefix, machine string) string {
	return prefix + strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return '-'
	}, machine)
}

// Machines returns the names of the machines in namespaces, sorted.
func (l *Lab) Machines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Sorted(maps.Keys(l.guests))
}

// GuestStats counts what crossed a machine's TAP device.
type GuestStats struct {
	FromKernel, ToKernel uint64 // frames
	// Super are the TCP super-segments among FromKernel (TSO).
	Super uint64
	// Merged are the super-frames among ToKernel, each written for
	// several TCP segments (GRO).
	Merged uint64
	// Dropped are frames from the kernel that claimed a segmentation
	// offload the TAP never accepted, or had a malformed virtio-net
	// header, plus frames the kernel refused.
	Dropped uint64
}

// Stats returns a machine's TAP counters, or those of all the TAPs of a
// gateway run by BIRD or FRR, added up.
func (l *Lab) Stats(machine string) (GuestStats, bool) {
	l.mu.Lock()
	g, ok := l.guests[machine]
	r, isRouter := l.routers[machine]
	l.mu.Unlock()
	switch {
	case ok:
		return g.stats(), true
	case isRouter:
		return r.stats(), true
	}
	return GuestStats{}, false
}

// DialContext connects from inside a machine's namespace, through its
// kernel stack: the socket is created on a thread switched into the
// namespace. addr must be a literal address and port.
func (l *Lab) DialContext(ctx context.Context, machine, network, addr string) (net.Conn, error) {
	return l.DialWith(ctx, &net.Dialer{}, machine, network, addr)
}

// DialWith is DialContext with d's options (its LocalAddr, say, to choose
// the source address or port).
func (l *Lab) DialWith(ctx context.Context, d *net.Dialer, machine, network, addr string) (net.Conn, error) {
	l.mu.Lock()
	g, ok := l.guests[machine]
	l.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("lab: no machine %q", machine)
	}
	var c net.Conn
	err := inNamespace(g.ns, func() error {
		var err error
		c, err = d.DialContext(ctx, network, addr)
		return err
	})
	return c, err
}

// HTTPClient returns a client whose connections start in a machine's
// namespace. URLs must name hosts by address.
func (l *Lab) HTTPClient(machine string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return l.DialContext(ctx, machine, network, addr)
		},
		DisableKeepAlives: true,
	}}
}

// Close stops the fabric and removes every namespace and TAP device the
// lab made.
func (l *Lab) Close() {
	l.rt.Close() // detaches every guest, deleting its namespace
}

// attach is the runtime's GuestFactory.
func (l *Lab) attach(ctx context.Context, m runtime.Machine, port *netsim.Port) (func(), error) {
	// A vNIC segments and checksums in software; for a machine on a
	// network, whose routers want complete frames, the guest does.
	tso := !l.noOffload
	serve := m.Role == runtime.RoleWebServer
	var ports []uint16
	for _, e := range m.Endpoints {
		if serve && e.Proto == header.ProtocolTCP && !slices.Contains(l.freePorts, e.Port) {
			ports = append(ports, e.Port)
		}
	}
	if serve && len(m.Endpoints) == 0 {
		ports = append(ports, 80)
	}
	g, err := startKernelGuest(ctx, l.Namespace(m.Name), m, port, tso, !l.noGRO, ports)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.guests[m.Name] = g
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		delete(l.guests, m.Name)
		l.mu.Unlock()
		g.close()
	}, nil
}

package lab

import (
	"context"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/runtime"
)

// KernelOptions tune a kernel-only lab.
type KernelOptions struct {
	// Prefix starts the name of every namespace (DefaultPrefix when
	// empty), as in Options.
	Prefix string
	// FreePorts are TCP ports the web servers leave to processes run in
	// the namespaces, as in Options.
	FreePorts []uint16
	// HoldTime is the BGP hold time of the BIRD sessions (9 s when zero).
	HoldTime time.Duration
}

// KernelLab is a topology built from the Linux kernel's parts only, the
// reference our data plane is measured against (KernelUp).
type KernelLab struct {
	prefix  string
	vips    []netip.Addr
	routers []*kernelRouter // BIRD on the gateways with BGP and on the Muxes
	bgp     []*kernelRouter // the gateways with BGP, whose routes Ready waits for
	servers []*http.Server
	wg      sync.WaitGroup
}

// KernelUp builds t from the kernel's parts only, every machine and node a
// network namespace named as Up names them (Prefix and the name in lower
// case), every network a Linux bridge in a namespace of its own
// (Prefix+"net-"+name), joined by veth pairs with the kernel's default
// offloads:
//
//   - a gateway forwards (IPv4 forwarding, its static routes); with NAT,
//     nftables masquerades what leaves its external interface and
//     DNATs its port forwards; with BGP, BIRD 2 learns the VIPs from the
//     Muxes (as with Options.Router RouterBIRD) and installs them, ECMP;
//   - a Mux runs BIRD announcing each VIP as a /32 with itself as next
//     hop, and sends each flow in kernel VXLAN to the host of one of the
//     rule's DIPs, chosen by nftables as a jhash of the flow (source IP
//     and port, or the source IP alone for SourceIP distribution) mod the
//     number of DIPs, mapped to a packet mark that policy routing sends
//     to the host's bridge (the kernel has no IPVS here, or may not; the
//     VIP stays the inner destination as with our Mux);
//   - a host is a router with a Linux bridge per virtual network holding
//     a kernel VXLAN device and its VMs' veths; nftables DNATs VIP to DIP
//     (the host agent's job), and conntrack returns the reply from the VIP
//     straight to the provider router: Direct Server Return, as ours;
//   - the web servers answer HTTP with runtime.WebHandler from sockets the
//     calling process opens in their namespaces, as Up's do.
//
// What it lacks next to ours: health probes, SNAT of the VMs' outbound
// connections, inbound NAT rules over a port range, and Maglev (a jhash
// mod N moves most flows when a DIP comes or goes). It needs root, ip,
// nft and bird, on Linux; elsewhere it returns ErrUnsupported.
func KernelUp(ctx context.Context, t *runtime.Topology, opts KernelOptions) (*KernelLab, error) {
	prefix, err := claimPrefix(opts.Prefix)
	if err != nil {
		return nil, err
	}
	hold := opts.HoldTime
	if hold == 0 {
		hold = 9 * time.Second
	}
	k := &KernelLab{prefix: prefix}
	if err := k.build(ctx, t, opts.FreePorts, hold); err != nil {
		k.Close()
		return nil, err
	}
	return k, nil
}

// Namespace returns the name of a machine's namespace.
func (k *KernelLab) Namespace(machine string) string { return NamespaceName(k.prefix, machine) }

// Prefix returns the prefix of the lab's namespace names.
func (k *KernelLab) Prefix() string { return k.prefix }

// Ready waits until the kernel of every gateway with BGP has a route to
// every VIP.
func (k *KernelLab) Ready(ctx context.Context) error {
	return waitRoutes(ctx, k.bgp, k.vips)
}

// Close stops BIRD and the web servers and removes every namespace.
func (k *KernelLab) Close() {
	for _, srv := range k.servers {
		_ = srv.Close()
	}
	k.wg.Wait()
	for _, r := range k.routers {
		r.stop()
	}
	_, _ = Down(k.prefix)
}

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
	"slices"
	"strings"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/runtime"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb"
)

// underlayMTU is the MTU of a network with Muxes or hosts on it: room for
// a 1500-byte packet in VXLAN (50 bytes more), as ours carries.
const underlayMTU = 1600

// vxlanPort is the VXLAN UDP port (RFC 7348).
const vxlanPort = 4789

// kernelNet is a network: a bridge br0 in a namespace of its own.
type kernelNet struct {
	ns   string
	mtu  int
	next int // ports plugged so far
}

// build makes t's namespaces, links, routes, rules and daemons.
func (k *KernelLab) build(ctx context.Context, t *runtime.Topology, free []uint16, hold time.Duration) error {
	for _, lb := range t.LoadBalancers {
		for _, f := range lb.FrontendIPConfigurations {
			if !slices.Contains(k.vips, f.VIP) {
				k.vips = append(k.vips, f.VIP)
			}
		}
	}
	nets := map[string]*kernelNet{}
	for _, n := range t.Networks {
		kn := &kernelNet{ns: k.prefix + "net-" + n.Name, mtu: 1500}
		for _, m := range t.Muxes {
			if m.Network == n.Name {
				kn.mtu = underlayMTU
			}
		}
		for _, h := range t.Hosts {
			if h.Network == n.Name {
				kn.mtu = underlayMTU
			}
		}
		if err := k.namespace(ctx, kn.ns, false); err != nil {
			return err
		}
		if err := ip(ctx, "link add br0 type bridge\nlink set br0 up\n", "-n", kn.ns, "-batch", "-"); err != nil {
			return err
		}
		nets[n.Name] = kn
	}
	plug := func(ns, ifName string, mac header.MAC, network string) (mtu int, err error) {
		n, ok := nets[network]
		if !ok {
			return 0, fmt.Errorf("lab: kernel: no network %q", network)
		}
		port := fmt.Sprintf("p%d", n.next)
		n.next++
		if err := ip(ctx, "", "-n", ns, "link", "add", ifName, "mtu", fmt.Sprint(n.mtu), "address", net.HardwareAddr(mac[:]).String(),
			"type", "veth", "peer", "name", port, "netns", n.ns); err != nil {
			return 0, err
		}
		return n.mtu, ip(ctx, "", "-n", n.ns, "link", "set", port, "mtu", fmt.Sprint(n.mtu), "master", "br0", "up")
	}

	for _, g := range t.Gateways {
		if err := k.gateway(ctx, g, plug, hold); err != nil {
			return fmt.Errorf("%s: %w", g.Name, err)
		}
	}
	for _, h := range t.Hosts {
		if err := k.host(ctx, h, t, plug, free); err != nil {
			return fmt.Errorf("%s: %w", h.Name, err)
		}
	}
	for _, m := range t.Muxes {
		if err := k.mux(ctx, m, t, plug, hold); err != nil {
			return fmt.Errorf("%s: %w", m.Name, err)
		}
	}
	machines := t.Machines
	if t.Outside != nil {
		machines = append(slices.Clip(machines), *t.Outside)
	}
	for _, m := range machines {
		if m.Host != "" {
			continue // with its host
		}
		ns := k.Namespace(m.Name)
		if err := k.namespace(ctx, ns, false); err != nil {
			return err
		}
		if _, err := plug(ns, guestIfName, m.MAC, m.Network); err != nil {
			return fmt.Errorf("%s: %w", m.Name, err)
		}
		if err := k.configureMachine(ctx, ns, m, free); err != nil {
			return fmt.Errorf("%s: %w", m.Name, err)
		}
	}
	return nil
}

// namespace creates ns without IPv6 (the fabric speaks IPv4), forwarding
// and without reverse-path filtering if it routes.
func (k *KernelLab) namespace(ctx context.Context, ns string, router bool) error {
	if err := addNamespace(ctx, ns); err != nil {
		return err
	}
	kv := [][2]string{
		{"net.ipv6.conf.all.disable_ipv6", "1"}, {"net.ipv6.conf.default.disable_ipv6", "1"},
		// Bridged frames skip netfilter, as on a switch.
		{"net.bridge.bridge-nf-call-iptables", "0"},
		{"net.ipv4.conf.all.accept_redirects", "0"}, {"net.ipv4.conf.default.accept_redirects", "0"},
	}
	if router {
		kv = append(kv, [][2]string{
			{"net.ipv4.ip_forward", "1"},
			{"net.ipv4.fib_multipath_hash_policy", "1"},
			{"net.ipv4.conf.all.rp_filter", "0"}, {"net.ipv4.conf.default.rp_filter", "0"},
			{"net.ipv4.conf.all.send_redirects", "0"}, {"net.ipv4.conf.default.send_redirects", "0"},
		}...)
	}
	for _, s := range kv {
		if err := sysctl(ns, s[0], s[1]); err != nil {
			return fmt.Errorf("sysctl %s in %s: %w", s[0], ns, err)
		}
	}
	return nil
}

// configureMachine addresses a machine's eth0 and serves HTTP on a web
// server's TCP endpoints (port 80 without any) but those in free.
func (k *KernelLab) configureMachine(ctx context.Context, ns string, m runtime.Machine, free []uint16) error {
	script := fmt.Sprintf("addr add %s dev %s\nlink set %s up\n", m.Addr, guestIfName, guestIfName)
	if m.Gateway.IsValid() {
		script += fmt.Sprintf("route add default via %s dev %s\n", m.Gateway, guestIfName)
	}
	if err := ip(ctx, script, "-n", ns, "-batch", "-"); err != nil {
		return err
	}
	if m.Role != runtime.RoleWebServer {
		return nil
	}
	var ports []uint16
	for _, e := range m.Endpoints {
		if e.Proto == header.ProtocolTCP && !slices.Contains(free, e.Port) && !slices.Contains(ports, e.Port) {
			ports = append(ports, e.Port)
		}
	}
	if len(m.Endpoints) == 0 {
		ports = append(ports, 80)
	}
	for _, p := range ports {
		srv, err := serveHTTP(ns, m.Name, p, &k.wg)
		if err != nil {
			return err
		}
		k.servers = append(k.servers, srv)
	}
	return nil
}

type plugFunc func(ns, ifName string, mac header.MAC, network string) (int, error)

// gateway is a forwarding namespace with nftables NAT and BIRD, as g says.
func (k *KernelLab) gateway(ctx context.Context, g runtime.Gateway, plug plugFunc, hold time.Duration) error {
	ns := k.Namespace(g.Name)
	if err := k.namespace(ctx, ns, true); err != nil {
		return err
	}
	var script strings.Builder
	ifNames := map[string]string{}
	for i, ifc := range g.Interfaces {
		name := fmt.Sprintf("eth%d", i)
		ifNames[ifc.Name] = name
		if _, err := plug(ns, name, ifc.MAC, ifc.Network); err != nil {
			return err
		}
		fmt.Fprintf(&script, "addr add %s dev %s\nlink set %s up\n", ifc.Addr, name, name)
	}
	for _, rt := range g.Routes {
		fmt.Fprintf(&script, "route add %s via %s\n", rt.Prefix, rt.NextHop)
	}
	if err := ip(ctx, script.String(), "-n", ns, "-batch", "-"); err != nil {
		return err
	}
	if g.NAT != nil {
		ext, ok := ifNames[g.NAT.External]
		if !ok {
			return fmt.Errorf("NAT: no interface %q", g.NAT.External)
		}
		var rules strings.Builder
		rules.WriteString("table ip nat {\n\tchain pre {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n")
		for _, f := range g.NAT.Forwards {
			fmt.Fprintf(&rules, "\t\tip daddr %s tcp dport %d dnat to %s\n", f.External.Addr(), f.External.Port(), f.Internal)
		}
		fmt.Fprintf(&rules, "\t}\n\tchain post {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t\toifname %q masquerade\n\t}\n}\n", ext)
		if err := nft(ctx, ns, rules.String()); err != nil {
			return err
		}
	}
	if g.BGP == nil {
		return nil
	}
	r, err := k.bird(ns, g.Name, birdConfig(g, hold, 0))
	if err != nil {
		return err
	}
	k.bgp = append(k.bgp, r)
	return r.waitListening(ctx, 179) // the Muxes dial it
}

// bird runs BIRD with conf in ns; Close stops it.
func (k *KernelLab) bird(ns, name, conf string) (*kernelRouter, error) {
	bin, err := exec.LookPath("bird")
	if err != nil {
		return nil, fmt.Errorf("%w: BIRD 2 is not installed (bird)", ErrUnsupported)
	}
	r := &kernelRouter{name: name, ns: ns}
	r.dir, err = os.MkdirTemp("", ns+".*"+runDirSuffix)
	if err != nil {
		return nil, err
	}
	k.routers = append(k.routers, r)
	path := filepath.Join(r.dir, "bird.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	return r, r.run("bird", bin, "-f", "-c", path, "-s", filepath.Join(r.dir, "bird.ctl"))
}

// hostMark is the packet mark, routing table and next hop by which a Mux
// sends a flow to one host's bridge of one virtual network.
type hostMark struct {
	pa  netip.Addr
	vni uint32
}

// mux is a namespace that sends each VIP flow to a DIP's host in VXLAN,
// the host chosen by an nftables jhash of the flow, and announces the
// VIPs with BIRD.
func (k *KernelLab) mux(ctx context.Context, m runtime.Mux, t *runtime.Topology, plug plugFunc, hold time.Duration) error {
	ns := k.Namespace(m.Name)
	if err := k.namespace(ctx, ns, true); err != nil {
		return err
	}
	if _, err := plug(ns, guestIfName, m.MAC, m.Network); err != nil {
		return err
	}
	var script strings.Builder
	fmt.Fprintf(&script, "addr add %s dev eth0\nlink set eth0 up\nroute add default via %s\n", m.Addr, m.Gateway)
	hosts := map[netip.Addr]runtime.Host{}
	for _, h := range t.Hosts {
		hosts[h.PA.Addr()] = h
	}
	var marks []hostMark
	mark := func(pa netip.Addr, vni uint32) (int, error) {
		hm := hostMark{pa, vni}
		if i := slices.Index(marks, hm); i >= 0 {
			return i + 1, nil
		}
		h, ok := hosts[pa]
		if !ok {
			return 0, fmt.Errorf("no host with PA %s", pa)
		}
		vx := fmt.Sprintf("vx%d", vni)
		if !slices.ContainsFunc(marks, func(x hostMark) bool { return x.vni == vni }) {
			fmt.Fprintf(&script, "link add %s mtu 1500 type vxlan id %d local %s dstport %d nolearning\nlink set %s up\n",
				vx, vni, m.Addr.Addr(), vxlanPort, vx)
		}
		marks = append(marks, hm)
		n := len(marks)
		hop := netip.AddrFrom4([4]byte{169, 254, byte(n >> 8), byte(n)})
		fmt.Fprintf(&script, "neigh replace %s dev %s lladdr %s nud permanent\n", hop, vx, bridgeMAC(h.MAC))
		// Only the VIPs: the outer packet keeps the mark, and must not
		// route back into the VXLAN device.
		for _, vip := range k.vips {
			fmt.Fprintf(&script, "route add %s via %s dev %s onlink table %d\n", vip, hop, vx, 100+n)
		}
		fmt.Fprintf(&script, "rule add fwmark %d table %d\n", n, 100+n)
		return n, nil
	}
	var rules strings.Builder
	rules.WriteString("table ip mux {\n\tchain pre {\n\t\ttype filter hook prerouting priority mangle; policy accept;\n")
	var fdb strings.Builder
	for _, lb := range t.LoadBalancers {
		vip, pools := lbIndex(lb)
		for _, r := range lb.LoadBalancingRules {
			pool := pools[r.BackendPool]
			var entries []string
			for i, b := range pool.Backends {
				n, err := mark(b.HostPA, pool.VNI)
				if err != nil {
					return err
				}
				entries = append(entries, fmt.Sprintf("%d : %d", i, n))
			}
			if len(entries) == 0 {
				continue
			}
			key := "ip saddr . th sport"
			if r.LoadDistribution != slb.DistributionDefault && r.LoadDistribution != "" {
				key = "ip saddr"
			}
			fmt.Fprintf(&rules, "\t\tip daddr %s %s meta mark set jhash %s mod %d map { %s }\n",
				vip[r.Frontend], portMatch(r.Protocol, r.FrontendPort), key, len(entries), strings.Join(entries, ", "))
		}
		for _, r := range lb.InboundNatRules {
			for port, b := range r.Mappings(pools[r.BackendPool]) {
				n, err := mark(b.HostPA, pools[r.BackendPool].VNI)
				if err != nil {
					return err
				}
				fmt.Fprintf(&rules, "\t\tip daddr %s %s meta mark set %d\n", vip[r.Frontend], portMatch(r.Protocol, port), n)
			}
		}
	}
	for _, vip := range k.vips {
		fmt.Fprintf(&rules, "\t\tip daddr %s meta mark 0 drop\n", vip)
	}
	rules.WriteString("\t}\n}\n")
	for _, hm := range marks {
		fmt.Fprintf(&fdb, "fdb append %s dev vx%d dst %s\n", bridgeMAC(hosts[hm.pa].MAC), hm.vni, hm.pa)
	}
	if err := ip(ctx, script.String(), "-n", ns, "-batch", "-"); err != nil {
		return err
	}
	if fdb.Len() > 0 {
		if err := bridgeCmd(ctx, ns, fdb.String()); err != nil {
			return err
		}
	}
	if err := nft(ctx, ns, rules.String()); err != nil {
		return err
	}
	_, err := k.bird(ns, m.Name, birdMuxConfig(m, k.vips, hold))
	return err
}

// portMatch matches a rule's protocol and port (any port for 0).
func portMatch(p slb.Protocol, port int) string {
	proto := "meta l4proto { tcp, udp }"
	switch p {
	case slb.ProtocolTCP:
		proto = "meta l4proto tcp"
	case slb.ProtocolUDP:
		proto = "meta l4proto udp"
	}
	if port == 0 {
		return proto
	}
	return fmt.Sprintf("%s th dport %d", proto, port)
}

// bridgeMAC is the MAC of a host's bridges, where the Muxes send: the
// host's own with the next-to-last byte flipped.
func bridgeMAC(m header.MAC) net.HardwareAddr {
	m[4] ^= 0xff
	return net.HardwareAddr(m[:])
}

// host is a routing namespace with a bridge per virtual network (its VMs'
// veths and a VXLAN device), nftables DNAT from VIP to its local DIPs,
// and the replies routed straight to the provider router (DSR).
func (k *KernelLab) host(ctx context.Context, h runtime.Host, t *runtime.Topology, plug plugFunc, free []uint16) error {
	ns := k.Namespace(h.Name)
	if err := k.namespace(ctx, ns, true); err != nil {
		return err
	}
	if _, err := plug(ns, "eth0", h.MAC, h.Network); err != nil {
		return err
	}
	var script strings.Builder
	fmt.Fprintf(&script, "addr add %s dev eth0\nlink set eth0 up\nroute add default via %s\n", h.PA, h.Gateway)
	var vnis []uint32
	var gws []netip.Prefix
	var vms []runtime.Machine
	for _, m := range t.Machines {
		if m.Host != h.Name {
			continue
		}
		vms = append(vms, m)
		br, vx := fmt.Sprintf("br%d", m.VNI), fmt.Sprintf("vx%d", m.VNI)
		if !slices.Contains(vnis, m.VNI) {
			vnis = append(vnis, m.VNI)
			fmt.Fprintf(&script, "link add %s address %s type bridge\nlink set %s up\n", br, bridgeMAC(h.MAC), br)
			fmt.Fprintf(&script, "link add %s mtu 1500 type vxlan id %d local %s dstport %d nolearning\nlink set %s master %s up\n",
				vx, m.VNI, h.PA.Addr(), vxlanPort, vx, br)
		}
		// The host is its VMs' gateway, as the virtual switch is.
		if gw := netip.PrefixFrom(m.Gateway, m.Addr.Bits()); m.Gateway.IsValid() && !slices.Contains(gws, gw) {
			gws = append(gws, gw)
			fmt.Fprintf(&script, "addr add %s dev %s\n", gw, br)
		}
	}
	if err := ip(ctx, script.String(), "-n", ns, "-batch", "-"); err != nil {
		return err
	}
	for i, m := range vms {
		vmNS := k.Namespace(m.Name)
		if err := k.namespace(ctx, vmNS, false); err != nil {
			return err
		}
		port := fmt.Sprintf("vm%d", i)
		if err := ip(ctx, "", "-n", vmNS, "link", "add", guestIfName, "address", net.HardwareAddr(m.MAC[:]).String(),
			"type", "veth", "peer", "name", port, "netns", ns); err != nil {
			return err
		}
		if err := ip(ctx, "", "-n", ns, "link", "set", port, "master", fmt.Sprintf("br%d", m.VNI), "up"); err != nil {
			return err
		}
		if err := k.configureMachine(ctx, vmNS, m, free); err != nil {
			return fmt.Errorf("%s: %w", m.Name, err)
		}
	}
	// The host agent: VIP to the local DIP.
	var rules strings.Builder
	rules.WriteString("table ip hostagent {\n\tchain pre {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n")
	local := func(pool slb.BackendPool) []netip.Addr {
		var out []netip.Addr
		for _, b := range pool.Backends {
			if b.HostPA == h.PA.Addr() {
				out = append(out, b.DIP)
			}
		}
		return out
	}
	for _, lb := range t.LoadBalancers {
		vip, pools := lbIndex(lb)
		for _, r := range lb.LoadBalancingRules {
			dips := local(pools[r.BackendPool])
			switch len(dips) {
			case 0:
				continue
			case 1:
			default:
				return fmt.Errorf("rule %s: the kernel build takes one DIP per host and pool, not %d", r.Name, len(dips))
			}
			to := dips[0].String()
			if r.BackendPort != 0 {
				to += fmt.Sprintf(":%d", r.BackendPort)
			}
			fmt.Fprintf(&rules, "\t\tip daddr %s %s dnat to %s\n", vip[r.Frontend], portMatch(r.Protocol, r.FrontendPort), to)
		}
		for _, r := range lb.InboundNatRules {
			for port, b := range r.Mappings(pools[r.BackendPool]) {
				if b.HostPA == h.PA.Addr() {
					fmt.Fprintf(&rules, "\t\tip daddr %s %s dnat to %s:%d\n", vip[r.Frontend], portMatch(r.Protocol, port), b.DIP, r.BackendPort)
				}
			}
		}
	}
	rules.WriteString("\t}\n}\n")
	return nft(ctx, ns, rules.String())
}

// birdMuxConfig is BIRD's configuration for a Mux: each VIP as a /32 with
// the Mux as next hop to each peer, nothing imported.
func birdMuxConfig(m runtime.Mux, vips []netip.Addr, holdTime time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s, generated by fabric lab (kernel build)\nrouter id %s;\n\nprotocol device {\n}\n\nprotocol static vips {\n\tipv4;\n", m.Name, m.Addr.Addr())
	for _, v := range vips {
		fmt.Fprintf(&b, "\troute %s/32 blackhole;\n", v)
	}
	b.WriteString("}\n")
	for i, p := range m.Peers {
		fmt.Fprintf(&b, "\n# %s\nprotocol bgp peer%d {\n\tlocal %s as %d;\n\tneighbor %s as %d;\n\thold time %d;\n\tconnect delay time 1;\n\tipv4 { import none; export where proto = \"vips\"; };\n}\n",
			p.Name, i, m.Addr.Addr(), m.ASN, p.Addr, p.ASN, int(holdTime.Seconds()))
	}
	return b.String()
}

// nft loads an nftables ruleset in ns.
func nft(ctx context.Context, ns, rules string) error {
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", ns, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nft in %s: %w: %s\n%s", ns, err, out, rules)
	}
	return nil
}

// bridgeCmd runs a batch of iproute2's bridge command in ns.
func bridgeCmd(ctx context.Context, ns, script string) error {
	cmd := exec.CommandContext(ctx, "bridge", "-n", ns, "-batch", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("bridge in %s: %w: %s", ns, err, out)
	}
	return nil
}

// lbIndex returns lb's frontend VIPs and backend pools by name.
func lbIndex(lb slb.LoadBalancer) (vips map[string]netip.Addr, pools map[string]slb.BackendPool) {
	vips = map[string]netip.Addr{}
	for _, f := range lb.FrontendIPConfigurations {
		vips[f.Name] = f.VIP
	}
	pools = map[string]slb.BackendPool{}
	for _, p := range lb.BackendAddressPools {
		pools[p.Name] = p
	}
	return vips, pools
}

package runtime

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/offload/header"
)

// FromModelFile builds a topology from a file of fabric model resources
// (multi-document YAML or JSON, as `fabric apply -f` takes).
func FromModelFile(name string, data []byte) (*Topology, error) {
	objs, err := model.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	t, err := FromModel(objs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return t, nil
}

// FromModel builds a topology from the fabric model's resources: each
// LogicalNetwork subnet is a network segment; Gateways, Muxes and Hosts
// are nodes; NetworkInterfaces are machines (on a Host's virtual switch
// when they are on a VirtualNetwork); LoadBalancers are resolved by the
// model (DIPs, host PAs, VNIs, allocated VIPs and MACs). Every machine
// serves HTTP on its endpoints' ports (port 80 when it declares none); the
// client is the first machine on a subnet whose gateway is a NAT's inside
// interface, and a machine behind a NAT's outside interface is the outside
// server.
func FromModel(objs []model.Object) (*Topology, error) {
	st, err := model.NewState(objs)
	if err != nil {
		return nil, err
	}
	t := &Topology{Name: "model"}
	segment := func(r model.SubnetRef) string {
		if ln, ok := st.LogicalNetwork(r.LogicalNetwork); ok && len(ln.Subnets) == 1 {
			return r.LogicalNetwork
		}
		return r.LogicalNetwork + "/" + r.Subnet
	}
	subnet := func(r model.SubnetRef) (model.LogicalSubnet, error) {
		sn, _, ok := st.LogicalSubnet(r)
		if !ok {
			return sn, fmt.Errorf("no subnet %s/%s", r.LogicalNetwork, r.Subnet)
		}
		return sn, nil
	}
	for name, ln := range st.LogicalNetworks() {
		for _, sn := range ln.Subnets {
			t.Networks = append(t.Networks, Network{Name: segment(model.SubnetRef{LogicalNetwork: name, Subnet: sn.Name}), Prefix: sn.Prefix})
		}
	}
	natInside := map[netip.Addr]bool{} // addresses of NAT inside interfaces
	natOutside := map[string]bool{}    // segments of NAT outside interfaces
	for name, g := range st.Gateways() {
		gw := Gateway{Name: name}
		for _, ifc := range g.Interfaces {
			sn, err := subnet(ifc.SubnetRef)
			if err != nil {
				return nil, fmt.Errorf("gateway %s: %w", name, err)
			}
			gw.Interfaces = append(gw.Interfaces, Interface{Name: ifc.Name, Network: segment(ifc.SubnetRef),
				Addr: netip.PrefixFrom(ifc.Address, sn.Prefix.Bits()), MAC: header.MAC(ifc.MAC)})
		}
		for _, r := range g.Routes {
			gw.Routes = append(gw.Routes, StaticRoute{Prefix: r.Prefix, NextHop: r.NextHop})
		}
		if g.BGP != nil && g.HasRole(model.RoleRouter) {
			b := &GatewayBGP{ASN: g.BGP.ASN, Source: g.BGP.RouterID}
			for _, p := range g.BGP.Peers {
				b.Peers = append(b.Peers, Peer{Name: p.Name, Addr: p.Address, ASN: p.ASN})
				for _, ifc := range gw.Interfaces {
					if ifc.Addr.Contains(p.Address) {
						b.Source = ifc.Addr.Addr() // the session runs on the peer's subnet
					}
				}
			}
			gw.BGP = b
		}
		if g.NAT != nil && g.HasRole(model.RoleNAT) {
			gw.NAT = &NATConfig{External: g.NAT.External, Forwards: forwardsOf(*g)}
			for _, ifc := range gw.Interfaces {
				if ifc.Name == g.NAT.External {
					natOutside[ifc.Network] = true
				} else if slices.Contains(g.NAT.Internal, ifc.Name) {
					natInside[ifc.Addr.Addr()] = true
				}
			}
		}
		t.Gateways = append(t.Gateways, gw)
	}
	for name, m := range st.Muxes() {
		sn, err := subnet(m.SubnetRef)
		if err != nil {
			return nil, fmt.Errorf("mux %s: %w", name, err)
		}
		mx := Mux{Name: name, Network: segment(m.SubnetRef), Addr: netip.PrefixFrom(m.Address, sn.Prefix.Bits()),
			MAC: header.MAC(m.MAC), Gateway: sn.Gateway, ASN: m.ASN}
		for _, p := range m.Peers {
			mx.Peers = append(mx.Peers, Peer{Name: p.Name, Addr: p.Address, ASN: p.ASN})
		}
		t.Muxes = append(t.Muxes, mx)
	}
	for name, h := range st.Hosts() {
		sn, err := subnet(h.SubnetRef)
		if err != nil {
			return nil, fmt.Errorf("host %s: %w", name, err)
		}
		t.Hosts = append(t.Hosts, Host{Name: name, Network: segment(h.SubnetRef), PA: netip.PrefixFrom(h.ProviderAddress, sn.Prefix.Bits()),
			MAC: header.MAC(h.MAC), Gateway: sn.Gateway})
	}
	inPool := map[netip.Addr]bool{}
	t.LoadBalancers = st.LoadBalancerConfigs()
	for _, lb := range t.LoadBalancers {
		for _, p := range lb.BackendAddressPools {
			for _, b := range p.Backends {
				inPool[b.DIP] = true
			}
		}
	}
	client := false
	for name, nic := range st.NetworkInterfaces() {
		at, ok := st.Attachment(name)
		if !ok || len(nic.Addresses) == 0 {
			return nil, fmt.Errorf("network interface %s: cannot resolve its network", name)
		}
		m := machineOf(name, *nic, at)
		if nic.VirtualNetwork == "" {
			m.Host, m.Network = "", segment(model.SubnetRef{LogicalNetwork: nic.LogicalNetwork, Subnet: nic.Subnet})
		}
		switch {
		case m.Host == "" && natInside[m.Gateway] && !client:
			m.Role, client = RoleClient, true
		case m.Host == "" && natOutside[m.Network] && t.Outside == nil:
			out := m
			t.Outside = &out
			continue
		}
		t.Machines = append(t.Machines, m)
	}
	if !client {
		return nil, errors.New("no client machine: no network interface on a subnet whose gateway is a NAT's inside interface")
	}
	return t, nil
}

// machineOf returns the machine of NIC name, attached as at: a web
// server on its first address.
func machineOf(name string, nic model.NetworkInterfaceSpec, at model.Attachment) Machine {
	return Machine{Name: name, Host: nic.Host, VNI: at.VNI, Addr: netip.PrefixFrom(nic.Addresses[0], at.Prefix.Bits()),
		Gateway: at.Gateway, MAC: header.MAC(nic.MAC), Role: RoleWebServer, Endpoints: endpointsOf(nic)}
}

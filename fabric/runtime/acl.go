package runtime

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"

	"github.com/sdnfabric/sdnfabric/offload/header"
)

// maxACLFlows bounds the connections an ACL remembers per VM.
const maxACLFlows = 1 << 16

// acl is a VM's "outer security wrapper": inbound packets are allowed to
// the VM's endpoints and as replies of connections the VM opened;
// everything else inbound is denied.
type acl struct {
	open map[uint32]string // proto<<16 | port -> endpoint name

	mu    sync.Mutex
	flows map[aclFlow]struct{} // connections the VM opened, seen from the VM
}

type aclFlow struct {
	remote netip.AddrPort
	local  uint16
	proto  uint8
}

func newACL(eps []Endpoint) *acl {
	a := &acl{open: map[uint32]string{}, flows: map[aclFlow]struct{}{}}
	for _, e := range eps {
		a.open[uint32(e.Proto)<<16|uint32(e.Port)] = e.Name
	}
	return a
}

// ports returns an IPv4 packet's protocol and ports, ok false if it has
// none.
func ports(pkt []byte) (proto uint8, src, dst uint16, ok bool) {
	ip, err := header.ParseIPv4(pkt)
	if err != nil || ip.IsFragment() {
		return 0, 0, 0, false
	}
	proto = ip.Protocol()
	l4 := ip.Payload()
	if (proto != header.ProtocolTCP && proto != header.ProtocolUDP) || len(l4) < 4 {
		return proto, 0, 0, false
	}
	return proto, binary.BigEndian.Uint16(l4), binary.BigEndian.Uint16(l4[2:]), true
}

// outbound remembers a connection the VM sends on.
func (a *acl) outbound(pkt []byte) {
	proto, sp, dp, ok := ports(pkt)
	if !ok {
		return
	}
	if _, open := a.open[uint32(proto)<<16|uint32(sp)]; open {
		return // a reply from an endpoint
	}
	dst := netip.AddrFrom4([4]byte(pkt[16:20]))
	k := aclFlow{remote: netip.AddrPortFrom(dst, dp), local: sp, proto: proto}
	a.mu.Lock()
	if _, ok := a.flows[k]; !ok && len(a.flows) < maxACLFlows {
		a.flows[k] = struct{}{}
	}
	a.mu.Unlock()
}

// inbound decides on a packet to the VM and names the rule that did.
func (a *acl) inbound(pkt []byte) (string, bool) {
	proto, sp, dp, ok := ports(pkt)
	if !ok {
		if proto == header.ProtocolICMPv4 {
			return "icmp allowed", true
		}
		return "deny: not TCP or UDP", false
	}
	if name, open := a.open[uint32(proto)<<16|uint32(dp)]; open {
		return fmt.Sprintf("endpoint %s %d", name, dp), true
	}
	src := netip.AddrFrom4([4]byte(pkt[12:16]))
	a.mu.Lock()
	_, known := a.flows[aclFlow{remote: netip.AddrPortFrom(src, sp), local: dp, proto: proto}]
	a.mu.Unlock()
	if known {
		return "reply of an outbound connection", true
	}
	return fmt.Sprintf("deny: port %d is no endpoint", dp), false
}

package vxlan

import (
	"net/netip"
	"sync"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
)

// Neighbors maps (VNI, IP address) to the MAC address that owns it, as a
// controller knows it, so that a VTEP can answer ARP requests (RFC 826) and
// IPv6 Neighbor Solicitations (RFC 4861) itself instead of flooding them
// to every remote VTEP: ARP and ND suppression, the "proxy" mode of the
// Linux vxlan driver. Safe for concurrent use; lookups take a read lock.
type Neighbors struct {
	mu sync.RWMutex
	m  map[nbKey]header.MAC
}

type nbKey struct {
	vni VNI
	ip  netip.Addr
}

// NewNeighbors returns an empty table.
func NewNeighbors() *Neighbors { return &Neighbors{m: make(map[nbKey]header.MAC)} }

// Set records that ip in vni belongs to mac.
func (n *Neighbors) Set(vni VNI, ip netip.Addr, mac header.MAC) {
	n.mu.Lock()
	n.m[nbKey{vni, ip.Unmap()}] = mac
	n.mu.Unlock()
}

// Delete forgets ip in vni and reports whether it was known.
func (n *Neighbors) Delete(vni VNI, ip netip.Addr) bool {
	k := nbKey{vni, ip.Unmap()}
	n.mu.Lock()
	defer n.mu.Unlock()
	_, ok := n.m[k]
	delete(n.m, k)
	return ok
}

// Lookup returns the MAC address of ip in vni.
func (n *Neighbors) Lookup(vni VNI, ip netip.Addr) (header.MAC, bool) {
	n.mu.RLock()
	mac, ok := n.m[nbKey{vni, ip.Unmap()}]
	n.mu.RUnlock()
	return mac, ok
}

// Suppression is what Neighbors.Suppress did with a frame.
type Suppression uint8

const (
	// NotSuppressed: the frame is not a request Suppress answers (not
	// ARP or NS, gratuitous ARP, duplicate address detection, VLAN-tagged,
	// malformed); forward it as usual.
	NotSuppressed Suppression = iota
	// Answered: the reply frame was appended to dst; send it back to
	// the local port and drop the request.
	Answered
	// Missed: a request for an address the table does not know; the
	// address is returned for an l3miss report. The Linux driver drops
	// such a request.
	Missed
)

// ndpNASize is a Neighbor Advertisement with a Target Link-Layer Address
// option for Ethernet.
const ndpNASize = 24 + 8

// Suppress looks at a frame arriving from a local port of vni. If it is an
// ARP request, or an IPv6 Neighbor Solicitation, for an address in the
// table, Suppress appends the reply frame (an ARP reply or a Neighbor
// Advertisement with the Solicited and Override flags and a target
// link-layer address option) to dst and returns it with Answered. For an
// address the table lacks it returns the address with Missed. It never
// panics and does not allocate when dst has room.
func (n *Neighbors) Suppress(dst []byte, vni VNI, frame []byte) ([]byte, netip.Addr, Suppression) {
	if len(frame) < header.EthernetMinSize {
		return dst, netip.Addr{}, NotSuppressed
	}
	eth := header.Ethernet(frame)
	switch eth.EtherType() {
	case header.EtherTypeARP:
		return n.suppressARP(dst, vni, eth)
	case header.EtherTypeIPv6:
		return n.suppressNS(dst, vni, eth)
	}
	return dst, netip.Addr{}, NotSuppressed
}

func (n *Neighbors) suppressARP(dst []byte, vni VNI, eth header.Ethernet) ([]byte, netip.Addr, Suppression) {
	req, err := header.ParseARP(eth[header.EthernetMinSize:])
	if err != nil || req.Op() != header.ARPRequest || req.IsGratuitous() {
		return dst, netip.Addr{}, NotSuppressed
	}
	target := req.TargetIP()
	if target.IsMulticast() || target.IsLoopback() || target.IsUnspecified() {
		return dst, netip.Addr{}, NotSuppressed
	}
	mac, ok := n.Lookup(vni, target)
	if !ok {
		return dst, target, Missed
	}
	start := len(dst)
	dst = grow(dst, header.EthernetMinSize+header.ARPSize)
	b := dst[start:]
	clear(b)
	header.InitEthernet(b, req.SenderMAC(), mac, header.EtherTypeARP)
	header.InitARPReply(b[header.EthernetMinSize:], req, mac)
	return dst, target, Answered
}

func (n *Neighbors) suppressNS(dst []byte, vni VNI, eth header.Ethernet) ([]byte, netip.Addr, Suppression) {
	ip, err := header.ParseIPv6(eth[header.EthernetMinSize:])
	if err != nil || ip.NextHeader() != header.ProtocolICMPv6 || ip.HopLimit() != 255 {
		return dst, netip.Addr{}, NotSuppressed
	}
	src := ip.Source()
	if src.IsUnspecified() { // duplicate address detection: let the owner answer
		return dst, netip.Addr{}, NotSuppressed
	}
	ns, err := header.ParseICMPv6(ip.Payload())
	if err != nil || ns.Type() != header.ICMPv6NeighborSolicitation || ns.Code() != 0 {
		return dst, netip.Addr{}, NotSuppressed
	}
	target := ns.Target()
	if !target.IsValid() || target.IsMulticast() {
		return dst, netip.Addr{}, NotSuppressed
	}
	mac, ok := n.Lookup(vni, target)
	if !ok {
		return dst, target, Missed
	}
	start := len(dst)
	dst = grow(dst, header.EthernetMinSize+header.IPv6Size+ndpNASize)
	b := dst[start:]
	clear(b)
	header.InitEthernet(b, eth.Source(), mac, header.EtherTypeIPv6)
	oip, _ := header.InitIPv6(b[header.EthernetMinSize:])
	oip.SetPayloadLength(ndpNASize)
	oip.SetNextHeader(header.ProtocolICMPv6)
	oip.SetHopLimit(255)
	oip.SetSource(target)
	oip.SetDestination(src)
	na, _ := header.InitICMPv6(b[header.EthernetMinSize+header.IPv6Size:], header.ICMPv6NeighborAdvert, 0)
	na.SetNDPFlags(header.NDPFlagSolicited | header.NDPFlagOverride)
	na.SetTarget(target)
	header.AppendLinkAddrOption(na[24:24], header.NDPOptionTargetLinkAddr, mac)
	na.SetChecksum(na.ComputeChecksum(checksum.PseudoHeader(target, src, header.ProtocolICMPv6, ndpNASize)))
	return dst, target, Answered
}

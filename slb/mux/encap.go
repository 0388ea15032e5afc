package mux

import (
	"encoding/binary"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/vxlan"
)

// Encap is how the Mux carries a packet to a DIP's host.
type Encap uint8

const (
	// EncapVXLAN wraps the packet in an inner Ethernet header, a VXLAN
	// header with the pool's VNI, UDP and an outer IP header (RFC 7348).
	EncapVXLAN Encap = iota
	// EncapIPIP puts an outer IP header in front of the packet: IPv4 in
	// IPv4 (RFC 2003), or IPv6 or IPv4 in IPv6 (RFC 2473). It carries no
	// VNI, so the host must tell tenants apart by DIP.
	EncapIPIP
)

func (e Encap) String() string {
	switch e {
	case EncapVXLAN:
		return "VXLAN"
	case EncapIPIP:
		return "IPIP"
	}
	return "Encap(?)"
}

// A template is the outer headers for one (host, VNI, inner family),
// built once when the configuration changes. Per packet the Mux copies
// it, then fills in the lengths, the IPv4 header checksum (incrementally),
// the VXLAN UDP source port (from the flow hash, RFC 7348 section 5) and
// for IPv6 the UDP checksum.
type template struct {
	hdr    []byte
	ipCsum uint16 // IPv4 header checksum of hdr as built (total length len(hdr))
	v4     bool
	vxlan  bool
	udp6   bool            // compute the outer IPv6 UDP checksum
	pseudo uint16          // the IPv6 pseudo-header's sum without the length
	ports  vxlan.PortRange // the VXLAN UDP source ports (Config.SourcePorts)
}

// buildTemplate builds the outer headers from the Mux's local PA to
// hostPA, for inner packets of family innerV6. The VXLAN headers come
// from vxlan.Outer.Encapsulate run on an inner Ethernet header alone.
func (m *Mux) buildTemplate(hostPA netip.Addr, vni uint32, innerV6 bool) (template, error) {
	t := template{v4: hostPA.Is4(), vxlan: m.cfg.Encap == EncapVXLAN, ports: m.cfg.SourcePorts,
		pseudo: checksum.PseudoHeader(m.cfg.LocalPA, hostPA, header.ProtocolUDP, 0)}
	if m.cfg.Encap == EncapVXLAN {
		typ := header.EtherTypeIPv4
		if innerV6 {
			typ = header.EtherTypeIPv6
		}
		var eth [header.EthernetMinSize]byte
		if _, err := header.InitEthernet(eth[:], m.cfg.InnerDstMAC, m.cfg.InnerSrcMAC, typ); err != nil {
			return t, err
		}
		o := vxlan.Outer{Src: m.cfg.LocalPA, Dst: hostPA, DstPort: m.cfg.VXLANPort, SrcPorts: m.cfg.SourcePorts,
			DontFragment: true, ZeroUDP6Checksum: m.cfg.ZeroUDP6Checksum}
		hdr, err := o.Encapsulate(nil, vxlan.Header{VNI: vxlan.VNI(vni)}, eth[:])
		if err != nil {
			return t, err
		}
		t.hdr = hdr
		t.udp6 = !t.v4 && !m.cfg.ZeroUDP6Checksum
	} else {
		proto := uint8(4) // IPv4 in IP (RFC 2003)
		if innerV6 {
			proto = 41 // IPv6 in IP (RFC 2473, RFC 4213)
		}
		if t.v4 {
			ip, _ := header.InitIPv4(make([]byte, header.IPv4MinSize), header.IPv4MinSize)
			ip.SetTotalLength(header.IPv4MinSize)
			ip.SetDontFragment(true)
			ip.SetTTL(64)
			ip.SetProtocol(proto)
			ip.SetSource(m.cfg.LocalPA)
			ip.SetDestination(hostPA)
			ip.SetChecksum(ip.ComputeChecksum())
			t.hdr = ip
		} else {
			ip, _ := header.InitIPv6(make([]byte, header.IPv6Size))
			ip.SetNextHeader(proto)
			ip.SetHopLimit(64)
			ip.SetSource(m.cfg.LocalPA)
			ip.SetDestination(hostPA)
			t.hdr = ip
		}
	}
	if t.v4 {
		t.ipCsum = binary.BigEndian.Uint16(t.hdr[10:12])
	}
	return t, nil
}

// overhead returns the bytes the encapsulation adds for a provider
// network of the local PA's family.
func (m *Mux) overhead() int {
	n := header.IPv6Size
	if m.cfg.LocalPA.Is4() {
		n = header.IPv4MinSize
	}
	if m.cfg.Encap == EncapVXLAN {
		n += header.UDPSize + vxlan.HeaderSize + header.EthernetMinSize
	}
	return n
}

// encapsulate appends t's headers and pkt to dst and fills in the
// per-packet fields. hash picks the VXLAN UDP source port. The caller
// has checked that pkt fits (Mux.maxInner).
func (t *template) encapsulate(dst, pkt []byte, hash uint64) []byte {
	start := len(dst)
	dst = append(dst, t.hdr...)
	dst = append(dst, pkt...)
	t.fill(dst[start:], hash)
	return dst
}

// prepend writes t's headers into buf[off-len(t.hdr):off], in front of
// the packet buf[off:], fills in the per-packet fields and returns the
// encapsulated packet; the caller has checked that the headers fit in
// front and that the packet fits (Mux.maxInner).
func (t *template) prepend(buf []byte, off int, hash uint64) []byte {
	b := buf[off-len(t.hdr):]
	copy(b, t.hdr)
	t.fill(b, hash)
	return b
}

// fill fills in the per-packet fields of b, t's headers followed by the
// packet.
func (t *template) fill(b []byte, hash uint64) {
	total := len(b)
	ipLen := header.IPv6Size
	if t.v4 {
		ipLen = header.IPv4MinSize
		binary.BigEndian.PutUint16(b[2:4], uint16(total))
		binary.BigEndian.PutUint16(b[10:12], checksum.Update16(t.ipCsum, uint16(len(t.hdr)), uint16(total)))
	} else {
		binary.BigEndian.PutUint16(b[4:6], uint16(total-header.IPv6Size))
	}
	if t.vxlan {
		u := b[ipLen:]
		binary.BigEndian.PutUint16(u[0:2], t.ports.Port(uint32(hash>>32)))
		binary.BigEndian.PutUint16(u[4:6], uint16(total-ipLen))
		if t.udp6 {
			u[6], u[7] = 0, 0
			// The pseudo-header's 32-bit length is its only part that
			// changes (RFC 8200 section 8.1).
			n := total - ipLen
			c := ^checksum.Sum(u, checksum.Combine(checksum.Combine(t.pseudo, uint16(n>>16)), uint16(n)))
			if c == 0 {
				c = 0xffff
			}
			binary.BigEndian.PutUint16(u[6:8], c)
		}
	}
}

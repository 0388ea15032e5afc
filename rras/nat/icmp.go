package nat

import (
	"encoding/binary"
	"net/netip"
	"slices"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
)

// icmpError translates an ICMP error message (Destination Unreachable,
// Time Exceeded, Parameter Problem) by the mapping of the packet it quotes
// (RFC 5508 sections 4.2 and 6):
//
//   - the ICMP checksum is verified over the whole message, and the quoted
//     IPv4 header's checksum too; either wrong: drop (REQ-3, REQ-3a);
//   - the quoted header's options are skipped to reach its transport
//     header (REQ-3b); the quoted transport checksum is not verified, as
//     the quote is usually cut short (REQ-3c), but is updated when quoted;
//   - no mapping for the quoted packet: drop (REQ-4, REQ-5);
//   - inbound: the quoted source (our external endpoint) is reverted to the
//     internal endpoint and the outer destination set to it (REQ-4a, 4c);
//   - outbound: the quoted destination becomes the external endpoint and
//     the outer source the mapping's external address (REQ-5a, 5c); if the
//     quoted source is another mapping's external endpoint, the error is
//     hairpinned back to that host (REQ-7, 7a);
//   - type and code are kept (REQ-4b, 5b); sessions are neither created,
//     refreshed nor deleted (RFC 4787 REQ-12, RFC 5382 REQ-10, RFC 5508
//     REQ-6, RFC 7857 section 8). The ICMP checksum is recomputed.
func (n *NAT) icmpError(ip header.IPv4, msg header.ICMPv4, out bool) (Verdict, error) {
	if checksum.Sum(msg, 0) != 0xffff {
		n.counters.BadChecksum++
		return Drop, badChecksum(out, "icmp")
	}
	emb, err := header.ParseIPv4Partial(msg.Payload())
	if err != nil {
		n.counters.Malformed++
		return Drop, malformed(out, "embedded ipv4", err)
	}
	if !emb.ValidChecksum() {
		n.counters.BadChecksum++
		return Drop, badChecksum(out, "embedded ipv4")
	}
	proto := emb.Protocol()
	ep := emb.Payload()
	var sport, dport uint16
	switch proto {
	case header.ProtocolTCP, header.ProtocolUDP:
		if len(ep) < 4 {
			n.counters.Malformed++
			return Drop, malformed(out, "embedded ports", header.ErrTruncated)
		}
		sport, dport = binary.BigEndian.Uint16(ep), binary.BigEndian.Uint16(ep[2:])
	case header.ProtocolICMPv4:
		if len(ep) < header.ICMPv4Size {
			n.counters.Malformed++
			return Drop, malformed(out, "embedded icmp", header.ErrTruncated)
		}
		sport = binary.BigEndian.Uint16(ep[4:])
		dport = sport
	default:
		n.counters.UnknownProtocol++
		return Drop, ErrUnknownProtocol
	}
	v := Forward
	if !out {
		m, ok := n.lookupExt(proto, u32(emb.Source()), sport)
		if !ok {
			n.counters.NoMapping++
			return Drop, ErrNoMapping
		}
		mp := &n.maps[m]
		in := addr4(mp.inAddr)
		rewriteQuoted(emb, ep, proto, true, in, mp.inPort)
		ip.SetDestinationUpdatingChecksum(in)
		n.counters.Inbound++
	} else {
		m, ok := n.lookupIn(proto, u32(emb.Destination()), dport)
		if !ok {
			n.counters.NoMapping++
			return Drop, ErrNoMapping
		}
		mp := &n.maps[m]
		ext := addr4(mp.extAddr)
		rewriteQuoted(emb, ep, proto, false, ext, mp.extPort)
		ip.SetSourceUpdatingChecksum(ext)
		if n.isExternal(u32(emb.Source())) {
			m2, ok := n.lookupExt(proto, u32(emb.Source()), sport)
			if !ok {
				n.counters.NoMapping++
				return Drop, ErrNoMapping
			}
			mp2 := &n.maps[m2]
			in := addr4(mp2.inAddr)
			rewriteQuoted(emb, ep, proto, true, in, mp2.inPort)
			ip.SetDestinationUpdatingChecksum(in)
			n.counters.Hairpinned++
			v = Hairpin
		}
		n.counters.Outbound++
	}
	msg.SetChecksum(msg.ComputeChecksum())
	n.counters.ICMPErrors++
	return v, nil
}

// rewriteQuoted sets the source (src) or destination endpoint of the packet
// quoted in an ICMP error, keeping its IPv4 header checksum right and its
// transport checksum too when the quote includes it.
func rewriteQuoted(emb header.IPv4, ep []byte, proto uint8, src bool, a netip.Addr, port uint16) {
	var old netip.Addr
	if src {
		old = emb.Source()
		emb.SetSourceUpdatingChecksum(a)
	} else {
		old = emb.Destination()
		emb.SetDestinationUpdatingChecksum(a)
	}
	portOff, sumOff := 0, 16
	switch proto {
	case header.ProtocolUDP:
		sumOff = 6
	case header.ProtocolICMPv4:
		portOff, sumOff = 4, 2
	}
	if !src && proto != header.ProtocolICMPv4 {
		portOff = 2
	}
	oldPort := binary.BigEndian.Uint16(ep[portOff:])
	binary.BigEndian.PutUint16(ep[portOff:], port)
	if len(ep) < sumOff+2 {
		return
	}
	c := binary.BigEndian.Uint16(ep[sumOff:])
	if proto == header.ProtocolUDP && c == 0 {
		return // no checksum
	}
	if proto != header.ProtocolICMPv4 {
		c = checksum.UpdateAddr(c, old, a) // pseudo-header
	}
	c = checksum.Update16(c, oldPort, port)
	if proto == header.ProtocolUDP && c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(ep[sumOff:], c)
}

// maxProhibited is the most an ICMP error may carry (RFC 1812 4.3.2.3).
const maxProhibited = 576

// AppendProhibited appends to dst the ICMP Destination Unreachable, code 13
// (communication administratively prohibited) that answers pkt after a
// ReplyICMP verdict (RFC 5508 REQ-8): an IPv4 packet from
// Config.ICMPSource to pkt's source, quoting as much of pkt as fits in 576
// bytes (RFC 1812 section 4.3.2.3). It allocates only if dst lacks room.
func (n *NAT) AppendProhibited(dst, pkt []byte) ([]byte, error) {
	ip, err := header.ParseIPv4(pkt)
	if err != nil {
		return dst, malformed(true, "ipv4", err)
	}
	quote := min(len(ip), maxProhibited-header.IPv4MinSize-header.ICMPv4Size)
	total := header.IPv4MinSize + header.ICMPv4Size + quote
	start := len(dst)
	dst = slices.Grow(dst, total)[:start+total] // every byte is written below
	b := dst[start:]
	out, err := header.InitIPv4(b, header.IPv4MinSize)
	if err != nil {
		return dst[:start], err
	}
	out.SetTTL(64)
	out.SetProtocol(header.ProtocolICMPv4)
	out.SetSource(n.cfg.ICMPSource)
	out.SetDestination(ip.Source())
	out.SetChecksum(out.ComputeChecksum())
	msg, err := header.InitICMPv4(b[header.IPv4MinSize:], header.ICMPv4DestUnreach, 13)
	if err != nil {
		return dst[:start], err
	}
	copy(msg[header.ICMPv4Size:], ip[:quote])
	msg.SetChecksum(msg.ComputeChecksum())
	return dst, nil
}

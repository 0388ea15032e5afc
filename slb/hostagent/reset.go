package hostagent

import (
	"net/netip"
	"sync"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
)

// A TCPReset is a TCP RST that the agent sends when a TCP connection of
// a rule with EnableTCPReset idles out (the Azure load balancer's "TCP
// reset on idle"): instead of forgetting the connection silently, which
// leaves both ends to find out on their next send, the agent resets it
// both ways, as if each end had reset it.
type TCPReset struct {
	// Packet is the IP packet (IPv4 or IPv6, from the IP header on) of a
	// RST. It is valid only during the call to Config.OnTCPReset.
	Packet []byte
	// Verdict is Deliver for the RST to the local DIP, which comes from
	// the remote end (the client, or an SNAT connection's destination),
	// and ToRouter for the RST to the remote end, which comes from the
	// VIP and leaves like the DIP's replies (Direct Server Return).
	Verdict Verdict
	// VNI is the DIP's virtual network; DIP and VIP name the connection's
	// local DIP and VIP, and Rule its rule.
	VNI      uint32
	DIP, VIP netip.Addr
	Rule     string
}

// track records in e, the entry of p's direction of a connection of a
// rule with EnableTCPReset, the sequence number that follows p (RFC 9293
// section 3.4: the segment's sequence number plus its length, SYN and FIN
// each counting one). A RST of the agent's must carry exactly the
// sequence number that its receiver expects next, or the receiver
// ignores it (RFC 5961 section 3.2). Retransmissions do not move it
// back. A FIN or a RST ends the tracking: the connection is closing by
// itself and gets the shorter closing timeout, after which no RST is due.
// A first fragment is not counted: its TCP length is unknown.
func (p *packet) track(s *shard, e *entry) {
	if p.proto != protoTCP || p.more || p.l4 < 0 || len(p.b) < p.l4+header.TCPMinSize {
		return
	}
	if p.flags&(header.TCPFlagFIN|header.TCPFlagRST) != 0 {
		e.act.reset = false
		s.entries[e.peer].act.reset = false
		return
	}
	t := header.TCP(p.b[p.l4:])
	end := t.Seq() + uint32(max(len(t)-t.HeaderLen(), 0))
	if p.flags&header.TCPFlagSYN != 0 {
		end++
	}
	if !e.seen || int32(end-e.nxt) > 0 {
		e.nxt, e.seen = end, true
	}
}

// resetConn is a connection due RSTs (it idled out, or a SYN replaced
// it) with TCP reset on: copies of its two entries, in is the one of the
// packets from the remote end (Deliver) and out the one of the DIP's
// (ToRouter).
type resetConn struct{ in, out entry }

// dueReset returns the connection of entries a and b if it is due RSTs.
func dueReset(a, b *entry) (resetConn, bool) {
	if !a.act.reset || a.key.proto != protoTCP || a.key.frag {
		return resetConn{}, false
	}
	if a.act.verdict == ToRouter {
		a, b = b, a
	}
	if a.act.verdict != Deliver || b.act.verdict != ToRouter {
		return resetConn{}, false
	}
	return resetConn{*a, *b}, true
}

// sendResets builds the RSTs of the connections and hands them to
// Config.OnTCPReset: to the DIP when the remote end's next sequence
// number is known, and, if remote, to the remote end when the DIP's is,
// each with ACK set when the other direction's is known too. It counts
// them in Stats.TCPResets.
func (a *Agent) sendResets(conns []resetConn, remote bool) {
	// A packet is valid only during its OnTCPReset call: one buffer
	// serves them all. Pooled: the callback makes it escape, and a SYN
	// that replaces a connection sends its RST from Inbound.
	buf := rstBuffers.Get().(*[header.IPv6Size + header.TCPMinSize]byte)
	defer rstBuffers.Put(buf)
	for _, c := range conns {
		r := TCPReset{VNI: c.in.key.vni, DIP: fromKey(&c.in.act.dip, c.in.key.v4),
			VIP: fromKey(&c.in.act.vip, c.in.key.v4), Rule: a.ruleName(c.in.act.rule)}
		// To the DIP: the reverse of what the DIP sends, which it
		// receives after translation.
		if c.in.seen {
			r.Verdict = Deliver
			r.Packet = rst(buf[:0], &c.out.key, c.in.nxt, c.out.nxt, c.out.seen)
			a.stats.tcpResets.Add(1)
			a.cfg.OnTCPReset(r)
		}
		// To the remote end: the reverse of what it sends.
		if remote && c.out.seen {
			r.Verdict = ToRouter
			r.Packet = rst(buf[:0], &c.in.key, c.out.nxt, c.in.nxt, c.in.seen)
			a.stats.tcpResets.Add(1)
			a.cfg.OnTCPReset(r)
		}
	}
}

// rstBuffers holds the buffers sendResets builds RSTs in.
var rstBuffers = sync.Pool{New: func() any { return new([header.IPv6Size + header.TCPMinSize]byte) }}

// rst appends to dst a TCP RST that answers key's direction (from its
// destination to its source) with sequence number seq and, when ackOK,
// ACK set with ack.
func rst(dst []byte, key *flowKey, seq, ack uint32, ackOK bool) []byte {
	src, to := fromKey(&key.dst, key.v4), fromKey(&key.src, key.v4)
	ipLen := header.IPv6Size
	if key.v4 {
		ipLen = header.IPv4MinSize
	}
	start := len(dst)
	dst = append(dst, make([]byte, ipLen+header.TCPMinSize)...)
	b := dst[start:]
	if key.v4 {
		ip, _ := header.InitIPv4(b, header.IPv4MinSize)
		ip.SetTotalLength(uint16(len(b)))
		ip.SetDontFragment(true)
		ip.SetTTL(64)
		ip.SetProtocol(protoTCP)
		ip.SetSource(src)
		ip.SetDestination(to)
		ip.SetChecksum(ip.ComputeChecksum())
	} else {
		ip, _ := header.InitIPv6(b)
		ip.SetPayloadLength(header.TCPMinSize)
		ip.SetNextHeader(protoTCP)
		ip.SetHopLimit(64)
		ip.SetSource(src)
		ip.SetDestination(to)
	}
	t, _ := header.InitTCP(b[ipLen:], header.TCPMinSize)
	t.SetSourcePort(key.dport)
	t.SetDestinationPort(key.sport)
	t.SetSeq(seq)
	flags := header.TCPFlagRST
	if ackOK {
		t.SetAck(ack)
		flags |= header.TCPFlagACK
	}
	t.SetFlags(flags)
	t.SetChecksum(t.ComputeChecksum(checksum.PseudoHeader(src, to, protoTCP, header.TCPMinSize)))
	return dst
}

package hostagent_test

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
)

var router4 = netip.MustParseAddr("192.0.2.254")
var router6 = netip.MustParseAddr("2001:db8::fe")

// icmpError builds an ICMP error from src to dst quoting the first n
// bytes of the packet quoted (all of it if n is larger).
func icmpError(t tb, src, dst netip.Addr, typ, code uint8, mtu uint16, quoted []byte, n int) []byte {
	t.Helper()
	q := quoted[:min(n, len(quoted))]
	msgLen := 8 + len(q)
	hl, proto := header.IPv4MinSize, uint8(1)
	if src.Is6() {
		hl, proto = header.IPv6Size, 58
	}
	b := make([]byte, hl+msgLen)
	if src.Is4() {
		h, _ := header.InitIPv4(b, hl)
		h.SetTTL(64)
		h.SetProtocol(proto)
		h.SetSource(src)
		h.SetDestination(dst)
		h.SetChecksum(h.ComputeChecksum())
	} else {
		h, _ := header.InitIPv6(b)
		h.SetHopLimit(64)
		h.SetNextHeader(proto)
		h.SetSource(src)
		h.SetDestination(dst)
	}
	msg := b[hl:]
	msg[0], msg[1] = typ, code
	binary.BigEndian.PutUint16(msg[6:], mtu)
	copy(msg[8:], q)
	pseudo := uint16(0)
	if src.Is6() {
		pseudo = checksum.PseudoHeader(src, dst, proto, msgLen)
	}
	binary.BigEndian.PutUint16(msg[2:], ^checksum.Sum(msg, pseudo))
	return b
}

// readICMP returns an ICMP error's outer addresses, the quoted packet's
// flow (its checksums as far as quoted are not checked), and whether the
// ICMP checksum and the quoted IPv4 header checksum verify.
func readICMP(t *testing.T, b []byte) (src, dst netip.Addr, qsrc, qdst netip.AddrPort, ok bool) {
	t.Helper()
	var msg []byte
	if b[0]>>4 == 4 {
		h, _ := header.ParseIPv4(b)
		src, dst, msg = h.Source(), h.Destination(), h.Payload()
		ok = h.ValidChecksum() && checksum.Sum(msg, 0) == 0xffff
	} else {
		h, _ := header.ParseIPv6(b)
		src, dst, msg = h.Source(), h.Destination(), h.Payload()
		ok = checksum.Sum(msg, checksum.PseudoHeader(src, dst, 58, len(msg))) == 0xffff
	}
	q := msg[8:]
	var seg []byte
	if q[0]>>4 == 4 {
		h, err := header.ParseIPv4Partial(q)
		if err != nil {
			t.Fatal(err)
		}
		ok = ok && h.ValidChecksum()
		qsrc, qdst, seg = netip.AddrPortFrom(h.Source(), 0), netip.AddrPortFrom(h.Destination(), 0), h.Payload()
	} else {
		h, err := header.ParseIPv6Partial(q)
		if err != nil {
			t.Fatal(err)
		}
		qsrc, qdst, seg = netip.AddrPortFrom(h.Source(), 0), netip.AddrPortFrom(h.Destination(), 0), h.Payload()
	}
	qsrc = netip.AddrPortFrom(qsrc.Addr(), binary.BigEndian.Uint16(seg[0:]))
	qdst = netip.AddrPortFrom(qdst.Addr(), binary.BigEndian.Uint16(seg[2:]))
	return src, dst, qsrc, qdst, ok
}

// Path MTU discovery through the load balancer: a router's "fragmentation
// needed" (or ICMPv6 "packet too big") about a reply the DIP sent as the
// VIP reaches the DIP in terms of its own addresses.
func TestICMPErrorInbound(t *testing.T) {
	a := newAgent(t, host2, nil, portal())
	for _, tc := range []struct {
		name      string
		client    netip.AddrPort
		vip       netip.AddrPort
		dip       netip.AddrPort
		proto     uint8
		router    netip.Addr
		typ, code uint8
		quote     int
	}{
		{"ipv4 frag needed tcp full quote", ap(client4, 44000), ap(vip4, 81), ap(dipB, 8081), 6, router4, 3, 4, 1000},
		{"ipv4 frag needed tcp 8 bytes", ap(client4, 44001), ap(vip4, 81), ap(dipB, 8081), 6, router4, 3, 4, 28},
		{"ipv4 time exceeded", ap(client4, 44002), ap(vip4, 8080), ap(dipB, 80), 6, router4, 11, 0, 1000},
		{"ipv6 packet too big", ap(client6, 44000), ap(vip6, 443), ap(dipB6, 8443), 17, router6, 2, 0, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exchange(t, a, tc.dip.Addr(), flow{Src: tc.client, Dst: tc.vip, Proto: tc.proto}, tc.dip)
			// The reply as it left for the client, which the router quotes.
			sent := build(t, flow{Src: tc.vip, Dst: tc.client, Proto: tc.proto, Payload: make([]byte, 100)})
			pkt := icmpError(t, tc.router, tc.vip.Addr(), tc.typ, tc.code, 1400, sent, tc.quote)
			r, err := a.Inbound(pkt, vni, netip.Addr{})
			if err != nil || r.Verdict != hostagent.Deliver || r.Reason != hostagent.ReasonICMPError || r.DIP != tc.dip.Addr() {
				t.Fatalf("%+v, %v", r, err)
			}
			src, dst, qsrc, qdst, ok := readICMP(t, pkt)
			if !ok || src != tc.router || dst != tc.dip.Addr() || qsrc != tc.dip || qdst != tc.client {
				t.Errorf("delivered %v -> %v quoting %v -> %v (checksums ok %v)", src, dst, qsrc, qdst, ok)
			}
			if tc.quote >= len(sent) {
				// The whole quoted segment's checksum follows the rewrite too.
				if _, ok := read(t, pkt[len(pkt)-len(sent):]); !ok {
					t.Error("quoted segment's checksum broken")
				}
			}
		})
	}
	// No flow, or a broken ICMP checksum.
	sent := build(t, flow{Src: ap(vip4, 81), Dst: ap(client4, 1), Proto: 6})
	pkt := icmpError(t, router4, vip4, 3, 4, 1400, sent, 1000)
	if r, _ := a.Inbound(pkt, vni, netip.Addr{}); r.Verdict != hostagent.Drop || r.Reason != hostagent.ReasonNoFlow {
		t.Errorf("ICMP error without a flow: %+v", r)
	}
	pkt[30] ^= 0xff
	var he *header.Error
	if r, err := a.Inbound(pkt, vni, netip.Addr{}); r.Reason != hostagent.ReasonMalformed || !errors.As(err, &he) {
		t.Errorf("bad ICMP checksum: %+v, %v", r, err)
	}
}

// A DIP's own ICMP error about a packet it received (a port unreachable)
// leaves as the VIP's, quoting the packet as the client sent it.
func TestICMPErrorOutbound(t *testing.T) {
	a := newAgent(t, host2, nil, portal())
	client, vip, dip := ap(client6, 45000), ap(vip6, 443), ap(dipB6, 8443)
	exchange(t, a, dip.Addr(), flow{Src: client, Dst: vip, Proto: 17}, dip)
	got := build(t, flow{Src: client, Dst: dip, Proto: 17, Payload: []byte("hello")})
	pkt := icmpError(t, dip.Addr(), client.Addr(), 1, 4, 0, got, 1000)
	r, err := a.Outbound(pkt, vni)
	if err != nil || r.Verdict != hostagent.ToRouter || r.Reason != hostagent.ReasonICMPError {
		t.Fatalf("%+v, %v", r, err)
	}
	src, dst, qsrc, qdst, ok := readICMP(t, pkt)
	if !ok || src != vip.Addr() || dst != client.Addr() || qsrc != client || qdst != vip {
		t.Errorf("sent %v -> %v quoting %v -> %v (checksums ok %v)", src, dst, qsrc, qdst, ok)
	}
	// An ICMP error about no flow of ours is east-west.
	other := build(t, flow{Src: ap(dipA6, 1), Dst: dip, Proto: 17})
	pkt = icmpError(t, dip.Addr(), dipA6, 1, 4, 0, other, 1000)
	if r, _ := a.Outbound(pkt, vni); r.Verdict != hostagent.Pass {
		t.Errorf("unrelated ICMP error: %+v", r)
	}
}

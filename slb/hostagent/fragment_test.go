package hostagent_test

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
)

// The fragments of a datagram follow its first fragment's translation,
// both ways: a fragmented segment to VIP:81 reaches DIP C, and the DIP's
// fragmented answer leaves from the VIP.
func TestFragments(t *testing.T) {
	a := newAgent(t, host2, nil, portal())
	c4 := ap(client4, 7000)
	first := build(t, flow{Src: c4, Dst: ap(vip4, 81), Proto: 6, Payload: make([]byte, 16), MoreFragment: true, ID: 77})
	r, err := a.Inbound(first, vni, dipC)
	if err != nil || r.Verdict != hostagent.Deliver || r.DIP != dipC {
		t.Fatalf("first fragment: %+v, %v", r, err)
	}
	rest := build(t, flow{Src: c4, Dst: ap(vip4, 81), Proto: 6, Payload: make([]byte, 16), FragOffset: 5, ID: 77})
	r, err = a.Inbound(rest, vni, netip.Addr{})
	h := header.IPv4(rest)
	if err != nil || r.Verdict != hostagent.Deliver || r.Reason != hostagent.ReasonFragment || h.Destination() != dipC || !h.ValidChecksum() {
		t.Fatalf("second fragment: %+v, %v, to %v", r, err, h.Destination())
	}
	// A second datagram of the now established flow.
	first = build(t, flow{Src: c4, Dst: ap(vip4, 81), Proto: 6, Payload: make([]byte, 16), MoreFragment: true, ID: 79})
	if r, _ := a.Inbound(first, vni, netip.Addr{}); r.Reason != hostagent.ReasonFlow {
		t.Fatalf("first fragment of the flow's second datagram: %+v", r)
	}
	rest = build(t, flow{Src: c4, Dst: ap(vip4, 81), Proto: 6, FragOffset: 5, ID: 79})
	if r, _ := a.Inbound(rest, vni, netip.Addr{}); r.Reason != hostagent.ReasonFragment || header.IPv4(rest).Destination() != dipC {
		t.Fatalf("its second fragment: %+v", r)
	}
	other := build(t, flow{Src: c4, Dst: ap(vip4, 81), Proto: 6, FragOffset: 5, ID: 78})
	if r, _ := a.Inbound(other, vni, netip.Addr{}); r.Verdict != hostagent.Drop || r.Reason != hostagent.ReasonNoFlow {
		t.Errorf("fragment of an unknown datagram: %+v", r)
	}

	// The DIP's answer, fragmented.
	first = build(t, flow{Src: ap(dipC, 8081), Dst: c4, Proto: 6, Flags: header.TCPFlagACK, Payload: make([]byte, 16), MoreFragment: true, ID: 900})
	if r, err := a.Outbound(first, vni); err != nil || r.Verdict != hostagent.ToRouter {
		t.Fatalf("first fragment out: %+v, %v", r, err)
	}
	rest = build(t, flow{Src: ap(dipC, 8081), Dst: c4, Proto: 6, FragOffset: 5, ID: 900})
	r, err = a.Outbound(rest, vni)
	h = header.IPv4(rest)
	if err != nil || r.Verdict != hostagent.ToRouter || h.Source() != vip4 || !h.ValidChecksum() {
		t.Fatalf("second fragment out: %+v, %v, from %v", r, err, h.Source())
	}
	east := build(t, flow{Src: ap(dipC, 1), Dst: ap(dipA, 2), Proto: 17, FragOffset: 5, ID: 1})
	if r, _ := a.Outbound(east, vni); r.Verdict != hostagent.Pass {
		t.Errorf("east-west fragment: %+v", r)
	}
}

// frag6 builds an IPv6 packet with a Fragment header: the first fragment
// (offset 0) of a UDP datagram carries its header, later ones only data.
func frag6(t tb, src, dst netip.AddrPort, id uint32, offset int, more bool) []byte {
	body := make([]byte, 24)
	if offset == 0 {
		binary.BigEndian.PutUint16(body[0:], src.Port())
		binary.BigEndian.PutUint16(body[2:], dst.Port())
		binary.BigEndian.PutUint16(body[4:], 200) // the whole datagram's length
		binary.BigEndian.PutUint16(body[6:], 0x1234)
	}
	b := make([]byte, header.IPv6Size+8+len(body))
	h, err := header.InitIPv6(b)
	if err != nil {
		t.Fatal(err)
	}
	h.SetNextHeader(44)
	h.SetHopLimit(64)
	h.SetSource(src.Addr())
	h.SetDestination(dst.Addr())
	fh := b[header.IPv6Size:]
	fh[0] = 17
	m := uint16(offset) << 3
	if more {
		m |= 1
	}
	binary.BigEndian.PutUint16(fh[2:], m)
	binary.BigEndian.PutUint32(fh[4:], id)
	copy(fh[8:], body)
	return b
}

func TestFragmentsIPv6(t *testing.T) {
	a := newAgent(t, host2, nil, portal())
	client := ap(client6, 6000)
	first := frag6(t, client, ap(vip6, 443), 0xabcdef01, 0, true)
	if r, err := a.Inbound(first, vni, netip.Addr{}); err != nil || r.Verdict != hostagent.Deliver || r.DIP != dipB6 {
		t.Fatalf("first fragment: %+v, %v", r, err)
	}
	if got := header.IPv6(first).Destination(); got != dipB6 || binary.BigEndian.Uint16(first[header.IPv6Size+8+2:]) != 8443 {
		t.Fatalf("first fragment delivered to %v", got)
	}
	rest := frag6(t, client, ap(vip6, 443), 0xabcdef01, 3, false)
	if r, err := a.Inbound(rest, vni, netip.Addr{}); err != nil || r.Reason != hostagent.ReasonFragment || header.IPv6(rest).Destination() != dipB6 {
		t.Fatalf("second fragment: %+v, %v", r, err)
	}
}

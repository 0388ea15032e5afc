package hostagent_test

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb/hostagent"
)

// checksumsOK reports whether b is an IPv4 or IPv6 packet whose IPv4
// header checksum and TCP or UDP checksum verify (a zero UDP-over-IPv4
// checksum counts as valid).
func checksumsOK(b []byte) bool {
	var src, dst netip.Addr
	var proto uint8
	var seg []byte
	switch {
	case len(b) > 0 && b[0]>>4 == 4:
		h, err := header.ParseIPv4(b)
		if err != nil || !h.ValidChecksum() || h.FragmentOffset() != 0 || h.MoreFragments() {
			return false
		}
		src, dst, proto, seg = h.Source(), h.Destination(), h.Protocol(), h.Payload()
	case len(b) > 0 && b[0]>>4 == 6:
		h, err := header.ParseIPv6(b)
		if err != nil {
			return false
		}
		p, off, err := h.Transport()
		if err != nil || header.IsIPv6Extension(h[6]) {
			return false
		}
		src, dst, proto, seg = h.Source(), h.Destination(), p, h[off:]
	default:
		return false
	}
	pseudo := checksum.PseudoHeader(src, dst, proto, len(seg))
	switch proto {
	case 1:
		return checksum.Sum(seg, 0) == 0xffff
	case 58:
		return checksum.Sum(seg, pseudo) == 0xffff
	case 6:
		return len(seg) >= header.TCPMinSize && header.TCP(seg).ValidChecksum(pseudo)
	case 17:
		if len(seg) < header.UDPSize {
			return false
		}
		u := header.UDP(seg)
		return (src.Is4() && u.Checksum() == 0) || u.ValidChecksum(pseudo)
	}
	return false
}

func fuzzSeeds(f *testing.F) {
	for _, fl := range []flow{
		{Src: ap(client4, 40000), Dst: ap(vip4, 80), Proto: 6, Flags: header.TCPFlagSYN},
		{Src: ap(client4, 40000), Dst: ap(vip4, 8080), Proto: 6, Payload: []byte("GET / HTTP/1.1\r\n")},
		{Src: ap(client4, 5353), Dst: ap(vip4, 53), Proto: 17, NoUDPCsum: true},
		{Src: ap(client6, 50000), Dst: ap(vip6, 443), Proto: 17, Payload: []byte{1}},
		{Src: ap(dipB, 80), Dst: ap(client4, 40000), Proto: 6, Flags: header.TCPFlagACK},
		{Src: ap(dipB6, 8443), Dst: ap(client6, 50000), Proto: 6, Flags: header.TCPFlagACK | header.TCPFlagFIN},
		{Src: ap(client4, 1), Dst: ap(vip4, 80), Proto: 17, FragOffset: 2},
	} {
		f.Add(build(f, fl), true)
		f.Add(build(f, fl), false)
	}
	reply := build(f, flow{Src: ap(vip4, 81), Dst: ap(client4, 40000), Proto: 6, Payload: make([]byte, 40)})
	f.Add(icmpError(f, router4, vip4, 3, 4, 1400, reply, 1000), true)
	f.Add(icmpError(f, router4, vip4, 3, 4, 1400, reply, 28), false)
	got := build(f, flow{Src: ap(client6, 50000), Dst: ap(dipB6, 8443), Proto: 17})
	f.Add(icmpError(f, dipB6, client6, 1, 4, 0, got, 1000), true)
	f.Add(build(f, flow{Src: ap(dipB, 40000), Dst: ap(remote1, 443), Proto: 6, Flags: header.TCPFlagSYN}), false)
	// IPv6 fragments: a first one (ports in it) and a later one.
	f.Add(frag6(f, ap(client6, 50000), ap(vip6, 443), 0xabcdef01, 0, true), true)
	f.Add(frag6(f, ap(client6, 50000), ap(vip6, 443), 0xabcdef01, 3, false), false)
	f.Add([]byte{0x45}, false)
	f.Add([]byte{0x60, 0, 0, 0, 0, 8, 0, 64}, true)
}

// fuzzCheck holds for any packet: an error only with Drop; an unchanged
// packet unless translated; valid checksums stay valid.
func fuzzCheck(t *testing.T, pkt []byte, do func([]byte) (hostagent.Result, error)) {
	orig := bytes.Clone(pkt)
	valid := checksumsOK(pkt)
	r, err := do(pkt)
	var he *header.Error
	if err != nil && (r.Verdict != hostagent.Drop || !errors.As(err, &he)) {
		t.Fatalf("%+v with error %v", r, err)
	}
	switch r.Verdict {
	case hostagent.Pass, hostagent.Drop:
		if !bytes.Equal(orig, pkt) {
			t.Fatalf("%v packet changed", r.Verdict)
		}
	default:
		if valid && !checksumsOK(pkt) {
			t.Fatalf("%+v: checksums broken by the rewrite", r)
		}
	}
}

// FuzzInbound runs with TCP reset on idle on every rule, and a minute
// passes after each packet, so that connections idle out and their RSTs,
// built from fuzzed sequence numbers, are checked too.
func FuzzInbound(f *testing.F) {
	fuzzSeeds(f)
	clk := newFakeClock()
	lb := portal()
	for i := range lb.LoadBalancingRules {
		lb.LoadBalancingRules[i].EnableTCPReset = true
	}
	for i := range lb.InboundNatRules {
		lb.InboundNatRules[i].EnableTCPReset = true
	}
	var badRST []byte
	a, err := hostagent.New(hostagent.Config{HostPA: host2, Clock: clk, FlowTableSize: 4096,
		OnTCPReset: func(r hostagent.TCPReset) {
			if !checksumsOK(r.Packet) {
				badRST = bytes.Clone(r.Packet)
			}
		}})
	if err != nil {
		f.Fatal(err)
	}
	if err := a.Configure(lb); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, pkt []byte, withDIP bool) {
		dip := netip.Addr{}
		if withDIP {
			dip = dipB
		}
		fuzzCheck(t, pkt, func(b []byte) (hostagent.Result, error) { return a.Inbound(b, vni, dip) })
		clk.Advance(time.Minute)
		a.Expire()
		if badRST != nil {
			t.Fatalf("RST with bad checksums: % x", badRST)
		}
	})
}

func FuzzOutbound(f *testing.F) {
	fuzzSeeds(f)
	r := newSNATRig(f, 64) // outbound rules too, with blocks leased
	r.agent.Tick(r.ctx)
	r.settle(f, preleased)
	a := r.agent
	f.Fuzz(func(t *testing.T, pkt []byte, reply bool) {
		if reply { // make a flow for the packet to be a reply of
			b := bytes.Clone(pkt)
			a.Inbound(b, vni, netip.Addr{})
		}
		fuzzCheck(t, pkt, func(b []byte) (hostagent.Result, error) { return a.Outbound(b, vni) })
	})
}

package nat

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
)

// fragmentsOf splits an IPv4 packet into fragments carrying chunk bytes
// of payload each (a multiple of 8), as a host's IP layer would.
func fragmentsOf(pkt []byte, id uint16, chunk int) [][]byte {
	ip := header.IPv4(pkt)
	hl := ip.HeaderLen()
	payload := pkt[hl:]
	var frags [][]byte
	for off := 0; off < len(payload); off += chunk {
		end := min(off+chunk, len(payload))
		b := append(slices.Clone(pkt[:hl]), payload[off:end]...)
		f := header.IPv4(b)
		f.SetTotalLength(uint16(len(b)))
		f.SetID(id)
		f.SetFragmentOffset(off)
		f.SetMoreFragments(end < len(payload))
		f.SetChecksum(f.ComputeChecksum())
		frags = append(frags, b)
	}
	return frags
}

// reassemble joins translated fragments (in any order) into the datagram,
// checking that every fragment's header checksum verifies and that they
// agree on the addresses.
func reassemble(t *testing.T, frags [][]byte) []byte {
	t.Helper()
	var first header.IPv4
	payload := map[int][]byte{}
	size := 0
	for _, b := range frags {
		f := header.IPv4(b)
		if !f.ValidChecksum() {
			t.Fatalf("fragment at %d: bad header checksum", f.FragmentOffset())
		}
		if f.FragmentOffset() == 0 {
			first = f
		}
		payload[f.FragmentOffset()] = f.Payload()
		if !f.MoreFragments() {
			size = f.FragmentOffset() + len(f.Payload())
		}
	}
	if first == nil || size == 0 {
		t.Fatalf("first or last fragment missing")
	}
	hl := first.HeaderLen()
	d := slices.Clone([]byte(first[:hl]))
	for off := 0; off < size; off += len(payload[off]) {
		if payload[off] == nil {
			t.Fatalf("no fragment at offset %d", off)
		}
		d = append(d, payload[off]...)
	}
	for _, b := range frags {
		if f := header.IPv4(b); f.Source() != first.Source() || f.Destination() != first.Destination() {
			t.Fatalf("fragment at %d: %v -> %v, first fragment %v -> %v", f.FragmentOffset(), f.Source(), f.Destination(), first.Source(), first.Destination())
		}
	}
	ip := header.IPv4(d)
	ip.SetTotalLength(uint16(len(d)))
	ip.SetFragmentOffset(0)
	ip.SetMoreFragments(false)
	ip.SetChecksum(ip.ComputeChecksum())
	return d
}

// sendFragments passes fragments through dir (Outbound or Inbound) in the
// given order, feeding back what the NAT releases, and returns the
// translated fragments in the order they left and the verdicts.
func sendFragments(n *NAT, dir func([]byte) (Verdict, error), frags [][]byte, order []int) ([][]byte, []string) {
	var sent [][]byte
	var log []string
	var feed func(b []byte)
	feed = func(b []byte) {
		v, err := dir(b)
		log = append(log, fmt.Sprintf("%d:%v", header.IPv4(b).FragmentOffset(), v))
		if err != nil && !errors.Is(err, ErrFragmentHeld) {
			log = append(log, err.Error())
		}
		if v == Forward || v == Hairpin {
			sent = append(sent, b)
		}
		for {
			p, _, ok := n.Released(nil)
			if !ok {
				break
			}
			feed(p)
		}
	}
	for _, i := range order {
		feed(slices.Clone(frags[i]))
	}
	return sent, log
}

// TestRFC4787_REQ14_FragmentsInAnyOrder: "A NAT MUST support receiving
// in-order and out-of-order fragments". A 3000-byte UDP datagram in three
// fragments crosses the NAT outbound and its reply inbound, in order, in
// reverse and middle first; the reassembled datagram has the translated
// endpoints and a valid UDP checksum.
func TestRFC4787_REQ14_FragmentsInAnyOrder(t *testing.T) {
	payload := strings.Repeat("0123456789abcdef", 3000/16)
	for _, order := range [][]int{{0, 1, 2}, {2, 1, 0}, {1, 2, 0}, {1, 0, 2}} {
		t.Run(fmt.Sprint(order), func(t *testing.T) {
			n, _ := newNAT(t, nil)
			req := fragmentsOf(udpPacket(ap(hostA, 5000), ap(server, 53), payload), 0x4242, 1480)
			sent, log := sendFragments(n, n.Outbound, req, order)
			if len(sent) != 3 {
				t.Fatalf("outbound: %d fragments forwarded, want 3 (%v)", len(sent), log)
			}
			d := reassemble(t, sent)
			checkChecksums(t, d)
			if got := srcOf(d); got != ap(extIP, 5000) {
				t.Errorf("outbound source %v, want %v", got, ap(extIP, 5000))
			}
			reply := fragmentsOf(udpPacket(ap(server, 53), ap(extIP, 5000), payload), 0x4242, 1480)
			sent, log = sendFragments(n, n.Inbound, reply, order)
			if len(sent) != 3 {
				t.Fatalf("inbound: %d fragments forwarded, want 3 (%v)", len(sent), log)
			}
			d = reassemble(t, sent)
			checkChecksums(t, d)
			if got := dstOf(d); got != ap(hostA, 5000) {
				t.Errorf("inbound destination %v, want %v", got, ap(hostA, 5000))
			}
			if c := n.Counters(); c.Fragments != 4 || c.FragmentsDropped != 0 {
				t.Errorf("counters: %+v", c)
			}
		})
	}
}

// TestRFC4787_REQ14_FragmentedTCPAndHairpin: fragments of a TCP segment
// and of a hairpinned datagram keep their datagram's translation.
func TestRFC4787_REQ14_FragmentedTCPAndHairpin(t *testing.T) {
	n, _ := newNAT(t, func(c *Config) {
		c.Forwards = []PortForward{{Proto: 17, External: ap(extIP, 53), Internal: ap(hostB, 53)}}
	})
	syn := tcpPacket(ap(hostA, 6000), ap(server, 80), header.TCPFlagSYN)
	out(t, n, syn, Forward)
	b, ip := ipPacket(hostA, server, header.ProtocolTCP, header.TCPMinSize+60)
	tc, _ := header.InitTCP(ip.Payload(), header.TCPMinSize)
	tc.SetSourcePort(6000)
	tc.SetDestinationPort(80)
	tc.SetFlags(header.TCPFlagACK)
	copy(tc.Payload(), strings.Repeat("t", 60))
	tc.SetChecksum(tc.ComputeChecksum(checksum.PseudoHeader(hostA, server, header.ProtocolTCP, len(tc))))
	frags := fragmentsOf(b, 7, 32) // 80 bytes of TCP in 32-byte fragments
	sent, log := sendFragments(n, n.Outbound, frags, []int{2, 1, 0})
	if len(sent) != 3 {
		t.Fatalf("%d fragments forwarded (%v)", len(sent), log)
	}
	d := reassemble(t, sent)
	checkChecksums(t, d)
	if srcOf(d) != ap(extIP, 6000) {
		t.Errorf("TCP source %v", srcOf(d))
	}
	hp := fragmentsOf(udpPacket(ap(hostA, 7000), ap(extIP, 53), strings.Repeat("h", 100)), 8, 64)
	sent, log = sendFragments(n, n.Outbound, hp, []int{1, 0})
	if len(sent) != 2 || !slices.Equal(log, []string{"64:drop", "0:hairpin", "64:hairpin"}) {
		t.Fatalf("hairpin: %v", log)
	}
	d = reassemble(t, sent)
	checkChecksums(t, d)
	if srcOf(d) != ap(extIP, 7000) || dstOf(d) != ap(hostB, 53) {
		t.Errorf("hairpin %v -> %v", srcOf(d), dstOf(d))
	}
}

// TestRFC4787_REQ14a_FragmentFloodBounded: "A NAT's out-of-order fragment
// processing mechanism MUST be designed so that fragmentation-related DoS
// attacks do not compromise the NAT's ability to process in-order and
// out-of-order fragments." A flood of unmatched non-first fragments from
// outside fills only the bounded hold queue (memory does not grow), the
// records of datagrams are created only by translated first fragments,
// and in-order and out-of-order datagrams still get through right after
// the flood; held fragments expire.
func TestRFC4787_REQ14a_FragmentFloodBounded(t *testing.T) {
	n, clk := newNAT(t, func(c *Config) { c.MaxHeldFragments = 8; c.MaxFragments = 16 })
	out(t, n, udpPacket(ap(hostA, 5000), ap(server, 53), "x"), Forward)
	for id := range 1000 {
		attack := fragmentsOf(udpPacket(ap(server2, 1), ap(extIP, 5000), strings.Repeat("a", 64)), uint16(id), 32)
		if v, err := n.Inbound(attack[1]); v != Drop || !errors.Is(err, ErrFragmentHeld) {
			t.Fatalf("flood fragment: %v %v", v, err)
		}
		// First fragments that match no mapping create no record.
		bad := fragmentsOf(udpPacket(ap(server2, 1), ap(extIP, 9999), strings.Repeat("a", 64)), uint16(id), 32)
		if v, _ := n.Inbound(bad[0]); v != Drop {
			t.Fatalf("unmapped first fragment: %v", v)
		}
	}
	live := 0
	for _, r := range n.frags.recs {
		if r.expiry != 0 {
			live++
		}
	}
	if c := n.Counters(); c.FragmentsHeld != 1000 || c.FragmentsDropped != 1000-8 || live != 0 {
		t.Errorf("after the flood: held %d, dropped %d, records %d", c.FragmentsHeld, c.FragmentsDropped, live)
	}
	payload := strings.Repeat("r", 200)
	for _, order := range [][]int{{0, 1, 2, 3}, {3, 2, 1, 0}} {
		reply := fragmentsOf(udpPacket(ap(server, 53), ap(extIP, 5000), payload), uint16(5000+order[0]), 64)
		sent, log := sendFragments(n, n.Inbound, reply, order)
		if len(sent) != 4 {
			t.Fatalf("order %v after the flood: %v", order, log)
		}
		checkChecksums(t, reassemble(t, sent))
	}
	// A held fragment whose first fragment comes too late is dropped.
	late := fragmentsOf(udpPacket(ap(server, 53), ap(extIP, 5000), payload), 99, 64)
	n.Inbound(slices.Clone(late[1]))
	clk.advance(DefaultFragmentTimeout + 2e9)
	_, log := sendFragments(n, n.Inbound, late, []int{0})
	if p, _, ok := n.Released(nil); ok || !slices.Equal(log, []string{"0:forward"}) {
		t.Errorf("expired fragment released: %v %x", log, p)
	}
}

// TestFragmentErrors: fragments the NAT does not translate are typed.
func TestFragmentErrors(t *testing.T) {
	n, _ := newNAT(t, nil)
	big := fragmentsOf(udpPacket(ap(server, 53), ap(extIP, 5000), strings.Repeat("b", 5000)), 1, 2400)
	if v, err := n.Inbound(big[1]); v != Drop || !errors.Is(err, ErrFragment) {
		t.Errorf("oversized held fragment: %v %v", v, err)
	}
	orig := udpPacket(ap(server, 53), ap(extIP, 5000), "x")
	e := fragmentsOf(icmpError(server, extIP, 3, 3, orig, 0), 2, 16)
	if v, err := n.Inbound(e[0]); v != Drop || !errors.Is(err, ErrFragment) {
		t.Errorf("fragmented ICMP error: %v %v", v, err)
	}
	short := fragmentsOf(tcpPacket(ap(hostA, 1), ap(server, 2), header.TCPFlagSYN), 3, 8)
	if v, err := n.Outbound(short[0]); v != Drop || !errors.Is(err, ErrMalformed) {
		t.Errorf("first fragment without the whole TCP header: %v %v", v, err)
	}
	if diff := cmp.Diff(uint64(2), n.Counters().FragmentsDropped); diff != "" {
		t.Errorf("FragmentsDropped (-want +got):\n%s", diff)
	}
}

// TestHeldFragmentReleasedButExpired: a released fragment the caller never
// took, which expires and whose slot a new held fragment then takes, no
// longer counts as released (the count of released fragments stays
// exact, so Released keeps its fast path).
func TestHeldFragmentReleasedButExpired(t *testing.T) {
	n, clk := newNAT(t, func(c *Config) { c.MaxHeldFragments = 2 })
	frags := fragmentsOf(udpPacket(ap(hostA, 5000), ap(server, 53), strings.Repeat("e", 200)), 1, 64)
	if v, err := n.Outbound(slices.Clone(frags[1])); v != Drop || !errors.Is(err, ErrFragmentHeld) {
		t.Fatalf("held fragment: %v %v", v, err)
	}
	if v, err := n.Outbound(slices.Clone(frags[0])); v != Forward { // releases frags[1]; Released is not called
		t.Fatalf("first fragment: %v %v", v, err)
	}
	clk.advance(DefaultFragmentTimeout + 2e9)
	for id := range 2 {
		other := fragmentsOf(udpPacket(ap(hostA, 5001), ap(server, 53), strings.Repeat("o", 200)), uint16(10+id), 64)
		n.Outbound(other[1])
	}
	released := 0
	for _, hf := range n.frags.held {
		if hf.released {
			released++
		}
	}
	if n.frags.nrel != released {
		t.Errorf("nrel %d, want %d released slots", n.frags.nrel, released)
	}
	if p, _, ok := n.Released(nil); ok {
		t.Errorf("released %x, want none", p)
	}
}

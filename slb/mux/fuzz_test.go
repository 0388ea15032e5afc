package mux

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"

	"github.com/sdnfabric/sdnfabric/vxlan"
)

// FuzzProcess feeds arbitrary packets to a configured Mux: it never
// panics, every error is a *PacketError with VerdictInvalid, only
// VerdictForward appends, a forwarded packet decapsulates to a prefix
// of the input that differs at most in a clamped MSS, and a twin Mux's
// Worker.ProcessInPlace gives the same Result, error and bytes.
func FuzzProcess(f *testing.F) {
	syn := pk{src: client, dst: vip4, proto: protoTCP, sp: 3, dp: 80, flags: tcpFlagSYN, mss: 1460}
	whole := pk{src: client, dst: vip4, proto: protoUDP, sp: 5, dp: 80, payload: 100}
	a, b := fragments(whole.bytes(), 48, 7)
	w6 := pk{src: cli6, dst: vip6, proto: protoTCP, sp: 5, dp: 80, payload: 100}
	a6, b6 := fragments(w6.bytes(), 48, 7)
	for _, seed := range [][]byte{
		tcpPk(client, vip4, 1, 80).bytes(), syn.bytes(), a, b, a6, b6, w6.bytes(),
		tcpPk(client, vip4, 1, 2201).bytes(), tcpPk(client, vip4, 1, 20003).bytes(),
		icmpError(netip.MustParseAddr("192.0.2.1"), reply(tcpPk(client, vip4, 1, 80)), 1300),
		icmpError(netip.MustParseAddr("2001:db8::1"), reply(w6), 1280),
		{0x45}, {0x60, 0, 0, 0},
		// MSS clamping: misaligned option, and an option list cut short.
		pk{src: cli6, dst: vip6, proto: protoTCP, sp: 4, dp: 80, flags: tcpFlagSYN, mss: 9000, mssOdd: true}.bytes(),
		badOptions(syn.bytes()),
		// IPv6 with a hop-by-hop extension header before TCP.
		hopByHop(w6.bytes()),
	} {
		f.Add(seed)
	}
	// A twin of m, given each packet through Worker.ProcessInPlace.
	m, twin, _ := twinMuxes(f, newClock())
	w := twin.NewWorker()
	f.Fuzz(func(t *testing.T, pkt []byte) {
		in := bytes.Clone(pkt)
		prefix := []byte("keep")
		out, r, err := m.Process(prefix, pkt)
		if !bytes.Equal(pkt, in) {
			t.Fatal("Process modified its input")
		}
		if !bytes.Equal(out[:4], prefix) {
			t.Fatal("Process changed dst's existing bytes")
		}
		buf := append(make([]byte, twin.Headroom()), in...)
		var ir Result
		inPlace, ierr := w.ProcessInPlace(buf, twin.Headroom(), &ir)
		if ierr != err || !bytes.Equal(inPlace, out[4:]) || ir != r {
			t.Fatalf("ProcessInPlace gave %v, %v, % x; Process %v, %v, % x", ir.Verdict, ierr, inPlace, r.Verdict, err, out[4:])
		}
		if err != nil {
			var pe *PacketError
			if !errors.As(err, &pe) || r.Verdict != VerdictInvalid || len(out) != 4 {
				t.Fatalf("error %v, verdict %v, %d bytes", err, r.Verdict, len(out))
			}
			return
		}
		if r.Verdict != VerdictForward {
			if len(out) != 4 {
				t.Fatalf("verdict %v appended %d bytes", r.Verdict, len(out)-4)
			}
			return
		}
		var d vxlan.Decap
		p, derr := d.Decapsulate(out[4:])
		if derr != nil {
			t.Fatalf("forwarded packet does not decapsulate: %v", derr)
		}
		inner := p.Frame[14:]
		if len(inner) > len(pkt) || (!r.MSSClamped && !bytes.Equal(inner, pkt[:len(inner)])) {
			t.Fatalf("inner packet differs from the input")
		}
		if r.NextHop != p.Dst.Addr() {
			t.Fatalf("next hop %v, outer %v -> %v", r.NextHop, p.Src, p.Dst)
		}
	})
}

// badOptions returns a copy of an IPv4 SYN whose TCP options are NOPs
// ending in a truncated option (kind 8 with no length byte).
func badOptions(syn []byte) []byte {
	b := bytes.Clone(syn)
	opts := b[20+20 : 20+int(b[20+12]>>4)*4]
	for i := range opts {
		opts[i] = 1
	}
	opts[len(opts)-1] = 8
	return b
}

// hopByHop inserts an empty 8-byte hop-by-hop options header into an
// IPv6 packet.
func hopByHop(pkt []byte) []byte {
	b := append(bytes.Clone(pkt[:40]), pkt[6], 0, 1, 4, 0, 0, 0, 0) // next header, length 0, PadN of 4
	b = append(b, pkt[40:]...)
	b[6] = 0
	b[4], b[5] = byte((len(b)-40)>>8), byte(len(b)-40)
	return b
}

package hostagent_test

import (
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/header"
)

// tb is what the helpers need of a *testing.T or *rapid.T.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// A flow is what a test packet carries, seen from the wire.
type flow struct {
	Src, Dst     netip.AddrPort
	Proto        uint8
	Flags        header.TCPFlags
	Payload      []byte
	NoUDPCsum    bool // send UDP over IPv4 without a checksum
	FragOffset   int  // IPv4 fragment offset (8-byte units); non-zero makes a non-first fragment
	MoreFragment bool
	ID           uint16 // IPv4 identification
}

// build lays out an IPv4 or IPv6 packet for f with correct checksums.
func build(t tb, f flow) []byte {
	t.Helper()
	l4len := header.UDPSize
	if f.Proto == 6 {
		l4len = header.TCPMinSize
	}
	l4len += len(f.Payload)
	v4 := f.Src.Addr().Is4()
	hl := header.IPv6Size
	if v4 {
		hl = header.IPv4MinSize
	}
	b := make([]byte, hl+l4len)
	if v4 {
		h, err := header.InitIPv4(b, hl)
		if err != nil {
			t.Fatal(err)
		}
		h.SetTTL(64)
		h.SetProtocol(f.Proto)
		h.SetSource(f.Src.Addr())
		h.SetDestination(f.Dst.Addr())
		h.SetFragmentOffset(f.FragOffset * 8)
		h.SetMoreFragments(f.MoreFragment)
		h.SetID(f.ID)
		h.SetChecksum(h.ComputeChecksum())
	} else {
		h, err := header.InitIPv6(b)
		if err != nil {
			t.Fatal(err)
		}
		h.SetHopLimit(64)
		h.SetNextHeader(f.Proto)
		h.SetSource(f.Src.Addr())
		h.SetDestination(f.Dst.Addr())
	}
	seg := b[hl:]
	pseudo := checksum.PseudoHeader(f.Src.Addr(), f.Dst.Addr(), f.Proto, l4len)
	switch f.Proto {
	case 6:
		tcp, err := header.InitTCP(seg, header.TCPMinSize)
		if err != nil {
			t.Fatal(err)
		}
		tcp.SetSourcePort(f.Src.Port())
		tcp.SetDestinationPort(f.Dst.Port())
		tcp.SetFlags(f.Flags)
		tcp.SetWindow(65535)
		copy(tcp[header.TCPMinSize:], f.Payload)
		tcp.SetChecksum(tcp.ComputeChecksum(pseudo))
	default:
		udp, err := header.InitUDP(seg)
		if err != nil {
			t.Fatal(err)
		}
		udp.SetSourcePort(f.Src.Port())
		udp.SetDestinationPort(f.Dst.Port())
		copy(udp[header.UDPSize:], f.Payload)
		if !f.NoUDPCsum {
			c := udp.ComputeChecksum(pseudo)
			if c == 0 {
				c = 0xffff
			}
			udp.SetChecksum(c)
		}
	}
	return b
}

// read returns the flow of a packet built by build (or rewritten since),
// and whether every checksum in it verifies.
func read(t tb, b []byte) (flow, bool) {
	t.Helper()
	var f flow
	var src, dst netip.Addr
	var seg []byte
	ok := true
	if b[0]>>4 == 4 {
		h, err := header.ParseIPv4(b)
		if err != nil {
			t.Fatal(err)
		}
		src, dst, f.Proto, seg = h.Source(), h.Destination(), h.Protocol(), h.Payload()
		ok = h.ValidChecksum()
	} else {
		h, err := header.ParseIPv6(b)
		if err != nil {
			t.Fatal(err)
		}
		src, dst, f.Proto, seg = h.Source(), h.Destination(), h.NextHeader(), h.Payload()
	}
	pseudo := checksum.PseudoHeader(src, dst, f.Proto, len(seg))
	var sp, dp uint16
	switch f.Proto {
	case 6:
		tcp := header.TCP(seg)
		sp, dp, f.Flags, f.Payload = tcp.SourcePort(), tcp.DestinationPort(), tcp.Flags(), tcp.Payload()
		ok = ok && tcp.ValidChecksum(pseudo)
	default:
		udp := header.UDP(seg)
		sp, dp, f.Payload = udp.SourcePort(), udp.DestinationPort(), udp.Payload()
		if udp.Checksum() == 0 {
			f.NoUDPCsum = true
		} else {
			ok = ok && udp.ValidChecksum(pseudo)
		}
	}
	f.Src, f.Dst = netip.AddrPortFrom(src, sp), netip.AddrPortFrom(dst, dp)
	if len(f.Payload) == 0 {
		f.Payload = nil
	}
	return f, ok
}

// reply is the packet a server sends back on flow f.
func reply(f flow) flow {
	f.Src, f.Dst = f.Dst, f.Src
	return f
}

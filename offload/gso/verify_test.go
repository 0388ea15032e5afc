package gso_test

import (
	"bytes"
	"encoding/binary"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/gso"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

type tb interface {
	Helper()
	Fatalf(format string, args ...any)
}

// verify checks every segment against the spec it was cut from: lengths,
// IPv4 IDs and header checksums, TCP sequence numbers and flags, transport
// and outer UDP checksums, and that the payloads concatenate back to the
// original payload.
func verify(t tb, s spec, opts gso.Options, segs [][]byte) {
	t.Helper()
	var got []byte
	n := len(segs)
	for i, seg := range segs {
		off := opts.NetworkOffset
		udp := -1
		if s.Tunnel {
			udp, _, _ = checkIP(t, seg, off, s.OuterV6, uint16(0x1234+i), i)
			off = udp + 8 + opts.Tunnel.HeaderLen + 14
		}
		l4, sa, da := checkIP(t, seg, off, s.V6, s.ID+uint16(i), i)
		proto, hl := uint8(6), 8
		if s.UDP {
			proto = 17
			if l := int(binary.BigEndian.Uint16(seg[l4+4:])); l != len(seg)-l4 {
				t.Fatalf("segment %d: udp length %d, want %d", i, l, len(seg)-l4)
			}
		} else {
			hl = int(seg[l4+12]>>4) * 4
			if seq := binary.BigEndian.Uint32(seg[l4+4:]); seq != s.Seq+uint32(i*s.MSS) {
				t.Fatalf("segment %d: seq %d, want %d", i, seq, s.Seq+uint32(i*s.MSS))
			}
			want := s.Flags | flagACK
			if i != n-1 {
				want &^= flagFIN | flagPSH
			}
			if i != 0 {
				want &^= flagCWR
			}
			if f := seg[l4+13]; f != want {
				t.Fatalf("segment %d: tcp flags %#02x, want %#02x", i, f, want)
			}
		}
		ph := checksum.PseudoHeader(sa, da, proto, len(seg)-l4)
		if opts.PartialChecksum {
			ckOff := 16
			if s.UDP {
				ckOff = 6
			}
			if f := binary.BigEndian.Uint16(seg[l4+ckOff:]); f != ph {
				t.Fatalf("segment %d: partial checksum field %#04x, want %#04x", i, f, ph)
			}
		} else if sum := checksum.Sum(seg[l4:], ph); sum != 0xffff {
			t.Fatalf("segment %d: transport checksum does not verify (sum %#04x)", i, sum)
		}
		if s.Tunnel {
			checkOuterUDP(t, s, seg, udp, l4, ph, opts.PartialChecksum, i)
		}
		pl := seg[l4+hl:]
		if i != n-1 && len(pl) != s.MSS {
			t.Fatalf("segment %d: payload %d bytes, want MSS %d", i, len(pl), s.MSS)
		}
		got = append(got, pl...)
	}
	if !bytes.Equal(got, s.Payload) {
		t.Fatalf("reassembled payload: %d bytes, differs from the original %d bytes", len(got), len(s.Payload))
	}
}

// checkIP checks the IP header at off of segment i: version, length, ID and
// header checksum (IPv4). It returns the transport offset and addresses.
func checkIP(t tb, seg []byte, off int, v6 bool, id uint16, i int) (int, netip.Addr, netip.Addr) {
	t.Helper()
	if v6 {
		if seg[off]>>4 != 6 {
			t.Fatalf("segment %d: IP version %d at %d, want 6", i, seg[off]>>4, off)
		}
		if l := int(binary.BigEndian.Uint16(seg[off+4:])); l != len(seg)-off-40 {
			t.Fatalf("segment %d: ipv6 payload length %d, want %d", i, l, len(seg)-off-40)
		}
		return off + 40, netip.AddrFrom16([16]byte(seg[off+8:])), netip.AddrFrom16([16]byte(seg[off+24:]))
	}
	if seg[off]>>4 != 4 {
		t.Fatalf("segment %d: IP version %d at %d, want 4", i, seg[off]>>4, off)
	}
	if l := int(binary.BigEndian.Uint16(seg[off+2:])); l != len(seg)-off {
		t.Fatalf("segment %d: ipv4 total length %d, want %d", i, l, len(seg)-off)
	}
	if got := binary.BigEndian.Uint16(seg[off+4:]); got != id {
		t.Fatalf("segment %d: ipv4 id %#04x, want %#04x", i, got, id)
	}
	ihl := int(seg[off]&0xf) * 4
	if sum := checksum.Sum(seg[off:off+ihl], 0); sum != 0xffff {
		t.Fatalf("segment %d: ipv4 header checksum does not verify (sum %#04x)", i, sum)
	}
	return off + ihl, netip.AddrFrom4([4]byte(seg[off+12:])), netip.AddrFrom4([4]byte(seg[off+16:]))
}

// segmentAll runs Segment with ample buffers and returns the segments.
func segmentAll(t tb, pkt []byte, h virtio.NetHdr, opts gso.Options) [][]byte {
	t.Helper()
	n, err := gso.Count(pkt, h, opts)
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	dst, sizes := buffers(n, opts.Headroom+len(pkt))
	n, err = gso.Segment(dst, sizes, pkt, h, opts)
	if err != nil {
		t.Fatalf("Segment: %v", err)
	}
	segs := make([][]byte, n)
	for i := range n {
		segs[i] = dst[i][opts.Headroom : opts.Headroom+sizes[i]]
	}
	return segs
}

// checkOuterUDP checks the outer UDP header of tunnelled segment i. With a
// partial inner checksum it checks the outer checksum as it will be once
// the inner one is finished.
func checkOuterUDP(t tb, s spec, seg []byte, udp, l4 int, innerPH uint16, partial bool, i int) {
	t.Helper()
	if l := int(binary.BigEndian.Uint16(seg[udp+4:])); l != len(seg)-udp {
		t.Fatalf("segment %d: outer udp length %d, want %d", i, l, len(seg)-udp)
	}
	ck := binary.BigEndian.Uint16(seg[udp+6:])
	if s.ZeroCk {
		if ck != 0 {
			t.Fatalf("segment %d: outer udp checksum %#04x, want 0", i, ck)
		}
		return
	}
	if partial {
		seg = append([]byte(nil), seg...)
		ckOff := l4 + 16
		if s.UDP {
			ckOff = l4 + 6
		}
		binary.BigEndian.PutUint16(seg[ckOff:], 0)
		binary.BigEndian.PutUint16(seg[ckOff:], ^checksum.Sum(seg[l4:], innerPH))
	}
	sa, da := osrc, odst
	if s.OuterV6 {
		sa, da = osr6, ods6
	}
	if sum := checksum.Sum(seg[udp:], checksum.PseudoHeader(sa, da, 17, len(seg)-udp)); sum != 0xffff {
		t.Fatalf("segment %d: outer udp checksum %#04x does not verify (sum %#04x)", i, ck, sum)
	}
}

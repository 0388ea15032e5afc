package offload

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/gro"
	"github.com/sdnfabric/sdnfabric/offload/gso"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
	"pgregory.net/rapid"
)

var (
	src4, dst4 = netip.MustParseAddr("10.99.7.1"), netip.MustParseAddr("10.99.7.2")
	src6, dst6 = netip.MustParseAddr("fd00:99:7::1"), netip.MustParseAddr("fd00:99:7::2")
)

// stackPacket builds an Ethernet frame as a stack assuming full offload
// does: the IPv4 header checksum left zero, the transport checksum field
// holding the pseudo-header sum (NEEDS_CSUM), and a GSO type when the
// payload exceeds mss.
func stackPacket(v6 bool, proto uint8, payload []byte, mss int, seq uint32, tsopt bool) ([]byte, virtio.NetHdr) {
	l3 := 14
	iph := 20
	if v6 {
		iph = 40
	}
	l4h := 8
	if proto == protoTCP {
		l4h = 20
		if tsopt {
			l4h = 32
		}
	}
	l4 := l3 + iph
	f := make([]byte, l4+l4h+len(payload))
	copy(f[0:12], []byte{2, 0, 0, 0, 7, 2, 2, 0, 0, 0, 7, 1})
	src, dst := src4, dst4
	if v6 {
		src, dst = src6, dst6
		binary.BigEndian.PutUint16(f[12:], 0x86dd)
		ip := f[l3:]
		ip[0] = 0x60
		binary.BigEndian.PutUint16(ip[4:], uint16(l4h+len(payload)))
		ip[6], ip[7] = proto, 64
		a, b := src.As16(), dst.As16()
		copy(ip[8:], a[:])
		copy(ip[24:], b[:])
	} else {
		binary.BigEndian.PutUint16(f[12:], 0x0800)
		ip := f[l3:]
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(iph+l4h+len(payload)))
		binary.BigEndian.PutUint16(ip[4:], uint16(seq))
		ip[6], ip[8], ip[9] = 0x40, 64, proto
		a, b := src.As4(), dst.As4()
		copy(ip[12:], a[:])
		copy(ip[16:], b[:])
	}
	t := f[l4:]
	binary.BigEndian.PutUint16(t[0:], 40000)
	binary.BigEndian.PutUint16(t[2:], 5001)
	csumOff := uint16(6)
	if proto == protoTCP {
		csumOff = 16
		binary.BigEndian.PutUint32(t[4:], seq)
		binary.BigEndian.PutUint32(t[8:], 12345)
		t[12] = byte(l4h/4) << 4
		t[13] = 0x18 // ACK|PSH
		binary.BigEndian.PutUint16(t[14:], 512)
		if tsopt {
			copy(t[20:], []byte{1, 1, 8, 10, 0, 0, 1, 0, 0, 0, 2, 0})
		}
	} else {
		binary.BigEndian.PutUint16(t[4:], uint16(l4h+len(payload)))
	}
	copy(t[l4h:], payload)
	binary.BigEndian.PutUint16(t[csumOff:], checksum.PseudoHeader(src, dst, proto, l4h+len(payload)))
	h := virtio.NetHdr{Flags: virtio.FlagNeedsCsum, CsumStart: uint16(l4), CsumOffset: csumOff, HdrLen: uint16(l4 + l4h)}
	if len(payload) > mss {
		h.GSOSize = uint16(mss)
		switch {
		case proto == protoUDP:
			h.GSOType = virtio.GSOUDPL4
		case v6:
			h.GSOType = virtio.GSOTCPv6
		default:
			h.GSOType = virtio.GSOTCPv4
		}
	}
	return f, h
}

// adapterTx is what an adapter with f does to a frame the pipeline hands
// it: it must be able to (AcceptsHeader), and it segments, checksums and
// fills in the IPv4 header checksum as it claims.
func adapterTx(t *rapid.T, f Features, h virtio.NetHdr, frame []byte) [][]byte {
	var pk packet
	if err := parse(frame, &pk); err != nil {
		t.Fatalf("pipeline emitted an unparsable frame: %v", err)
	}
	if !f.AcceptsHeader(h, pk.ipv6) {
		t.Fatalf("pipeline left %+v to an adapter with %v", h, f)
	}
	if h.IsGSO() {
		segs := make([][]byte, 1024)
		for i := range segs {
			segs[i] = make([]byte, 1600)
		}
		sizes := make([]int, len(segs))
		n, err := gso.Segment(segs, sizes, frame, h, gso.Options{NetworkOffset: pk.l3})
		if err != nil {
			t.Fatalf("adapter LSO: %v", err)
		}
		out := make([][]byte, n)
		for i := range n {
			out[i] = segs[i][:sizes[i]]
		}
		return out
	}
	frame = bytes.Clone(frame)
	if h.NeedsChecksum() {
		if err := h.FinishChecksum(frame); err != nil {
			t.Fatal(err)
		}
	}
	if !pk.ipv6 && f.Has(IPv4ChecksumTx) {
		ip := frame[pk.l3 : pk.l3+20]
		binary.BigEndian.PutUint16(ip[10:], 0)
		binary.BigEndian.PutUint16(ip[10:], ^checksum.Sum(ip, 0))
	}
	return [][]byte{frame}
}

// checkWire asserts that a frame on the wire is complete: at most 1514
// bytes, every checksum verifying.
func checkWire(t *rapid.T, frame []byte) {
	if len(frame) > 1514 {
		t.Fatalf("%d-byte frame on a 1500-byte MTU wire", len(frame))
	}
	var pk packet
	if err := parse(frame, &pk); err != nil {
		t.Fatal(err)
	}
	if !pk.ipv6 && !pk.ipv4hdr.ValidChecksum() {
		t.Fatal("IPv4 header checksum wrong on the wire")
	}
	var p Pipeline
	if !p.verifyL4(frame, &pk) {
		t.Fatalf("%s checksum wrong on the wire", protoName(pk.proto))
	}
}

// stackRx checks what the stack gets and returns the payloads in it.
func stackRx(t *rapid.T, h virtio.NetHdr, frame []byte) [][]byte {
	frame = bytes.Clone(frame)
	if h.IsGSO() {
		segs := make([][]byte, 1024)
		for i := range segs {
			segs[i] = make([]byte, 1600)
		}
		sizes := make([]int, len(segs))
		n, err := gso.Segment(segs, sizes, frame, h, gso.Options{NetworkOffset: 14})
		if err != nil {
			t.Fatalf("stack cannot split coalesced %+v: %v", h, err)
		}
		var out [][]byte
		for i := range n {
			out = append(out, stackRx(t, virtio.NetHdr{Flags: virtio.FlagDataValid}, segs[i][:sizes[i]])...)
		}
		return out
	}
	if h.NeedsChecksum() {
		if err := h.FinishChecksum(frame); err != nil {
			t.Fatal(err)
		}
	} else if h.Flags&virtio.FlagDataValid == 0 {
		t.Fatalf("stack got a packet neither verified nor partial: %+v", h)
	}
	var pk packet
	if err := parse(frame, &pk); err != nil {
		t.Fatal(err)
	}
	if !pk.ipv6 && !pk.ipv4hdr.ValidChecksum() {
		t.Fatal("stack got a bad IPv4 header checksum")
	}
	var p Pipeline
	if !p.verifyL4(frame, &pk) {
		t.Fatalf("stack got a bad %s checksum", protoName(pk.proto))
	}
	return [][]byte{frame[pk.l4+pk.l4len : pk.l3+pk.ipLen]}
}

// TestPipelineProperty: for every adapter, Tx then the adapter then the
// wire then the receiving adapter then Rx gives the stack verified packets
// whose payloads concatenate to the original.
func TestPipelineProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		adapter := genFeatures(t, "adapter")
		coalesce := genFeatures(t, "coalesce") & (RSC | URO)
		v6 := rapid.Bool().Draw(t, "v6")
		proto := rapid.SampledFrom([]uint8{protoTCP, protoUDP}).Draw(t, "proto")
		mss := rapid.IntRange(200, 1400).Draw(t, "mss")
		n := rapid.OneOf(rapid.IntRange(1, 3000), rapid.IntRange(3000, 60000)).Draw(t, "len")
		payload := make([]byte, n)
		seed := rapid.Uint64().Draw(t, "seed")
		for i := range payload {
			seed = seed*6364136223846793005 + 1442695040888963407
			payload[i] = byte(seed >> 56)
		}
		frame, h := stackPacket(v6, proto, payload, mss, 1000, rapid.Bool().Draw(t, "tsopt"))

		tx, err := NewPipeline(Config{Adapter: adapter})
		if err != nil {
			t.Fatal(err)
		}
		var wire [][]byte
		if err := tx.Tx(h, frame, func(h virtio.NetHdr, f []byte) error {
			for _, w := range adapterTx(t, adapter, h, f) {
				checkWire(t, w)
				wire = append(wire, w)
			}
			return nil
		}); err != nil {
			t.Fatalf("Tx: %v", err)
		}

		// The receiving adapter, with the same properties: it verifies
		// checksums it claims to (DATA_VALID) and coalesces TCP if it
		// has RSC, in a model built from gro.
		rx, err := NewPipeline(Config{Adapter: adapter, RxCoalesce: coalesce})
		if err != nil {
			t.Fatal(err)
		}
		var got [][]byte
		toStack := func(h virtio.NetHdr, f []byte) error {
			got = append(got, stackRx(t, h, f)...)
			return nil
		}
		toRx := func(h virtio.NetHdr, f []byte) error {
			if h.IsGSO() && h.NeedsChecksum() { // a NIC reports coalesced packets as verified
				h.Flags = virtio.FlagDataValid
				f = bytes.Clone(f)
				if err := (virtio.NetHdr{Flags: virtio.FlagNeedsCsum, CsumStart: h.CsumStart, CsumOffset: h.CsumOffset}).FinishChecksum(f); err != nil {
					return err
				}
			}
			return rx.Rx(h, f, toStack)
		}
		var hw *gro.Coalescer
		if adapter.Coalesces(v6) {
			hw, _ = gro.NewCoalescer(gro.Config{NetworkOffset: 14, UDP: false})
		}
		for _, w := range wire {
			var rh virtio.NetHdr
			// One DATA_VALID covers whatever the adapter checked; the
			// pipeline must check the rest itself.
			if adapter&(IPv4ChecksumRx|ChecksumRxFor(v6, proto)) != 0 {
				rh.Flags = virtio.FlagDataValid
			}
			if hw != nil && proto == protoTCP {
				err = hw.Add(rh, w, toRx)
			} else {
				err = toRx(rh, w)
			}
			if err != nil {
				t.Fatalf("Rx: %v", err)
			}
		}
		if hw != nil {
			if err := hw.Flush(toRx); err != nil {
				t.Fatal(err)
			}
		}
		if err := rx.Flush(toStack); err != nil {
			t.Fatal(err)
		}
		if joined := bytes.Join(got, nil); !bytes.Equal(joined, payload) {
			t.Fatalf("stack got %d payload bytes in %d packets, want %d", len(joined), len(got), len(payload))
		}
	})
}

func TestRxDropsBadChecksums(t *testing.T) {
	p, err := NewPipeline(Config{RxCoalesce: RSC})
	if err != nil {
		t.Fatal(err)
	}
	never := func(virtio.NetHdr, []byte) error { t.Fatal("bad packet emitted"); return nil }
	for _, v6 := range []bool{false, true} {
		frame, h := stackPacket(v6, protoTCP, []byte("payload"), 1400, 1, false)
		if err := h.FinishChecksum(frame); err != nil {
			t.Fatal(err)
		}
		if !v6 {
			ip := frame[14:34]
			binary.BigEndian.PutUint16(ip[10:], ^checksum.Sum(ip, 0))
		}
		frame[len(frame)-1] ^= 0xff
		err := p.Rx(virtio.NetHdr{}, frame, never)
		var pe *PacketError
		if !errors.Is(err, ErrChecksum) || !errors.As(err, &pe) || pe.Field != "tcp checksum" {
			t.Errorf("v6=%v: Rx of a corrupted segment = %v", v6, err)
		}
		// The adapter claims to have verified it, but does not do TCP Rx
		// checksums: the pipeline checks anyway.
		if err := p.Rx(virtio.NetHdr{Flags: virtio.FlagDataValid}, frame, never); !errors.Is(err, ErrChecksum) {
			t.Errorf("v6=%v: DATA_VALID from an adapter without Rx checksum was trusted: %v", v6, err)
		}
	}
	frame, h := stackPacket(false, protoUDP, []byte("payload"), 1400, 1, false)
	h.FinishChecksum(frame)
	frame[14+10] ^= 0x55 // IPv4 header checksum (zero, so wrong anyway)
	if err := p.Rx(virtio.NetHdr{}, frame, never); !errors.Is(err, ErrChecksum) {
		t.Errorf("bad IPv4 header: %v", err)
	}
	if s := p.Stats(); s.RxBadChecksum != 5 {
		t.Errorf("RxBadChecksum = %d, want 5", s.RxBadChecksum)
	}
}

// An IPv6 first fragment carries a TCP header whose checksum covers bytes
// in other fragments: Rx must not verify (and drop) it.
func TestRxIPv6Fragment(t *testing.T) {
	frame, h := stackPacket(true, protoTCP, make([]byte, 200), 1400, 1, false)
	h.FinishChecksum(frame)
	// Insert a Fragment header (offset 0, M set) after the IPv6 header
	// and truncate, as the first fragment of a larger datagram.
	frag := []byte{protoTCP, 0, 0, 1, 0, 0, 0, 42}
	f := append(append(append([]byte{}, frame[:54]...), frag...), frame[54:54+100]...)
	f[14+6] = 44
	binary.BigEndian.PutUint16(f[14+4:], uint16(8+100))
	p, _ := NewPipeline(Config{RxCoalesce: RSC})
	var got []virtio.NetHdr
	if err := p.Rx(virtio.NetHdr{}, f, func(h virtio.NetHdr, _ []byte) error { got = append(got, h); return nil }); err != nil {
		t.Fatalf("Rx of a first fragment: %v", err)
	}
	if len(got) != 1 || got[0].Flags&virtio.FlagDataValid != 0 {
		t.Fatalf("emitted %+v, want the fragment unverified", got)
	}
}

func TestTxLeavesToAdapter(t *testing.T) {
	frame, h := stackPacket(false, protoTCP, make([]byte, 20000), 1448, 1, true)
	p, _ := NewPipeline(Config{Adapter: LSOv2IPv4})
	var out []virtio.NetHdr
	emit := func(h virtio.NetHdr, f []byte) error { out = append(out, h); return nil }
	if err := p.Tx(h, frame, emit); err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0] != h {
		t.Fatalf("LSO adapter: emitted %v, want the super-packet as is", out)
	}
	// A smaller MaxOffLoadSize: segmented in software, checksums
	// finished because the adapter has no TCP checksum offload.
	out = nil
	p, _ = NewPipeline(Config{Adapter: LSOv2IPv4, MaxLSOSize: 16 << 10})
	if err := p.Tx(h, frame, emit); err != nil {
		t.Fatal(err)
	}
	if len(out) != 14 || out[0] != (virtio.NetHdr{}) {
		t.Fatalf("MaxLSOSize 16 KiB: %d packets, first %+v", len(out), out[0])
	}
	// Checksum offload only: segmented, checksums left partial.
	out = nil
	p, _ = NewPipeline(Config{Adapter: TCPv4ChecksumTx})
	if err := p.Tx(h, frame, emit); err != nil {
		t.Fatal(err)
	}
	if len(out) != 14 || !out[0].NeedsChecksum() || out[0].IsGSO() {
		t.Fatalf("checksum-only adapter: %d packets, first %+v", len(out), out[0])
	}
	if s := p.Stats(); s.TxSegmented != 1 || s.TxSegments != 14 || s.TxToAdapter != 14 {
		t.Errorf("stats %+v", s)
	}
}

func TestTxErrors(t *testing.T) {
	p, _ := NewPipeline(Config{MaxSegments: 4})
	frame, h := stackPacket(true, protoTCP, make([]byte, 10000), 1000, 1, false)
	emit := func(virtio.NetHdr, []byte) error { return nil }
	if err := p.Tx(h, frame, emit); !errors.Is(err, ErrTooManySegments) {
		t.Errorf("11 segments with MaxSegments 4: %v", err)
	}
	if err := p.Tx(h, frame[:100], emit); err == nil {
		t.Error("truncated super-packet accepted")
	}
	h.CsumOffset = 6
	var ve *virtio.Error
	if err := p.Tx(h, frame, emit); !errors.As(err, &ve) {
		t.Errorf("TCP GSO with csum_offset 6: %v", err)
	}
	for _, cfg := range []Config{{MaxSegments: -1}, {MaxLSOSize: -1}, {Flows: -2}} {
		var ce *ConfigError
		if _, err := NewPipeline(cfg); !errors.Is(err, ErrConfig) || !errors.As(err, &ce) {
			t.Errorf("NewPipeline(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
}

func TestPipelineAllocs(t *testing.T) {
	super, sh := stackPacket(false, protoTCP, make([]byte, 60000), 1448, 1, true)
	small, smh := stackPacket(true, protoUDP, make([]byte, 500), 1400, 1, false)
	tx, _ := NewPipeline(Config{Adapter: UDPv6ChecksumTx})
	rx, _ := NewPipeline(Config{RxCoalesce: RSC})
	var wire [64][1600]byte
	var sizes [64]int
	var nw int
	collect := func(h virtio.NetHdr, f []byte) error {
		sizes[nw] = copy(wire[nw][:], f)
		nw++
		return nil
	}
	discard := func(virtio.NetHdr, []byte) error { return nil }
	n := testing.AllocsPerRun(20, func() {
		nw = 0
		if err := tx.Tx(sh, super, collect); err != nil {
			t.Fatal(err)
		}
		if err := tx.Tx(smh, small, discard); err != nil {
			t.Fatal(err)
		}
		for i := range nw {
			if err := rx.Rx(virtio.NetHdr{}, wire[i][:sizes[i]], discard); err != nil {
				t.Fatal(err)
			}
		}
		if err := rx.Flush(discard); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("Tx+Rx of a 60 KB super-packet: %v allocations, want 0", n)
	}
	if s := rx.Stats(); s.RxCoalescedOut == 0 || s.RxVerified == 0 {
		t.Errorf("the alloc test did not exercise verification and coalescing: %+v", s)
	}
}

func BenchmarkTxSegment64K(b *testing.B) {
	super, sh := stackPacket(false, protoTCP, make([]byte, 64000), 1448, 1, true)
	p, _ := NewPipeline(Config{})
	discard := func(virtio.NetHdr, []byte) error { return nil }
	b.ReportAllocs()
	b.SetBytes(int64(len(super)))
	for b.Loop() {
		if err := p.Tx(sh, super, discard); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRxVerifyCoalesce(b *testing.B) {
	super, sh := stackPacket(false, protoTCP, make([]byte, 64000), 1448, 1, true)
	tx, _ := NewPipeline(Config{})
	var wire [][]byte
	tx.Tx(sh, super, func(h virtio.NetHdr, f []byte) error { wire = append(wire, bytes.Clone(f)); return nil })
	rx, _ := NewPipeline(Config{RxCoalesce: RSC})
	discard := func(virtio.NetHdr, []byte) error { return nil }
	b.ReportAllocs()
	b.SetBytes(int64(len(super)))
	for b.Loop() {
		for _, w := range wire {
			if err := rx.Rx(virtio.NetHdr{}, w, discard); err != nil {
				b.Fatal(err)
			}
		}
		rx.Flush(discard)
	}
}

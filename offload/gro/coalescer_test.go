package gro_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sdnfabric/sdnfabric/offload/checksum"
	"github.com/sdnfabric/sdnfabric/offload/gro"
	"github.com/sdnfabric/sdnfabric/offload/gso"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// out is one emitted packet, copied.
type out struct {
	H   virtio.NetHdr
	Pkt []byte
}

// collector records emitted packets.
type collector struct{ got []out }

func (c *collector) emit(h virtio.NetHdr, pkt []byte) error {
	c.got = append(c.got, out{h, append([]byte(nil), pkt...)})
	return nil
}

func newCoalescer(t interface {
	Helper()
	Fatal(...any)
}, cfg gro.Config) *gro.Coalescer {
	t.Helper()
	if cfg.NetworkOffset == 0 {
		cfg.NetworkOffset = 14
	}
	c, err := gro.NewCoalescer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// run adds the frames to a fresh Coalescer, flushes, and returns what came
// out and how many packets came out before the flush.
func run(t *testing.T, cfg gro.Config, frames ...[]byte) (got []out, beforeFlush int) {
	t.Helper()
	c := newCoalescer(t, cfg)
	var col collector
	for _, f := range frames {
		if err := c.Add(virtio.NetHdr{}, f, col.emit); err != nil {
			t.Fatal(err)
		}
	}
	beforeFlush = len(col.got)
	if err := c.Flush(col.emit); err != nil {
		t.Fatal(err)
	}
	if c.Held() != 0 {
		t.Fatalf("Held() = %d after Flush", c.Held())
	}
	return col.got, beforeFlush
}

// TestRules: a first segment of 1000 payload bytes, then a second one
// changed in one way; each rule that must stop a merge does.
func TestRules(t *testing.T) {
	first := tcpSeg{Len: 1000, Seq: 1, Ack: 7, ID: 10, Opts: true, TSval: 5}
	second := first
	second.Seq, second.ID = 1001, 11
	tests := []struct {
		name   string
		v6     bool
		edit   func(*tcpSeg)
		cfg    gro.Config
		merged bool
		early  int // packets out before Flush
		// passedFirst: the second packet came out before the first.
		passedFirst bool
	}{
		{name: "consecutive", merged: true},
		{name: "consecutive v6", v6: true, merged: true},
		{name: "other ack", edit: func(s *tcpSeg) { s.Ack++ }, early: 1},
		{name: "sequence gap", edit: func(s *tcpSeg) { s.Seq++ }, early: 1},
		{name: "sequence repeat", edit: func(s *tcpSeg) { s.Seq = 1 }, early: 1},
		{name: "other ttl", edit: func(s *tcpSeg) { s.TTL = 63 }, early: 1},
		{name: "other tos", edit: func(s *tcpSeg) { s.TOS = 4 }, early: 1},
		{name: "ecn ce mark", edit: func(s *tcpSeg) { s.TOS = 3 }, early: 1},
		{name: "df differs", edit: func(s *tcpSeg) { s.NoDF = true }, early: 1},
		{name: "id jump", edit: func(s *tcpSeg) { s.ID = 13 }, early: 1},
		{name: "fixed id with df", edit: func(s *tcpSeg) { s.ID = 10 }, merged: true},
		{name: "timestamp differs", edit: func(s *tcpSeg) { s.TSval = 6 }, early: 1},
		{name: "options differ in length", edit: func(s *tcpSeg) { s.Opts = false }, early: 1},
		{name: "syn", edit: func(s *tcpSeg) { s.Flags = fSYN }, early: 2},
		{name: "rst", edit: func(s *tcpSeg) { s.Flags = fRST }, early: 2},
		{name: "urg", edit: func(s *tcpSeg) { s.Flags = fURG }, early: 2},
		{name: "ece differs", edit: func(s *tcpSeg) { s.Flags = fECE }, early: 1},
		{name: "cwr on a later segment", edit: func(s *tcpSeg) { s.Flags = fCWR }, early: 1},
		{name: "psh ends the merge", edit: func(s *tcpSeg) { s.Flags = fPSH }, merged: true, early: 1},
		{name: "fin ends the merge", edit: func(s *tcpSeg) { s.Flags = fFIN | fPSH }, merged: true, early: 1},
		{name: "smaller ends the merge", edit: func(s *tcpSeg) { s.Len = 999 }, merged: true, early: 1},
		{name: "larger", edit: func(s *tcpSeg) { s.Len = 1001 }, early: 1},
		{name: "pure ack", edit: func(s *tcpSeg) { s.Len = 0 }, early: 2},
		// Passed up at once, ahead of the held packet, as Linux does.
		{name: "bad checksum", edit: func(s *tcpSeg) { s.BadCk = true }, early: 1, passedFirst: true},
		{name: "other port", edit: func(s *tcpSeg) { s.SPort = 40001 }},
		{name: "size cap", cfg: gro.Config{MaxSize: 1900}, early: 1},
		{name: "segment cap", cfg: gro.Config{MaxSegments: 1}, early: 1},
		{name: "v6 flow label", v6: true, edit: func(s *tcpSeg) { s.Flow = 9 }, early: 1},
		{name: "v6 hop limit", v6: true, edit: func(s *tcpSeg) { s.TTL = 1 }, early: 1},
		{name: "v6 traffic class", v6: true, edit: func(s *tcpSeg) { s.TOS = 8 }, early: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := first, second
			a.V6, b.V6 = tt.v6, tt.v6
			if tt.edit != nil {
				tt.edit(&b)
			}
			got, early := run(t, tt.cfg, frame(a), frame(b))
			if tt.merged != (len(got) == 1) {
				t.Fatalf("%d packets out, want merged=%v", len(got), tt.merged)
			}
			if early != tt.early {
				t.Fatalf("%d packets out before Flush, want %d", early, tt.early)
			}
			if !tt.merged {
				// Unmerged packets come out unchanged, the first first.
				if tt.passedFirst {
					got[0], got[1] = got[1], got[0]
				}
				if diff := cmp.Diff([][]byte{frame(a), frame(b)}, [][]byte{got[0].Pkt, got[1].Pkt}); diff != "" {
					t.Fatalf("packets changed or reordered (-want +got):\n%s", diff)
				}
				return
			}
			checkMerged(t, got[0], 2, 1000)
		})
	}
}

// checkMerged checks a merged packet's header, lengths and checksum.
func checkMerged(t *testing.T, o out, segs, mss int) {
	t.Helper()
	if o.H.Flags != virtio.FlagNeedsCsum || o.H.GSOSize != uint16(mss) || o.H.CsumOffset != 16 {
		t.Fatalf("merged header %+v", o.H)
	}
	p := append([]byte(nil), o.Pkt...)
	if err := o.H.FinishChecksum(p); err != nil {
		t.Fatal(err)
	}
	l4 := int(o.H.CsumStart)
	v6 := p[14]>>4 == 6
	src, dst := a4, b4
	if v6 {
		src, dst = a6, b6
		if int(binary.BigEndian.Uint16(p[18:])) != len(p)-14-40 {
			t.Fatal("ipv6 payload length wrong")
		}
	} else {
		if int(binary.BigEndian.Uint16(p[16:])) != len(p)-14 {
			t.Fatal("ipv4 total length wrong")
		}
		if checksum.Sum(p[14:34], 0) != 0xffff {
			t.Fatal("ipv4 header checksum wrong")
		}
	}
	if checksum.Sum(p[l4:], checksum.PseudoHeader(src, dst, 6, len(p)-l4)) != 0xffff {
		t.Fatal("finished TCP checksum does not verify")
	}
	if n := len(p) - int(o.H.HdrLen); n > segs*mss || n <= (segs-1)*mss {
		t.Fatalf("payload %d bytes, want %d segments of at most %d", n, segs, mss)
	}
}

func TestPassThroughUnchanged(t *testing.T) {
	opt := frame(tcpSeg{Len: 100, ID: 1, IPv4Opt: true})
	frag := frame(tcpSeg{Len: 100, ID: 2})
	frag[20] |= 0x20 // MF
	udp := frame(tcpSeg{UDP: true, Len: 100})
	short := []byte{1, 2, 3}
	gsoPkt := frame(tcpSeg{Len: 100, Seq: 50})
	c := newCoalescer(t, gro.Config{})
	var col collector
	for _, p := range [][]byte{opt, frag, udp, short} {
		if err := c.Add(virtio.NetHdr{}, p, col.emit); err != nil {
			t.Fatal(err)
		}
	}
	gh := virtio.NetHdr{GSOType: virtio.GSOTCPv4, GSOSize: 50}
	if err := c.Add(gh, gsoPkt, col.emit); err != nil {
		t.Fatal(err)
	}
	want := []out{{Pkt: opt}, {Pkt: frag}, {Pkt: udp}, {Pkt: short}, {H: gh, Pkt: gsoPkt}}
	if diff := cmp.Diff(want, col.got); diff != "" {
		t.Fatalf("pass-through (-want +got):\n%s", diff)
	}
	if s := c.Stats(); s.PassThrough != 5 || s.Packets != 5 {
		t.Fatalf("stats %+v", s)
	}
}

func TestSingleHeldUnchanged(t *testing.T) {
	f := frame(tcpSeg{Len: 500, Seq: 9})
	h := virtio.NetHdr{Flags: virtio.FlagDataValid}
	c := newCoalescer(t, gro.Config{})
	var col collector
	if err := c.Add(h, f, col.emit); err != nil {
		t.Fatal(err)
	}
	if len(col.got) != 0 || c.Held() != 1 {
		t.Fatalf("not held: %d out, %d held", len(col.got), c.Held())
	}
	if err := c.Flush(col.emit); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]out{{h, f}}, col.got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

// A flow that keeps going is flushed whenever a non-mergeable packet of
// the same flow arrives, and the packets stay in order.
func TestOrderWithinFlow(t *testing.T) {
	var frames [][]byte
	seq := uint32(1)
	for i := range 5 {
		frames = append(frames, frame(tcpSeg{Len: 100, Seq: seq, ID: uint16(i)}))
		seq += 100
	}
	frames = append(frames, frame(tcpSeg{Len: 0, Seq: seq, ID: 5})) // pure ACK
	frames = append(frames, frame(tcpSeg{Len: 100, Seq: seq, ID: 6}))
	got, _ := run(t, gro.Config{}, frames...)
	if len(got) != 3 {
		t.Fatalf("%d packets out, want 3", len(got))
	}
	checkMerged(t, got[0], 5, 100)
	if !bytes.Equal(got[1].Pkt, frames[5]) || !bytes.Equal(got[2].Pkt, frames[6]) {
		t.Fatal("packets after the merged one are out of order or changed")
	}
}

func TestEvictionBounded(t *testing.T) {
	c := newCoalescer(t, gro.Config{Flows: 4})
	var col collector
	for i := range 10 {
		if err := c.Add(virtio.NetHdr{}, frame(tcpSeg{Len: 100, SPort: uint16(1000 + i)}), col.emit); err != nil {
			t.Fatal(err)
		}
		if c.Held() > 4 {
			t.Fatalf("%d flows held, cap 4", c.Held())
		}
	}
	if len(col.got) != 6 || c.Stats().Evicted != 6 {
		t.Fatalf("%d evicted packets out, stats %+v", len(col.got), c.Stats())
	}
	// The oldest flows went first.
	for i, o := range col.got {
		if port := binary.BigEndian.Uint16(o.Pkt[34:]); port != uint16(1000+i) {
			t.Fatalf("evicted #%d is port %d, want %d", i, port, 1000+i)
		}
	}
	if err := c.Flush(col.emit); err != nil {
		t.Fatal(err)
	}
	if len(col.got) != 10 {
		t.Fatalf("%d packets out after Flush, want 10", len(col.got))
	}
}

func TestUDP(t *testing.T) {
	var frames [][]byte
	for i := range 5 {
		n := 1200
		if i == 4 {
			n = 300
		}
		frames = append(frames, frame(tcpSeg{UDP: true, Len: n, ID: uint16(i)}))
	}
	got, early := run(t, gro.Config{UDP: true}, frames...)
	if len(got) != 1 || early != 1 {
		t.Fatalf("%d out (%d before flush), want one merged, flushed by the short last", len(got), early)
	}
	h := got[0].H
	if h.GSOType != virtio.GSOUDPL4 || h.GSOSize != 1200 || h.CsumOffset != 6 {
		t.Fatalf("header %+v", h)
	}
	// Segmenting it again gives back the datagrams.
	dst := make([][]byte, 8)
	for i := range dst {
		dst[i] = make([]byte, 1500)
	}
	sizes := make([]int, 8)
	n, err := gso.Segment(dst, sizes, got[0].Pkt, h, gso.Options{NetworkOffset: 14})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if diff := cmp.Diff(frames[i], dst[i][:sizes[i]]); diff != "" {
			t.Fatalf("datagram %d (-want +got):\n%s", i, diff)
		}
	}

	// Without Config.UDP, UDP passes through.
	got, _ = run(t, gro.Config{}, frames...)
	if len(got) != 5 {
		t.Fatalf("%d out without Config.UDP, want 5", len(got))
	}
}

func TestEmitError(t *testing.T) {
	boom := errors.New("boom")
	c := newCoalescer(t, gro.Config{})
	fail := func(virtio.NetHdr, []byte) error { return boom }
	if err := c.Add(virtio.NetHdr{}, []byte{1}, fail); !errors.Is(err, boom) {
		t.Fatalf("Add: %v", err)
	}
	if err := c.Add(virtio.NetHdr{}, frame(tcpSeg{Len: 10}), fail); err != nil {
		t.Fatalf("held packet: %v", err)
	}
	if err := c.Flush(fail); !errors.Is(err, boom) {
		t.Fatalf("Flush: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []gro.Config{{NetworkOffset: -1}, {Flows: -1}, {MaxSize: 70000}, {MaxSegments: -2}} {
		_, err := gro.NewCoalescer(cfg)
		var ce *gro.ConfigError
		if !errors.Is(err, gro.ErrConfig) || !errors.As(err, &ce) {
			t.Fatalf("%+v: err = %v", cfg, err)
		}
	}
	_, err := gro.NewCoalescer(gro.Config{MaxSize: 70000})
	if got, want := err.Error(), "gro: invalid config: MaxSize = 70000"; got != want {
		t.Fatalf("%q, want %q", got, want)
	}
}

// segments44 returns 44 frames of 1448 payload bytes of one flow (with
// timestamps), what a 64 KiB TSO burst becomes on a 1500-byte link.
func segments44() [][]byte { return burst(false, 1, 44) }

// burst returns n frames of 1448 payload bytes for each of flows flows,
// interleaved round robin.
func burst(v6 bool, flows, n int) [][]byte {
	var frames [][]byte
	for i := range n {
		for f := range flows {
			frames = append(frames, frame(tcpSeg{V6: v6, Len: 1448, Seq: uint32(1 + i*1448), ID: uint16(i), Opts: true, TSval: 1, SPort: uint16(40000 + f)}))
		}
	}
	return frames
}

func TestCoalesceAllocs(t *testing.T) {
	frames := segments44()
	c := newCoalescer(t, gro.Config{})
	var n int
	emit := func(h virtio.NetHdr, pkt []byte) error { n++; return nil }
	allocs := testing.AllocsPerRun(20, func() {
		for _, f := range frames {
			if err := c.Add(virtio.NetHdr{}, f, emit); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Flush(emit); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Add+Flush allocate %v times per run", allocs)
	}
	if n == 0 {
		t.Fatal("nothing emitted")
	}
}

func benchmarkCoalesce(b *testing.B, frames [][]byte, wantOut int) {
	var total int
	for _, f := range frames {
		total += len(f)
	}
	c := newCoalescer(b, gro.Config{})
	var out int
	emit := func(h virtio.NetHdr, pkt []byte) error { out++; return nil }
	b.SetBytes(int64(total))
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range frames {
			if err := c.Add(virtio.NetHdr{}, f, emit); err != nil {
				b.Fatal(err)
			}
		}
		if err := c.Flush(emit); err != nil {
			b.Fatal(err)
		}
	}
	if out%wantOut != 0 {
		b.Fatalf("%d packets out, want a multiple of %d", out, wantOut)
	}
}

// One 64 KiB burst of an IPv4 flow: 44 segments of 1448 bytes with
// timestamps, verified, merged and emitted as one TSO packet.
func BenchmarkCoalesce44Segments(b *testing.B) { benchmarkCoalesce(b, segments44(), 1) }

func BenchmarkCoalesce44SegmentsIPv6(b *testing.B) { benchmarkCoalesce(b, burst(true, 1, 44), 1) }

// Four flows' bursts of 11 segments interleaved round robin.
func BenchmarkCoalesce4FlowsInterleaved(b *testing.B) { benchmarkCoalesce(b, burst(false, 4, 11), 4) }

// Packets that never merge (pure ACKs): the pass-through cost.
func BenchmarkCoalescePureACKs(b *testing.B) {
	frames := make([][]byte, 44)
	for i := range frames {
		frames[i] = frame(tcpSeg{Ack: uint32(i), ID: uint16(i)})
	}
	benchmarkCoalesce(b, frames, 44)
}

func FuzzCoalesce(f *testing.F) {
	f.Add(bytes.Join(segments44()[:3], []byte{0xff, 0xfe}), byte(0), false)
	f.Add(bytes.Join([][]byte{frame(tcpSeg{V6: true, Len: 10}), frame(tcpSeg{V6: true, Len: 10, Seq: 10})}, []byte{0xff, 0xfe}), byte(virtio.FlagDataValid), false)
	f.Add(bytes.Join([][]byte{frame(tcpSeg{UDP: true, Len: 10}), frame(tcpSeg{UDP: true, Len: 10, ID: 1})}, []byte{0xff, 0xfe}), byte(0), true)
	f.Fuzz(func(t *testing.T, data []byte, flags byte, udp bool) {
		c, err := gro.NewCoalescer(gro.Config{NetworkOffset: 14, Flows: 2, UDP: udp})
		if err != nil {
			t.Fatal(err)
		}
		var in, outN int
		emit := func(h virtio.NetHdr, pkt []byte) error {
			outN++
			if !h.IsGSO() {
				return nil
			}
			// A merged packet must segment again.
			opts := gso.Options{NetworkOffset: 14}
			n, err := gso.Count(pkt, h, opts)
			if err != nil {
				t.Fatalf("merged packet does not segment: %v", err)
			}
			dst := make([][]byte, n)
			for i := range dst {
				dst[i] = make([]byte, int(h.HdrLen)+int(h.GSOSize))
			}
			if _, err := gso.Segment(dst, make([]int, n), pkt, h, opts); err != nil {
				t.Fatalf("merged packet does not segment: %v", err)
			}
			return nil
		}
		for p := range bytes.SplitSeq(data, []byte{0xff, 0xfe}) {
			in++
			if err := c.Add(virtio.NetHdr{Flags: flags & virtio.FlagDataValid}, p, emit); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Flush(emit); err != nil {
			t.Fatal(err)
		}
		if outN > in || (in > 0 && outN == 0) {
			t.Fatalf("%d packets in, %d out", in, outN)
		}
	})
}

package gro_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/sdnfabric/sdnfabric/offload/gro"
	"github.com/sdnfabric/sdnfabric/offload/gso"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// TestCoalesceThenSegment: whatever mix of flows, gaps, flags, ACK and
// timestamp changes, ID jumps, short segments, evictions and flush points
// a receiver sees, segmenting every merged packet again gives back each
// flow's packets exactly, in order. (The generator keeps the window and
// urgent pointer constant within a flow: GRO keeps the first segment's, as
// Linux does, so a merged packet cannot give back differing ones.)
func TestCoalesceThenSegment(t *testing.T) {
	var merged uint64
	rapid.Check(t, func(t *rapid.T) {
		v6 := rapid.Bool().Draw(t, "v6")
		nflows := rapid.IntRange(1, 4).Draw(t, "flows")
		mss := rapid.IntRange(1, 1460).Draw(t, "mss")
		c := newCoalescer(t, gro.Config{Flows: rapid.IntRange(1, 3).Draw(t, "slots"), MaxSize: rapid.IntRange(2000, 65535).Draw(t, "maxsize")})

		type state struct {
			seq, ack, ts uint32
			id           uint16
		}
		flows := make([]state, nflows)
		in := make(map[uint16][][]byte)
		out := make(map[uint16][][]byte)
		dst := make([][]byte, 70)
		for i := range dst {
			dst[i] = make([]byte, 1600)
		}
		sizes := make([]int, len(dst))
		emit := func(h virtio.NetHdr, pkt []byte) error {
			port := binary.BigEndian.Uint16(pkt[14+40:])
			if !v6 {
				port = binary.BigEndian.Uint16(pkt[14+20:])
			}
			if !h.IsGSO() {
				out[port] = append(out[port], bytes.Clone(pkt))
				return nil
			}
			n, err := gso.Segment(dst, sizes, pkt, h, gso.Options{NetworkOffset: 14})
			if err != nil {
				t.Fatalf("merged packet does not segment: %v", err)
			}
			for i := range n {
				out[port] = append(out[port], bytes.Clone(dst[i][:sizes[i]]))
			}
			return nil
		}
		steps := rapid.IntRange(1, 60).Draw(t, "steps")
		for range steps {
			if rapid.IntRange(0, 9).Draw(t, "flush") == 0 {
				if err := c.Flush(emit); err != nil {
					t.Fatal(err)
				}
			}
			fi := rapid.IntRange(0, nflows-1).Draw(t, "flow")
			f := &flows[fi]
			n := mss
			switch rapid.IntRange(0, 9).Draw(t, "size") {
			case 0:
				n = 0
			case 1:
				n = rapid.IntRange(1, mss).Draw(t, "short")
			}
			var flags uint8
			if rapid.IntRange(0, 5).Draw(t, "flagged") == 0 {
				flags = rapid.SampledFrom([]uint8{fPSH, fFIN, fSYN, fRST, fURG, fCWR, fECE, fPSH | fCWR}).Draw(t, "flags")
			}
			switch rapid.IntRange(0, 19).Draw(t, "oddity") {
			case 0:
				f.seq += 7 // a gap
			case 1:
				f.ack++
			case 2:
				f.ts++
			case 3:
				f.id += 5
			}
			port := uint16(40000 + fi)
			p := frame(tcpSeg{V6: v6, Len: n, Seq: f.seq, Ack: f.ack, Flags: flags, ID: f.id, Opts: true, TSval: f.ts, SPort: port})
			f.seq += uint32(n)
			f.id++
			in[port] = append(in[port], p)
			if err := c.Add(virtio.NetHdr{}, p, emit); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Flush(emit); err != nil {
			t.Fatal(err)
		}
		merged += c.Stats().Merged
		if !cmp.Equal(in, out, cmp.Comparer(bytes.Equal)) {
			for port := range in {
				if len(in[port]) != len(out[port]) {
					t.Fatalf("flow %d: %d packets in, %d out", port, len(in[port]), len(out[port]))
				}
				for i := range in[port] {
					if diff := cmp.Diff(in[port][i], out[port][i]); diff != "" {
						t.Fatalf("flow %d packet %d (-in +out):\n%s", port, i, diff)
					}
				}
			}
		}
	})
	if merged == 0 {
		t.Fatal("no segment was ever merged: the property is vacuous")
	}
}

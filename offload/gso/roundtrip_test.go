package gso_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/sdnfabric/sdnfabric/offload/gro"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// TestGSOThenGRO: segmenting a super-packet and coalescing the segments
// gives back the super-packet byte for byte, with the same virtio-net
// header, when the super-packet is in the form Linux hands to a TAP device
// (NEEDS_CSUM, the transport checksum field holding the pseudo-header sum
// for the whole transport length, a valid IPv4 header checksum). The one
// legitimate difference: a super-packet whose payload fits in one segment
// comes back as that single, finished segment with the header it was
// offered with (GRO holds it alone and does not touch it). Tunnelled
// packets are not coalesced by gro and are not drawn here.
func TestGSOThenGRO(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genSpec(t)
		s.Tunnel, s.OuterV6, s.ZeroCk = false, false, false
		pkt, h, opts := build(s)
		opts.PartialChecksum = rapid.Bool().Draw(t, "partial")
		segs := segmentAll(t, pkt, h, opts)

		c, err := gro.NewCoalescer(gro.Config{NetworkOffset: opts.NetworkOffset, UDP: true, MaxSegments: 65535})
		if err != nil {
			t.Fatal(err)
		}
		// What a receiver of the segments would see: finished checksums
		// unverified (zero header), or partial ones marked NEEDS_CSUM.
		var segHdr virtio.NetHdr
		if opts.PartialChecksum {
			segHdr = virtio.NetHdr{Flags: virtio.FlagNeedsCsum, CsumStart: h.CsumStart, CsumOffset: h.CsumOffset}
		}
		var got []out
		emit := func(h virtio.NetHdr, p []byte) error {
			got = append(got, out{h, append([]byte(nil), p...)})
			return nil
		}
		for _, seg := range segs {
			if err := c.Add(segHdr, seg, emit); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Flush(emit); err != nil {
			t.Fatal(err)
		}
		want := []out{{h, pkt}}
		if len(segs) == 1 {
			want = []out{{segHdr, segs[0]}}
		}
		if !cmp.Equal(want, got, bytesEqual) {
			t.Fatalf("GRO(GSO(p)) != p: %s", describe(want[0].H, want[0].Pkt, got))
		}
	})
}

// Check that the test above is not vacuous for the common case.
func TestGSOThenGRO64KiB(t *testing.T) {
	s := spec{Eth: true, TS: true, Payload: payload(65000, 3), MSS: 1448, Flags: flagPSH | flagCWR}
	pkt, h, opts := build(s)
	segs := segmentAll(t, pkt, h, opts)
	c, err := gro.NewCoalescer(gro.Config{NetworkOffset: 14})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	emit := func(got virtio.NetHdr, p []byte) error {
		n++
		if !cmp.Equal(h, got) || !cmp.Equal(pkt, p, bytesEqual) {
			t.Errorf("GRO(GSO(p)) != p: %s", describe(h, pkt, []out{{got, p}}))
		}
		return nil
	}
	for _, seg := range segs {
		if err := c.Add(virtio.NetHdr{}, seg, emit); err != nil {
			t.Fatal(err)
		}
	}
	// PSH on the last segment flushed the merged packet already.
	if n != 1 {
		t.Fatalf("%d packets out before Flush, want 1", n)
	}
}

// bytesEqual makes cmp compare byte slices with bytes.Equal: the default
// element-by-element reflection is far too slow for 64 KiB packets.
var bytesEqual = cmp.Comparer(bytes.Equal)

type out struct {
	H   virtio.NetHdr
	Pkt []byte
}

// describe says briefly how got differs from the single packet want (a
// byte-level diff of 64 KiB packets is too slow and too long to print).
func describe(wantH virtio.NetHdr, want []byte, got []out) string {
	if len(got) != 1 {
		return fmt.Sprintf("%d packets out, want 1", len(got))
	}
	s := cmp.Diff(wantH, got[0].H)
	g := got[0].Pkt
	if len(g) != len(want) {
		return s + fmt.Sprintf("length %d, want %d", len(g), len(want))
	}
	for i := range g {
		if g[i] != want[i] {
			return s + fmt.Sprintf("first difference at byte %d: %#02x, want %#02x", i, g[i], want[i])
		}
	}
	return s
}

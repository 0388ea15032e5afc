package offload

import (
	"errors"
	"testing"

	"github.com/sdnfabric/sdnfabric/offload/gso"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// fuzzSeeds adds frames a stack builds, finished and partial, plain and
// super, for both IP versions and protocols.
func fuzzSeeds(f *testing.F, add func(frame, hdr []byte)) {
	for _, v6 := range []bool{false, true} {
		for _, proto := range []uint8{protoTCP, protoUDP} {
			for _, n := range []int{0, 100, 5000} {
				frame, h := stackPacket(v6, proto, make([]byte, n), 1400, 7, proto == protoTCP)
				add(frame, h.Append(nil))
			}
		}
	}
	add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06}, make([]byte, virtio.NetHdrLen))
	add(nil, nil)
}

// checkErr asserts that err is one of the typed errors the pipeline
// documents.
func checkErr(t *testing.T, err error) {
	if err == nil {
		return
	}
	var pe *PacketError
	if !errors.As(err, &pe) {
		t.Fatalf("untyped error %v", err)
	}
	var ve *virtio.Error
	var ge *gso.Error
	var he *header.Error
	if !errors.Is(err, ErrChecksum) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooManySegments) &&
		!errors.As(err, &ve) && !errors.As(err, &ge) && !errors.As(err, &he) {
		t.Fatalf("error %v wraps nothing documented", err)
	}
}

func FuzzPipelineRx(f *testing.F) {
	fuzzSeeds(f, func(frame, hdr []byte) { f.Add(frame, hdr, uint32(0)); f.Add(frame, hdr, uint32(All)) })
	f.Fuzz(func(t *testing.T, frame, hdr []byte, features uint32) {
		h, err := virtio.DecodeNetHdr(hdr)
		if err != nil {
			h = virtio.NetHdr{}
		}
		adapter := Features(features) & All
		p, err := NewPipeline(Config{Adapter: adapter, RxCoalesce: RSC | URO, Flows: 2})
		if err != nil {
			t.Fatal(err)
		}
		emitted := 0
		emit := func(h virtio.NetHdr, f []byte) error { emitted++; return nil }
		checkErr(t, p.Rx(h, frame, emit))
		checkErr(t, p.Rx(h, frame, emit)) // a second copy may merge with the first
		if err := p.Flush(emit); err != nil {
			t.Fatal(err)
		}
		if emitted > 2 {
			t.Fatalf("two packets in, %d out", emitted)
		}
	})
}

func FuzzPipelineTx(f *testing.F) {
	fuzzSeeds(f, func(frame, hdr []byte) { f.Add(frame, hdr, uint32(0)); f.Add(frame, hdr, uint32(All)) })
	f.Fuzz(func(t *testing.T, frame, hdr []byte, features uint32) {
		h, err := virtio.DecodeNetHdr(hdr)
		if err != nil {
			return
		}
		p, err := NewPipeline(Config{Adapter: Features(features) & All, MaxSegments: 64})
		if err != nil {
			t.Fatal(err)
		}
		err = p.Tx(h, frame, func(out virtio.NetHdr, seg []byte) error {
			if out.IsGSO() && !p.cfg.Adapter.AcceptsHeader(out, len(seg) > 13 && seg[12] == 0x86 && seg[13] == 0xdd) {
				t.Fatalf("left %+v to an adapter with %v", out, p.cfg.Adapter)
			}
			return nil
		})
		checkErr(t, err)
	})
}

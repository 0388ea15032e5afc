//go:build linux

package tap_test

import (
	"testing"

	"github.com/sdnfabric/sdnfabric/offload"
	"github.com/sdnfabric/sdnfabric/offload/tap"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// TestKernelTSOThroughPipeline relays with the offload pipeline for an
// adapter that offloads nothing: Tx segments A's super-segments and
// computes every checksum; Rx verifies B's checksums and coalesces B's
// segments in software, as the stack in A wants RSC.
func TestKernelTSOThroughPipeline(t *testing.T) {
	tx, err := offload.NewPipeline(offload.Config{})
	if err != nil {
		t.Fatal(err)
	}
	rx, err := offload.NewPipeline(offload.Config{RxCoalesce: offload.RSC})
	if err != nil {
		t.Fatal(err)
	}
	tap.RunInterop(t, tap.Relay{
		AToB:  func(h virtio.NetHdr, frame []byte, out tap.Emit) error { return tx.Tx(h, frame, out) },
		BToA:  func(h virtio.NetHdr, frame []byte, out tap.Emit) error { return rx.Rx(h, frame, out) },
		Flush: func(out tap.Emit) error { return rx.Flush(out) },
	})
	ts, rs := tx.Stats(), rx.Stats()
	t.Logf("Tx: %d packets, %d segmented into %d, %d checksums finished, %d IPv4 header checksums", ts.TxPackets, ts.TxSegmented, ts.TxSegments, ts.TxChecksummed, ts.TxIPv4Header)
	t.Logf("Rx: %d packets, %d verified, %d bad, %d coalesced into %d", rs.RxPackets, rs.RxVerified, rs.RxBadChecksum, rs.RxCoalescedIn, rs.RxCoalescedOut)
	if ts.TxSegmented == 0 || rs.RxVerified == 0 || rs.RxCoalescedOut == 0 {
		t.Error("the pipeline did not segment, verify and coalesce")
	}
	if rs.RxBadChecksum != 0 {
		t.Errorf("Rx dropped %d of B's packets for bad checksums", rs.RxBadChecksum)
	}
}

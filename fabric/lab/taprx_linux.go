//go:build linux

package lab

import (
	"errors"
	"sync/atomic"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/offload/tap"
	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// tapRx carries the packets the kernel writes to a TAP device onto a
// netsim port: a machine's TAP (kernelGuest) or an uplink's. A TCP
// super-packet goes on whole as a netsim super-frame with its gso_size:
// the vNIC and the routers take it so, and netsim segments it for a node
// that does not. A packet
// whose virtio-net header the TAP's reader rejected, one that claims a
// segmentation offload the TAP never accepted, or one whose checksum or
// segmentation cannot be done is dropped and counted; every packet counts
// once, in fromKernel or in dropped.
type tapRx struct {
	port *netsim.Port
	tso  bool // the TAP accepts csum|tso4

	fromKernel, super, dropped atomic.Uint64
}

// newTapRx returns the tapRx of port; tso says the TAP accepts csum|tso4.
func newTapRx(port *netsim.Port, tso bool) *tapRx {
	return &tapRx{port: port, tso: tso}
}

// loop carries what the kernel writes to dev to the port until dev is
// closed.
func (r *tapRx) loop(dev *tap.Device) {
	buf := make([]byte, tap.ReadBufferSize)
	for {
		h, frame, err := dev.ReadPacket(buf)
		var te *tap.Error
		if errors.As(err, &te) {
			return // closed, or the device is gone
		}
		r.packet(h, frame, err)
	}
}

// packet takes one packet on to the port: h and frame as
// tap.Device.ReadPacket returned them, err its error (a virtio-net header
// the virtio package rejected). It allocates nothing.
func (r *tapRx) packet(h virtio.NetHdr, frame []byte, err error) {
	if err != nil {
		r.dropped.Add(1) // a malformed virtio-net header
		return
	}
	switch {
	case h.IsGSO():
		// Only TCPv4 segmentation may have been accepted. Whoever
		// segments it finishes the checksums.
		if !r.tso || h.GSOKind() != virtio.GSOTCPv4 {
			r.dropped.Add(1)
			return
		}
		r.super.Add(1)
		r.fromKernel.Add(1)
		r.port.SendSuper(frame, int(h.GSOSize))
		return
	case h.NeedsChecksum():
		// A vNIC of a TSO guest finishes TCP checksums itself,
		// but not those of other protocols; finish them here.
		if h.FinishChecksum(frame) != nil {
			r.dropped.Add(1)
			return
		}
	}
	r.fromKernel.Add(1)
	r.port.Send(frame)
}

//go:build !linux

package tap

import (
	"errors"
	"time"

	"github.com/sdnfabric/sdnfabric/offload/virtio"
)

// Device is an open TAP device; on this operating system none can be opened.
type Device struct{}

// Open returns an error wrapping errors.ErrUnsupported: TAP devices with
// virtio-net headers are a Linux feature.
func Open(cfg Config) (*Device, error) {
	return nil, &Error{Op: "open", Name: cfg.Name, Err: errors.Join(errors.ErrUnsupported, errors.New("TAP devices with virtio-net headers need Linux"))}
}

// Name returns the interface name.
func (d *Device) Name() string { return "" }

// Offload returns the offloads the kernel accepted.
func (d *Device) Offload() Offload { return 0 }

// SetOffload is unsupported.
func (d *Device) SetOffload(Offload) (Offload, error) { return 0, errors.ErrUnsupported }

// ReadPacket is unsupported.
func (d *Device) ReadPacket([]byte) (virtio.NetHdr, []byte, error) {
	return virtio.NetHdr{}, nil, errors.ErrUnsupported
}

// WritePacket is unsupported.
func (d *Device) WritePacket(virtio.NetHdr, []byte) error { return errors.ErrUnsupported }

// SetReadDeadline is unsupported.
func (d *Device) SetReadDeadline(time.Time) error { return errors.ErrUnsupported }

// Close does nothing.
func (d *Device) Close() error { return nil }

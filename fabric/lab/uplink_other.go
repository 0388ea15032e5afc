//go:build !linux

package lab

import (
	"context"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
)

// UplinkMTU is the MTU of an uplink's TAP device and bridge.
const UplinkMTU = 9000

// Uplinks needs Linux: its factory returns ErrUnsupported.
func Uplinks(map[string]string) runtime.UplinkFactory {
	return func(context.Context, runtime.Network, *netsim.Port) (func(), error) { return nil, ErrUnsupported }
}

// Guests needs Linux: its factory returns ErrUnsupported.
func Guests(string, bool) runtime.GuestFactory {
	return func(context.Context, runtime.Machine, *netsim.Port) (func(), error) { return nil, ErrUnsupported }
}

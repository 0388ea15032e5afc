//go:build !linux

package lab

import (
	"context"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
)

// kernelGuest needs Linux.
type kernelGuest struct{ ns string }

func startKernelGuest(context.Context, string, runtime.Machine, *netsim.Port, bool) (*kernelGuest, error) {
	return nil, ErrUnsupported
}

func (g *kernelGuest) stats() GuestStats { return GuestStats{} }
func (g *kernelGuest) close()            {}

//go:build !linux

package lab

import (
	"context"
	"net/netip"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/netsim"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
)

// kernelGuest needs Linux.
type kernelGuest struct{ ns string }

func startKernelGuest(context.Context, string, runtime.Machine, *netsim.Port, bool, []uint16) (*kernelGuest, error) {
	return nil, ErrUnsupported
}

func (g *kernelGuest) stats() GuestStats { return GuestStats{} }
func (g *kernelGuest) close()            {}

// birdRouter needs Linux.
type birdRouter struct{ name string }

func startBIRD(context.Context, string, runtime.Gateway, []*netsim.Port, time.Duration) (*birdRouter, error) {
	return nil, ErrUnsupported
}

func (r *birdRouter) routes(context.Context, netip.Prefix) (string, error) { return "", ErrUnsupported }
func (r *birdRouter) log() string                                          { return "" }
func (r *birdRouter) stop()                                                {}

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

func startKernelGuest(context.Context, string, runtime.Machine, *netsim.Port, bool, bool, []uint16) (*kernelGuest, error) {
	return nil, ErrUnsupported
}

func (g *kernelGuest) stats() GuestStats { return GuestStats{} }
func (g *kernelGuest) close()            {}

// kernelRouter needs Linux.
type kernelRouter struct{ name string }

func startKernelRouter(context.Context, string, string, runtime.Gateway, []*netsim.Port, time.Duration, time.Duration) (*kernelRouter, error) {
	return nil, ErrUnsupported
}

func (r *kernelRouter) routes(context.Context, netip.Prefix) (string, error) {
	return "", ErrUnsupported
}
func (r *kernelRouter) frrBFDPeers(context.Context) ([]FRRBFDPeer, error) {
	return nil, ErrUnsupported
}
func (r *kernelRouter) log() string       { return "" }
func (r *kernelRouter) stop()             {}
func (r *kernelRouter) stats() GuestStats { return GuestStats{} }

func (g *kernelGuest) setServing(bool, []uint16) error { return ErrUnsupported }

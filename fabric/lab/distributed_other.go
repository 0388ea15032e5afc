//go:build !linux

package lab

import (
	"context"
	"net"
	"net/http"
	"net/netip"

	"github.com/sdnfabric/sdnfabric/fabric/api"
	"github.com/sdnfabric/sdnfabric/fabric/model"
	"github.com/sdnfabric/sdnfabric/fabric/runtime"
)

// Distributed needs Linux.
type Distributed struct{}

// UpDistributed returns ErrUnsupported: distributed labs need Linux.
func UpDistributed(context.Context, []model.Object, DistOptions) (*Distributed, error) {
	return nil, ErrUnsupported
}

func (d *Distributed) Namespace(name string) string                  { return "" }
func (d *Distributed) Topology() *runtime.Topology                   { return nil }
func (d *Distributed) Client() *api.Client                           { return nil }
func (d *Distributed) Dir() string                                   { return "" }
func (d *Distributed) RestartEtcd(context.Context) error             { return ErrUnsupported }
func (d *Distributed) Log(string) string                             { return "" }
func (d *Distributed) RestartAgent(string) error                     { return ErrUnsupported }
func (d *Distributed) Ready(context.Context) error                   { return ErrUnsupported }
func (d *Distributed) Kill(string) error                             { return ErrUnsupported }
func (d *Distributed) Running(string) bool                           { return false }
func (d *Distributed) Stop(string) error                             { return ErrUnsupported }
func (d *Distributed) Partition(context.Context, string, bool) error { return ErrUnsupported }
func (d *Distributed) SetServing(string, bool, ...uint16) error      { return ErrUnsupported }
func (d *Distributed) Close()                                        {}
func (d *Distributed) HTTPClient(string) *http.Client                { return &http.Client{} }
func (d *Distributed) Routes(context.Context, string, netip.Prefix) (string, error) {
	return "", ErrUnsupported
}
func (d *Distributed) BIRDProtocols(context.Context, string) (string, error) {
	return "", ErrUnsupported
}
func (d *Distributed) BIRDBFDSessions(context.Context, string) (string, error) {
	return "", ErrUnsupported
}
func (d *Distributed) FRRBFDPeers(context.Context, string) ([]FRRBFDPeer, error) {
	return nil, ErrUnsupported
}
func (d *Distributed) FRR(context.Context, string, string) (string, error) {
	return "", ErrUnsupported
}
func (d *Distributed) DialContext(context.Context, string, string, string) (net.Conn, error) {
	return nil, ErrUnsupported
}

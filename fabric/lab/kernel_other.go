//go:build !linux

package lab

import (
	"context"
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/runtime"
)

func (k *KernelLab) build(context.Context, *runtime.Topology, []uint16, time.Duration) error {
	return ErrUnsupported
}

//go:build !linux

package lab

import (
	"context"

	"github.com/sdnfabric/sdnfabric/fabric/runtime"
)

// RunLoad needs Linux.
func RunLoad(context.Context, func(string) string, *runtime.Topology, LoadOptions) ([]Metric, error) {
	return nil, ErrUnsupported
}

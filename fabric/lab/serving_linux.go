//go:build linux

package lab

import (
	"fmt"
	"maps"
	"slices"
)

// setServing stops or resumes the HTTP server on ports (every port it
// was started with when ports is empty).
func (g *kernelGuest) setServing(on bool, ports []uint16) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return fmt.Errorf("lab: %s is detached", g.name)
	}
	if len(ports) == 0 {
		ports = slices.Sorted(maps.Keys(g.servers))
	}
	for _, p := range ports {
		srv, known := g.servers[p]
		switch {
		case !known:
			return fmt.Errorf("lab: %s serves no HTTP on port %d", g.name, p)
		case on && srv == nil:
			if err := g.listen(p); err != nil {
				return err
			}
		case !on && srv != nil:
			_ = srv.Close() // the listener and the open connections
			g.servers[p] = nil
		}
	}
	return nil
}

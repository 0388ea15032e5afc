package lab

import (
	"net/netip"
	"time"
)

// MgmtPrefix is the management network of a distributed lab: etcd, the
// controller and every agent have an address on it, and the control
// traffic (etcd's client protocol, the controller's REST API and watch
// streams) rides it, apart from the topology's networks.
var MgmtPrefix = netip.MustParsePrefix("10.254.0.0/24")

var (
	mgmtEtcd       = netip.MustParseAddr("10.254.0.2")
	mgmtController = netip.MustParseAddr("10.254.0.3")
)

// DistOptions tune a distributed lab.
type DistOptions struct {
	// Prefix starts the name of every namespace (DefaultPrefix when
	// empty), as Options.Prefix.
	Prefix string
	// Binary is the fabric command run as the controller and the agents
	// (default: this executable).
	Binary string
	// Router is RouterOurs (a gateway agent runs the BGPVM), RouterBIRD
	// (BIRD 2) or RouterFRR (FRR's zebra, bfdd and bgpd) in the BGP
	// gateways' namespaces, on veths.
	Router string
	// HoldTime is the BGP hold time of every speaker (0: 9 s).
	HoldTime time.Duration
	// BFD is the interval of the BFD sessions (RFC 5880, multiplier 3)
	// that ride every BGP session of the Muxes and routers, BIRD's and
	// FRR's included, so a killed Mux's routes go within 3 intervals rather
	// than the hold time: 0 is DefaultBFD, negative turns BFD off.
	BFD time.Duration
}

// DefaultBFD is the BFD interval of a distributed lab: 100 ms, a dead Mux
// detected in 300 ms.
const DefaultBFD = 100 * time.Millisecond

package lab

import (
	"time"

	"github.com/sdnfabric/sdnfabric/fabric/runtime"
	"github.com/sdnfabric/sdnfabric/offload/header"
	"github.com/sdnfabric/sdnfabric/slb"
)

// IperfPort is the TCP port BenchTopology opens on the VIP for iperf3.
const IperfPort = 5201

// BenchTopology is the seed topology with TCP port IperfPort on the VIP
// too, with SourceIP distribution so that iperf3's control and data
// connections reach the same PortalVM. Run it with IperfPort in FreePorts
// (Options or KernelOptions) and iperf3 -s in the PortalVMs' namespaces,
// as RunLoad does.
func BenchTopology() *runtime.Topology {
	t := runtime.Seed()
	for i, m := range t.Machines {
		if m.Role == runtime.RoleWebServer {
			t.Machines[i].Endpoints = append(m.Endpoints, runtime.Endpoint{Name: "iperf", Proto: header.ProtocolTCP, Port: IperfPort})
		}
	}
	lb := &t.LoadBalancers[0]
	lb.LoadBalancingRules = append(lb.LoadBalancingRules, slb.LoadBalancingRule{
		Name: "iperf", Frontend: "portal", BackendPool: "portal", Probe: "http", Protocol: slb.ProtocolTCP,
		FrontendPort: IperfPort, BackendPort: IperfPort, LoadDistribution: slb.DistributionSourceIP,
	})
	return t
}

// LoadOptions say how long RunLoad loads a lab.
type LoadOptions struct {
	// Duration of each iperf3 and wrk run (5 s when zero).
	Duration time.Duration
	// Connections wrk keeps open (16 when zero).
	Connections int
	// Streams are the numbers of parallel iperf3 streams to measure
	// (1 and 8 when empty).
	Streams []int
	// NoDownload skips iperf3 -R (the servers send).
	NoDownload bool
}

// Metric is one figure RunLoad measured.
type Metric struct {
	Name  string // "iperf3 up 1 stream", "http requests", ...
	Unit  string // "Gbit/s", "req/s", "ms", "CPU s/GB"
	Value float64
	// Lower says smaller is better (latency, CPU per byte).
	Lower bool
}

package slb_test

import (
	"errors"
	"fmt"

	"github.com/sdnfabric/sdnfabric/slb"
)

// The seed's portal: one VIP, a pool of two DIPs, HTTP load-balanced, and
// an input endpoint that maps public port 8080 to one instance's port 80.
func ExampleParseLoadBalancer() {
	lb, err := slb.ParseLoadBalancer([]byte(`{
	  "name": "portal",
	  "frontendIPConfigurations": [{"name": "fe", "vip": "203.0.113.10"}],
	  "backendAddressPools": [{"name": "web", "vni": 5001, "backends": [
	    {"dip": "10.1.0.5", "hostPA": "192.0.2.11"},
	    {"dip": "10.1.0.6", "hostPA": "192.0.2.12", "weight": 2}]}],
	  "probes": [{"name": "http", "protocol": "Http", "port": 80, "requestPath": "/"}],
	  "loadBalancingRules": [{"name": "http", "frontend": "fe", "backendPool": "web", "probe": "http",
	    "protocol": "Tcp", "frontendPort": 80, "backendPort": 80, "idleTimeoutInMinutes": 15}],
	  "inboundNatRules": [{"name": "admin", "frontend": "fe", "backendPool": "web", "protocol": "Tcp",
	    "frontendPort": 8080, "dip": "10.1.0.6", "backendPort": 80}]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	r := lb.LoadBalancingRules[0]
	fmt.Println(r.Name, r.IdleTimeout(), r.LoadDistribution.Mode(), lb.Probes[0].Interval())
	fmt.Println(lb.BackendAddressPools[0].MaglevBackends())
	// Output:
	// http 15m0s Default 15s
	// [{10.1.0.5 1} {10.1.0.6 2}]
}

func ExampleLoadBalancer_Validate() {
	lb := &slb.LoadBalancer{
		FrontendIPConfigurations: []slb.Frontend{{Name: "fe"}},
		Probes:                   []slb.Probe{{Name: "p", Protocol: slb.ProbeTCP, Port: 80, IntervalInSeconds: 2}},
	}
	err := lb.Validate()
	fmt.Println(err)

	var fe *slb.FieldError
	if errors.As(err, &fe) {
		fmt.Println(fe.Path, errors.Is(err, slb.ErrRange))
	}
	// Output:
	// slb: frontendIPConfigurations[0].vip: is empty
	// slb: probes[0].intervalInSeconds: 2 seconds is outside 5-3600
	// frontendIPConfigurations[0].vip true
}

package metrics_test

import (
	"os"

	"github.com/sdnfabric/sdnfabric/fabric/metrics"
)

func Example() {
	r := metrics.NewRegistry()
	requests := r.NewCounter("fabric_api_requests_total", "API requests by code.", "code")
	requests.With("201").Inc()
	requests.With("409").Inc()
	requests.With("201").Inc()
	r.WriteText(os.Stdout)
	// Output:
	// # HELP fabric_api_requests_total API requests by code.
	// # TYPE fabric_api_requests_total counter
	// fabric_api_requests_total{code="201"} 2
	// fabric_api_requests_total{code="409"} 1
}

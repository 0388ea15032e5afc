module github.com/sdnfabric/sdnfabric/offload/peerbench

go 1.26.3

require github.com/sdnfabric/sdnfabric/offload v0.0.0

require gvisor.dev/gvisor v0.0.0-20260527191743-a81fd9dd382e

replace github.com/sdnfabric/sdnfabric/offload => ../

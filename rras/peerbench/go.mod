module github.com/sdnfabric/sdnfabric/rras/peerbench

go 1.26

require (
	github.com/gaissmai/bart v0.30.0
	github.com/sdnfabric/sdnfabric/rras v0.0.0
)

replace github.com/sdnfabric/sdnfabric/rras => ../

replace github.com/sdnfabric/sdnfabric/offload => ../../offload

module github.com/sdnfabric/sdnfabric/slb

go 1.26

require (
	github.com/sdnfabric/sdnfabric/offload v0.0.0
	github.com/sdnfabric/sdnfabric/vxlan v0.0.0
)

replace (
	github.com/sdnfabric/sdnfabric/offload => ../offload
	github.com/sdnfabric/sdnfabric/vxlan => ../vxlan
)

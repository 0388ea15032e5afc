module github.com/sdnfabric/sdnfabric/fabric

go 1.26

require (
	github.com/sdnfabric/sdnfabric/offload v0.0.0
	github.com/sdnfabric/sdnfabric/provision v0.0.0
)

require golang.org/x/sys v0.47.0 // indirect

replace (
	github.com/sdnfabric/sdnfabric/bgp => ../bgp
	github.com/sdnfabric/sdnfabric/offload => ../offload
	github.com/sdnfabric/sdnfabric/provision => ../provision
	github.com/sdnfabric/sdnfabric/rras => ../rras
	github.com/sdnfabric/sdnfabric/slb => ../slb
	github.com/sdnfabric/sdnfabric/vxlan => ../vxlan
)

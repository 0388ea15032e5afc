module github.com/sdnfabric/sdnfabric/slb

go 1.26

require (
	github.com/google/go-cmp v0.7.0
	github.com/sdnfabric/sdnfabric/offload v0.0.0
	github.com/sdnfabric/sdnfabric/vxlan v0.0.0
	pgregory.net/rapid v1.3.0
)

require (
	golang.org/x/net v0.58.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
)

replace (
	github.com/sdnfabric/sdnfabric/offload => ../offload
	github.com/sdnfabric/sdnfabric/vxlan => ../vxlan
)

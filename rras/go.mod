module github.com/sdnfabric/sdnfabric/rras

go 1.26

require (
	github.com/google/go-cmp v0.7.0
	github.com/sdnfabric/sdnfabric/offload v0.0.0
	pgregory.net/rapid v1.3.0
)

require golang.org/x/sys v0.47.0 // indirect

replace github.com/sdnfabric/sdnfabric/offload => ../offload

module github.com/sdnfabric/sdnfabric/fabric

go 1.26.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/sdnfabric/sdnfabric/offload v0.0.0
	github.com/sdnfabric/sdnfabric/provision v0.0.0
	go.etcd.io/bbolt v1.5.0
	pgregory.net/rapid v1.3.0
)

require (
	github.com/davecgh/go-spew v1.1.2-0.20180830191138-d8f796af33cc // indirect
	github.com/pmezard/go-difflib v1.0.1-0.20181226105442-5d4384ee4fb2 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

replace (
	github.com/sdnfabric/sdnfabric/bgp => ../bgp
	github.com/sdnfabric/sdnfabric/offload => ../offload
	github.com/sdnfabric/sdnfabric/provision => ../provision
	github.com/sdnfabric/sdnfabric/rras => ../rras
	github.com/sdnfabric/sdnfabric/slb => ../slb
	github.com/sdnfabric/sdnfabric/vxlan => ../vxlan
)

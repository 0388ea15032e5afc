module github.com/sdnfabric/sdnfabric/offload

go 1.26

module github.com/sdnfabric/sdnfabric/bgp

go 1.26

module github.com/sdnfabric/sdnfabric/provision

go 1.26

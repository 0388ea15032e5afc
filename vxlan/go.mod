module github.com/sdnfabric/sdnfabric/vxlan

go 1.26

require github.com/sdnfabric/sdnfabric/offload v0.0.0

replace github.com/sdnfabric/sdnfabric/offload => ../offload

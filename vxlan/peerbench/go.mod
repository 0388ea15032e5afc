module github.com/sdnfabric/sdnfabric/vxlan/peerbench

go 1.26

require github.com/sdnfabric/sdnfabric/vxlan v0.0.0

require github.com/sdnfabric/sdnfabric/offload v0.0.0

require (
	github.com/gopacket/gopacket v1.7.7
	golang.org/x/net v0.58.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
)

replace github.com/sdnfabric/sdnfabric/vxlan => ../

replace github.com/sdnfabric/sdnfabric/offload => ../../offload
